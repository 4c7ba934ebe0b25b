//! `wicket export`: a manager exports a date range of sales, items, redemptions
//! and drawer sessions as CSV or xlsx; door staff are refused; outside the range
//! nothing is exported.

use std::process::Output;

mod common;
use common::wicket;

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn today() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::now_utc()
        .format(fmt)
        .expect("date format")
}

#[test]
fn a_manager_exports_what_happened_in_a_date_range() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("r.db");
    ok(wicket(&db, &["demo", "--customers", "5"]));
    let bo = ["--staff", "Bo Box-Office"];
    ok(wicket(
        &db,
        &[&bo[..], &["session", "open", "--float", "100"]].concat(),
    ));
    let sale: serde_json::Value = serde_json::from_str(&ok(wicket(
        &db,
        &[
            &bo[..],
            &[
                "--json",
                "sell",
                "--product",
                "general-admission",
                "--email",
                "export@example.com",
                "--payment",
                "cash",
            ],
        ]
        .concat(),
    )))
    .expect("sale json");
    let order = sale["sale"]["order_number"]
        .as_str()
        .expect("order")
        .to_string();
    let item = sale["items"][0]["id"]
        .as_str()
        .expect("item id")
        .to_string();
    ok(wicket(
        &db,
        &["--staff", "dana door", "redeem", &item, "--gate", "North"],
    ));

    let day = today();
    let mina = ["--staff", "Mina Manager", "export"];
    let export = |kind: &str, from: &str, to: &str| {
        ok(wicket(
            &db,
            &[&mina[..], &[kind, "--from", from, "--to", to]].concat(),
        ))
    };

    let sales = export("sales", &day, &day);
    let mut lines = sales.lines();
    assert!(
        lines
            .next()
            .unwrap_or("")
            .starts_with("order_number,sold_at,product")
    );
    let row = lines
        .find(|l| l.starts_with(&order))
        .unwrap_or_else(|| panic!("order {order} missing from {sales}"));
    assert!(row.contains(",cash,"), "{row}");

    let items = export("items", &day, &day);
    assert!(items.contains(&item), "item {item} missing from {items}");
    let redemptions = export("redemptions", &day, &day);
    assert_eq!(redemptions.lines().count(), 2, "{redemptions}");
    assert!(redemptions.contains(",North,"), "{redemptions}");
    let sessions = export("sessions", &day, &day);
    assert!(
        sessions.lines().nth(1).is_some_and(|l| l.contains(",100")),
        "{sessions}"
    );

    // Totals: each product's cash row sums the same day's cash sales exactly.
    let totals = export("totals", &day, &day);
    assert!(
        totals.starts_with("product,currency,payment_method,orders,quantity,total,"),
        "{totals}"
    );
    let mut sums: std::collections::HashMap<(String, String), rust_decimal::Decimal> =
        std::collections::HashMap::new();
    for l in sales.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let total: rust_decimal::Decimal = f[7].parse().expect("total");
        *sums
            .entry((f[2].to_string(), f[8].to_string()))
            .or_default() += total;
    }
    let mut rows = 0;
    for l in totals.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let total: rust_decimal::Decimal = f[5].parse().expect("total");
        if f[2] == "cash" {
            assert_eq!(
                sums.get(&(f[0].to_string(), f[2].to_string())).copied(),
                Some(total),
                "{l}"
            );
            rows += 1;
        }
    }
    assert!(rows >= 1, "{totals}");
    assert_eq!(
        export("totals", "2001-01-01", "2001-12-31").lines().count(),
        1
    );

    // Nothing happened in 2001.
    assert_eq!(
        export("sales", "2001-01-01", "2001-12-31").lines().count(),
        1
    );

    let book = dir.path().join("sales.xlsx");
    let book_s = book.to_string_lossy().into_owned();
    ok(wicket(
        &db,
        &[
            &mina[..],
            &[
                "sales", "--from", &day, "--to", &day, "--format", "xlsx", "--out", &book_s,
            ],
        ]
        .concat(),
    ));
    let bytes = std::fs::read(&book).expect("workbook written");
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip container");

    let door = wicket(
        &db,
        &[
            "--staff",
            "dana door",
            "--json",
            "export",
            "sales",
            "--from",
            &day,
            "--to",
            &day,
        ],
    );
    assert!(!door.status.success());
    assert!(String::from_utf8_lossy(&door.stdout).contains("forbidden"));
    let backwards = wicket(
        &db,
        &[&mina[..], &["sales", "--from", "200", "--to", "100"]].concat(),
    );
    assert!(
        !backwards.status.success(),
        "a range that ends before it starts"
    );
}
