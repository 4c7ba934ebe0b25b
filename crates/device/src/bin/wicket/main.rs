//! `wicket`: the device replica from the command line, for scripting and support.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Parser;
use uuid::Uuid;
use wicket_device::{DeviceError, Replica, SellRequest, demo, sync};
use wicket_domain::{Product, RecipientRef, normalize_email};

mod args;
mod export;
mod manage;
mod serve;
mod sync_cmd;
mod till;

use args::{CheckinCmd, Cli, Cmd, ItemsCmd};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("WICKET_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A refused scan already printed its verdict as the JSON document.
            if cli.json && e.downcast_ref::<Refused>().is_some_and(|r| r.printed) {
                return ExitCode::from(2);
            }
            let code = match (e.downcast_ref::<DeviceError>(), e.downcast_ref::<Refused>()) {
                (Some(d), _) => d.code().to_string(),
                (None, Some(r)) => r.code.clone(),
                _ => e
                    .downcast_ref::<sync::SyncError>()
                    .map_or("error", |s| s.code())
                    .to_string(),
            };
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"code": code, "message": e.to_string()})
                );
            } else {
                eprintln!("error [{code}]: {e:#}");
            }
            ExitCode::from(2)
        }
    }
}

/// A door refusal: the verdict code becomes the error code.
#[derive(Debug)]
struct Refused {
    code: String,
    message: String,
    /// The verdict was printed already (`--json`): print nothing more.
    printed: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

fn who(s: &str) -> anyhow::Result<RecipientRef> {
    Ok(match Uuid::parse_str(s) {
        Ok(u) => RecipientRef::User(u),
        Err(_) => RecipientRef::Email(normalize_email(s).map_err(DeviceError::from)?),
    })
}

/// A product by uuid, slug or (case-insensitive) name.
fn product(r: &Replica, key: &str) -> anyhow::Result<Product> {
    if let Ok(id) = Uuid::parse_str(key) {
        return Ok(r.product(id)?.0);
    }
    let k = key.to_lowercase();
    r.products()?
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p.slug.as_deref() == Some(key) || p.name.to_lowercase() == k)
        .ok_or_else(|| {
            DeviceError::NotFound {
                what: "product",
                key: key.to_string(),
            }
            .into()
        })
}

pub(crate) fn print<T: serde::Serialize>(
    json: bool,
    v: &T,
    human: impl FnOnce(),
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(v)?);
    } else {
        human();
    }
    Ok(())
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Whether a command changes the replica (and so acts as a staff member).
fn writes(cmd: &Cmd) -> bool {
    match cmd {
        Cmd::Redeem { .. }
        | Cmd::Issue { .. }
        | Cmd::Sell { .. }
        | Cmd::Transfer { .. }
        | Cmd::Claim { .. }
        | Cmd::Scan { .. }
        | Cmd::Revoke { .. }
        | Cmd::Refund { .. }
        | Cmd::Session { .. }
        | Cmd::Manage { .. }
        | Cmd::ClaimCodes { .. } => true,
        Cmd::Rewards { redeem, .. } => redeem.is_some(),
        _ => false,
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let mut r = Replica::open(&cli.db)?;
    match &cli.staff {
        Some(key) => {
            let s = r.staff_named(key)?;
            r.set_staff(Some(s.id));
        }
        None if writes(&cli.cmd) && !r.staff()?.is_empty() => {
            anyhow::bail!(DeviceError::Rule(
                wicket_domain::DomainError::InvalidField {
                    field: "staff",
                    reason: "name the staff member acting with --staff NAME (or WICKET_STAFF)"
                        .into(),
                }
            ));
        }
        None => {}
    }
    if matches!(cli.cmd, Cmd::Sales { .. }) {
        r.authorize(wicket_domain::Action::ViewSales)?;
    }
    match &cli.cmd {
        Cmd::Init => print(
            cli.json,
            &serde_json::json!({"device_id": r.device_id()}),
            || {
                println!(
                    "replica {} ready; device id {}",
                    cli.db.display(),
                    r.device_id()
                )
            },
        )?,
        Cmd::Demo { customers } => {
            let started = std::time::Instant::now();
            let (cat, ids) = demo::catalog(*customers, r.now())?;
            r.load_catalog(&cat)?;
            // The same staff as the app's demo, so its PINs work on this replica.
            demo::add_demo_staff(&mut r)?;
            let first = &cat.customers.first();
            print(
                cli.json,
                &serde_json::json!({"customers": customers, "event": ids.event}),
                || {
                    println!(
                        "demo loaded in {:.1}s: 1 event, 3 products, {} customers with one ticket each, staff PINs 1111, 2222, 333333, 444444",
                        started.elapsed().as_secs_f64(),
                        customers
                    );
                    println!("try:");
                    println!("  wicket products");
                    if let Some(c) = first {
                        println!("  wicket items find {}", c.email);
                    }
                    println!(
                        "  wicket --staff 'Dana Door' redeem --product general-admission --number 1 --gate north"
                    );
                    println!(
                        "  wicket --staff 'Bo Box-Office' sell --product general-admission --quantity 2 --email new.fan@example.com --payment card"
                    );
                    println!("  wicket --staff 'Mina Manager' sales --totals");
                },
            )?;
        }
        Cmd::Products => {
            let ps = r.products()?;
            print(cli.json, &ps, || {
                for (p, c) in &ps {
                    let price = p
                        .primary_price()
                        .map(|x| format!("{} {}", x.amount, x.currency))
                        .unwrap_or_else(|| "free".into());
                    let left = p
                        .issue_cap()
                        .map(|cap| cap.saturating_sub(c.issued).to_string())
                        .unwrap_or_else(|| "unlimited".into());
                    println!(
                        "{}  {:<28} {:<9} {:>12}  issued {:>6}  left {:>9}  slug {}",
                        p.id,
                        p.name,
                        p.product_type.as_str(),
                        price,
                        c.issued,
                        left,
                        p.slug.as_deref().unwrap_or("-")
                    );
                }
            })?;
        }
        Cmd::Items {
            cmd: ItemsCmd::Find { query, limit },
        }
        | Cmd::Checkin {
            cmd: Some(CheckinCmd::Search { text: query, limit }),
            ..
        } => {
            let found = r.find_items(query, *limit)?;
            print(cli.json, &found, || print_items(query, &found))?;
        }
        Cmd::DoorStats { since } => {
            let s = r.door_stats(*since)?;
            print(cli.json, &s, || {
                println!(
                    "admitted {}  re-entries {}  exits {}  inside now {}",
                    s.admitted, s.reentries, s.exits, s.inside_now
                );
                for g in &s.by_gate {
                    let name = if g.gate.is_empty() {
                        "(no gate)"
                    } else {
                        &g.gate
                    };
                    println!(
                        "  gate    {name:<20} admitted {:>6}  exits {:>6}",
                        g.admitted, g.exits
                    );
                }
                for z in &s.by_zone {
                    println!("  zone    {:<20} admitted {:>6}", z.name, z.admitted);
                }
                for p in &s.by_product {
                    println!(
                        "  product {:<20} admitted {:>6}  inside {:>6}",
                        p.name, p.admitted, p.inside_now
                    );
                }
                for q in &s.quarter_hours {
                    println!(
                        "  {:>12} (unix)  {:>6} {}",
                        q.start,
                        q.admitted,
                        "#".repeat(q.admitted.min(60) as usize)
                    );
                }
            })?;
        }
        Cmd::Zones => {
            let zones = r.zones()?;
            print(cli.json, &zones, || {
                if zones.is_empty() {
                    println!("no zones: every gate admits every product");
                }
                for z in &zones {
                    println!(
                        "{}  {:<20} gates {:<30} {} product(s)",
                        z.id,
                        z.name,
                        z.gates.join(", "),
                        z.product_ids.len()
                    );
                }
            })?;
        }
        Cmd::Checkin {
            cmd: None,
            item,
            reason,
            gate,
        } => {
            let (Some(id), Some(reason)) = (item, reason) else {
                anyhow::bail!(DeviceError::Invalid(
                    "give `checkin search TEXT`, or `checkin ITEM --reason TEXT`".into()
                ));
            };
            let it = r.check_in(*id, gate.as_deref(), reason)?;
            print(cli.json, &it, || {
                println!(
                    "CHECKED IN  item #{} redeemed {}/{} (manual: {})",
                    it.item_id,
                    it.redemption_count,
                    it.redemption_quantity,
                    reason.trim()
                )
            })?;
        }
        Cmd::Redeem {
            item,
            product: prod,
            number,
            gate,
        } => {
            let id = match (item, prod, number) {
                (Some(id), None, None) => *id,
                (None, Some(p), Some(n)) => {
                    let p = product(&r, p)?;
                    r.item_by_number(p.id, *n)?.id
                }
                _ => anyhow::bail!(DeviceError::Invalid(
                    "give an item uuid, or --product and --number".into()
                )),
            };
            match r.redeem(id, gate.as_deref()) {
                Ok(it) => print(cli.json, &it, || {
                    println!(
                        "ADMITTED  item #{} redeemed {}/{}",
                        it.item_id, it.redemption_count, it.redemption_quantity
                    )
                })?,
                Err(e @ DeviceError::Rule(wicket_domain::DomainError::AlreadyRedeemed)) => {
                    if !cli.json
                        && let Some(first) = r.redemptions_of(id)?.first()
                    {
                        eprintln!(
                            "first redeemed at {} (unix) on device {} gate {}",
                            first.redeemed_at,
                            first.device_id,
                            first.gate.as_deref().unwrap_or("-")
                        );
                    }
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Cmd::Issue {
            product: prod,
            users,
            emails,
        } => {
            let p = product(&r, prod)?;
            let items = r.issue(p.id, users, emails)?;
            print(cli.json, &items, || {
                println!("issued {} item(s) of {}", items.len(), p.name);
                for i in &items {
                    println!("  {}  #{}  owner {}", i.id, i.item_id, i.owner_id);
                }
            })?;
        }
        Cmd::Sell {
            product: prod,
            quantity,
            email,
            first_name,
            last_name,
            currency,
            payment,
            cash_amount,
            tendered,
        } => {
            let p = product(&r, prod)?;
            let rec = r.sell(&SellRequest {
                product_id: p.id,
                quantity: *quantity,
                buyer_email: email.clone(),
                buyer_first_name: first_name.clone(),
                buyer_last_name: last_name.clone(),
                currency: currency.clone(),
                payment_method: Some(payment.clone()),
                cash_amount: cash_amount.clone(),
                tendered: tendered.clone(),
            })?;
            print(cli.json, &rec, || {
                let q = &rec.quote;
                println!(
                    "order {}  {} x {}",
                    rec.sale.order_number, q.quantity, p.name
                );
                println!(
                    "  unit {} {}  subtotal {}",
                    q.unit_price, q.currency, q.subtotal
                );
                if !q.discount.is_zero() {
                    println!(
                        "  tier discount {}%  -{}",
                        q.discount_percentage, q.discount
                    );
                }
                for part in rec.sale.paid_by() {
                    println!(
                        "  paid {} {} by {}",
                        part.amount,
                        q.currency,
                        part.method.as_str()
                    );
                }
                if let Some(c) = rec.change {
                    println!("  change due {c} {}", q.currency);
                }
                for i in &rec.items {
                    println!("  ticket {}  #{}", i.id, i.item_id);
                }
            })?;
        }
        Cmd::Sales {
            product: prod,
            totals,
        } => {
            if *totals {
                let t = r.sales_totals()?;
                print(cli.json, &t, || {
                    for x in &t {
                        println!(
                            "{:<28} {:<5} {:<5} orders {:>5}  units {:>6}  total {}",
                            x.product_name,
                            x.currency,
                            x.payment_method,
                            x.orders,
                            x.quantity,
                            x.total
                        );
                    }
                })?;
            } else {
                let pid = match prod {
                    Some(p) => Some(product(&r, p)?.id),
                    None => None,
                };
                let s = r.sales(pid)?;
                print(cli.json, &s, || {
                    if s.is_empty() {
                        println!("no sales yet");
                    }
                    for x in &s {
                        println!(
                            "{}  {}  qty {}  {} {}  {}",
                            x.order_number,
                            x.created_at,
                            x.quantity,
                            x.total,
                            x.currency,
                            x.payment_method.as_str()
                        );
                    }
                })?;
            }
        }
        Cmd::Transfer { item, from, to } => {
            let it = r.transfer(*item, &who(from)?, &who(to)?)?;
            print(cli.json, &it, || {
                println!("item #{} now belongs to {}", it.item_id, it.owner_id)
            })?;
        }
        Cmd::Claim { code, who: w } => {
            let it = r.claim(code, &who(w)?)?;
            print(cli.json, &it, || {
                println!("claimed item #{} ({})", it.item_id, it.id)
            })?;
        }
        Cmd::Rewards { redeem, who: w } => match (redeem, w) {
            (Some(offer), Some(w)) => {
                let (c, items) = r.redeem_reward(*offer, &who(w)?)?;
                print(cli.json, &items, || {
                    println!("redeemed; {} now has {} credits", c.email, c.credits);
                    for i in &items {
                        println!("  item {}  #{}", i.id, i.item_id);
                    }
                })?;
            }
            (None, None) => {
                let offers = r.reward_offers()?;
                print(cli.json, &offers, || {
                    for o in &offers {
                        println!(
                            "{}  {:<24} cost {:>5}  available {}  {}",
                            o.id,
                            o.name,
                            o.credit_cost,
                            o.available()
                                .map(|a| a.to_string())
                                .unwrap_or_else(|| "unlimited".into()),
                            if o.active { "active" } else { "inactive" }
                        );
                    }
                })?;
            }
            _ => anyhow::bail!(DeviceError::Invalid(
                "--redeem and --who go together".into()
            )),
        },
        Cmd::Scan {
            text,
            image,
            gate,
            event,
            direction,
        } => {
            let direction = wicket_domain::Direction::parse(direction)
                .ok_or_else(|| DeviceError::Invalid("--direction is in or out".into()))?;
            let scanned = match (text, image) {
                (Some(t), None) => t.clone(),
                (None, Some(path)) => {
                    let bytes = std::fs::read(path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    let texts = wicket_ticket::decode_image_bytes(&bytes)
                        .map_err(|e| DeviceError::Invalid(format!("{}: {e}", e.code())))?;
                    texts.into_iter().next().ok_or_else(|| {
                        DeviceError::Invalid(format!("no QR code found in {}", path.display()))
                    })?
                }
                _ => anyhow::bail!(DeviceError::Invalid(
                    "give the scanned text or --image FILE".into()
                )),
            };
            let v = r.scan_at(&scanned, gate.as_deref(), *event, direction)?;
            print(cli.json, &v, || {
                let head = match (v.admitted, v.code.as_str()) {
                    (true, _) if v.direction == wicket_domain::Direction::Out => "EXIT".to_string(),
                    (true, _) if v.reentry => "BACK IN".to_string(),
                    (true, _) => "ADMITTED".to_string(),
                    (false, "already_redeemed") => "ALREADY REDEEMED".to_string(),
                    (false, "already_inside") => "ALREADY INSIDE".to_string(),
                    (false, c) => format!("REFUSED ({c})"),
                };
                println!("{head}  {}", v.message);
                if let Some(p) = &v.product_name {
                    println!("  product  {p}");
                }
                if let Some(h) = &v.holder_name {
                    println!("  holder   {h}");
                }
                if let Some(at) = v.first_redeemed_at {
                    println!(
                        "  {} at {} (unix) gate {} device {}",
                        if v.code == "already_inside" {
                            "entered"
                        } else {
                            "first redeemed"
                        },
                        at,
                        v.first_gate.as_deref().unwrap_or("-"),
                        v.first_device.map(|d| d.to_string()).unwrap_or_default()
                    );
                }
            })?;
            if !v.admitted {
                // Scripts see a refusal as failure, like every other refused command.
                return Err(Refused {
                    code: v.code.to_string(),
                    message: v.message,
                    printed: cli.json,
                }
                .into());
            }
        }
        Cmd::Refund { .. } | Cmd::Session { .. } | Cmd::Receipt { .. } => till::run(cli, r)?,
        Cmd::ClaimCodes {
            product,
            count,
            pin,
            out,
        } => {
            let n = manage::claim_codes(r, *product, *count, pin, out)?;
            eprintln!("{n} claim codes → {}", out.display());
        }
        Cmd::Export {
            kind,
            from,
            to,
            format,
            out,
        } => export::run(&r, kind, (from, to), format, out.as_deref())?,
        Cmd::Manage {
            method,
            path,
            data,
            pin,
        } => {
            let answer = manage::run(r, method, path, data.as_deref(), pin)?;
            println!("{}", serde_json::to_string_pretty(&answer)?);
        }
        Cmd::Revoke { item, reason } => {
            r.revoke_item(*item, reason)?;
            print(cli.json, &serde_json::json!({"revoked": item}), || {
                println!("revoked {item}")
            })?;
        }
        Cmd::Ticket { item, qr } => {
            let token = r.ticket_token(*item)?;
            if let Some(path) = qr {
                let is_svg = path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
                let bytes = if is_svg {
                    wicket_ticket::render_svg(&token)
                        .map_err(|e| DeviceError::Invalid(e.to_string()))?
                        .into_bytes()
                } else {
                    wicket_ticket::render_png(&token, 8)
                        .map_err(|e| DeviceError::Invalid(e.to_string()))?
                };
                std::fs::write(path, bytes)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            }
            print(
                cli.json,
                &serde_json::json!({"item": item, "token": token}),
                || println!("{token}"),
            )?;
        }
        Cmd::Enroll { .. } | Cmd::Sync { .. } | Cmd::Status => sync_cmd::run(cli, r)?,
        Cmd::Serve { .. } => serve::run(cli, r)?,
        Cmd::Peers { .. } => serve::peers(cli)?,
        Cmd::Allot {
            product: p,
            units,
            release,
        } => {
            let pid = match (release, p) {
                (Some(_), _) => None,
                (None, Some(p)) => Some(product(&r, p)?.id),
                (None, None) => anyhow::bail!("give --product or --release"),
            };
            let shared = Arc::new(Mutex::new(r));
            let rt = runtime()?;
            let out = rt.block_on(async {
                let engine = sync::SyncEngine::new(shared).await?;
                anyhow::Ok(match (release, pid) {
                    (Some(id), _) => serde_json::json!({"released": id, "returned_units": engine.release(*id).await?}),
                    (None, Some(pid)) => serde_json::to_value(engine.reserve(pid, *units, None).await?)?,
                    (None, None) => serde_json::Value::Null,
                })
            })?;
            print(cli.json, &out, || println!("{out}"))?;
        }
        Cmd::Settings {
            admit_unknown,
            printer,
            lan_peers,
            no_lan_peers,
        } => {
            if !lan_peers.is_empty() || *no_lan_peers {
                r.set_lan_peers(lan_peers)?;
            }
            let peers = r.lan_peers()?;
            if let Some(v) = admit_unknown {
                r.set_admit_unknown(v == "on")?;
            }
            if let Some(p) = printer {
                r.set_printer(Some(p.as_str()).filter(|p| *p != "off"))?;
            }
            let printer = r.printer()?;
            let admit = r.admit_unknown()?;
            let keys = r.key_source().map_or("none", |k| k.as_str());
            print(
                cli.json,
                &serde_json::json!({"admit_unknown": admit, "key_storage": keys, "printer": printer, "lan_peers": peers}),
                || {
                    println!(
                        "printer: {}",
                        printer.as_deref().unwrap_or("none (PDFs are saved only)")
                    );
                    println!(
                        "admit tickets not yet replicated: {}",
                        if admit { "on" } else { "off" }
                    );
                    println!("replica key kept in: {keys}");
                    println!(
                        "doors always shared with: {}",
                        if peers.is_empty() {
                            "none (mDNS finds them)".to_string()
                        } else {
                            peers.join(" ")
                        }
                    );
                    if keys == "key_file" {
                        println!("warning: no OS keyring; the key file sits beside the replica");
                    }
                },
            )?;
        }
        Cmd::Outbox => {
            let n = r.outbox_len()?;
            print(cli.json, &serde_json::json!({"pending": n}), || {
                println!("{n} operation(s) waiting for upload")
            })?;
        }
    }
    Ok(())
}

/// One line per item: id, number, product, holder, email, state.
fn print_items(query: &str, found: &[wicket_device::replica::ItemView]) {
    if found.is_empty() {
        println!("no items match {query:?}");
    }
    for v in found {
        println!(
            "{}  #{:<6} {:<26} {:<24} {:<32} redeemed {}/{}{}",
            v.item.id,
            v.item.item_id,
            v.product_name,
            v.owner_name,
            v.owner_email,
            v.item.redemption_count,
            v.item.redemption_quantity,
            if v.item.revoked { "  REVOKED" } else { "" }
        );
    }
}
