//! The command line of `wicket`: global flags and subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "wicket",
    version,
    about = "Wicket device replica: door, box office and support tools"
)]
pub struct Cli {
    /// The replica file (created on first use).
    #[arg(long, env = "WICKET_DB", default_value = "wicket.db", global = true)]
    pub db: PathBuf,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this staff member (name or id): their role decides what is allowed.
    /// Needed for every write once the replica has staff.
    #[arg(long, env = "WICKET_STAFF", global = true)]
    pub staff: Option<String>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Create an empty replica and print its device id.
    Init,
    /// Fill the replica with a demo event, products of all three types, customers and tickets.
    Demo {
        #[arg(long, default_value_t = 10_000)]
        customers: usize,
    },
    /// List products with their stock.
    Products,
    /// Items: search.
    Items {
        #[command(subcommand)]
        cmd: ItemsCmd,
    },
    /// Redeem an item (a door scan without a QR): by uuid, or by product and number.
    Redeem {
        /// Item uuid.
        item: Option<Uuid>,
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        number: Option<u64>,
        #[arg(long)]
        gate: Option<String>,
    },
    /// Issue one item of a product to each listed user id / email (1–550, all or nothing).
    Issue {
        #[arg(long)]
        product: String,
        #[arg(long = "user")]
        users: Vec<Uuid>,
        #[arg(long = "email")]
        emails: Vec<String>,
    },
    /// Sell at the box office.
    Sell {
        #[arg(long)]
        product: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        /// cash or card.
        #[arg(long, default_value = "cash")]
        payment: String,
        /// Split payment: this much in cash, the rest by card.
        #[arg(long)]
        cash_amount: Option<String>,
        /// Cash handed over: prints the change due (refused when short).
        #[arg(long)]
        tendered: Option<String>,
    },
    /// List sales (newest first), or totals per product and payment method.
    Sales {
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        totals: bool,
    },
    /// Transfer an item between customers (emails or user ids).
    Transfer {
        item: Uuid,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Claim an item with a claim code or URL.
    Claim {
        code: String,
        #[arg(long)]
        who: String,
    },
    /// Reward offers: list, or redeem one for a customer.
    Rewards {
        /// Redeem this offer id.
        #[arg(long)]
        redeem: Option<Uuid>,
        #[arg(long)]
        who: Option<String>,
    },
    /// Door scan: judge a ticket token (as a wedge scanner types it) or a QR image.
    Scan {
        /// The scanned text; omit with --image.
        text: Option<String>,
        /// A photo or screenshot of the ticket's QR (PNG, JPEG, WebP).
        #[arg(long)]
        image: Option<PathBuf>,
        #[arg(long)]
        gate: Option<String>,
        /// Only admit tickets of this event.
        #[arg(long)]
        event: Option<Uuid>,
        /// Which way this gate scans: `out` records an exit (never uses an entry).
        #[arg(long, default_value = "in", value_parser = ["in", "out"])]
        direction: String,
    },
    /// Refund an order (manager), all of it or the items numbered --item, back to its
    /// payment method; its tickets are refused (`refunded`) at every door that syncs.
    /// Offline a device refunds only its own orders.
    Refund {
        /// The order number (as on the receipt).
        order: String,
        /// An item number of the order (repeat for several; none: the whole order).
        #[arg(long = "item")]
        items: Vec<u64>,
        #[arg(long)]
        reason: String,
    },
    /// Manage the venue at head office as the signed-in manager or admin (--staff),
    /// their PIN checked there: any head office API request (events, products,
    /// rewards, claim codes; staff and devices for admins). Prints head office's
    /// JSON answer. Example:
    /// `wicket --staff 'Mina Manager' manage --pin 333333 POST /v1/events/create --data '{"name":"Gala","start_date":1900000000,"end_date":1900014400,"location":"Hall","address":"1 Quay St"}'`
    Manage {
        /// GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// A head office API path, e.g. /v1/events, /v1/staff, /v1/sync/devices.
        path: String,
        /// The JSON body, or @FILE to read it from a file.
        #[arg(long)]
        data: Option<String>,
        /// The staff member's PIN (or WICKET_PIN).
        #[arg(long, env = "WICKET_PIN", hide_env_values = true)]
        pin: String,
    },
    /// Export what this replica holds for a date range (manager): sales, items,
    /// redemptions, sessions or totals (per product, currency and payment
    /// method), as CSV (default) or xlsx. Dates are UTC days
    /// (YYYY-MM-DD, --to inclusive) or unix seconds. Writes --out, else stdout.
    Export {
        #[arg(value_parser = ["sales", "items", "redemptions", "sessions", "totals"])]
        kind: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Make claim codes for a claimable product at head office (manager, PIN checked
    /// there) and save them: a PDF sheet of QR codes, or CSV (by --out's extension).
    ClaimCodes {
        /// The product id.
        #[arg(long)]
        product: Uuid,
        #[arg(long, default_value_t = 12)]
        count: u32,
        #[arg(long, env = "WICKET_PIN", hide_env_values = true)]
        pin: String,
        /// Where to save: a .pdf sheet or a .csv list.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run headless until stopped (Ctrl-C): sync with head office in the background
    /// (when enrolled) and share redemptions and passages with the other doors of
    /// the venue network (peers given with --peer, and found by mDNS).
    Serve {
        /// Where the peer service listens (port 0: any free port).
        #[arg(long, default_value = "0.0.0.0:7733")]
        lan_listen: std::net::SocketAddr,
        /// Another door's peer service, http://HOST:PORT (repeat for several).
        #[arg(long = "peer")]
        peers: Vec<String>,
        /// Do not announce or look for doors with mDNS.
        #[arg(long)]
        no_discovery: bool,
        /// How often new facts go to the peers, in milliseconds.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(20..=10_000))]
        tick_ms: u64,
    },
    /// The doors a running `wicket serve` (or the app) shares with: connected or not,
    /// facts heard, and how far behind each one is.
    Peers {
        /// That device's peer service on this machine.
        #[arg(long, default_value = "http://127.0.0.1:7733")]
        at: String,
    },
    /// Cash drawer session: open with a float, X report, close with the counted cash.
    Session {
        #[command(subcommand)]
        cmd: SessionCmd,
    },
    /// Revoke an item (manager): every door that has synced refuses its ticket.
    Revoke {
        item: Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Print the signed ticket token of an item, and optionally save its QR as PNG/SVG.
    Ticket {
        item: Uuid,
        /// Write the QR code here (.png or .svg).
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// Show how many operations wait for upload.
    Outbox,
    /// The zones pulled from head office: each one's gates admit only its products.
    Zones,
    /// Live door numbers from every door this replica has heard of: admitted,
    /// re-entries, exits, inside now, by gate, zone, product and quarter hour.
    DoorStats {
        /// Only scans at or after this unix time (default: all).
        #[arg(long, default_value_t = 0)]
        since: i64,
    },
    /// Enroll this device with head office using a one-time enrollment code.
    Enroll {
        #[arg(long)]
        url: String,
        #[arg(long)]
        code: String,
        /// A name for this device (default: "wicket-<id tail>").
        #[arg(long)]
        name: Option<String>,
    },
    /// One sync round with head office: push the outbox, then pull changes.
    Sync {
        /// Send and accept uncompressed bodies.
        #[arg(long)]
        no_gzip: bool,
    },
    /// Sync state: pending operations, last sync, pull cursor, conflicts, allotments.
    Status,
    /// Reserve stock for offline sales (an allotment), or release one.
    Allot {
        #[arg(long)]
        product: Option<String>,
        #[arg(long, default_value_t = 50)]
        units: u64,
        /// Release this allotment instead.
        #[arg(long)]
        release: Option<Uuid>,
    },
    /// Door search and manual check-in: `checkin search TEXT` finds a guest's tickets
    /// (a few letters of a name or email, an order number, an item number);
    /// `checkin ITEM --reason TEXT` admits one by hand, recorded with the reason.
    #[command(args_conflicts_with_subcommands = true)]
    Checkin {
        #[command(subcommand)]
        cmd: Option<CheckinCmd>,
        /// The item's uuid (as `checkin search` prints it).
        item: Option<Uuid>,
        /// Why the guest is checked in by hand (broken phone, lost ticket, ...).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        gate: Option<String>,
    },
    /// Door settings and where the replica's key is kept; `--admit-unknown on|off`
    /// changes whether tickets not yet replicated admit on their signature (manager;
    /// audited at head office).
    Settings {
        #[arg(long, value_parser = ["on", "off"])]
        admit_unknown: Option<String>,
        /// The CUPS queue receipts and drawer reports print on (`off`: none).
        #[arg(long)]
        printer: Option<String>,
        /// A door this device always shares with, http://HOST:PORT (repeat; these
        /// replace the list). For networks that block mDNS.
        #[arg(long = "lan-peer")]
        lan_peers: Vec<String>,
        /// Forget the configured doors.
        #[arg(long, conflicts_with = "lan_peers")]
        no_lan_peers: bool,
    },
    /// Save an order's receipt and ticket pages as PDF, and print them on the
    /// chosen printer with --print.
    Receipt {
        order: String,
        /// Folder to save the PDF in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[arg(long)]
        print: bool,
    },
}

#[derive(Subcommand)]
pub enum SessionCmd {
    /// Open the drawer with its float (a cash sale needs an open session).
    Open {
        #[arg(long)]
        float: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
    /// The X report of the open session (or the Z report of the last closed one).
    Report {
        /// Also save it as a PDF here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Print it on the chosen printer.
        #[arg(long)]
        print: bool,
    },
    /// Close the drawer with the cash counted: prints the Z report.
    Close {
        #[arg(long)]
        counted: String,
        /// Also save the Z report as a PDF here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Print it on the chosen printer.
        #[arg(long)]
        print: bool,
    },
}

#[derive(Subcommand)]
pub enum CheckinCmd {
    /// Find a guest's tickets and their state.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand)]
pub enum ItemsCmd {
    /// Find items by item number, uuid, email or holder name.
    Find {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}
