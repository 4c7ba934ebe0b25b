//! Management from an enrolled device: a staff member signs in at head office with
//! their PIN and gets a short-lived token; management requests then carry the
//! device credential (bearer) and that token (header [`STAFF_TOKEN_HEADER`]), and
//! head office checks the member's role for every act.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wicket_domain::Role;

/// The header a management request carries the staff token in.
pub const STAFF_TOKEN_HEADER: &str = "x-wicket-staff-token";

/// `POST /v1/sync/staff-token` (device credential).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffTokenRequest {
    pub staff_id: Uuid,
    pub pin: String,
}

/// A staff member signed in at head office from one device, until `expires_at`
/// (Unix seconds).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Serialize, Deserialize)]
pub struct StaffToken {
    pub token: String,
    pub staff_id: Uuid,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub expires_at: i64,
}

/// `PATCH /v1/staff/{id}`: what to change; absent fields stay. A new PIN, a new
/// role or a deactivation ends the member's head office sign-ins.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub pin: Option<String>,
    pub active: Option<bool>,
}

/// A staff member as head office lists them (`GET /v1/staff`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffListing {
    pub id: Uuid,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub active: bool,
    pub created_at: i64,
}

impl std::fmt::Debug for StaffTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffTokenRequest")
            .field("staff_id", &self.staff_id)
            .field("pin", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for StaffToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffToken")
            .field("token", &"<redacted>")
            .field("staff_id", &self.staff_id)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl std::fmt::Debug for StaffPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffPatch")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("active", &self.active)
            .finish()
    }
}
