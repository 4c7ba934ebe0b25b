//! `wicket-app`: starts the Wicket desktop app. `--print-demo-ticket [N]` instead
//! prints the signed token of demo admission ticket #N (default 1) from the replica
//! named by `WICKET_DB`, installing the demo there first if it is empty; scripts and
//! end-to-end tests use it to get a ticket a door will accept.
#![forbid(unsafe_code)]
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use wicket_app::{ENV_DB, db_from_env, open_replica};
use wicket_domain::ProductType;

const USAGE: &str = "usage: wicket-app                       start the app
       wicket-app --print-demo-ticket [N]  print demo admission ticket #N's token (needs WICKET_DB)
environment: WICKET_DB=<replica file>  WICKET_DEMO=1 (install the demo into an empty replica)";

fn print_demo_ticket(number: Option<&str>) -> Result<String, String> {
    let n: u64 = match number {
        None => 1,
        Some(s) => s
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("ticket number must be a positive integer, got {s:?}"))?,
    };
    let path = db_from_env().ok_or_else(|| format!("set {ENV_DB} to the replica file"))?;
    let (replica, _) = open_replica(&path, true).map_err(|e| e.to_string())?;
    let products = replica.products().map_err(|e| e.to_string())?;
    let admission = products
        .iter()
        .find(|(p, _)| p.product_type == ProductType::Admission)
        .ok_or("the replica has no admission product")?;
    let item = replica
        .item_by_number(admission.0.id, n)
        .map_err(|e| e.to_string())?;
    replica.ticket_token(item.id).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => match wicket_app::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wicket-app: {e}");
                ExitCode::FAILURE
            }
        },
        Some("--print-demo-ticket") => match print_demo_ticket(args.get(1).map(String::as_str)) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("wicket-app: {e}");
                ExitCode::FAILURE
            }
        },
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("wicket-app: unknown argument {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
