//! Errors of the device replica, each with a stable snake_case code.

use thiserror::Error;
use wicket_domain::DomainError;

#[derive(Debug, Error)]
pub enum DeviceError {
    /// A business rule refused; the domain's code is passed through unchanged.
    #[error(transparent)]
    Rule(#[from] DomainError),
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    #[error("wrong PIN")]
    BadPin,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The replica file does not open with this device's key (a copied file, or
    /// the key was lost).
    #[error("the replica is encrypted and this key does not open it")]
    Locked,
    /// A PDF could not be written.
    #[error("could not write the PDF: {0}")]
    Pdf(String),
    /// The print service refused or is missing.
    #[error("printing failed: {0}")]
    Print(String),
    /// Too many wrong PINs: sign-in waits this many seconds.
    #[error("too many wrong PINs; try again in {0} s")]
    LockedOut(i64),
}

impl DeviceError {
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::Rule(e) => e.code(),
            // The same codes head office answers for the same refusals.
            DeviceError::NotFound { .. } => "not_found",
            DeviceError::BadPin => "bad_pin",
            DeviceError::Invalid(_) => "invalid_request",
            DeviceError::Db(_) => "database",
            DeviceError::Migration(_) => "migration",
            DeviceError::Corrupt(_) => "corrupt",
            DeviceError::Locked => "replica_locked",
            DeviceError::Pdf(_) => "pdf_failed",
            DeviceError::Print(_) => "print_failed",
            DeviceError::LockedOut(_) => "locked_out",
        }
    }

    pub(crate) fn not_found(what: &'static str, key: impl ToString) -> Self {
        DeviceError::NotFound {
            what,
            key: key.to_string(),
        }
    }
}

impl From<serde_json::Error> for DeviceError {
    fn from(e: serde_json::Error) -> Self {
        DeviceError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = DeviceError> = std::result::Result<T, E>;
