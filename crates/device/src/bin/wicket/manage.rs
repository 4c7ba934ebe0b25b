//! `wicket manage`: one head office API request as the signed-in manager or admin.

use anyhow::Context;
use serde_json::Value;
use wicket_device::Replica;
use wicket_device::claim_sheet_pdf::{ClaimCode, ClaimCodesFormat, save_claim_codes};

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

/// Make `count` claim codes of `product` at head office and save them to `out`
/// (`.pdf`: a sheet of QR codes; `.csv`: code and URL); the number made.
pub fn claim_codes(
    r: Replica,
    product: uuid::Uuid,
    count: u32,
    pin: &str,
    out: &std::path::Path,
) -> anyhow::Result<usize> {
    let format: ClaimCodesFormat = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .parse()
        .context("--out must end in .pdf or .csv")?;
    let shared = std::sync::Arc::new(std::sync::Mutex::new(r));
    let (name, codes) = crate::runtime()?.block_on(async {
        let engine = wicket_device::sync::SyncEngine::new(shared).await?;
        let token = engine.manage_sign_in(pin).await?;
        let p = engine
            .manage(
                &token.token,
                "GET",
                &format!("/v1/products/{product}"),
                None,
            )
            .await?;
        let made = engine
            .manage(
                &token.token,
                "POST",
                &format!("/v1/products/{product}/claim-codes"),
                Some(&serde_json::json!({ "count": count })),
            )
            .await?;
        anyhow::Ok((p, made))
    })?;
    let name = name["name"].as_str().unwrap_or("product").to_string();
    let codes: Vec<ClaimCode> = serde_json::from_value(codes["codes"].clone())
        .context("head office answered claim codes in an unknown shape")?;
    save_claim_codes(out, &name, &codes, format)?;
    Ok(codes.len())
}
