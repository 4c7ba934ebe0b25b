//! Wicket's rulebook: every domain type and every business rule (issue, sell, redeem,
//! transfer, claim, reward redemption) as pure functions over plain data. The device
//! replica and head office both call these functions, so a decision made offline at
//! the door is the same one head office makes when the operation is uploaded.
//! Nothing here does I/O; every refusal is a [`DomainError`] with a stable code.
#![forbid(unsafe_code)]

pub mod error;
pub mod model;
pub mod rules;
pub mod validate;

pub use error::{DomainError, Result};
pub use model::*;
pub use rules::*;
pub use rust_decimal::Decimal;
pub use validate::*;

pub mod admin;
pub use admin::*;

pub mod allotment;
pub use allotment::*;

pub mod policy;
pub use policy::*;

pub mod door;
pub use door::*;

pub mod details;
pub use details::*;

pub mod stats;
pub use stats::*;

pub mod refund;
pub use refund::*;

pub mod till;
pub use till::*;

pub mod payment;
pub use payment::*;
