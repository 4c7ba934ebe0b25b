//! Wicket ticket tokens: signing and reading the Ed25519-signed text a ticket's QR
//! carries, rendering that QR, and decoding QR codes from camera frames and image
//! files. No I/O: callers hand in bytes and get bytes or text back.
#![forbid(unsafe_code)]

pub mod decode;
pub mod locate;
pub mod render;
pub mod sequence;
pub mod token;
mod warp;

pub use decode::{DecodeError, decode_gray, decode_image_bytes};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use render::{RenderError, qr_modules, render_png, render_svg};
pub use token::{KeyId, SignedTicket, TicketClaims, TicketError, key_id, parse, sign};
