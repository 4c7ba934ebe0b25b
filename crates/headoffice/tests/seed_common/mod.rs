//! Harness of the seed-document client tests (`seed_mufi`, `seed_w3block`,
//! `seed_pers`): a real `wicket-headoffice serve` process on 127.0.0.1 over a fresh
//! database (a SQLite file, or a new PostgreSQL database when
//! `WICKET_TEST_BACKEND=postgres`, on the server `WICKET_TEST_DATABASE_URL` names),
//! keys and companies made with the CLI, and checks of the wire shapes the seed
//! documents describe.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const BIN: &str = env!("CARGO_BIN_EXE_wicket-headoffice");
/// The company `/v1` works on (the W3Block view of MUFI's catalog).
pub const DEFAULT_COMPANY: &str = "00000000-0000-4000-8000-000000000001";
/// USD's `currencyId` in seed 002's product example (line 26).
pub const USD_ID: &str = "8c43ece8-99b0-4877-aed3-2170d2deb4bf";

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    /// `Authorization: Bearer <key>`
    Bearer(&'a str),
    /// PERS `x-project-key: <key>`
    Project(&'a str),
    /// Any other header carrying a key, e.g. W3Block's `x-w3block-api-key`.
    Header(&'a str, &'a str),
}

/// One head office process, killed on drop.
pub struct Ho {
    child: Child,
    pub base: String,
    /// `--db FILE` or `--database-url URL`, as every CLI command takes it.
    db: Vec<String>,
    /// A write key made with `keys create --scope write`.
    pub write: String,
    pub client: reqwest::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Ho {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database arguments for the backend under test.
fn database(dir: &std::path::Path) -> Vec<String> {
    match std::env::var("WICKET_TEST_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => vec![
            "--db".into(),
            dir.join("ho.db").to_string_lossy().into_owned(),
        ],
        Ok("postgres") => {
            let admin = std::env::var("WICKET_TEST_DATABASE_URL").expect(
                "WICKET_TEST_BACKEND=postgres needs WICKET_TEST_DATABASE_URL \
                 (export WICKET_TEST_DATABASE_URL=$(scripts/postgres.sh env))",
            );
            let url = wicket_headoffice::db::postgres::create_database(&admin)
                .expect("create a fresh PostgreSQL database");
            vec!["--database-url".into(), url]
        }
        Ok(other) => panic!("WICKET_TEST_BACKEND={other:?}: no such backend (sqlite, postgres)"),
    }
}

impl Ho {
    /// Start `wicket-headoffice serve` and wait until `/readyz` answers; then make a
    /// write key with the CLI (while the server runs, as an operator would).
    pub async fn start() -> Ho {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = database(dir.path());
        let log = dir.path().join("ho.log");
        let stderr = std::fs::File::create(&log).expect("create the server log");
        let child = Command::new(BIN)
            .arg("serve")
            .args(&db)
            // Port 0, read back from the log: a port picked in advance could be
            // taken by another test's server before this one binds it.
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawn wicket-headoffice serve");
        let mut ho = Ho {
            child,
            base: String::new(),
            db,
            write: String::new(),
            client: reqwest::Client::new(),
            log,
            _dir: dir,
        };
        for _ in 0..600 {
            let text = ho.log();
            if let Some(addr) = text
                .split("head office listening addr=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
            {
                ho.base = format!("http://{addr}");
                break;
            }
            if let Ok(Some(status)) = ho.child.try_wait() {
                panic!("serve exited with {status}: {text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            !ho.base.is_empty(),
            "head office never said where it listens: {}",
            ho.log()
        );
        let mut ready = false;
        for _ in 0..600 {
            if let Ok(r) = ho.client.get(format!("{}/readyz", ho.base)).send().await
                && r.status().is_success()
            {
                ready = true;
                break;
            }
            if let Ok(Some(status)) = ho.child.try_wait() {
                panic!("serve exited with {status}: {}", ho.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "head office never became ready: {}", ho.log());
        ho.write = ho.key("write");
        ho
    }

    /// What the server wrote to stderr (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Run a CLI command on this server's database: the last word of its output
    /// (the key or id those commands print), or why it failed.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(BIN)
            .args(args)
            .args(&self.db)
            .output()
            .expect("run the wicket-headoffice CLI");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if !out.status.success() {
            return Err(format!(
                "wicket-headoffice {args:?} failed ({}): {}{stdout}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        stdout
            .split_whitespace()
            .last()
            .map(str::to_string)
            .ok_or_else(|| format!("wicket-headoffice {args:?} printed nothing"))
    }

    /// [`Ho::try_cli`] that must succeed.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `keys create --scope SCOPE` (read, write or project).
    pub fn key(&self, scope: &str) -> String {
        let k = self.cli(&["keys", "create", "--scope", scope]);
        assert!(k.len() >= 16, "{scope} key looks wrong: {k:?}");
        k
    }

    /// The key a PERS app sends as `x-project-key`: `keys create --scope project`.
    pub fn project_key(&self) -> String {
        self.key("project")
    }

    /// `companies create --name NAME`: the new company's id.
    pub fn company(&self, name: &str) -> String {
        let id = self.cli(&["companies", "create", "--name", name]);
        uuid::Uuid::parse_str(&id)
            .unwrap_or_else(|_| panic!("companies create printed {id:?}, not a UUID"));
        id
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        rb = match auth {
            Auth::None => rb,
            Auth::Bearer(k) => rb.bearer_auth(k),
            Auth::Project(k) => rb.header("x-project-key", k),
            Auth::Header(name, k) => rb.header(name, k),
        };
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body: {e}"));
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    /// GET with the write key.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, Auth::Bearer(&self.write), None)
            .await
    }
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call(Method::POST, path, Auth::Bearer(&self.write), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call(Method::PUT, path, Auth::Bearer(&self.write), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call(Method::PATCH, path, Auth::Bearer(&self.write), body)
            .await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, Auth::Bearer(&self.write), None)
            .await
    }

    /// GET that must answer 200; its body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let (st, v) = self.get(path).await;
        assert_eq!(st, 200, "GET {path}: {v}");
        v
    }
}

// ------------------------------------------------------------------ shape checks

/// `v[key]` as a string, or a panic naming what was expected.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} should be a string in {v}"))
}

/// An ISO 8601 date-time (RFC 3339 profile, as `2022-10-17T21:47:12.505Z`); its
/// Unix seconds.
pub fn iso(v: &Value, key: &str) -> i64 {
    let text = s(v, key);
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("{key} = {text:?} is not ISO 8601 ({e}) in {v}"))
        .unix_timestamp()
}

/// A UUID string at `v[key]`.
pub fn uuid_at(v: &Value, key: &str) -> String {
    let text = s(v, key);
    uuid::Uuid::parse_str(text).unwrap_or_else(|_| panic!("{key} = {text:?} is not a UUID in {v}"));
    text.to_string()
}

/// Every object key anywhere in `v`, with its path.
pub fn all_keys(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                out.push(format!("{at}.{k}"));
                all_keys(x, &format!("{at}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                all_keys(x, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// camelCase at every level: no key anywhere holds an underscore.
pub fn assert_camel_case(v: &Value) {
    let mut keys = Vec::new();
    all_keys(v, "$", &mut keys);
    let snake: Vec<&String> = keys
        .iter()
        .filter(|k| k.rsplit('.').next().is_some_and(|last| last.contains('_')))
        .collect();
    assert!(
        snake.is_empty(),
        "keys with '_' (not camelCase): {snake:?} in {v}"
    );
}

/// snake_case keys (MUFI `/v1`): no key holds an upper-case letter.
pub fn assert_snake_case(v: &Value) {
    let mut keys = Vec::new();
    all_keys(v, "$", &mut keys);
    let camel: Vec<&String> = keys
        .iter()
        .filter(|k| {
            k.rsplit('.')
                .next()
                .is_some_and(|last| last.bytes().any(|b| b.is_ascii_uppercase()))
        })
        .collect();
    assert!(
        camel.is_empty(),
        "keys with upper case (not snake_case): {camel:?} in {v}"
    );
}

/// The MUFI 400 body: `{"errors": [string, ...]}`, at least one error.
pub fn assert_mufi_errors(v: &Value) {
    let errors = v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {{\"errors\": [...]}}, got {v}"));
    assert!(!errors.is_empty(), "errors is empty: {v}");
    for e in errors {
        let text = e
            .as_str()
            .unwrap_or_else(|| panic!("each error should be a string: {v}"));
        assert!(!text.trim().is_empty(), "an empty error string: {v}");
    }
}

/// The NestJS error body: `{statusCode, message, error}` (+ `code`); `message` a
/// string or a list of strings.
pub fn assert_nest_error(v: &Value, status: u16) {
    assert_eq!(
        v["statusCode"].as_u64(),
        Some(u64::from(status)),
        "statusCode in {v}"
    );
    match &v["message"] {
        Value::String(m) => assert!(!m.trim().is_empty(), "empty message: {v}"),
        Value::Array(a) => {
            assert!(!a.is_empty(), "empty message list: {v}");
            assert!(
                a.iter().all(Value::is_string),
                "message list of non-strings: {v}"
            );
        }
        other => panic!("message should be a string or a list, got {other} in {v}"),
    }
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|c| c.canonical_reason())
        .unwrap_or_default();
    assert_eq!(s(v, "error"), reason, "error (the status text) in {v}");
    assert!(!s(v, "code").is_empty(), "code in {v}");
}

/// `v` without the given top-level keys (to compare the rest of two objects).
pub fn without(v: &Value, keys: &[&str]) -> Value {
    let mut out = v.clone();
    if let Some(o) = out.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    out
}
