//! Builders the rulebook tests share.

#![allow(dead_code)]

use uuid::Uuid;
use wicket_domain::*;

pub const NOW: i64 = 1_800_000_000;

pub fn product(edit: impl FnOnce(&mut ProductInput)) -> Product {
    let mut input = ProductInput {
        product_type: Some("admission".into()),
        name: Some("GA".into()),
        price: Some("10.00".into()),
        ..Default::default()
    };
    edit(&mut input);
    input
        .into_product(Uuid::new_v4())
        .expect("valid test product")
}

pub fn customer(n: u8) -> Customer {
    Customer {
        id: Uuid::from_bytes([n; 16]),
        email: format!("c{n}@example.com"),
        first_name: Some(format!("C{n}")),
        last_name: None,
        reputation: 0,
        credits: 0,
        status_balance: 0,
        country: Some("FR".into()),
    }
}

pub fn item(p: &Product, owner: &Customer) -> Item {
    materialize(
        p,
        &[PlannedItem {
            owner_id: owner.id,
            item_id: 1,
        }],
        ItemOrigin::Issue,
        NOW,
        Uuid::new_v4,
    )
    .remove(0)
}

pub fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.expect_err("expected a refusal").code()
}
