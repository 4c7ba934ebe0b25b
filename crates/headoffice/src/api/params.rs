//! Query parameters the server does not read are refused (400), never ignored: a
//! filter a client believes applied but that was dropped is a wrong answer. The
//! parameters each operation reads are the ones its OpenAPI entry documents, so
//! the document and the check cannot drift apart.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{Error, Result};

type Known = HashMap<(String, String), HashSet<String>>;

/// (method, route pattern) -> documented query parameter names.
static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    use utoipa::openapi::path::ParameterIn;
    let doc = crate::openapi::document();
    let mut out = Known::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let names = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                .map(|p| p.name.clone())
                .collect();
            out.insert((method.to_string(), path.clone()), names);
        }
    }
    out
});

/// Refuse a query parameter the matched operation does not document.
pub async fn known_params(req: Request, next: Next) -> Result<Response> {
    if let (Some(query), Some(route)) = (req.uri().query(), req.extensions().get::<MatchedPath>())
        && let Some(known) = KNOWN.get(&(
            req.method().as_str().to_string(),
            route.as_str().to_string(),
        ))
    {
        for (k, _) in form_urlencoded::parse(query.as_bytes()) {
            let name = k.strip_suffix("[]").unwrap_or(&k);
            if !known.contains(name) {
                let mut list: Vec<&str> = known.iter().map(String::as_str).collect();
                list.sort_unstable();
                return Err(Error::InvalidRequest(format!(
                    "unsupported query parameter {name:?} (this route reads: {})",
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                )));
            }
        }
    }
    Ok(next.run(req).await)
}
