//! Door search and manual check-in on a real replica: a guest is found from a few
//! typed characters of a name, an email, an order number or an item number, and
//! checked in by hand with a reason that travels to head office's audit log.

use uuid::Uuid;
use wicket_device::{DeviceError, Replica, SellRequest, demo};

const NOW: i64 = 1_800_000_000;

fn fresh(customers: usize) -> (tempfile::TempDir, Replica, demo::DemoIds) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut r = Replica::open(dir.path().join("r.db")).expect("open");
    r.set_fixed_time(Some(NOW));
    let ids = demo::install_with(&mut r, customers).expect("demo");
    (dir, r, ids)
}

fn code<T: std::fmt::Debug>(r: Result<T, DeviceError>) -> &'static str {
    r.expect_err("expected an error").code()
}

#[test]
fn a_few_letters_find_a_guest_by_name_email_order_or_number() {
    let (_d, mut r, ids) = fresh(300);
    let staff = r.sign_in("2222").expect("box office");
    r.set_staff(Some(staff.id));
    let sold = r
        .sell(&SellRequest {
            product_id: ids.admission,
            quantity: 2,
            buyer_email: "zelda.quint@example.com".into(),
            buyer_first_name: Some("Zelda".into()),
            buyer_last_name: Some("Quintana".into()),
            currency: None,
            payment_method: Some("card".into()),
            cash_amount: None,
            tendered: None,
        })
        .expect("sale");
    let order = sold.sale.order_number.clone();
    let mine: Vec<Uuid> = sold.items.iter().map(|i| i.id).collect();

    // Three letters of the first name, of the last name, any case.
    for q in ["zel", "QUI", "Zelda Q", "zelda.q"] {
        let hits = r.find_items(q, 50).expect(q);
        let got: Vec<Uuid> = hits.iter().map(|h| h.item.id).collect();
        for id in &mine {
            assert!(got.contains(id), "{q:?} misses {id}: {got:?}");
        }
        assert!(
            hits.iter().all(|h| {
                let n = h.owner_name.to_lowercase();
                let e = h.owner_email.to_lowercase();
                let q = q.to_lowercase();
                let first = q.split(' ').next().unwrap_or_default();
                n.split(' ').any(|w| w.starts_with(first)) || e.starts_with(&q)
            }),
            "{q:?} found someone else"
        );
    }
    // The order number, whole or its start.
    for q in [
        order.clone(),
        order.to_lowercase(),
        order[..order.len() - 2].to_string(),
    ] {
        let got: Vec<Uuid> = r
            .find_items(&q, 50)
            .expect("order")
            .iter()
            .map(|h| h.item.id)
            .collect();
        for id in &mine {
            assert!(got.contains(id), "order {q:?} misses {id}");
        }
    }
    // The item number, and nothing for a stranger.
    let n = sold.items[0].item_id;
    assert!(
        r.find_items(&format!("#{n}"), 50)
            .expect("number")
            .iter()
            .any(|h| h.item.id == mine[0])
    );
    assert!(r.find_items("xqzv", 50).expect("none").is_empty());
    assert_eq!(code(r.find_items("a\u{7}b", 5)), "invalid_request");
    assert_eq!(code(r.find_items(&"a".repeat(201), 5)), "invalid_request");
}

#[test]
fn manual_check_in_needs_a_reason_and_records_it() {
    let (_d, mut r, ids) = fresh(50);
    let item = r.item_by_number(ids.admission, 9).expect("item");
    let staff = r.sign_in("1111").expect("door");
    r.set_staff(Some(staff.id));
    let before = r.outbox_len().expect("outbox");
    // No reason: refused, nothing written.
    assert_eq!(
        code(r.check_in(item.id, Some("north"), "   ")),
        "invalid_request"
    );
    assert_eq!(r.item(item.id).expect("item").redemption_count, 0);
    assert_eq!(r.outbox_len().expect("outbox"), before);

    // Longer than head office's audit record takes: refused here, nothing written.
    assert_eq!(
        code(r.check_in(item.id, Some("north"), &"x".repeat(600))),
        "invalid_field"
    );
    assert_eq!(r.item(item.id).expect("item").redemption_count, 0);
    assert_eq!(r.outbox_len().expect("outbox"), before);
    let done = r
        .check_in(item.id, Some("north"), "phone battery dead")
        .expect("check in");
    assert_eq!(done.redemption_count, 1);
    let ops = r.outbox().expect("outbox");
    let audit = ops
        .iter()
        .rev()
        .find(|o| o.kind == "audit")
        .expect("audit op");
    assert_eq!(audit.payload["action"], "manual_check_in");
    assert_eq!(audit.payload["subject"], item.id.to_string());
    assert_eq!(audit.payload["detail"], "phone battery dead (gate north)");
    assert_eq!(audit.staff_id, Some(staff.id));
    // The same rules as a scan: a used ticket is not checked in twice.
    assert_eq!(
        code(r.check_in(item.id, Some("south"), "again")),
        "already_redeemed"
    );
    // A door search shows it used.
    let hit = r.find_items(&item.id.to_string(), 1).expect("search");
    assert_eq!(hit[0].item.redemption_count, 1);
}
