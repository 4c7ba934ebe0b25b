//! Managing the venue from this device: the signed-in manager or admin signs in at
//! head office with their PIN, then reaches head office's own API (events,
//! products, rewards, staff, devices) as themself. Head office decides every act;
//! this side only refuses early what it can see is hopeless, and checks that a
//! request names a head office API path.

use serde_json::Value;
use wicket_domain::{Action, DomainError};
use wicket_protocol::{StaffToken, StaffTokenRequest};

use crate::client::{SResult, SyncError};
use crate::error::DeviceError;
use crate::sync::SyncEngine;

/// The HTTP method and path of a management request, checked: one of GET, POST,
/// PUT, PATCH, DELETE, and an absolute path of head office's API (no host, no
/// `..`, no fragment, no control characters).
pub fn check_request(method: &str, path: &str) -> Result<reqwest::Method, DeviceError> {
    let m = match method.to_ascii_uppercase().as_str() {
        "GET" => reqwest::Method::GET,
        "POST" => reqwest::Method::POST,
        "PUT" => reqwest::Method::PUT,
        "PATCH" => reqwest::Method::PATCH,
        "DELETE" => reqwest::Method::DELETE,
        _ => {
            return Err(DomainError::field("method", "GET, POST, PUT, PATCH or DELETE").into());
        }
    };
    let api = ["/v1/", "/admin/", "/redemptions"]
        .iter()
        .any(|p| path.starts_with(p));
    let clean = path.len() <= 2000
        && !path.contains("..")
        && !path.contains("//")
        && !path.contains('#')
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    if !api || !clean {
        return Err(DomainError::field(
            "path",
            "a head office API path such as /v1/events (no host, no '..')",
        )
        .into());
    }
    Ok(m)
}

impl SyncEngine {
    /// Sign the replica's signed-in staff member in at head office with their PIN.
    /// Refused here at once when no one is signed in or their role cannot manage.
    pub async fn manage_sign_in(&self, pin: &str) -> SResult<StaffToken> {
        let staff = {
            let r = self.replica().lock().map_err(|_| {
                SyncError::Task("the replica lock is poisoned; restart the app".into())
            })?;
            r.authorize(Action::Manage)?;
            r.signed_in_staff().ok_or_else(|| {
                DeviceError::Rule(DomainError::field(
                    "staff",
                    "sign in first: head office needs to know who manages",
                ))
            })?
        };
        let req = StaffTokenRequest {
            staff_id: staff,
            pin: pin.to_string(),
        };
        self.client().staff_token(&req).await
    }

    /// One management request with a token from [`Self::manage_sign_in`].
    pub async fn manage(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> SResult<Value> {
        let m = check_request(method, path)?;
        self.client().manage(token, m, path, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::check_request;

    #[test]
    fn only_head_office_api_paths_pass() {
        assert!(check_request("get", "/v1/events").is_ok());
        assert!(check_request("PATCH", "/v1/staff/0190a0a0-0000-7000-8000-000000000000").is_ok());
        assert!(check_request("GET", "/v1/products?page=2&limit=10").is_ok());
        for (m, p) in [
            ("GET", "http://evil.example/v1/events"),
            ("GET", "/v1/../metrics"),
            ("GET", "//evil.example/v1"),
            ("GET", "/metrics"),
            ("GET", "/v1/events\n"),
            ("GET", "/v1/ev ents"),
            ("TRACE", "/v1/events"),
            ("GET", "v1/events"),
        ] {
            assert!(check_request(m, p).is_err(), "{m} {p} passed");
        }
    }
}
