//! The replica's encryption key (a stolen laptop must not give away names, emails,
//! orders or the device's ticket-signing key): kept in the OS keyring (Secret
//! Service on Linux) when there is one, else in a key file only this user can read,
//! with a warning. The replica is SQLCipher, keyed with the raw 256-bit key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::RngCore;
use rusqlite::Connection;

use crate::error::{DeviceError, Result};

/// Keyring service name of replica keys; the entry's user is the replica's path.
const SERVICE: &str = "wicket-replica";
/// How long to wait for the keyring before falling back (a D-Bus without a Secret
/// Service can hang on activation).
const KEYRING_WAIT: Duration = Duration::from_secs(3);

/// Where a replica's key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The OS keyring.
    Keyring,
    /// A file readable only by this user: weaker (it sits on the same disk), used
    /// where no keyring runs (CI, a headless door PC). The app warns about it.
    KeyFile(PathBuf),
}

impl KeySource {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeySource::Keyring => "keyring",
            KeySource::KeyFile(_) => "key_file",
        }
    }
}

/// A replica key: 32 random bytes as hex. Never printed.
#[derive(Clone)]
pub struct ReplicaKey {
    hex: String,
    pub source: KeySource,
}

impl std::fmt::Debug for ReplicaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaKey")
            .field("key", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

impl ReplicaKey {
    fn generate(source: KeySource) -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        ReplicaKey {
            hex: hex::encode(bytes),
            source,
        }
    }

    fn parse(text: &str, source: KeySource) -> Result<Self> {
        let hex = text.trim().to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DeviceError::Corrupt(
                "the stored replica key is not 32 bytes of hex".into(),
            ));
        }
        Ok(ReplicaKey { hex, source })
    }

    /// The SQLCipher raw-key literal (`x'…'`): no key derivation, so opening is fast.
    fn pragma_value(&self) -> String {
        format!("\"x'{}'\"", self.hex)
    }
}

/// The key of the replica at `db`, made and stored on first use. `WICKET_KEYSTORE=file`
/// skips the keyring (tests, kiosks).
pub fn key_for(db: &Path) -> Result<ReplicaKey> {
    let file = key_file_of(db);
    // A key file that exists wins: the replica was keyed with it.
    if file.exists() {
        return read_key_file(&file);
    }
    let use_keyring = std::env::var("WICKET_KEYSTORE").map_or(true, |v| v != "file");
    if use_keyring {
        match from_keyring(db) {
            Ok(k) => return Ok(k),
            Err(e) => tracing::warn!(
                "no OS keyring ({e}); the replica key goes to a file only this user can read"
            ),
        }
    }
    let key = ReplicaKey::generate(KeySource::KeyFile(file.clone()));
    match write_key_file(&file, &key) {
        Ok(()) => Ok(key),
        // Another process made it a moment ago: use that one.
        Err(_) if file.exists() => read_key_file(&file),
        Err(e) => Err(e),
    }
}

/// `<replica>.key`, beside the replica.
pub fn key_file_of(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    db.with_file_name(name)
}

fn read_key_file(file: &Path) -> Result<ReplicaKey> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        DeviceError::Invalid(format!("reading the replica key {}: {e}", file.display()))
    })?;
    ReplicaKey::parse(&text, KeySource::KeyFile(file.to_path_buf()))
}

fn write_key_file(file: &Path, key: &ReplicaKey) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(file).map_err(|e| {
        DeviceError::Invalid(format!("creating the replica key {}: {e}", file.display()))
    })?;
    f.write_all(key.hex.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| DeviceError::Invalid(format!("writing the replica key: {e}")))
}

fn from_keyring(db: &Path) -> std::result::Result<ReplicaKey, String> {
    let user = std::path::absolute(db)
        .unwrap_or_else(|_| db.to_path_buf())
        .display()
        .to_string();
    // The keyring call runs on its own thread so a D-Bus that never answers costs
    // seconds, not the app.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let out = (|| -> std::result::Result<ReplicaKey, String> {
            let entry = keyring::Entry::new(SERVICE, &user).map_err(|e| e.to_string())?;
            match entry.get_password() {
                Ok(hex) => ReplicaKey::parse(&hex, KeySource::Keyring).map_err(|e| e.to_string()),
                Err(keyring::Error::NoEntry) => {
                    let key = ReplicaKey::generate(KeySource::Keyring);
                    entry.set_password(&key.hex).map_err(|e| e.to_string())?;
                    Ok(key)
                }
                Err(e) => Err(e.to_string()),
            }
        })();
        let _ = tx.send(out);
    });
    rx.recv_timeout(KEYRING_WAIT)
        .map_err(|_| "the keyring did not answer".to_string())?
}

/// Open `path` as an encrypted replica with `key`. A replica written before
/// encryption (plain SQLite) is encrypted in place first; a wrong key is a clear
/// `replica_locked` error.
pub fn open_encrypted(path: &Path, key: &ReplicaKey) -> Result<Connection> {
    if path.exists() && is_plain_sqlite(path)? {
        encrypt_in_place(path, key)?;
    }
    let conn = Connection::open(path)?;
    keyed(&conn, key)?;
    Ok(conn)
}

/// How often `PRAGMA key` is tried: SQLCipher answers a failure of its crypto
/// provider's set-up (seen once in CI, with many replicas opening in parallel) as
/// "an error occurred with PRAGMA key", which a second try gets past.
const KEY_TRIES: u32 = 5;

fn keyed(conn: &Connection, key: &ReplicaKey) -> Result<()> {
    let pragma = format!("PRAGMA key = {};", key.pragma_value());
    let mut tries = 0;
    loop {
        tries += 1;
        match conn.execute_batch(&pragma) {
            Ok(()) => break,
            Err(rusqlite::Error::SqliteFailure(_, Some(msg)))
                if tries < KEY_TRIES && msg.contains("PRAGMA key") =>
            {
                tracing::warn!(%msg, tries, "SQLCipher refused the key; trying again");
                std::thread::sleep(std::time::Duration::from_millis(20 * u64::from(tries)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The first read proves the key (SQLCipher checks it lazily).
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(DeviceError::Locked)
        }
        Err(e) => Err(e.into()),
    }
}

/// A plain SQLite file starts with this header; an encrypted one looks random.
fn is_plain_sqlite(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| DeviceError::Invalid(format!("reading {}: {e}", path.display())))?;
    Ok(n == 16 && &head == b"SQLite format 3\0")
}

fn encrypt_in_place(path: &Path, key: &ReplicaKey) -> Result<()> {
    tracing::info!(path = %path.display(), "encrypting a plain replica");
    let tmp = path.with_extension("encrypting");
    let _ = std::fs::remove_file(&tmp);
    {
        let plain = Connection::open(path)?;
        plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        plain.execute(
            &format!("ATTACH DATABASE ?1 AS encrypted KEY {}", key.pragma_value()),
            [tmp.display().to_string()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        // The migration version lives in the header, which the export does not copy.
        plain.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))?;
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| DeviceError::Invalid(format!("replacing {}: {e}", path.display())))?;
    for ext in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_os_string();
        side.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    Ok(())
}
