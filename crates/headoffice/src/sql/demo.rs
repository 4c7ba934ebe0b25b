//! The demo project `wicket-headoffice demo` seeds.

use std::collections::HashMap;

use crate::db::Connection;
use crate::params;
use uuid::Uuid;
use wicket_domain::{
    self as domain, BalanceKind, CustomerInput, Decimal, EventInput, ItemOrigin, ProductInput,
    StatusTier,
};

use super::events::*;
use super::products::*;
use super::rows::*;
use super::users::*;
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::DemoSummary;

pub(crate) fn op_demo(tx: &Connection, n_users: u32) -> Result<DemoSummary> {
    if tx
        .prepare("SELECT 1 FROM users WHERE email = ?1")?
        .exists(["demo-00001@example.com"])?
    {
        return Err(Error::Conflict("demo data is already present".into()));
    }
    let (at, iso) = now();
    let event = EventInput {
        name: Some("Wicket Demo Night".into()),
        start_date: Some(at + 7 * 86_400),
        end_date: Some(at + 7 * 86_400 + 6 * 3600),
        location: Some("Main Hall".into()),
        address: Some("1 Demo Street, Lisbon".into()),
        description: Some("Seeded by wicket-headoffice demo".into()),
        reference_id: None,
    }
    .into_event(Uuid::new_v4())?;
    insert_event(tx, &event, &iso)?;

    if load_tiers(tx)?.is_empty() {
        for (id, name, min, pct) in [
            (1u32, "Bronze", 0i64, Decimal::ZERO),
            (2, "Silver", 100, Decimal::new(5, 0)),
            (3, "Gold", 500, Decimal::new(10, 0)),
        ] {
            let t = StatusTier {
                id,
                name: name.into(),
                min_token_balance: min,
                discount_percentage: pct,
            };
            domain::validate_status_tier(&t, &[])?;
            tx.execute(
                "INSERT INTO status_tiers (id, name, min_token_balance, discount_percentage, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t.id, t.name, t.min_token_balance, t.discount_percentage.to_string(), iso],
            )?;
        }
    }

    let mk = |ty: &str, name: &str, price: &str, f: &dyn Fn(&mut ProductInput)| {
        let mut p = ProductInput {
            product_type: Some(ty.into()),
            name: Some(name.into()),
            event_id: Some(event.id),
            price: Some(price.into()),
            currency: Some("EUR".into()),
            ..Default::default()
        };
        f(&mut p);
        p.into_product(Uuid::new_v4())
    };
    let mut products = vec![
        mk("admission", "General Admission", "49.99", &|p| {
            p.stock = Some(5000);
            p.max_per_account = Some(4);
            p.is_transferable = Some(true);
            p.tags = Some(vec!["ticket".into()]);
        })?,
        mk("presale", "Early Bird", "29.50", &|p| {
            p.stock = Some(1000);
            p.max_per_account = Some(2);
            p.tags = Some(vec!["ticket".into(), "presale".into()]);
        })?,
        mk("perks", "Drink Voucher", "5.00", &|p| {
            p.redemption_quantity = Some(3);
            p.is_transferable = Some(true);
            p.is_claimable = Some(true);
            p.tags = Some(vec!["bar".into()]);
        })?,
    ];
    for p in &mut products {
        p.slug = Some(crate::usecase::catalog::unique_slug(
            &super::tx::SqlTx(tx),
            super::companies::DEFAULT_COMPANY,
            &domain::slugify(&p.name),
        )?);
        insert_product(tx, p, super::companies::DEFAULT_COMPANY, &iso)?;
    }

    let mut customers = Vec::with_capacity(n_users as usize);
    for i in 1..=n_users {
        let mut c = CustomerInput {
            email: format!("demo-{i:05}@example.com"),
            first_name: Some(format!("Demo{i}")),
            last_name: Some("Guest".into()),
            country: Some(["PT", "ES", "FR", "DE"][(i % 4) as usize].into()),
        }
        .into_customer(Uuid::new_v4())?;
        insert_user(tx, &c, None, &iso)?;
        // Balances come from ledger entries, as in production.
        let credits = i64::from(i % 5) * 50;
        let status = i64::from((i * 37) % 800);
        for (kind, delta) in [
            (BalanceKind::Credits, credits),
            (BalanceKind::Status, status),
        ] {
            if delta != 0 {
                let after = domain::adjust_balance(&c, kind, delta, "demo grant")?;
                post_ledger(tx, &c, &after, kind, "demo grant", None, at, &iso)?;
                c = after;
            }
        }
        customers.push(c);
    }

    let mut issued = 0u32;
    for (p, n) in [(&products[0], 500usize), (&products[2], 200)] {
        let row = require_product(tx, p.id)?;
        let recipients = &customers[..n.min(customers.len())];
        let plan = domain::plan_issue(&row.p, &row.counters, recipients, &HashMap::new(), at)?;
        issued += crate::usecase::issue::store_planned(
            &super::tx::SqlTx(tx),
            &row.p,
            &row.counters,
            &plan,
            ItemOrigin::Issue,
            None,
            at,
        )?
        .len() as u32;
    }

    let rewards = [
        RewardBody {
            name: "Free drink".into(),
            description: Some("One drink voucher".into()),
            credit_cost: 50,
            grants: Some(GrantBody {
                product_id: products[2].id,
                quantity: 1,
            }),
            image_url: None,
            supply_total: Some(1000),
            max_per_user: Some(2),
            min_tier_id: None,
            country_restrictions: vec![],
            tags: vec!["bar".into()],
            order: 1,
            active: Some(true),
        },
        RewardBody {
            name: "Early bird upgrade".into(),
            description: Some("Gold members only, not in Spain".into()),
            credit_cost: 150,
            grants: Some(GrantBody {
                product_id: products[1].id,
                quantity: 1,
            }),
            image_url: None,
            supply_total: Some(50),
            max_per_user: Some(1),
            min_tier_id: Some(3),
            country_restrictions: vec!["NOT_ES".into()],
            tags: vec!["ticket".into()],
            order: 2,
            active: Some(true),
        },
    ];
    let n_rewards = rewards.len() as u32;
    for b in rewards {
        crate::usecase::catalog::create_reward(&super::tx::SqlTx(tx), b)?;
    }
    // Staff reach devices through sync (the `staff` change feed), with PIN hashes
    // at the cost `POST /v1/staff` uses, computed once (`DEMO_STAFF`).
    for (name, role, _pin, hash) in crate::sync::DEMO_STAFF {
        crate::usecase::devices::create_staff(&super::tx::SqlTx(tx), name, *role, hash, at)?;
    }
    Ok(DemoSummary {
        staff: crate::sync::DEMO_STAFF.len() as u32,
        users: n_users,
        products: products.len() as u32,
        items: issued,
        rewards: n_rewards,
    })
}
