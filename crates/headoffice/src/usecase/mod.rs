//! Head office's use cases: each act loads the facts it needs through the storage
//! traits ([`crate::storage::Tx`]), asks `wicket_domain`, and persists. The API
//! handler of an act and the push of a device's op for it call the same function.

pub mod allotment;
pub mod catalog;
pub mod claim;
pub mod customer;
pub mod devices;
pub mod issue;
pub mod push;
pub mod refund;
pub mod reward;
pub mod sale;
pub mod scan;
pub mod staff;
pub mod transfer;
