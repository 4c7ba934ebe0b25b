//! `wicket manage`: one head office API request as the signed-in manager or admin.

use anyhow::Context;
use serde_json::Value;
use wicket_device::Replica;

/// The body of `--data`: JSON text, or `@FILE` holding it.
fn body(data: Option<&str>) -> anyhow::Result<Option<Value>> {
    let Some(d) = data else { return Ok(None) };
    let text = match d.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => d.to_string(),
    };
    Ok(Some(
        serde_json::from_str(&text).context("--data is not valid JSON")?,
    ))
}

pub fn run(
    r: Replica,
    method: &str,
    path: &str,
    data: Option<&str>,
    pin: &str,
) -> anyhow::Result<Value> {
    let body = body(data)?;
    wicket_device::manage::check_request(method, path)?;
    let shared = std::sync::Arc::new(std::sync::Mutex::new(r));
    crate::runtime()?.block_on(async {
        let engine = wicket_device::sync::SyncEngine::new(shared).await?;
        let token = engine.manage_sign_in(pin).await?;
        Ok(engine
            .manage(&token.token, method, path, body.as_ref())
            .await?)
    })
}
