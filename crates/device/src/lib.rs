//! Wicket's device side: the local SQLite replica of events, products, items and
//! customers, the outbox of local operations, and the local services (issue, sell,
//! redeem, transfer, claim, reward redemption, search) that decide through the
//! domain rulebook and persist each result in one durable transaction.
#![forbid(unsafe_code)]

mod allotment;
mod box_office;
pub mod claim_sheet_pdf;
mod client;
pub mod demo;
pub mod door;
pub mod error;
pub mod export;
pub mod lan;
pub mod manage;
mod meta;
pub mod outbox;
mod passage;
pub mod peer;
mod printer;
mod pull;
pub mod receipt_pdf;
pub mod replica;
pub mod report_pdf;
mod rows;
mod search;
mod signing;
mod staff;
mod stats;
pub mod sync;
mod sync_state;
mod till;
pub mod vault;

pub use door::{Staff, Verdict};
pub use error::{DeviceError, Result};
pub use outbox::{OutboxOp, PushSummary};
pub use printer::{print_pdf, validate_queue};
pub use replica::*;
