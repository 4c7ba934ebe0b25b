//! The backend contract suite: every storage trait exercised through the use cases,
//! on the backend `WICKET_TEST_BACKEND` names (`sqlite`, the default, or `postgres`). A new backend
//! passes this file unchanged.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;
use wicket_domain::{Customer, ItemOrigin, ProductInput, Role};
use wicket_headoffice::model::{AdjustBody, NewUserBody, RewardBody, UserKey};
use wicket_headoffice::storage::{Scan, Tx};
use wicket_headoffice::usecase::{
    claim, customer, devices, issue, push, reward, sale, scan, transfer,
};
use wicket_headoffice::{Result, SqlStore, Store};

/// Runs one use case (given as a closure) in one transaction of a backend.
type RunTx = Box<dyn Fn(&mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()>>;

/// A backend under test: its `Store` (to set up rows the use cases read) and a way
/// to run a use case in one of its transactions.
struct Backend {
    store: Arc<dyn Store>,
    tx: RunTx,
    _dir: tempfile::TempDir,
}

fn backend() -> Backend {
    let dir = tempfile::tempdir().expect("tmp");
    let s = SqlStore::open_test_backend(dir.path()).expect("open the backend under test");
    let for_tx = s.clone();
    Backend {
        store: Arc::new(s),
        tx: Box::new(move |f| for_tx.with_tx(|t| f(t))),
        _dir: dir,
    }
}

impl Backend {
    fn run<T>(&self, mut f: impl FnMut(&dyn Tx) -> Result<T>) -> Result<T> {
        let mut out = None;
        (self.tx)(&mut |t| {
            out = Some(f(t)?);
            Ok(())
        })?;
        Ok(out.expect("use case ran"))
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn product(b: &Backend, body: serde_json::Value) -> Uuid {
    let input: ProductInput = serde_json::from_value(body).expect("product input");
    rt().block_on(b.store.create_product(
        wicket_headoffice::DEFAULT_COMPANY,
        input,
        Default::default(),
    ))
    .expect("create product")
    .id
}

fn users(b: &Backend, n: usize) -> Vec<Uuid> {
    let body = (0..n)
        .map(|i| NewUserBody {
            email: format!("u{i}@example.com"),
            first_name: Some("U".into()),
            last_name: None,
            reference_id: None,
            country: None,
        })
        .collect();
    rt().block_on(b.store.create_users(body))
        .expect("users")
        .into_iter()
        .map(|u| u.id)
        .collect()
}

fn code(r: Result<impl std::fmt::Debug>) -> String {
    r.map(|v| format!("ok {v:?}"))
        .unwrap_or_else(|e| e.code().to_string())
}

#[test]
fn issue_and_scan_in_any_order_count_once() {
    let b = backend();
    let pid = product(
        &b,
        json!({"type": "admission", "name": "Gig", "price": "10.00", "stock": 5}),
    );
    let u = users(&b, 2);
    let done = b
        .run(|t| issue::issue(t, pid, &u, &[], 100))
        .expect("issue");
    assert_eq!(done.items.len(), 2);
    let (_, counters) = b.run(|t| issue::product(t, pid)).expect("product");
    assert_eq!((counters.issued, counters.next_item_id), (2, 3));
    let item = done.items[0].id;
    let s = |id: u128, item: Uuid| Scan {
        id: Uuid::from_u128(id),
        op_id: Uuid::from_u128(id),
        item,
        product_id: Some(pid),
        device: Uuid::nil(),
        staff_id: None,
        gate: Some("north".into()),
        at: 200,
    };
    // The API's strict scan: once, then refused with nothing written.
    assert_eq!(
        b.run(|t| scan::record_scan(t, &s(1, item), true))
            .expect("scan"),
        scan::Outcome::Applied
    );
    assert_eq!(
        code(b.run(|t| scan::record_scan(t, &s(2, item), true))),
        "already_redeemed"
    );
    // A door's scan beyond the rules is a fact kept as a conflict.
    let out = b
        .run(|t| scan::record_scan(t, &s(3, item), false))
        .expect("door scan");
    assert!(matches!(out, scan::Outcome::Conflict { ref code, .. } if code == "already_redeemed"));
    assert_eq!(
        b.run(|t| Ok(t.item(item)?.map(|i| i.redemption_count)))
            .expect("item"),
        Some(1)
    );
    // A scan of an item not known yet waits; the item arrives and it counts.
    let early = Uuid::now_v7();
    assert_eq!(
        b.run(|t| scan::record_scan(t, &s(4, early), false))
            .expect("pending"),
        scan::Outcome::Applied
    );
    assert_eq!(b.run(|t| t.pending_scans(early)).expect("pending").len(), 1);
    // A device numbers items only from a range head office allotted it.
    let dev = Uuid::now_v7();
    b.run(|t| devices::create_enrollment_code(t, "e1", i64::MAX, None))
        .expect("code");
    b.run(|t| devices::enroll(t, "e1", dev, "door", "00", "cred", 140))
        .expect("enroll");
    let a = b
        .run(|t| wicket_headoffice::usecase::allotment::grant(t, dev, pid, 2, 3600, 140))
        .expect("allotment");
    for outside in [a.first_item_id + a.units, 1 << 40] {
        assert_eq!(
            code(b.run(|t| {
                issue::device_items(
                    t,
                    dev,
                    pid,
                    &[(Uuid::now_v7(), outside, u[1])],
                    ItemOrigin::Issue,
                    None,
                    150,
                )
            })),
            "item_id_not_allotted",
            "{outside}"
        );
    }
    b.run(|t| {
        issue::device_items(
            t,
            dev,
            pid,
            &[(early, a.first_item_id, u[1])],
            ItemOrigin::Issue,
            None,
            150,
        )
    })
    .expect("device item");
    assert_eq!(b.run(|t| t.pending_scans(early)).expect("pending").len(), 0);
    assert_eq!(
        b.run(|t| Ok(t.item(early)?.map(|i| i.redemption_count)))
            .expect("item"),
        Some(1)
    );
    // The allotment counted its units when granted; the device item took one.
    let (_, counters) = b.run(|t| issue::product(t, pid)).expect("product");
    assert_eq!(
        (counters.issued, counters.next_item_id),
        (2 + a.units, a.first_item_id + a.units)
    );
}

#[test]
fn walk_up_customers_sales_and_transfers() {
    let b = backend();
    let pid = product(
        &b,
        json!({"type": "admission", "name": "Club", "price": "8.00", "stock": 10, "is_transferable": true,
               "order_rules": [{"id": Uuid::now_v7(), "purchase_limit": 3}]}),
    );
    let walk = Customer {
        id: Uuid::now_v7(),
        email: "Walk@Example.com".into(),
        first_name: Some("Wanda".into()),
        last_name: None,
        reputation: 99,
        credits: 99,
        status_balance: 0,
        country: None,
    };
    b.run(|t| customer::create_walk_up(t, &walk))
        .expect("walk-up");
    let stored = b
        .run(|t| t.customer(&UserKey::Id(walk.id)))
        .expect("read")
        .expect("stored");
    assert_eq!(
        (stored.email.as_str(), stored.reputation),
        ("walk@example.com", 0)
    );
    // The same email from another device becomes an alias of her.
    let twin = Customer {
        id: Uuid::now_v7(),
        ..walk.clone()
    };
    b.run(|t| customer::create_walk_up(t, &twin))
        .expect("alias");
    assert_eq!(
        b.run(|t| customer::resolve(t, twin.id)).expect("resolve"),
        walk.id
    );

    let sold = b
        .run(|t| {
            sale::sell(
                t,
                &sale::SaleInput {
                    product_id: pid,
                    quantity: 2,
                    buyer: UserKey::Id(twin.id),
                    buyer_first_name: None,
                    buyer_last_name: None,
                    currency: None,
                    payment_method: "card".into(),
                    device_id: None,
                },
                500,
            )
        })
        .expect("sale");
    assert_eq!(
        (sold.buyer.id, sold.row.sale.total.to_string()),
        (walk.id, "16.00".into())
    );
    assert_eq!(
        b.run(|t| t.bought_between(walk.id, pid, 0, 1000))
            .expect("bought"),
        2
    );
    // The purchase limit (3 per buyer) counts what she bought already.
    let more = b.run(|t| {
        sale::sell(
            t,
            &sale::SaleInput {
                product_id: pid,
                quantity: 2,
                buyer: UserKey::Email("walk@example.com".into()),
                buyer_first_name: None,
                buyer_last_name: None,
                currency: None,
                payment_method: "cash".into(),
                device_id: None,
            },
            600,
        )
    });
    assert_eq!(code(more), "purchase_limit");

    let other = users(&b, 1)[0];
    let item = sold.items[0].id;
    let moved = b
        .run(|t| {
            transfer::transfer(
                t,
                &transfer::TransferInput {
                    id: Uuid::now_v7(),
                    product: None,
                    item,
                    from: UserKey::Id(twin.id),
                    to: UserKey::Id(other),
                    at: 700,
                },
            )
        })
        .expect("transfer");
    assert_eq!(moved.item.owner_id, other);
    assert_eq!(b.run(|t| t.holding(pid, other)).expect("holding"), 1);
    assert_eq!(b.run(|t| t.holding(pid, walk.id)).expect("holding"), 1);
}

#[test]
fn claims_rewards_and_staff_roles() {
    let b = backend();
    let pid = product(
        &b,
        json!({"type": "perks", "name": "Drink", "price": "0", "is_claimable": true}),
    );
    let u = users(&b, 1)[0];
    let codes = rt()
        .block_on(b.store.create_claim_codes(pid, 1))
        .expect("codes");
    let item = b
        .run(|t| {
            claim::claim(
                t,
                codes[0],
                &UserKey::Id(u),
                claim::Numbering::HeadOffice,
                10,
            )
        })
        .expect("claim");
    assert_eq!(item.owner_id, u);
    assert_eq!(
        code(b.run(|t| claim::claim(
            t,
            codes[0],
            &UserKey::Id(u),
            claim::Numbering::HeadOffice,
            11
        ))),
        "claim_used"
    );

    let body: RewardBody = serde_json::from_value(
        json!({"name": "Free drink", "credit_cost": 30, "grants": {"product_id": pid, "quantity": 1}}),
    )
    .expect("reward body");
    let offer = rt()
        .block_on(b.store.create_reward(body))
        .expect("reward")
        .id;
    let broke = b.run(|t| {
        reward::redeem_reward(
            t,
            offer,
            &UserKey::Id(u),
            None,
            reward::RewardNumbering::HeadOffice,
            20,
        )
    });
    assert_eq!(code(broke), "insufficient_credits");
    rt().block_on(b.store.adjust_balance(
        u,
        AdjustBody {
            kind: "credits".into(),
            delta: 50,
            reason: "test".into(),
        },
    ))
    .expect("credits");
    let r = b
        .run(|t| {
            reward::redeem_reward(
                t,
                offer,
                &UserKey::Id(u),
                Some("FR"),
                reward::RewardNumbering::HeadOffice,
                21,
            )
        })
        .expect("redeem");
    assert_eq!(
        (r.customer.credits, r.items.len(), r.offer.redeemed_count),
        (20, 1, 1)
    );
    assert_eq!(b.run(|t| t.redeems_by(offer, u)).expect("count"), 1);
    assert_eq!(
        b.run(|t| t.customer(&UserKey::Id(u)))
            .expect("read")
            .map(|c| c.credits),
        Some(20)
    );

    let door = rt()
        .block_on(b.store.create_staff("Dora".into(), Role::Door, "x".into()))
        .expect("staff")
        .id;
    let sell = wicket_protocol::Op::Revoke(wicket_protocol::RevokeOp {
        item: item.id,
        reason: None,
    });
    assert_eq!(
        code(b.run(|t| push::authorize(t, Some(door), &sell))),
        "forbidden"
    );
    let redeem = wicket_protocol::Op::Redeem(wicket_protocol::RedeemOp {
        item: item.id,
        product_id: None,
        item_id: None,
        redeemed_at: None,
        gate: None,
        redemption_id: None,
        not_in_replica: false,
    });
    assert!(b.run(|t| push::authorize(t, Some(door), &redeem)).is_ok());
    assert_eq!(
        code(b.run(|t| push::authorize(t, Some(Uuid::now_v7()), &redeem))),
        "forbidden"
    );
}

#[test]
fn catalog_and_devices_through_their_use_cases() {
    use wicket_domain::EventInput;
    use wicket_headoffice::model::TierBody;
    use wicket_headoffice::store::EventKey;
    use wicket_headoffice::usecase::catalog;

    let b = backend();
    let ev: EventInput = serde_json::from_value(
        json!({"name": "Gala", "start_date": 1_000, "end_date": 2_000, "location": "Hall", "address": "1 Main St", "reference_id": "gala-1"}),
    )
    .expect("event input");
    let e = b
        .run(|t| catalog::create_event(t, ev.clone()))
        .expect("event");
    let by_ref = b
        .run(|t| t.event(&EventKey::Reference("gala-1".into())))
        .expect("read");
    assert_eq!(by_ref.map(|x| x.id), Some(e.id));
    let p = b
        .run(|t| {
            catalog::create_product(
                t,
                wicket_headoffice::DEFAULT_COMPANY,
                serde_json::from_value(
                    json!({"type": "admission", "name": "Gala Seat", "price": "50",
                    "event_id": e.id, "status": "draft"}),
                )
                .expect("product input"),
                Default::default(),
            )
        })
        .expect("product");
    assert_eq!(p.slug.as_deref(), Some("gala-seat"));
    // The event holds a product: deleting it is a conflict that changes nothing.
    assert_eq!(code(b.run(|t| catalog::delete_event(t, e.id))), "conflict");
    let published = b
        .run(|t| catalog::publish_product(t, p.id))
        .expect("publish");
    assert_eq!(published.status.as_str(), "published");
    let rule = b
        .run(|t| catalog::add_order_rule(t, p.id, None, None, Some(2)))
        .expect("rule");
    assert_eq!(
        b.run(|t| issue::product(t, p.id))
            .expect("read")
            .0
            .order_rules
            .len(),
        1
    );
    b.run(|t| catalog::delete_order_rule(t, p.id, rule.id))
        .expect("delete rule");
    assert_eq!(
        code(b.run(|t| catalog::delete_order_rule(t, p.id, rule.id))),
        "not_found"
    );
    let tier = b
        .run(|t| {
            catalog::create_tier(
                t,
                &TierBody {
                    name: "Gold".into(),
                    min_token_balance: 100,
                    discount_percentage: "10".into(),
                },
            )
        })
        .expect("tier");
    assert_eq!(b.run(|t| t.tiers()).expect("tiers"), vec![tier]);

    // Enrollment codes work once; the head office key is made once.
    let dev = Uuid::now_v7();
    b.run(|t| devices::create_enrollment_code(t, "h1", i64::MAX, None))
        .expect("code");
    let k1 = b
        .run(|t| devices::enroll(t, "h1", dev, "north", "00", "c1", 10))
        .expect("enroll");
    assert_eq!(
        code(b.run(|t| devices::enroll(t, "h1", dev, "north", "00", "c2", 11))),
        "unauthorized"
    );
    assert_eq!(
        b.run(|t| t.device_by_credential("c1")).expect("read"),
        Some(dev)
    );
    assert_eq!(b.run(devices::headoffice_key).expect("key"), k1);
    // Another code cannot take over an enrolled device; one an admin made for it can.
    b.run(|t| devices::create_enrollment_code(t, "h2", i64::MAX, None))
        .expect("code");
    assert_eq!(
        code(b.run(|t| devices::enroll(t, "h2", dev, "thief", "00", "c3", 12))),
        "conflict"
    );
    assert_eq!(
        b.run(|t| t.device_by_credential("c1")).expect("read"),
        Some(dev)
    );
    b.run(|t| devices::create_enrollment_code(t, "h3", i64::MAX, Some(dev)))
        .expect("code");
    b.run(|t| devices::enroll(t, "h3", dev, "north", "00", "c4", 13))
        .expect("re-enroll");
    assert_eq!(b.run(|t| t.device_by_credential("c1")).expect("read"), None);
    // A revoked device's credential fails at once.
    b.run(|t| devices::revoke_device(t, dev, None, 14))
        .expect("revoke");
    assert_eq!(b.run(|t| t.device_by_credential("c4")).expect("read"), None);
    assert_eq!(
        code(b.run(|t| devices::revoke_device(t, Uuid::now_v7(), None, 15))),
        "not_found"
    );
    let staff = b
        .run(|t| devices::create_staff(t, "Bo", Role::BoxOffice, "hash", 12))
        .expect("staff");
    assert_eq!(
        b.run(|t| t.staff_role(staff.id)).expect("role"),
        Some((Role::BoxOffice, true))
    );
}
