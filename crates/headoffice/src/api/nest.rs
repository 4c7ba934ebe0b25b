//! What the W3Block and PERS routes share: their NestJS-style error body, their
//! query strings (repeated keys, unknown parameters refused), and `null`-aware
//! partial-update fields.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, ErrorBody, Result};

/// The error body of the W3Block and PERS APIs (both NestJS services):
/// `{"statusCode": 404, "message": "...", "error": "Not Found", "code": "not_found"}`.
/// `message` is a string, or a list when several fields are refused at once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NestError {
    pub status_code: u16,
    #[schema(schema_with = message_schema)]
    pub message: serde_json::Value,
    pub error: String,
    /// Wicket's stable snake_case code of the (first) refusal.
    pub code: String,
}

/// `message`: one string, or a list of strings (NestJS validation errors).
fn message_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    let text = || ObjectBuilder::new().schema_type(Type::String);
    Schema::OneOf(
        OneOfBuilder::new()
            .item(text())
            .item(ArrayBuilder::new().items(text()))
            .build(),
    )
}

/// Largest error body rewritten (errors are small).
const ERROR_LIMIT: usize = 64 * 1024;

/// Whether a path belongs to the W3Block or PERS API.
pub fn is_nest_path(path: &str) -> bool {
    path.starts_with("/admin/") || path == "/redemptions" || path.starts_with("/redemptions/")
}

/// On the W3Block and PERS paths, every error (from a handler, an extractor, the
/// query check or the body limit) leaves in the NestJS body.
pub async fn nest_paths(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let nest = is_nest_path(req.uri().path());
    let resp = next.run(req).await;
    if nest { nest_errors(resp).await } else { resp }
}

/// Rewrite head office's `{"errors": ["code: message"]}` into the NestJS body; every
/// other answer passes unchanged.
pub async fn nest_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, ERROR_LIMIT).await {
        Ok(b) => b,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    let Ok(eb) = serde_json::from_slice::<ErrorBody>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let out = nest_body(status, &eb.errors);
    let Ok(json) = serde_json::to_vec(&out) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(json))
}

fn nest_body(status: StatusCode, errors: &[String]) -> NestError {
    let split = |e: &String| match e.split_once(": ") {
        Some((c, m)) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
            (c.to_string(), m.to_string())
        }
        _ => ("error".to_string(), e.clone()),
    };
    let parsed: Vec<(String, String)> = errors.iter().map(split).collect();
    let code = parsed
        .first()
        .map(|(c, _)| c.clone())
        .unwrap_or_else(|| "error".into());
    let message = match parsed.as_slice() {
        [(_, m)] => serde_json::Value::String(m.clone()),
        many => serde_json::Value::Array(
            many.iter()
                .map(|(_, m)| serde_json::Value::String(m.clone()))
                .collect(),
        ),
    };
    NestError {
        status_code: status.as_u16(),
        message,
        error: status.canonical_reason().unwrap_or("Error").to_string(),
        code,
    }
}

/// A query string as ordered pairs: repeated keys (`tagIds=a&tagIds=b`) and
/// bracketed lists (`status[]=draft`) both kept.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn parse(raw: Option<&str>) -> Self {
        QueryPairs(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| {
                    let k = k.strip_suffix("[]").unwrap_or(&k).to_string();
                    (k, v.into_owned())
                })
                .collect(),
        )
    }

    /// Refuse any parameter not in `known` (400): a filter the server does not
    /// apply must not look as if it did.
    pub fn only(&self, known: &[&str]) -> Result<()> {
        for (k, _) in &self.0 {
            if !known.contains(&k.as_str()) {
                return Err(Error::InvalidRequest(format!(
                    "unsupported query parameter {k:?} (supported: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The last value of `key`.
    pub fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, comma-separated values split too.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
            .collect()
    }

    pub fn int(&self, key: &'static str) -> Result<Option<i64>> {
        self.one(key)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| super::extract::invalid(key, format!("{v:?} is not a number")))
            })
            .transpose()
    }

    pub fn bool(&self, key: &'static str) -> Result<Option<bool>> {
        self.one(key)
            .map(|v| match v.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(super::extract::invalid(
                    key,
                    format!("{other:?} is not true or false"),
                )),
            })
            .transpose()
    }
}

/// For `Option<Option<T>>` fields: absent stays `None`, `null` becomes `Some(None)`.
pub fn nullable<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
