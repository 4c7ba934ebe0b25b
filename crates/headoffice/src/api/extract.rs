//! What every handler shares: the state, extractors whose rejections answer the
//! MUFI error body, and the parsing helpers for pages and user keys.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wicket_domain::DomainError;

use crate::error::{Error, Result};
use crate::model::*;
use crate::store::Store;

/// Shared state of every handler: the store, behind the trait, and the address the
/// public reaches this server at (claim links are built from it, never from a
/// request's `Host` header, which the client chooses).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub public_url: Arc<str>,
}

/// JSON body whose rejections become `400 {"errors": [...]}` instead of plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct ApiJson<T>(pub T);

/// Query string with the same error envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct ApiQuery<T>(pub T);

/// Path parameters with the same error envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct ApiPath<T>(pub T);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-indexed page (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Page size 1..=100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Domain(DomainError::InvalidField {
        field,
        reason: reason.into(),
    })
}

pub(crate) fn page_req(page: Option<i64>, limit: Option<i64>) -> Result<PageReq> {
    let page = page.unwrap_or(1);
    let limit = limit.unwrap_or(10);
    if !(1..=1_000_000).contains(&page) {
        return Err(invalid("page", "must be >= 1"));
    }
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "must be 1..=100"));
    }
    Ok(PageReq {
        page: page as u32,
        limit: limit as u32,
    })
}

/// Email wins over id when both are given (MUFI's priority).
pub(crate) fn user_key(
    email: Option<String>,
    id: Option<Uuid>,
    field: &'static str,
) -> Result<UserKey> {
    match (email, id) {
        (Some(e), _) => Ok(UserKey::Email(wicket_domain::normalize_email(&e)?)),
        (None, Some(id)) => Ok(UserKey::Id(id)),
        (None, None) => Err(invalid(field, "an email or a user id is required")),
    }
}
