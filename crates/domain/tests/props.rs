//! Property tests for the rulebook's invariants.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use uuid::Uuid;
use wicket_domain::*;

const NOW: i64 = 1_800_000_000;

fn product(
    stock: Option<u64>,
    max_items: Option<u64>,
    max_per_account: Option<u64>,
    rq: u32,
) -> Product {
    ProductInput {
        product_type: Some("admission".into()),
        name: Some("P".into()),
        stock: stock.map(|v| v as i64),
        max_items: max_items.map(|v| v as i64),
        max_per_account: max_per_account.map(|v| v as i64),
        redemption_quantity: Some(rq as i64),
        is_transferable: Some(true),
        ..Default::default()
    }
    .into_product(Uuid::new_v4())
    .expect("valid")
}

fn customers(n: usize) -> Vec<Customer> {
    (0..n)
        .map(|i| Customer {
            id: Uuid::from_u128(i as u128 + 1),
            email: format!("c{i}@x.io"),
            first_name: None,
            last_name: None,
            reputation: 0,
            credits: 0,
            status_balance: 0,
            country: None,
        })
        .collect()
}

proptest! {
    /// Redeeming any number of times never pushes the count past the quantity.
    #[test]
    fn redemption_count_never_exceeds_quantity(rq in 1u32..6, attempts in 0usize..20) {
        let p = product(None, None, None, rq);
        let c = customers(1);
        let plan = plan_issue(&p, &ProductCounters::new(), &c, &HashMap::new(), NOW).unwrap();
        let mut item = materialize(&p, &plan, ItemOrigin::Issue, NOW, Uuid::new_v4).remove(0);
        let mut ok = 0u32;
        for t in 0..attempts {
            match redeem(&item, NOW + t as i64) {
                Ok(next) => { item = next; ok += 1; }
                Err(e) => prop_assert_eq!(e.code(), "already_redeemed"),
            }
            prop_assert!(item.redemption_count <= item.redemption_quantity);
        }
        prop_assert_eq!(ok, (attempts as u32).min(rq));
        prop_assert_eq!(item.is_fully_redeemed(), attempts as u32 >= rq);
    }

    /// Any sequence of issue requests never issues beyond stock or max_items, and
    /// item_ids come out unique and sequential from 1.
    #[test]
    fn issued_within_caps_and_ids_sequential(
        stock in proptest::option::of(0u64..40),
        max_items in proptest::option::of(1u64..40),
        max_pa in proptest::option::of(1u64..5),
        batches in proptest::collection::vec(proptest::collection::vec(0usize..6, 1..8), 1..12),
    ) {
        let p = product(stock, max_items, max_pa, 1);
        let people = customers(6);
        let mut counters = ProductCounters::new();
        let mut holdings: HashMap<Uuid, u64> = HashMap::new();
        let mut ids = Vec::new();
        for b in batches {
            let rs: Vec<Customer> = b.iter().map(|&i| people[i].clone()).collect();
            if let Ok(plan) = plan_issue(&p, &counters, &rs, &holdings, NOW) {
                for x in &plan {
                    *holdings.entry(x.owner_id).or_default() += 1;
                    ids.push(x.item_id);
                }
                counters = advance(&counters, &plan);
            }
            prop_assert!(stock.is_none_or(|s| counters.issued <= s));
            prop_assert!(max_items.is_none_or(|m| counters.issued <= m));
            prop_assert!(max_pa.is_none_or(|m| holdings.values().all(|&h| h <= m)));
        }
        let expected: Vec<u64> = (1..=ids.len() as u64).collect();
        prop_assert_eq!(&ids, &expected);
        prop_assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }

    /// Transfers move items between owners but never create or destroy one.
    #[test]
    fn transfers_preserve_item_count(moves in proptest::collection::vec((0usize..8, 0usize..4, 0usize..4), 0..40)) {
        let p = product(None, None, Some(3), 1);
        let people = customers(4);
        let owners: Vec<Customer> = (0..8).map(|i| people[i % 4].clone()).collect();
        let plan = plan_issue(&p, &ProductCounters::new(), &owners, &HashMap::new(), NOW).unwrap();
        let mut items = materialize(&p, &plan, ItemOrigin::Issue, NOW, Uuid::new_v4);
        let ids_before: HashSet<Uuid> = items.iter().map(|i| i.id).collect();
        for (which, from, to) in moves {
            let holds = items.iter().filter(|i| i.owner_id == people[to].id).count() as u64;
            if check_transfer(&p, &items[which], people[from].id, &people[to], holds).is_ok() {
                items[which] = transfer(&items[which], people[to].id);
            }
            prop_assert_eq!(items.len(), 8);
            for c in &people {
                prop_assert!(items.iter().filter(|i| i.owner_id == c.id).count() <= 3);
            }
        }
        prop_assert_eq!(items.iter().map(|i| i.id).collect::<HashSet<_>>(), ids_before);
    }

    /// A quoted total is subtotal minus discount, never negative, never above subtotal.
    #[test]
    fn sale_total_bounds(cents in 0i64..100_000, qty in 1u32..20, pct_tenths in 0i64..1000) {
        let mut p = product(None, None, None, 1);
        p.prices = vec![Price { currency: "EUR".into(), amount: Decimal::new(cents, 2) }];
        let tier = StatusTier { id: 1, name: "T".into(), min_token_balance: 0, discount_percentage: Decimal::new(pct_tenths, 1) };
        let q = quote_sale(&p, None, qty, Some(&tier)).unwrap();
        prop_assert_eq!(q.subtotal, Decimal::new(cents, 2) * Decimal::from(qty));
        prop_assert_eq!(q.total, q.subtotal - q.discount);
        prop_assert!(q.total >= Decimal::ZERO && q.total <= q.subtotal);
        prop_assert!(q.discount.scale() <= 2);
    }
}
