//! The authorization matrix over real HTTP: every operation `/openapi.json` documents,
//! called by every kind of caller (no key, an unknown key, a read key, a write key,
//! an enrolled device's credential), is held to the access rules:
//!
//! - nothing answers 5xx, whoever calls;
//! - without a valid credential every operation but the public ones answers 401;
//! - a read key gets 403 on every write operation of the API-key surface;
//! - device credentials open only device routes, API keys never open them (401);
//! - the caller a route is meant for is let through (no 401/403), so the matrix
//!   cannot pass by refusing everyone.
//!
//! Bodies are `{}`: the rules must hold before any body is read, so a handler that
//! parses its body before checking the caller shows up here as a 400 where a 401 or
//! 403 is due. Every violation is collected and printed with the whole matrix.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// Operations anyone may call: the document itself, and enrollment (the one-time
/// code in the body is the secret). The claim page a claim-code URL points at is not
/// served by head office; `POST /v1/claim` needs a key like the rest of `/v1`.
const PUBLIC: &[(&str, &str)] = &[("get", "/openapi.json"), ("post", "/v1/devices/enroll")];

/// Operations only an enrolled device may call, with the credential it received at
/// enrollment (sync.rs `require_device`). The other routes of sync.rs are public
/// (enroll) or admin routes that take a write API key (enrollment codes, staff).
const DEVICE_ONLY: &[(&str, &str)] = &[
    ("post", "/v1/sync/push"),
    ("get", "/v1/sync/pull"),
    ("post", "/v1/sync/allotments"),
    ("post", "/v1/sync/allotments/{id}/release"),
    ("post", "/v1/sync/refunds"),
    ("post", "/v1/sync/staff-token"),
];

/// POSTs that only read (MUFI queries users through POST), so a read key may call them.
const READ_ONLY_POSTS: &[&str] = &["/v1/users/fetch", "/v1/users/profile"];

/// GETs that need a write key all the same: a signed ticket is itself a credential
/// (it admits at the door), and the audit log and staff list are admin data.
const WRITE_KEY_READS: &[(&str, &str)] = &[
    ("get", "/v1/products/{id}/items/{item_id}/ticket"),
    ("get", "/v1/audit"),
    ("get", "/v1/staff"),
];

/// HTTP methods as OpenAPI path items name them; other keys of a path item
/// (`parameters`, `summary`, ...) are not operations.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    NoKey,
    BadKey,
    Read,
    Write,
    Device,
}

impl Caller {
    /// Write last: its call may change state (delete the event, the reward) that the
    /// other callers' calls on the same operation would otherwise not see.
    const ALL: [Caller; 5] = [
        Caller::NoKey,
        Caller::BadKey,
        Caller::Device,
        Caller::Read,
        Caller::Write,
    ];

    fn name(self) -> &'static str {
        match self {
            Caller::NoKey => "no key",
            Caller::BadKey => "bad key",
            Caller::Read => "read key",
            Caller::Write => "write key",
            Caller::Device => "device",
        }
    }
}

/// Who an operation is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Public,
    DeviceOnly,
    /// API-key route that only reads: read and write keys.
    ApiRead,
    /// API-key route that writes, or reads something only a write key may see.
    ApiWrite,
}

fn kind(method: &str, path: &str) -> Kind {
    if PUBLIC.contains(&(method, path)) {
        Kind::Public
    } else if DEVICE_ONLY.contains(&(method, path)) {
        Kind::DeviceOnly
    } else if WRITE_KEY_READS.contains(&(method, path)) {
        Kind::ApiWrite
    } else if matches!(method, "get" | "head" | "options") || READ_ONLY_POSTS.contains(&path) {
        Kind::ApiRead
    } else {
        Kind::ApiWrite
    }
}

/// What a caller must get on an operation of a kind, besides "never 5xx".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Status(u16),
    /// Let through: anything but 401 and 403 (the `{}` body may well be a 400).
    Allowed,
}

fn expect(kind: Kind, caller: Caller) -> Expect {
    use Caller::*;
    match (kind, caller) {
        (Kind::Public, _) => Expect::Allowed,
        (_, NoKey | BadKey) => Expect::Status(401),
        (Kind::DeviceOnly, Device) => Expect::Allowed,
        (Kind::DeviceOnly, Read | Write) => Expect::Status(401),
        (Kind::ApiRead | Kind::ApiWrite, Device) => Expect::Status(401),
        (Kind::ApiWrite, Read) => Expect::Status(403),
        (Kind::ApiRead | Kind::ApiWrite, Read | Write) => Expect::Allowed,
    }
}

/// Real ids for path parameters, so handlers get past "not found" where they can.
struct Ids {
    product: String,
    slug: String,
    item: String,
    user: String,
    event: String,
    reward: String,
}

async fn seed(s: &common::Server) -> Ids {
    let (st, event) = s
        .post(
            "/v1/events/create",
            json!({"name": "Matrix Night", "start_date": 1_900_000_000, "end_date": 1_900_010_000,
                   "location": "Hall", "address": "1 Road"}),
        )
        .await;
    assert_eq!(st, 201, "create event: {event}");
    let user = s.user("matrix@example.com").await;
    let product = s
        .product(
            json!({"type": "admission", "name": "Matrix Entry", "price": "5.00", "stock": 100}),
        )
        .await;
    let pid = common::id(&product);
    let (st, issued) = s
        .post(
            &format!("/v1/products/{pid}/items"),
            json!({"users": [user["id"]]}),
        )
        .await;
    assert_eq!(st, 201, "issue item: {issued}");
    let (st, reward) = s
        .post(
            "/v1/rewards",
            json!({"name": "Matrix Reward", "credit_cost": 1,
                   "grants": {"product_id": pid, "quantity": 1}}),
        )
        .await;
    assert_eq!(st, 201, "create reward: {reward}");
    Ids {
        slug: product["slug"].as_str().expect("slug").to_string(),
        product: pid,
        item: issued["items"][0]["id"]
            .as_str()
            .expect("item id")
            .to_string(),
        user: common::id(&user),
        event: common::id(&event),
        reward: common::id(&reward),
    }
}

/// The path with each `{param}` replaced: a real id when the segment before it names
/// a collection we seeded, a random UUID otherwise.
fn fill(path: &str, ids: &Ids) -> String {
    let mut out = Vec::new();
    let mut prev = "";
    for seg in path.split('/') {
        let filled = if seg.starts_with('{') && seg.ends_with('}') {
            match (prev, seg) {
                ("products", _) => ids.product.clone(),
                ("slug", _) => ids.slug.clone(),
                ("items", _) => ids.item.clone(),
                ("users", _) => ids.user.clone(),
                ("events", _) => ids.event.clone(),
                ("rewards", _) => ids.reward.clone(),
                _ => Uuid::new_v4().to_string(),
            }
        } else {
            seg.to_string()
        };
        out.push(filled);
        prev = seg;
    }
    out.join("/")
}

/// Enroll a device the way the desktop app does and return its credential.
async fn enroll_device(s: &common::Server) -> String {
    let (st, code) = s.post("/v1/devices/enrollment-codes", json!({})).await;
    assert_eq!(st, 200, "enrollment code: {code}");
    let public_key = hex::encode(rand::random::<[u8; 32]>());
    let (st, enrolled) = s
        .send(
            Method::POST,
            "/v1/devices/enroll",
            None,
            Some(json!({"code": code["code"], "name": "Authz matrix", "public_key": public_key})),
        )
        .await;
    assert_eq!(st, 200, "enroll: {enrolled}");
    enrolled["credential"]
        .as_str()
        .expect("credential")
        .to_string()
}

/// Every (method, path) in the document, in its order.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths object") {
        for m in METHODS {
            if item.get(*m).is_some() {
                ops.push((m.to_string(), path.clone()));
            }
        }
    }
    ops
}

/// The document against the router and the lists above. `served_routes()` is the
/// API surface; the operations probes (`/healthz`, `/readyz`, `/metrics`) are outside
/// it and outside the document on purpose, so they are not checked here.
fn document_violations(doc: &Value, ops: &[(String, String)]) -> Vec<String> {
    let mut v = Vec::new();
    let documented: BTreeSet<(&str, &str)> =
        ops.iter().map(|(m, p)| (m.as_str(), p.as_str())).collect();
    let served: BTreeSet<(&str, &str)> = wicket_headoffice::served_routes().into_iter().collect();
    for (m, p) in served.difference(&documented) {
        v.push(format!(
            "{} {p}: served but missing from /openapi.json",
            m.to_uppercase()
        ));
    }
    for (m, p) in documented.difference(&served) {
        v.push(format!(
            "{} {p}: in /openapi.json but not served",
            m.to_uppercase()
        ));
    }
    for (m, p) in PUBLIC.iter().chain(DEVICE_ONLY).chain(WRITE_KEY_READS) {
        if !served.contains(&(*m, *p)) {
            v.push(format!(
                "{} {p}: listed in this test but not served (stale list)",
                m.to_uppercase()
            ));
        }
    }
    // The document's `security` must say the same as the server: public operations
    // declare none, every other one declares the bearer scheme.
    for (m, p) in ops {
        let declared = doc["paths"][p][m]["security"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
        let public = kind(m, p) == Kind::Public;
        if declared == public {
            v.push(format!(
                "{} {p}: document declares {} but the operation is {}",
                m.to_uppercase(),
                if declared {
                    "bearer security"
                } else {
                    "no security"
                },
                if public { "public" } else { "authenticated" },
            ));
        }
    }
    v
}

#[tokio::test]
async fn every_operation_enforces_who_may_call_it() {
    let s = common::start().await;
    let ids = seed(&s).await;
    let device = enroll_device(&s).await;
    // Well-formed like a real key, but never issued.
    let bad = format!("wk_{}", hex::encode(rand::random::<[u8; 32]>()));

    let (st, doc) = s.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, 200, "/openapi.json: {doc}");
    let ops = operations(&doc);
    assert!(ops.len() > 40, "only {} operations documented", ops.len());
    let mut violations = document_violations(&doc, &ops);

    // Served routes the document misses are reported above, and still go through
    // the matrix: a route must not escape the access rules by being undocumented.
    let mut matrix = ops.clone();
    for (m, p) in wicket_headoffice::served_routes() {
        if !ops.iter().any(|(om, op)| om == m && op == p) {
            matrix.push((m.to_string(), p.to_string()));
        }
    }
    // One row per operation: its kind and each caller's status, '*' where it breaks a rule.
    let mut rows = Vec::new();
    for (method, path) in &matrix {
        let k = kind(method, path);
        let url = fill(path, &ids);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let body = matches!(method.as_str(), "post" | "put" | "patch").then(|| json!({}));
        let mut cells = Vec::new();
        for caller in Caller::ALL {
            let key = match caller {
                Caller::NoKey => None,
                Caller::BadKey => Some(bad.as_str()),
                Caller::Read => Some(s.read.as_str()),
                Caller::Write => Some(s.write.as_str()),
                Caller::Device => Some(device.as_str()),
            };
            let (status, answer) = s.send(m.clone(), &url, key, body.clone()).await;
            let mut broken = Vec::new();
            if status >= 500 {
                broken.push("server error".to_string());
            }
            match expect(k, caller) {
                Expect::Status(want) if status != want => broken.push(format!("want {want}")),
                Expect::Allowed if matches!(status, 401 | 403) => {
                    broken.push("want let through (not 401/403)".to_string())
                }
                _ => {}
            }
            if !broken.is_empty() {
                violations.push(format!(
                    "{} {path} [{k:?}] {}: got {status}, {} ({})",
                    method.to_uppercase(),
                    caller.name(),
                    broken.join(", "),
                    short(&answer),
                ));
            }
            cells.push(format!(
                "{status}{}",
                if broken.is_empty() { " " } else { "*" }
            ));
        }
        rows.push((format!("{} {path}", method.to_uppercase()), k, cells));
    }

    assert!(
        violations.is_empty(),
        "{} authorization violations:\n  {}\n\n{}",
        violations.len(),
        violations.join("\n  "),
        table(&rows),
    );
}

/// An answer body cut to one short line for the violation list.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

fn table(rows: &[(String, Kind, Vec<String>)]) -> String {
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = format!("{:width$}  {:10}", "operation", "kind");
    for c in Caller::ALL {
        let _ = write!(out, " {:>10}", c.name());
    }
    for (op, k, cells) in rows {
        let _ = write!(out, "\n{op:width$}  {:10}", format!("{k:?}"));
        for c in cells {
            let _ = write!(out, " {c:>10}");
        }
    }
    out
}
