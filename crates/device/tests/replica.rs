//! The replica on a real SQLite file: services, outbox, durability and the door.

use std::collections::HashSet;

use tempfile::TempDir;
use uuid::Uuid;
use wicket_device::{DeviceError, Replica, SellRequest, demo};
use wicket_domain::{DomainError, RecipientRef, Role};
use wicket_ticket::{SigningKey, TicketClaims};

const NOW: i64 = 1_800_000_000;

fn fresh(customers: usize) -> (TempDir, Replica, demo::DemoIds) {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::open(dir.path().join("r.db")).unwrap();
    r.set_fixed_time(Some(NOW));
    let ids = demo::install_with(&mut r, customers).unwrap();
    (dir, r, ids)
}

fn code<T: std::fmt::Debug>(r: Result<T, DeviceError>) -> &'static str {
    r.expect_err("expected an error").code()
}

fn email(r: &Replica, n: usize) -> String {
    let hits = r.find_items(&(n + 1).to_string(), 10).unwrap();
    hits.into_iter()
        .find(|h| h.product_name == "General Admission")
        .unwrap()
        .owner_email
}

#[test]
fn open_migrates_once_and_keeps_the_device_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let id = Replica::open(&path).unwrap().device_id();
    assert_eq!(id.get_version_num(), 7);
    let again = Replica::open(&path).unwrap();
    assert_eq!(again.device_id(), id);
    let mode: String = again
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = again
        .connection()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous must be FULL");
    let version: i64 = again
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/device"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
    })
    .count();
    assert_eq!(version as usize, files, "every migration file applied");
}

#[test]
fn demo_fills_products_customers_and_items() {
    let (_d, r, ids) = fresh(300);
    let ps = r.products().unwrap();
    assert_eq!(ps.len(), 3);
    let (ga, c) = ps.iter().find(|(p, _)| p.id == ids.admission).unwrap();
    assert_eq!(ga.name, "General Admission");
    assert_eq!((c.issued, c.next_item_id), (300, 301));
    assert_eq!(r.staff().unwrap().len(), 4);
    assert_eq!(
        r.outbox_len().unwrap(),
        0,
        "a catalog load is not a local change"
    );
}

#[test]
fn redeem_then_already_redeemed_and_outbox_records_it() {
    let (_d, mut r, ids) = fresh(50);
    let item = r.item_by_number(ids.admission, 7).unwrap();
    let staff = r.sign_in("1111").unwrap();
    r.set_staff(Some(staff.id));
    let done = r.redeem(item.id, Some("north")).unwrap();
    assert_eq!((done.redemption_count, done.is_fully_redeemed()), (1, true));
    assert_eq!(code(r.redeem(item.id, Some("south"))), "already_redeemed");
    let hist = r.redemptions_of(item.id).unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].gate.as_deref(), Some("north"));
    // The redemption, and (checked in by hand, not scanned) an audit entry.
    let ops = r.outbox().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0].kind, "redeem");
    assert_eq!(ops[1].kind, "audit");
    assert_eq!(ops[1].payload["action"], "manual_check_in");
    assert_eq!(ops[0].op_id.get_version_num(), 7);
    assert_eq!(ops[0].device_id, r.device_id());
    assert_eq!(ops[0].staff_id, Some(staff.id));
    assert_eq!(ops[0].device_time, NOW);
    assert_eq!(ops[0].payload["item"], item.id.to_string());
    assert_eq!(code(r.redeem(Uuid::new_v4(), None)), "not_found");
}

#[test]
fn a_redemption_survives_reopening_the_file() {
    let (d, mut r, ids) = fresh(20);
    let item = r.item_by_number(ids.admission, 3).unwrap();
    r.redeem_by_number(ids.admission, 3, None).unwrap();
    drop(r);
    let mut again = Replica::open(d.path().join("r.db")).unwrap();
    assert_eq!(again.item(item.id).unwrap().redemption_count, 1);
    assert_eq!(code(again.redeem(item.id, None)), "already_redeemed");
    assert_eq!(
        again.outbox_len().unwrap(),
        2,
        "the redemption and its audit entry"
    );
}

#[test]
fn issue_is_all_or_nothing() {
    let (_d, mut r, ids) = fresh(30);
    let a = email(&r, 0);
    let b = email(&r, 1);
    let before = r.product(ids.perks).unwrap().1;
    let err = r.issue(
        ids.perks,
        &[],
        &[a.clone(), "ghost@nowhere.io".into(), b.clone()],
    );
    match err {
        Err(DeviceError::Rule(DomainError::UnknownRecipient(v))) => {
            assert_eq!(v, vec!["ghost@nowhere.io"])
        }
        other => panic!("expected unknown_recipient, got {other:?}"),
    }
    assert_eq!(r.product(ids.perks).unwrap().1, before, "nothing issued");
    assert_eq!(r.outbox_len().unwrap(), 0, "nothing queued");
    let items = r.issue(ids.perks, &[], &[a, b]).unwrap();
    assert_eq!(
        items.iter().map(|i| i.item_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(r.outbox().unwrap()[0].kind, "issue");
    let many: Vec<String> = (0..551).map(|n| format!("x{n}@x.io")).collect();
    assert_eq!(code(r.issue(ids.perks, &[], &many)), "batch_too_large");
}

#[test]
fn stock_and_max_per_account_hold_at_the_box_office() {
    let (_d, mut r, ids) = fresh(10);
    // VIP: stock 200, max 2 per account and an order rule of 2 per customer.
    let sell = |r: &mut Replica, who: &str, q: u32| {
        r.sell(&SellRequest {
            product_id: ids.presale,
            quantity: q,
            buyer_email: who.into(),
            payment_method: Some("card".into()),
            ..Default::default()
        })
    };
    let rec = sell(&mut r, "vip@example.com", 2).unwrap();
    assert_eq!(rec.items.len(), 2);
    assert_eq!(rec.sale.total.to_string(), "179.00");
    // the order rule (2 per customer) speaks first, then the holding cap
    assert_eq!(code(sell(&mut r, "vip@example.com", 1)), "purchase_limit");
    assert_eq!(
        code(r.issue(ids.presale, &[], &["vip@example.com".into()])),
        "max_per_account"
    );
    // a new buyer email became a customer in the same transaction
    assert!(
        r.customer(&RecipientRef::Email("vip@example.com".into()))
            .is_ok()
    );
    assert_eq!(code(sell(&mut r, "bad-email", 1)), "invalid_field");
    assert_eq!(code(sell(&mut r, "x@example.com", 0)), "invalid_quantity");
    assert_eq!(r.sales(None).unwrap().len(), 1);
}

#[test]
fn sale_applies_tier_discount_and_sums_exactly() {
    let (_d, mut r, ids) = fresh(400);
    // find a Gold customer (status_balance 600 -> 12.5 %)
    let gold = (0..400)
        .map(|n| email(&r, n))
        .find(|e| {
            r.customer(&RecipientRef::Email(e.clone()))
                .unwrap()
                .status_balance
                >= 500
        })
        .expect("demo has gold customers");
    let e = r
        .sell(&SellRequest {
            product_id: ids.admission,
            quantity: 1,
            buyer_email: gold.clone(),
            payment_method: Some("cash".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), "no_open_session", "cash needs an open drawer");
    r.open_session("100.00".parse().unwrap(), "EUR").unwrap();
    let rec = r
        .sell(&SellRequest {
            product_id: ids.admission,
            quantity: 3,
            buyer_email: gold,
            payment_method: Some("cash".into()),
            ..Default::default()
        })
        .unwrap();
    // 3 × 49.00 = 147.00; 12.5 % = 18.375 -> 18.38
    assert_eq!(rec.quote.subtotal.to_string(), "147.00");
    assert_eq!(rec.quote.discount.to_string(), "18.38");
    assert_eq!(rec.sale.total.to_string(), "128.62");
    let totals = r.sales_totals().unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].total.to_string(), "128.62");
    assert_eq!(totals[0].quantity, 3);
    assert_eq!(
        rec.items.iter().map(|i| i.item_id).collect::<Vec<_>>(),
        vec![401, 402, 403]
    );
    let op = r.outbox().unwrap().pop().unwrap();
    assert_eq!(op.kind, "sale");
    assert_eq!(op.payload["sale"]["total"], "128.62");
}

#[test]
fn transfer_claim_and_reward() {
    let (_d, mut r, ids) = fresh(20);
    let a = email(&r, 0);
    let b = email(&r, 1);
    let ea = RecipientRef::Email(a.clone());
    let eb = RecipientRef::Email(b.clone());
    // admission is not transferable
    let ga = r.item_by_number(ids.admission, 1).unwrap();
    assert_eq!(code(r.transfer(ga.id, &ea, &eb)), "not_transferable");
    // perks are
    let v = r
        .issue(ids.perks, &[], std::slice::from_ref(&a))
        .unwrap()
        .remove(0);
    assert_eq!(code(r.transfer(v.id, &eb, &ea)), "not_owner");
    assert_eq!(code(r.transfer(v.id, &ea, &ea)), "self_transfer");
    assert_eq!(
        code(r.transfer(v.id, &ea, &RecipientRef::Email("no@x.io".into()))),
        "unknown_recipient"
    );
    let moved = r.transfer(v.id, &ea, &eb).unwrap();
    assert_eq!(moved.owner_id, r.customer(&eb).unwrap().id);
    assert_eq!(r.item(v.id).unwrap().owner_id, moved.owner_id);

    // claim codes: demo has 20 for the drink voucher
    let code_id: Uuid = r
        .connection()
        .query_row("SELECT code FROM claim_codes LIMIT 1", [], |row| row.get(0))
        .unwrap();
    let url = format!("https://venue.example/claim/{code_id}");
    let claimed = r.claim(&url, &ea).unwrap();
    assert_eq!(claimed.product_id, ids.perks);
    assert_eq!(code(r.claim(&url, &eb)), "claim_used");
    assert_eq!(
        code(r.claim("https://venue.example/claim/zzz", &eb)),
        "invalid_claim_code"
    );

    // reward: costs 100 credits, NOT_GB, 2 per user
    let rich = (0..20)
        .map(|n| r.customer(&RecipientRef::Email(email(&r, n))).unwrap())
        .find(|c| c.credits >= 200 && c.country.as_deref() != Some("GB"))
        .expect("a customer with credits");
    let who = RecipientRef::User(rich.id);
    let (after, items) = r.redeem_reward(ids.reward, &who).unwrap();
    assert_eq!(after.credits, rich.credits - 100);
    assert_eq!(items.len(), 1);
    assert_eq!(r.customer(&who).unwrap().credits, rich.credits - 100);
    r.redeem_reward(ids.reward, &who).unwrap();
    assert_eq!(code(r.redeem_reward(ids.reward, &who)), "max_per_user");
    let kinds: Vec<String> = r.outbox().unwrap().into_iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        vec![
            "issue",
            "transfer",
            "claim",
            "reward_redeem",
            "reward_redeem"
        ]
    );
}

#[test]
fn find_items_by_number_email_and_name() {
    let (_d, r, _ids) = fresh(200);
    let hit = r.find_items("#42", 5).unwrap();
    assert_eq!(hit.len(), 1);
    assert_eq!(hit[0].item.item_id, 42);
    let by_mail = r.find_items(&hit[0].owner_email.to_uppercase(), 5).unwrap();
    assert_eq!(by_mail[0].item.id, hit[0].item.id);
    let first = hit[0].owner_name.split(' ').next().unwrap().to_string();
    let by_name = r.find_items(&first, 1000).unwrap();
    assert!(by_name.iter().any(|v| v.item.id == hit[0].item.id));
    assert!(
        by_name
            .iter()
            .all(|v| v.owner_name.starts_with(&first) || v.owner_name.contains(&first))
    );
    assert_eq!(code(r.find_items("  ", 5)), "invalid_request");
}

// ------------------------------------------------------------------ door

#[test]
fn door_verdicts_in_order() {
    let (_d, mut r, ids) = fresh(30);
    let item = r.item_by_number(ids.admission, 5).unwrap();
    let token = r.ticket_token(item.id).unwrap();

    let v = r.scan(&token, Some("north"), Some(ids.event)).unwrap();
    assert_eq!((v.code.as_str(), v.admitted), ("ok", true));
    assert_eq!(v.product_name.as_deref(), Some("General Admission"));
    assert!(v.holder_name.is_some());

    let again = r
        .scan(
            &format!("  {}\r\n", token.to_lowercase()),
            Some("south"),
            Some(ids.event),
        )
        .unwrap();
    assert_eq!(
        (again.code.as_str(), again.admitted),
        ("already_redeemed", false)
    );
    assert_eq!(again.first_gate.as_deref(), Some("north"));
    assert_eq!(again.first_redeemed_at, Some(NOW));
    assert_eq!(again.first_device, Some(r.device_id()));

    assert_eq!(r.scan("HELLO", None, None).unwrap().code, "malformed");

    // flip one character of the signature part: forged
    let mut chars: Vec<char> = token.chars().collect();
    let k = chars.len() - 5;
    chars[k] = if chars[k] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    assert_eq!(r.scan(&forged, None, None).unwrap().code, "forged");

    // signed by a stranger
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let claims = TicketClaims {
        product_id: ids.admission,
        item_uuid: item.id,
        item_id: item.item_id,
        event_id: Some(ids.event),
        valid_from: NOW - 10,
        valid_until: NOW + 10,
    };
    let t = wicket_ticket::sign(&claims, &stranger).unwrap();
    assert_eq!(r.scan(&t, None, None).unwrap().code, "unknown_issuer");
    // ... once trusted, the same token is judged on its merits
    r.trust_key(&stranger.verifying_key(), "headoffice")
        .unwrap();
    let other = r.item_by_number(ids.admission, 6).unwrap();
    let mk = |valid_from, valid_until, event_id| {
        wicket_ticket::sign(
            &TicketClaims {
                product_id: ids.admission,
                item_uuid: other.id,
                item_id: other.item_id,
                event_id,
                valid_from,
                valid_until,
            },
            &stranger,
        )
        .unwrap()
    };
    assert_eq!(
        r.scan(
            &mk(NOW - 10, NOW + 10, Some(Uuid::new_v4())),
            None,
            Some(ids.event)
        )
        .unwrap()
        .code,
        "wrong_event"
    );
    assert_eq!(
        r.scan(&mk(NOW + 1, NOW + 10, Some(ids.event)), None, None)
            .unwrap()
            .code,
        "not_yet_valid"
    );
    assert_eq!(
        r.scan(&mk(NOW - 10, NOW, Some(ids.event)), None, None)
            .unwrap()
            .code,
        "expired"
    );
    // revoked: refused after the revocation arrives
    let good = mk(NOW - 10, NOW + 10, Some(ids.event));
    r.revoke_item(other.id, "chargeback").unwrap();
    assert_eq!(r.scan(&good, None, None).unwrap().code, "revoked");
    // distrusted key
    r.distrust_key(wicket_ticket::key_id(&stranger.verifying_key()))
        .unwrap();
    let third = r.item_by_number(ids.admission, 8).unwrap();
    let t3 = wicket_ticket::sign(
        &TicketClaims {
            item_uuid: third.id,
            item_id: third.item_id,
            ..claims.clone()
        },
        &stranger,
    )
    .unwrap();
    assert_eq!(r.scan(&t3, None, None).unwrap().code, "unknown_issuer");
}

#[test]
fn door_admits_unknown_signed_items_once_by_policy() {
    let (_d, mut r, ids) = fresh(5);
    let hq = SigningKey::from_bytes(&[3; 32]);
    r.trust_key(&hq.verifying_key(), "headoffice").unwrap();
    let claims = TicketClaims {
        product_id: ids.admission,
        item_uuid: Uuid::now_v7(),
        item_id: 9_999,
        event_id: Some(ids.event),
        valid_from: NOW - 10,
        valid_until: NOW + 10,
    };
    let t = wicket_ticket::sign(&claims, &hq).unwrap();
    let v = r.scan(&t, Some("east"), None).unwrap();
    assert_eq!(
        (v.code.as_str(), v.admitted, v.in_replica),
        ("ok", true, false)
    );
    let again = r.scan(&t, Some("west"), None).unwrap();
    assert_eq!(again.code, "already_redeemed");
    assert_eq!(again.first_gate.as_deref(), Some("east"));
    assert_eq!(r.outbox().unwrap()[0].payload["not_in_replica"], true);

    r.set_admit_unknown(false).unwrap();
    let t2 = wicket_ticket::sign(
        &TicketClaims {
            item_uuid: Uuid::now_v7(),
            ..claims
        },
        &hq,
    )
    .unwrap();
    assert_eq!(r.scan(&t2, None, None).unwrap().code, "unknown_ticket");
}

#[test]
fn staff_sign_in_by_pin() {
    let (_d, mut r, _ids) = fresh(1);
    assert_eq!(r.sign_in("2222").unwrap().role, Role::BoxOffice);
    assert_eq!(code(r.sign_in("9999")), "bad_pin");
    assert_eq!(code(r.sign_in("12")), "bad_pin");
    assert_eq!(
        code(r.add_staff("Twin", Role::Door, "1111")),
        "invalid_request"
    );
    assert_eq!(
        code(r.add_staff("Letters", Role::Door, "abcd")),
        "invalid_field"
    );
    // A manager's PIN has 6 digits at least.
    assert_eq!(
        code(r.add_staff("Short", Role::Manager, "5678")),
        "invalid_field"
    );
    let s = r.add_staff("New", Role::Manager, "567890").unwrap();
    assert_eq!(r.sign_in("567890").unwrap(), s);
    let names: HashSet<String> = r.staff().unwrap().into_iter().map(|s| s.name).collect();
    assert!(names.contains("New") && names.contains("Dana Door"));
}

#[test]
fn wrong_pins_lock_sign_in_with_a_growing_wait() {
    let (_d, mut r, _ids) = fresh(1);
    r.set_fixed_time(Some(1_800_000_000));
    for _ in 0..4 {
        assert_eq!(code(r.sign_in("9999")), "bad_pin");
    }
    // The fifth miss locks; even the right PIN waits now.
    assert_eq!(code(r.sign_in("9999")), "bad_pin");
    match r.sign_in("1111") {
        Err(wicket_device::DeviceError::LockedOut(s)) => assert_eq!(s, 30),
        other => panic!("locked out expected: {other:?}"),
    }
    r.set_fixed_time(Some(1_800_000_031));
    assert_eq!(code(r.sign_in("9999")), "bad_pin");
    match r.sign_in("1111") {
        Err(wicket_device::DeviceError::LockedOut(s)) => assert_eq!(s, 60),
        other => panic!("a longer wait expected: {other:?}"),
    }
    // After the wait the right PIN signs in and the count starts again.
    r.set_fixed_time(Some(1_800_000_200));
    assert_eq!(r.sign_in("1111").unwrap().role, Role::Door);
    assert_eq!(code(r.sign_in("9999")), "bad_pin");
    assert_eq!(r.sign_in("2222").unwrap().role, Role::BoxOffice);
}
