//! The one error type of head office: every refusal maps to an HTTP status and a
//! MUFI-style body `{"errors": ["<code>: <message>"]}` with a stable snake_case code.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wicket_domain::DomainError;

/// Why a request or a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A business rule or input validation refused the request (400).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Several validation failures at once (400), e.g. a user batch.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    DomainMany(Vec<DomainError>),
    #[error("{0}")]
    NotFound(String),
    /// A write collides with existing data (duplicate email, slug, ...) (409).
    #[error("{0}")]
    Conflict(String),
    /// The body, query or path could not be parsed (400).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("missing or unknown API key")]
    Unauthorized,
    #[error("this API key is read-only")]
    Forbidden,
    /// The signed-in staff member's role may not do this (403).
    #[error("{0}")]
    NotAllowed(String),
    /// A staff PIN did not match (401).
    #[error("wrong PIN")]
    BadPin,
    /// Too many wrong PINs in a row: signing in waits this many seconds (429).
    #[error("too many wrong PINs; try again in {0} s")]
    PinLocked(i64),
    /// The body is larger than the route accepts (413).
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body is not JSON (`Content-Type` must be `application/json`) (415).
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("storage failure: {0}")]
    Storage(String),
    /// The database is unreachable or kept losing a race (503; try again).
    #[error("busy: {0}")]
    Busy(String),
    /// A query that must return a row returned none (an internal failure).
    #[error("no row returned")]
    NoRows,
}

impl Error {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Domain(d) => d.code(),
            Error::DomainMany(v) => v
                .first()
                .map(DomainError::code)
                .unwrap_or("invalid_request"),
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::InvalidRequest(_) => "invalid_request",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden | Error::NotAllowed(_) => "forbidden",
            Error::BadPin => "bad_pin",
            Error::PinLocked(_) => "pin_locked",
            Error::PayloadTooLarge => "payload_too_large",
            Error::UnsupportedMediaType => "unsupported_media_type",
            Error::Storage(_) | Error::NoRows => "storage",
            Error::Busy(_) => "busy",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Domain(_) | Error::DomainMany(_) | Error::InvalidRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::NotAllowed(_) => StatusCode::FORBIDDEN,
            Error::BadPin => StatusCode::UNAUTHORIZED,
            Error::PinLocked(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Storage(_) | Error::NoRows => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `errors` array entries.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::Domain(d) => vec![d.to_api_string()],
            Error::DomainMany(v) => v.iter().map(DomainError::to_api_string).collect(),
            // Internal details go to the log, not to the client.
            Error::Storage(_) | Error::NoRows => {
                vec!["storage: internal storage failure".to_string()]
            }
            Error::Busy(_) => vec!["busy: the database is busy; try again".to_string()],
            other => vec![format!("{}: {}", other.code(), other)],
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Error::NotFound(format!("{what} not found"))
    }
}

/// The MUFI error envelope: the protocol's one error body type.
pub use wicket_protocol::ErrorBody;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Error::Storage(detail) => tracing::error!(%detail, "storage failure"),
            Error::Busy(detail) => tracing::warn!(%detail, "database busy"),
            Error::NoRows => tracing::error!("a query returned no row"),
            _ => {}
        }
        (
            self.status(),
            Json(ErrorBody {
                errors: self.messages(),
            }),
        )
            .into_response()
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // A UNIQUE violation is a write conflict the client can fix, not a failure.
        if let rusqlite::Error::SqliteFailure(f, msg) = &e
            && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        {
            let what = msg
                .as_deref()
                .and_then(|m| m.strip_prefix("UNIQUE constraint failed: "))
                .unwrap_or("a unique field");
            return Error::Conflict(format!("duplicate value for {what}"));
        }
        // Any other constraint (a missing row a key points at, a NOT NULL, a CHECK)
        // is input the store refused, never a server failure.
        if let rusqlite::Error::SqliteFailure(f, msg) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return Error::InvalidRequest(format!(
                "refused by the store: {}",
                msg.as_deref().unwrap_or("constraint failed")
            ));
        }
        Error::Storage(e.to_string())
    }
}

impl From<rusqlite_migration::Error> for Error {
    fn from(e: rusqlite_migration::Error) -> Self {
        Error::Storage(format!("migration: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Storage(format!("stored JSON: {e}"))
    }
}

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
            _ => Error::InvalidRequest(format!("invalid JSON body: {}", r.body_text())),
        }
    }
}

/// Answers made below the handlers (the body-size limit, a compression layer) come
/// as plain text; a client always gets the JSON error body instead. HTML passes
/// unchanged: the public claim page (`crate::claim_page`) answers a person, in HTML.
pub async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json_or_html = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if is_json_or_html || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let err = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
        StatusCode::METHOD_NOT_ALLOWED => {
            Error::InvalidRequest("method not allowed on this route".into())
        }
        s if s.is_server_error() => Error::Storage(format!("{s} from a layer")),
        s => Error::InvalidRequest(format!("request refused ({s})")),
    };
    let mut out = err.into_response();
    // Keep the status the layer chose (405 stays 405).
    *out.status_mut() = status;
    out
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        Error::InvalidRequest(format!("invalid query: {}", r.body_text()))
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        Error::InvalidRequest(format!("invalid path: {}", r.body_text()))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
