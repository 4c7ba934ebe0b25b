//! The one error shape the UI sees: `{code, message}`, with the stable snake_case
//! codes of the device, domain and ticket crates passed through unchanged.

use serde::Serialize;
use wicket_device::DeviceError;
use wicket_ticket::{DecodeError, RenderError};

/// An error as the UI receives it from any command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppError {
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn not_signed_in() -> Self {
        AppError::new("not_signed_in", "sign in first")
    }

    pub fn forbidden(what: &str) -> Self {
        AppError::new(
            "forbidden",
            format!("your role may not use {what}; ask a manager"),
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::new("invalid_request", message)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<DeviceError> for AppError {
    fn from(e: DeviceError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<wicket_domain::DomainError> for AppError {
    fn from(e: wicket_domain::DomainError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<DecodeError> for AppError {
    fn from(e: DecodeError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<RenderError> for AppError {
    fn from(e: RenderError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_errors_keep_their_code() {
        let e: AppError = DeviceError::BadPin.into();
        assert_eq!(e.code, "bad_pin");
        let e: AppError = DeviceError::Invalid("x".into()).into();
        assert_eq!(e.code, "invalid_request");
        assert!(e.message.contains('x'));
    }

    #[test]
    fn serializes_as_code_and_message() {
        let v = serde_json::to_value(AppError::forbidden("sales")).unwrap_or_default();
        assert_eq!(v["code"], "forbidden");
        assert!(v["message"].as_str().is_some_and(|m| m.contains("sales")));
    }
}
