//! `wicket-headoffice`: run the head office API server, seed a demo project, create
//! API keys or device enrollment codes.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use wicket_headoffice::model::Scope;
use wicket_headoffice::{SqlStore, Store, keys};

#[derive(Parser)]
#[command(
    name = "wicket-headoffice",
    version,
    about = "Wicket head office API server"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Where head office keeps its data: an embedded SQLite file (one process) or a
/// PostgreSQL database (any number of head office processes).
#[derive(clap::Args, Clone)]
#[group(required = true, multiple = false)]
struct DbArgs {
    /// The SQLite database file (created if missing).
    #[arg(long, env = "WICKET_HO_DB")]
    db: Option<PathBuf>,
    /// A PostgreSQL database: postgres://USER:PASS@HOST:PORT/DB. With a password,
    /// prefer the environment variable or --database-url-file: arguments are visible
    /// to every user of the machine (`ps`).
    #[arg(long, env = "WICKET_DATABASE_URL")]
    database_url: Option<String>,
    /// A file holding the PostgreSQL URL (first line).
    #[arg(long, env = "WICKET_DATABASE_URL_FILE")]
    database_url_file: Option<PathBuf>,
}

/// Connections each process keeps to PostgreSQL.
const DEFAULT_POOL: u32 = 16;

impl DbArgs {
    /// The PostgreSQL URL, read from its file when given that way.
    fn url(&self) -> anyhow::Result<Option<String>> {
        if let Some(f) = &self.database_url_file {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let url = text.lines().next().unwrap_or_default().trim().to_string();
            anyhow::ensure!(!url.is_empty(), "{} holds no URL", f.display());
            return Ok(Some(url));
        }
        Ok(self.database_url.clone())
    }

    fn open(&self, pool: u32) -> anyhow::Result<SqlStore> {
        match (&self.url()?, &self.db) {
            (Some(url), _) => SqlStore::connect(url, pool)
                .with_context(|| "connecting to the PostgreSQL database".to_string()),
            (None, Some(db)) => {
                SqlStore::open(db).with_context(|| format!("opening {}", db.display()))
            }
            (None, None) => anyhow::bail!("give --db FILE or --database-url URL"),
        }
    }

    fn describe(&self) -> String {
        match (&self.url().ok().flatten(), &self.db) {
            // Never log the password.
            (Some(url), _) => match url.rsplit_once('@') {
                Some((_, host)) => format!("postgres://…@{host}"),
                None => "postgres".into(),
            },
            (None, Some(db)) => db.display().to_string(),
            (None, None) => String::new(),
        }
    }
}

#[derive(Subcommand)]
enum TicketKeyCmd {
    /// Sign new tickets with a fresh key; devices trust the old key for the overlap,
    /// then refuse its tickets (reissue them before it ends).
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        /// Days the old key stays trusted (0 to 366).
        #[arg(long, default_value_t = 30)]
        overlap_days: i64,
    },
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API (creates the database if missing).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// PostgreSQL connections this process keeps open.
        #[arg(long, env = "WICKET_DB_POOL", default_value_t = DEFAULT_POOL)]
        db_pool: u32,
        #[arg(long, env = "WICKET_HO_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Where the public reaches this server (claim links); default
        /// http://<listen address>.
        #[arg(long, env = "WICKET_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        mint: wicket_headoffice::mint::MintArgs,
    },
    /// Seed a demo project and print a write key.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value_t = 10_000)]
        users: u32,
    },
    /// Create a one-time device enrollment code and print it (the code is the last
    /// word of the output).
    EnrollmentCode {
        #[command(flatten)]
        db: DbArgs,
        /// Hours the code stays valid (1 minute to 7 days; default 1 hour).
        #[arg(long, default_value_t = 1.0)]
        ttl_hours: f64,
        /// Re-enroll this enrolled device (a reinstalled laptop); without it the code
        /// enrolls only a new device.
        #[arg(long)]
        device: Option<uuid::Uuid>,
    },
    /// Revoke an enrolled device: its credential fails at once and other devices
    /// stop admitting unconfirmed tickets it signed once they pull.
    RevokeDevice {
        #[command(flatten)]
        db: DbArgs,
        /// The device id (see `GET /v1/sync/devices`).
        device: uuid::Uuid,
    },
    /// Head office's ticket-signing key.
    TicketKey {
        #[command(subcommand)]
        cmd: TicketKeyCmd,
    },
    /// Print the audit log (manager and admin acts) as JSON lines.
    Audit {
        #[command(flatten)]
        db: DbArgs,
        /// Only entries at or after this unix time.
        #[arg(long, default_value_t = 0)]
        since: i64,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Copy a SQLite head office into an empty PostgreSQL database: everything,
    /// change feed positions included, so enrolled devices keep syncing.
    CopyDb {
        /// The SQLite head office file.
        #[arg(long)]
        from: PathBuf,
        /// The empty PostgreSQL database: postgres://USER:PASS@HOST:PORT/DB.
        #[arg(long)]
        to: String,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Manage companies (W3Block tenants; `/v1` works on the default one).
    Companies {
        #[command(subcommand)]
        cmd: CompaniesCmd,
    },
}

#[derive(Subcommand)]
enum CompaniesCmd {
    /// Create a company and print its id (the last word of the output).
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create a key and print it (the key is the last word of the output).
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, value_enum)]
        scope: ScopeArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScopeArg {
    Read,
    Write,
    /// A PERS `x-project-key`: public reads of the active reward catalog.
    Project,
}

fn open(db: &DbArgs) -> anyhow::Result<Arc<dyn Store>> {
    // One-shot commands need one connection.
    Ok(Arc::new(db.open(1)?))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Cmd::Serve {
            db,
            db_pool,
            listen,
            public_url,
            mint,
        } => {
            let public_url = match public_url {
                Some(u) => wicket_headoffice::validate_public_url(&u)?,
                None => format!("http://{listen}"),
            };
            let sql = db.open(db_pool)?;
            let store: Arc<dyn Store> = Arc::new(sql.clone());
            let (stop_mint, stop_rx) = tokio::sync::watch::channel(false);
            let worker = match mint.into_config()? {
                Some(cfg) => Some(wicket_headoffice::mint::spawn(
                    Arc::new(sql.clone()),
                    cfg,
                    stop_rx,
                )?),
                None => {
                    tracing::info!("no --chain-url: NFT mint worker not started");
                    None
                }
            };
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, db = %db.describe(), engine = sql.engine(), "wicket head office listening");
            wicket_headoffice::serve_at(
                listener,
                store,
                &public_url,
                wicket_headoffice::shutdown_signal(),
            )
            .await?;
            if let Some(w) = worker {
                let _ = stop_mint.send(true);
                let _ = w.await;
            }
            tracing::info!("stopped");
        }
        Cmd::Demo { db, users } => {
            let store = open(&db)?;
            let started = std::time::Instant::now();
            let s = store.seed_demo(users).await?;
            let key = keys::create_key(store.as_ref(), Scope::Write).await?;
            println!(
                "seeded {} users, {} products, {} items, {} reward offers, {} staff in {:.2?}",
                s.users,
                s.products,
                s.items,
                s.rewards,
                s.staff,
                started.elapsed()
            );
            let pins: Vec<String> = wicket_headoffice::sync::DEMO_STAFF
                .iter()
                .map(|(_, role, pin, _)| format!("{} {pin}", role.as_str()))
                .collect();
            println!("demo staff PINs: {}", pins.join(", "));
            println!("write key: {key}");
        }
        Cmd::RevokeDevice { db, device } => {
            let store = open(&db)?;
            store.revoke_device(device, None).await?;
            println!("device {device} revoked");
        }
        Cmd::TicketKey {
            cmd: TicketKeyCmd::Rotate { db, overlap_days },
        } => {
            let store = open(&db)?;
            let secs = overlap_days
                .checked_mul(86_400)
                .ok_or_else(|| anyhow::anyhow!("--overlap-days is too large"))?;
            let r = store.rotate_ticket_key(secs).await?;
            println!("new key id: {}", r.new_key_id);
            println!(
                "old key {} trusted until {} (unix)",
                r.old_key_id, r.old_trusted_until
            );
        }
        Cmd::Audit { db, since, limit } => {
            let store = open(&db)?;
            for e in store.audit_log(since, limit.clamp(1, 1000)).await? {
                println!("{}", serde_json::to_string(&e)?);
            }
        }
        Cmd::EnrollmentCode {
            db,
            ttl_hours,
            device,
        } => {
            if !ttl_hours.is_finite() || ttl_hours <= 0.0 {
                anyhow::bail!("--ttl-hours must be a positive number");
            }
            let store = open(&db)?;
            let out = wicket_headoffice::sync::new_enrollment_code(
                store.as_ref(),
                (ttl_hours * 3600.0).round() as i64,
                device,
            )
            .await?;
            println!("expires at {} (unix)", out.expires_at);
            println!("enrollment code: {}", out.code);
        }
        Cmd::CopyDb { from, to } => {
            let started = std::time::Instant::now();
            let copied = tokio::task::spawn_blocking(move || {
                wicket_headoffice::sql::copy::copy_sqlite_to_postgres(&from, &to, |table, n| {
                    eprintln!("copy-db: {table}: {n} rows");
                })
            })
            .await??;
            let total: u64 = copied.iter().map(|(_, n)| n).sum();
            println!(
                "copied {total} rows in {} tables in {:.2?}",
                copied.len(),
                started.elapsed()
            );
        }
        Cmd::Keys {
            cmd: KeysCmd::Create { db, scope },
        } => {
            let store = open(&db)?;
            let scope = match scope {
                ScopeArg::Read => Scope::Read,
                ScopeArg::Write => Scope::Write,
                ScopeArg::Project => Scope::Project,
            };
            let key = keys::create_key(store.as_ref(), scope).await?;
            println!("created {} key: {key}", scope.as_str());
        }
        Cmd::Companies {
            cmd: CompaniesCmd::Create { db, name },
        } => {
            let store = open(&db)?;
            let id = store.create_company(name.clone()).await?;
            println!("created company {name:?}: {id}");
        }
    }
    Ok(())
}
