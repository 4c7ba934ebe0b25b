//! One test (at least) per rule and per error code of the rulebook: catalog input,
//! issue, redeem and transfer (sales, claims, rewards and codes: `sales_rewards.rs`).

use std::collections::HashMap;
use std::str::FromStr;

use uuid::Uuid;
use wicket_domain::*;

mod common;
use common::*;

// ------------------------------------------------------------------ product input

#[test]
fn product_defaults_follow_seed_000() {
    let p = product(|_| {});
    assert_eq!(p.stock, None);
    assert_eq!(p.max_per_account, None);
    assert_eq!(p.redemption_quantity, 1);
    assert!(!p.is_transferable);
    assert!(!p.is_claimable);
    assert_eq!(p.min_rep_balance, 0);
    assert_eq!(p.max_items, None);
    assert!(p.active);
    assert!(!p.mint_nft);
    assert_eq!(p.status, ProductStatus::Published);
    assert_eq!(
        p.primary_price().map(|x| x.amount),
        Some(Decimal::from_str("10.00").unwrap())
    );
    assert_eq!(p.primary_price().map(|x| x.currency.as_str()), Some("EUR"));
}

#[test]
fn product_name_length_is_1_to_255() {
    let mk = |n: &str| {
        ProductInput {
            product_type: Some("perks".into()),
            name: Some(n.into()),
            ..Default::default()
        }
        .into_product(Uuid::new_v4())
    };
    assert_eq!(code(mk("")), "invalid_field");
    assert_eq!(code(mk(&"x".repeat(256))), "invalid_field");
    assert!(mk(&"x".repeat(255)).is_ok());
    assert!(mk("x").is_ok());
}

#[test]
fn product_type_and_chain_enums_are_checked() {
    let bad_type = ProductInput {
        product_type: Some("concert".into()),
        name: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(code(bad_type.into_product(Uuid::new_v4())), "invalid_field");
    let missing = ProductInput {
        name: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(code(missing.into_product(Uuid::new_v4())), "invalid_field");
    let bad_chain = ProductInput {
        product_type: Some("perks".into()),
        name: Some("x".into()),
        chain: Some("Ethereum".into()),
        ..Default::default()
    };
    assert_eq!(
        code(bad_chain.into_product(Uuid::new_v4())),
        "invalid_field"
    );
}

#[test]
fn mint_nft_requires_metadata_uri_and_chain() {
    let base = || ProductInput {
        product_type: Some("admission".into()),
        name: Some("NFT".into()),
        mint_nft: Some(true),
        ..Default::default()
    };
    assert_eq!(
        code(base().into_product(Uuid::new_v4())),
        "mint_nft_incomplete"
    );
    let mut only_uri = base();
    only_uri.metadata_uri = Some("https://example.com/m.json".into());
    assert_eq!(
        code(only_uri.into_product(Uuid::new_v4())),
        "mint_nft_incomplete"
    );
    let mut both = base();
    both.metadata_uri = Some("ipfs://bafy/m.json".into());
    both.chain = Some("WestendAssetHub".into());
    let p = both.into_product(Uuid::new_v4()).unwrap();
    assert_eq!(p.chain, Some(Chain::WestendAssetHub));
    let mut bad_uri = base();
    bad_uri.metadata_uri = Some("not a uri".into());
    bad_uri.chain = Some("AssetHub".into());
    assert_eq!(code(bad_uri.into_product(Uuid::new_v4())), "invalid_field");
}

#[test]
fn prices_are_strict_decimal_strings() {
    for good in ["0", "9.99", "49.00", "1234567.12345678"] {
        assert!(parse_price(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "-1",
        "+1",
        "1e3",
        "1,00",
        "1.",
        ".5",
        "NaN",
        "1.123456789",
        " 1 2",
        "0x10",
    ] {
        assert_eq!(
            parse_price(bad).unwrap_err().code(),
            "invalid_price",
            "{bad:?}"
        );
    }
    let p = ProductInput {
        product_type: Some("admission".into()),
        name: Some("x".into()),
        price: Some("abc".into()),
        ..Default::default()
    };
    assert_eq!(code(p.into_product(Uuid::new_v4())), "invalid_price");
}

#[test]
fn prices_per_currency_and_conflicts() {
    let p = product(|i| {
        i.prices = Some(vec![
            PriceInput {
                currency: "USD".into(),
                amount: "11.00".into(),
            },
            PriceInput {
                currency: "EUR".into(),
                amount: "10.00".into(),
            },
        ])
    });
    assert_eq!(p.prices.len(), 2);
    let clash = ProductInput {
        product_type: Some("admission".into()),
        name: Some("x".into()),
        price: Some("10".into()),
        prices: Some(vec![PriceInput {
            currency: "EUR".into(),
            amount: "12".into(),
        }]),
        ..Default::default()
    };
    assert_eq!(code(clash.into_product(Uuid::new_v4())), "invalid_field");
    let lower = ProductInput {
        product_type: Some("admission".into()),
        name: Some("x".into()),
        price: Some("10".into()),
        currency: Some("eur".into()),
        ..Default::default()
    };
    assert_eq!(code(lower.into_product(Uuid::new_v4())), "invalid_field");
}

#[test]
fn counts_and_windows_are_validated() {
    let with = |f: fn(&mut ProductInput)| {
        let mut i = ProductInput {
            product_type: Some("perks".into()),
            name: Some("x".into()),
            ..Default::default()
        };
        f(&mut i);
        i.into_product(Uuid::new_v4())
    };
    assert_eq!(code(with(|i| i.stock = Some(-1))), "invalid_field");
    assert_eq!(code(with(|i| i.max_per_account = Some(0))), "invalid_field");
    assert_eq!(
        code(with(|i| i.redemption_quantity = Some(0))),
        "invalid_field"
    );
    assert_eq!(code(with(|i| i.max_items = Some(0))), "invalid_field");
    assert_eq!(
        code(with(|i| i.min_rep_balance = Some(-5))),
        "invalid_field"
    );
    assert_eq!(
        code(with(|i| i.status = Some("sold".into()))),
        "invalid_field"
    );
    assert_eq!(
        code(with(|i| i.slug = Some("Bad Slug".into()))),
        "invalid_field"
    );
    assert_eq!(
        code(with(|i| {
            i.start_sale_at = Some(10);
            i.end_sale_at = Some(10)
        })),
        "invalid_field"
    );
    assert!(with(|i| i.stock = Some(0)).is_ok());
}

#[test]
fn update_merges_and_revalidates() {
    let p = product(|i| i.stock = Some(5));
    let up = ProductInput {
        name: Some("Renamed".into()),
        ..Default::default()
    }
    .apply_to(&p)
    .unwrap();
    assert_eq!(up.name, "Renamed");
    assert_eq!(up.stock, Some(5));
    assert_eq!(up.id, p.id);
    let bad = ProductInput {
        mint_nft: Some(true),
        ..Default::default()
    }
    .apply_to(&p);
    assert_eq!(code(bad), "mint_nft_incomplete");
}

#[test]
fn events_are_validated() {
    let ok = EventInput {
        name: Some("Gig".into()),
        start_date: Some(100),
        end_date: Some(200),
        location: Some("Hall".into()),
        address: Some("Street 1".into()),
        ..Default::default()
    };
    assert!(ok.clone().into_event(Uuid::new_v4()).is_ok());
    let mut short = ok.clone();
    short.name = Some("ab".into());
    assert_eq!(code(short.into_event(Uuid::new_v4())), "invalid_field");
    let mut backwards = ok.clone();
    backwards.end_date = Some(50);
    assert_eq!(code(backwards.into_event(Uuid::new_v4())), "invalid_field");
    let mut no_loc = ok;
    no_loc.location = None;
    assert_eq!(code(no_loc.into_event(Uuid::new_v4())), "invalid_field");
}

#[test]
fn emails_are_normalised_and_checked() {
    assert_eq!(
        normalize_email(" Ada@Example.COM ").unwrap(),
        "ada@example.com"
    );
    for bad in [
        "",
        "ada",
        "ada@",
        "@x.com",
        "a b@x.com",
        "a@x",
        "a@@x.com",
        "a@.com",
    ] {
        assert_eq!(
            normalize_email(bad).unwrap_err().code(),
            "invalid_field",
            "{bad:?}"
        );
    }
}

// ------------------------------------------------------------------ issue

#[test]
fn batch_is_1_to_550_users_and_emails_together() {
    assert_eq!(code(recipient_batch(&[], &[])), "empty_batch");
    let users: Vec<Uuid> = (0..300).map(|_| Uuid::new_v4()).collect();
    let emails: Vec<String> = (0..250).map(|n| format!("u{n}@x.io")).collect();
    assert_eq!(recipient_batch(&users, &emails).unwrap().len(), 550);
    let one_more = vec!["extra@x.io".to_string()];
    let mut emails2 = emails.clone();
    emails2.extend(one_more);
    assert_eq!(code(recipient_batch(&users, &emails2)), "batch_too_large");
    assert_eq!(
        code(recipient_batch(&[], &["nope".into()])),
        "invalid_field"
    );
}

#[test]
fn unknown_recipients_refuse_the_whole_batch_naming_each() {
    let known = customer(1);
    let refs = recipient_batch(&[known.id], &["ghost@x.io".into(), "ghost2@x.io".into()]).unwrap();
    let err = resolve_recipients(&refs, |r| match r {
        RecipientRef::User(u) if *u == known.id => Some(known.clone()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(err.code(), "unknown_recipient");
    let msg = err.to_string();
    assert!(
        msg.contains("ghost@x.io") && msg.contains("ghost2@x.io"),
        "{msg}"
    );
}

#[test]
fn issue_assigns_sequential_item_ids() {
    let p = product(|_| {});
    let counters = ProductCounters {
        issued: 7,
        next_item_id: 8,
    };
    let rs = vec![customer(1), customer(2), customer(1)];
    let plan = plan_issue(&p, &counters, &rs, &HashMap::new(), NOW).unwrap();
    assert_eq!(
        plan.iter().map(|x| x.item_id).collect::<Vec<_>>(),
        vec![8, 9, 10]
    );
    assert_eq!(plan[2].owner_id, customer(1).id);
    assert_eq!(
        advance(&counters, &plan),
        ProductCounters {
            issued: 10,
            next_item_id: 11
        }
    );
}

#[test]
fn issue_refuses_inactive_draft_and_outside_window() {
    let rs = [customer(1)];
    let h = HashMap::new();
    let c = ProductCounters::new();
    let inactive = product(|i| i.active = Some(false));
    assert_eq!(code(plan_issue(&inactive, &c, &rs, &h, NOW)), "inactive");
    let draft = product(|i| i.status = Some("draft".into()));
    assert_eq!(code(plan_issue(&draft, &c, &rs, &h, NOW)), "not_published");
    let early = product(|i| i.start_sale_at = Some(NOW + 1));
    assert_eq!(code(plan_issue(&early, &c, &rs, &h, NOW)), "not_on_sale");
    let late = product(|i| i.end_sale_at = Some(NOW));
    assert_eq!(code(plan_issue(&late, &c, &rs, &h, NOW)), "not_on_sale");
    let open = product(|i| {
        i.start_sale_at = Some(NOW);
        i.end_sale_at = Some(NOW + 1)
    });
    assert!(plan_issue(&open, &c, &rs, &h, NOW).is_ok());
}

#[test]
fn issue_respects_stock_all_or_nothing() {
    let p = product(|i| i.stock = Some(3));
    let c = ProductCounters {
        issued: 2,
        next_item_id: 3,
    };
    let err = plan_issue(&p, &c, &[customer(1), customer(2)], &HashMap::new(), NOW).unwrap_err();
    assert_eq!(
        err,
        DomainError::StockExhausted {
            available: 1,
            requested: 2
        }
    );
    assert_eq!(
        plan_issue(&p, &c, &[customer(1)], &HashMap::new(), NOW)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn issue_respects_max_items() {
    let p = product(|i| i.max_items = Some(2));
    let c = ProductCounters {
        issued: 2,
        next_item_id: 3,
    };
    assert_eq!(
        code(plan_issue(&p, &c, &[customer(1)], &HashMap::new(), NOW)),
        "max_items_reached"
    );
}

#[test]
fn issue_respects_max_per_account_counting_the_batch() {
    let p = product(|i| i.max_per_account = Some(2));
    let c = ProductCounters::new();
    let one = customer(1);
    let holdings = HashMap::from([(one.id, 1)]);
    assert!(plan_issue(&p, &c, std::slice::from_ref(&one), &holdings, NOW).is_ok());
    assert_eq!(
        code(plan_issue(
            &p,
            &c,
            &[one.clone(), one.clone()],
            &holdings,
            NOW
        )),
        "max_per_account"
    );
    assert_eq!(
        code(plan_issue(
            &p,
            &c,
            &[one.clone(), one.clone(), one],
            &HashMap::new(),
            NOW
        )),
        "max_per_account"
    );
}

#[test]
fn issue_respects_min_rep_balance() {
    let p = product(|i| i.min_rep_balance = Some(10));
    let mut c1 = customer(1);
    c1.reputation = 9;
    assert_eq!(
        code(plan_issue(
            &p,
            &ProductCounters::new(),
            &[c1.clone()],
            &HashMap::new(),
            NOW
        )),
        "rep_too_low"
    );
    c1.reputation = 10;
    assert!(plan_issue(&p, &ProductCounters::new(), &[c1], &HashMap::new(), NOW).is_ok());
}

// ------------------------------------------------------------------ redeem

#[test]
fn redeem_counts_up_to_quantity_then_refuses() {
    let p = product(|i| i.redemption_quantity = Some(3));
    let mut it = item(&p, &customer(1));
    for n in 1..=3 {
        it = redeem(&it, NOW + n).unwrap();
        assert_eq!(it.redemption_count, n as u32);
        assert_eq!(it.redeemed_at, Some(NOW + n));
        assert_eq!(it.is_fully_redeemed(), n == 3);
    }
    assert_eq!(code(redeem(&it, NOW + 9)), "already_redeemed");
}

#[test]
fn redeem_refuses_revoked_and_wrong_product() {
    let p = product(|_| {});
    let mut it = item(&p, &customer(1));
    assert_eq!(
        code(redeem_in_product(Uuid::new_v4(), &it, NOW)),
        "wrong_product"
    );
    it.revoked = true;
    assert_eq!(code(redeem(&it, NOW)), "revoked");
}

// ------------------------------------------------------------------ transfer

#[test]
fn transfer_rules_in_order() {
    let sender = customer(1);
    let to = customer(2);
    let nt = product(|_| {});
    let it = item(&nt, &sender);
    assert_eq!(
        code(check_transfer(&nt, &it, sender.id, &to, 0)),
        "not_transferable"
    );

    let p = product(|i| {
        i.is_transferable = Some(true);
        i.max_per_account = Some(1)
    });
    let it = item(&p, &sender);
    assert_eq!(
        code(check_transfer(&p, &it, to.id, &customer(3), 0)),
        "not_owner"
    );
    assert_eq!(
        code(check_transfer(&p, &it, sender.id, &sender, 0)),
        "self_transfer"
    );
    assert_eq!(
        code(check_transfer(&p, &it, sender.id, &to, 1)),
        "max_per_account"
    );
    let other = product(|i| i.is_transferable = Some(true));
    assert_eq!(
        code(check_transfer(&other, &it, sender.id, &to, 0)),
        "wrong_product"
    );
    let used = redeem(&it, NOW).unwrap();
    assert_eq!(
        code(check_transfer(&p, &used, sender.id, &to, 0)),
        "already_redeemed"
    );
    let mut revoked = it.clone();
    revoked.revoked = true;
    assert_eq!(
        code(check_transfer(&p, &revoked, sender.id, &to, 0)),
        "revoked"
    );

    check_transfer(&p, &it, sender.id, &to, 0).unwrap();
    let moved = transfer(&it, to.id);
    assert_eq!(moved.owner_id, to.id);
    assert_eq!((moved.id, moved.item_id), (it.id, it.item_id));
}
