//! Signed ticket tokens, QR rendering and QR scanning (no I/O).
#![forbid(unsafe_code)]
