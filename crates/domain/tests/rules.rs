//! One test (at least) per rule and per error code of the rulebook.

use std::collections::HashMap;
use std::str::FromStr;

use uuid::Uuid;
use wicket_domain::*;

const NOW: i64 = 1_800_000_000;

fn product(edit: impl FnOnce(&mut ProductInput)) -> Product {
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

fn customer(n: u8) -> Customer {
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

fn item(p: &Product, owner: &Customer) -> Item {
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

fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.expect_err("expected a refusal").code()
}

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

// ------------------------------------------------------------------ sell

fn tiers() -> Vec<StatusTier> {
    vec![
        StatusTier {
            id: 1,
            name: "Silver".into(),
            min_token_balance: 100,
            discount_percentage: Decimal::from_str("5").unwrap(),
        },
        StatusTier {
            id: 2,
            name: "Gold".into(),
            min_token_balance: 500,
            discount_percentage: Decimal::from_str("12.5").unwrap(),
        },
    ]
}

#[test]
fn tier_is_highest_reached() {
    let t = tiers();
    assert_eq!(tier_for(99, &t), None);
    assert_eq!(tier_for(100, &t).map(|x| x.id), Some(1));
    assert_eq!(tier_for(10_000, &t).map(|x| x.id), Some(2));
}

#[test]
fn sale_total_is_exact_with_rounded_discount() {
    let p = product(|i| i.price = Some("9.99".into()));
    let t = tiers();
    let q = quote_sale(&p, None, 3, tier_for(600, &t)).unwrap();
    assert_eq!(q.subtotal.to_string(), "29.97");
    // 29.97 × 12.5% = 3.74625 -> 3.75 (half away from zero at cents)
    assert_eq!(q.discount.to_string(), "3.75");
    assert_eq!(q.total.to_string(), "26.22");
    let q = quote_sale(&p, Some("EUR"), 1, None).unwrap();
    assert_eq!(
        (q.discount.is_zero(), q.total.to_string()),
        (true, "9.99".to_string())
    );
    // 0.10 × 5% = 0.005 -> 0.01: the midpoint goes away from zero
    let cheap = product(|i| i.price = Some("0.10".into()));
    let q = quote_sale(&cheap, None, 1, tier_for(100, &t)).unwrap();
    assert_eq!(q.discount.to_string(), "0.01");
}

#[test]
fn sale_needs_a_price_in_the_currency_and_a_sane_quantity() {
    let p = product(|_| {});
    assert_eq!(code(quote_sale(&p, Some("USD"), 1, None)), "no_price");
    assert_eq!(code(quote_sale(&p, None, 0, None)), "invalid_quantity");
    assert_eq!(
        code(quote_sale(&p, None, MAX_SALE_QUANTITY + 1, None)),
        "invalid_quantity"
    );
    let free = product(|i| i.price = None);
    assert_eq!(code(quote_sale(&free, None, 1, None)), "no_price");
}

#[test]
fn order_rules_limit_purchases_inside_their_window() {
    let rule = OrderRule {
        id: Uuid::new_v4(),
        start_at: Some(NOW - 100),
        end_at: Some(NOW + 100),
        purchase_limit: Some(4),
    };
    let p = product(|i| i.order_rules = Some(vec![rule.clone()]));
    assert!(check_order_rules(&p, 2, NOW, |_| 2).is_ok());
    assert_eq!(
        check_order_rules(&p, 3, NOW, |_| 2).unwrap_err(),
        DomainError::PurchaseLimit {
            limit: 4,
            already: 2
        }
    );
    // outside the rule's window the rule does not apply
    assert!(check_order_rules(&p, 30, NOW + 100, |_| 2).is_ok());
}

#[test]
fn plan_sale_combines_price_rules_and_issue() {
    let p = product(|i| {
        i.stock = Some(5);
        i.max_per_account = Some(4)
    });
    let mut buyer = customer(1);
    buyer.status_balance = 150;
    let c = ProductCounters::new();
    let (q, plan) = plan_sale(&p, &c, &buyer, 0, 2, None, &tiers(), NOW, |_| 0).unwrap();
    assert_eq!(q.total.to_string(), "19.00");
    assert_eq!(plan.len(), 2);
    assert!(plan.iter().all(|x| x.owner_id == buyer.id));
    assert_eq!(
        code(plan_sale(&p, &c, &buyer, 3, 2, None, &tiers(), NOW, |_| 0)),
        "max_per_account"
    );
    let sold = ProductCounters {
        issued: 5,
        next_item_id: 6,
    };
    assert_eq!(
        code(plan_sale(
            &p,
            &sold,
            &buyer,
            0,
            1,
            None,
            &tiers(),
            NOW,
            |_| 0
        )),
        "stock_exhausted"
    );
    let draft = product(|i| i.status = Some("draft".into()));
    assert_eq!(
        code(plan_sale(
            &draft,
            &c,
            &buyer,
            0,
            1,
            None,
            &tiers(),
            NOW,
            |_| 0
        )),
        "not_published"
    );
}

// ------------------------------------------------------------------ claim

#[test]
fn claim_once_for_claimable_products() {
    let p = product(|i| i.is_claimable = Some(true));
    let mut claim = ClaimCode {
        code: Uuid::new_v4(),
        product_id: p.id,
        claimed_by: None,
        claimed_at: None,
    };
    assert!(check_claim(&p, &claim).is_ok());
    claim.claimed_by = Some(customer(1).id);
    assert_eq!(code(check_claim(&p, &claim)), "claim_used");
    let not = product(|_| {});
    let fresh = ClaimCode {
        code: Uuid::new_v4(),
        product_id: not.id,
        claimed_by: None,
        claimed_at: None,
    };
    assert_eq!(code(check_claim(&not, &fresh)), "not_claimable");
    assert_eq!(code(check_claim(&p, &fresh)), "wrong_product");
}

#[test]
fn claim_codes_parse_from_code_or_url() {
    let c = Uuid::new_v4();
    assert_eq!(parse_claim_code(&c.to_string()).unwrap(), c);
    assert_eq!(
        parse_claim_code(&format!("https://venue.example/claim/{c}?src=mail")).unwrap(),
        c
    );
    assert_eq!(
        parse_claim_code(&format!("https://venue.example/claim/{c}/")).unwrap(),
        c
    );
    assert_eq!(
        code(parse_claim_code("https://venue.example/claim/nope")),
        "invalid_claim_code"
    );
}

// ------------------------------------------------------------------ rewards

fn offer(grants: Uuid) -> RewardOffer {
    RewardOffer {
        id: Uuid::new_v4(),
        name: "Drink".into(),
        description: None,
        credit_cost: 100,
        grants: Some(RewardGrant {
            product_id: grants,
            quantity: 2,
        }),
        image_url: None,
        supply_total: Some(10),
        redeemed_count: 0,
        max_per_user: Some(1),
        min_tier_id: Some(1),
        country_restrictions: vec!["NOT_ES".into()],
        tags: vec![],
        order: 0,
        active: true,
    }
}

fn rich() -> Customer {
    let mut c = customer(1);
    c.credits = 150;
    c.status_balance = 100;
    c
}

#[test]
fn reward_refusals_each_have_their_code() {
    let p = product(|_| {});
    let t = tiers();
    let base = offer(p.id);
    let mut o = base.clone();
    o.active = false;
    assert_eq!(code(check_reward(&o, &rich(), 0, &t)), "reward_inactive");
    let mut o = base.clone();
    o.redeemed_count = 10;
    assert_eq!(code(check_reward(&o, &rich(), 0, &t)), "supply_exhausted");
    assert_eq!(code(check_reward(&base, &rich(), 1, &t)), "max_per_user");
    let mut low = rich();
    low.status_balance = 99;
    assert_eq!(code(check_reward(&base, &low, 0, &t)), "tier_too_low");
    let mut o = base.clone();
    o.min_tier_id = Some(99);
    assert_eq!(code(check_reward(&o, &rich(), 0, &t)), "tier_too_low");
    let mut es = rich();
    es.country = Some("ES".into());
    assert_eq!(code(check_reward(&base, &es, 0, &t)), "country_restricted");
    let mut poor = rich();
    poor.credits = 99;
    assert_eq!(
        code(check_reward(&base, &poor, 0, &t)),
        "insufficient_credits"
    );
    assert!(check_reward(&base, &rich(), 0, &t).is_ok());
}

#[test]
fn country_restrictions_allow_and_deny() {
    let r = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(country_allowed(&[], Some("ES")));
    assert!(country_allowed(&[], None));
    assert!(country_allowed(&r(&["FR"]), Some("FR")));
    assert!(!country_allowed(&r(&["FR"]), Some("DE")));
    assert!(!country_allowed(&r(&["FR"]), None));
    assert!(!country_allowed(&r(&["NOT_ES"]), Some("ES")));
    assert!(country_allowed(&r(&["NOT_ES"]), Some("DE")));
    assert!(country_allowed(&r(&["NOT_ES"]), None));
    assert!(!country_allowed(&r(&["FR", "NOT_FR"]), Some("FR")));
    assert!(country_allowed(&r(&["fr"]), Some("fr")));
}

#[test]
fn reward_redemption_debits_takes_supply_and_issues() {
    let p = product(|_| {});
    let o = offer(p.id);
    let plan = plan_reward(
        &o,
        &rich(),
        0,
        &tiers(),
        &p,
        &ProductCounters::new(),
        0,
        NOW,
    )
    .unwrap();
    assert_eq!(plan.customer.credits, 50);
    assert_eq!(plan.offer.redeemed_count, 1);
    assert_eq!(plan.offer.available(), Some(9));
    assert_eq!(plan.items.len(), 2);
    let other = product(|_| {});
    assert_eq!(
        code(plan_reward(
            &o,
            &rich(),
            0,
            &tiers(),
            &other,
            &ProductCounters::new(),
            0,
            NOW
        )),
        "wrong_product"
    );
    // issue rules apply to what the reward grants
    let inactive = product(|i| i.active = Some(false));
    let o2 = offer(inactive.id);
    assert_eq!(
        code(plan_reward(
            &o2,
            &rich(),
            0,
            &tiers(),
            &inactive,
            &ProductCounters::new(),
            0,
            NOW
        )),
        "inactive"
    );
}

#[test]
fn reward_offer_validation() {
    let mut o = offer(Uuid::new_v4());
    assert!(validate_reward_offer(&o).is_ok());
    o.country_restrictions = vec!["NOT_SPAIN".into()];
    assert_eq!(code(validate_reward_offer(&o)), "invalid_field");
    let mut o = offer(Uuid::new_v4());
    o.credit_cost = -1;
    assert_eq!(code(validate_reward_offer(&o)), "invalid_field");
}

// ------------------------------------------------------------------ codes

#[test]
fn every_error_code_is_distinct_snake_case_and_in_api_form() {
    let all = vec![
        DomainError::InvalidField {
            field: "name",
            reason: "x".into(),
        },
        DomainError::InvalidPrice("x".into()),
        DomainError::MintNftIncomplete,
        DomainError::BatchTooLarge(551),
        DomainError::EmptyBatch,
        DomainError::UnknownRecipient(vec!["a".into()]),
        DomainError::InvalidQuantity { max: 1 },
        DomainError::Inactive,
        DomainError::NotPublished,
        DomainError::NotOnSale,
        DomainError::StockExhausted {
            available: 0,
            requested: 1,
        },
        DomainError::MaxItemsReached { max: 1 },
        DomainError::MaxPerAccount {
            user: "u".into(),
            would_hold: 2,
            max: 1,
        },
        DomainError::RepTooLow {
            user: "u".into(),
            balance: 0,
            required: 1,
        },
        DomainError::AlreadyRedeemed,
        DomainError::Revoked,
        DomainError::NotTransferable,
        DomainError::NotOwner,
        DomainError::SelfTransfer,
        DomainError::WrongProduct,
        DomainError::NoPrice("EUR".into()),
        DomainError::PurchaseLimit {
            limit: 1,
            already: 1,
        },
        DomainError::NotClaimable,
        DomainError::ClaimUsed,
        DomainError::InvalidClaimCode,
        DomainError::RewardInactive,
        DomainError::InsufficientCredits {
            balance: 0,
            cost: 1,
        },
        DomainError::SupplyExhausted,
        DomainError::MaxPerUser { already: 1, max: 1 },
        DomainError::TierTooLow {
            required: "Gold".into(),
        },
        DomainError::CountryRestricted("ES".into()),
    ];
    let mut codes: Vec<_> = all.iter().map(|e| e.code()).collect();
    for (e, c) in all.iter().zip(&codes) {
        assert!(
            c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{c}"
        );
        assert!(e.to_api_string().starts_with(&format!("{c}: ")));
    }
    let n = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), n, "codes must be distinct");
}

#[test]
fn ticket_validity_covers_the_event_and_issue_time() {
    let (start, end) = (1_000_000, 1_020_000);
    let opening = start - 12 * 3600;
    // Issued the day before: opens 12 h before the start, closes 6 h after the end.
    assert_eq!(
        ticket_validity(Some((start, end)), opening + 60).unwrap(),
        (opening, end + 6 * 3600)
    );
    // Issued earlier than that: valid from the moment of issue.
    assert_eq!(
        ticket_validity(Some((start, end)), 500_000).unwrap().0,
        500_000
    );
    // No event: a year from issue, with 5 minutes of clock slack.
    assert_eq!(
        ticket_validity(None, 2_000_000).unwrap(),
        (2_000_000 - 300, 2_000_000 + 365 * 86_400)
    );
}

#[test]
fn extreme_event_dates_are_refused_not_overflowed() {
    // Legal i64 dates whose window cannot be a ticket's: an error, never a panic.
    // An event in the first hours of 1970 opens at the epoch instead of wrapping.
    assert_eq!(
        ticket_validity(Some((4, 10)), 4).unwrap(),
        (0, 10 + 6 * 3600)
    );
    for (start, end) in [
        (1_000_000, 7_258_118_400), // ends in 2200
        (i64::MAX - 1, i64::MAX),
    ] {
        let e = ticket_validity(Some((start, end)), start).unwrap_err();
        assert_eq!(e.code(), "invalid_ticket_window", "{start}..{end}");
        let input = wicket_domain::EventInput {
            name: Some("Gig".into()),
            start_date: Some(start),
            end_date: Some(end),
            location: Some("Hall".into()),
            address: Some("1 Road".into()),
            ..Default::default()
        };
        assert!(
            input.into_event(uuid::Uuid::nil()).is_err(),
            "{start}..{end}"
        );
    }
    assert!(ticket_validity(None, i64::MAX).is_err());
    assert_eq!(
        ticket_validity(None, 4_290_000_000).unwrap().1,
        TICKET_TIME_MAX
    );
    assert!(ticket_validity(Some((i64::MIN, i64::MIN + 1)), 0).is_err());
}

#[test]
fn amounts_keep_to_their_currency_minor_unit() {
    use wicket_domain::{check_amount, minor_units};
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(minor_units("EUR"), 2);
    assert_eq!(minor_units("JPY"), 0);
    assert_eq!(minor_units("KWD"), 3);
    assert!(check_amount("EUR", d("49.99")).is_ok());
    assert!(check_amount("EUR", d("5.000")).is_ok());
    assert_eq!(
        check_amount("EUR", d("0.001")).unwrap_err().code(),
        "invalid_price"
    );
    assert!(check_amount("JPY", d("100.5")).is_err());
    assert!(check_amount("KWD", d("1.125")).is_ok());
}

#[test]
fn names_refuse_control_characters() {
    for bad in ["Dana\u{0}", "\u{1b}[31mRed", "Bell\u{7}"] {
        assert_eq!(
            wicket_domain::validate_name("name", bad)
                .unwrap_err()
                .code(),
            "invalid_field",
            "{bad:?}"
        );
    }
    let p = wicket_domain::ProductInput {
        product_type: Some("admission".into()),
        name: Some("Gig".into()),
        description: Some("Line one\nline two\tend".into()),
        ..Default::default()
    };
    assert!(p.into_product(uuid::Uuid::nil()).is_ok());
}

#[test]
fn a_recorded_sale_must_add_up() {
    use wicket_domain::{PaymentMethod, Sale, check_sale_figures};
    let d = |v: &str| v.parse::<rust_decimal::Decimal>().expect("decimal");
    let ok = Sale {
        id: uuid::Uuid::nil(),
        order_number: "D1-000001".into(),
        product_id: uuid::Uuid::nil(),
        quantity: 2,
        currency: "EUR".into(),
        unit_price: d("10.00"),
        discount: d("2.00"),
        total: d("18.00"),
        payment_method: PaymentMethod::Cash,
        buyer_id: uuid::Uuid::nil(),
        device_id: None,
        staff_id: None,
        created_at: 0,
        item_ids: vec![],
    };
    assert!(check_sale_figures(&ok, 2).is_ok());
    assert_eq!(
        check_sale_figures(&ok, 3).unwrap_err().code(),
        "invalid_field"
    );
    let wrong_total = Sale {
        total: d("20.00"),
        ..ok.clone()
    };
    assert!(check_sale_figures(&wrong_total, 2).is_err());
    let too_much_off = Sale {
        discount: d("21.00"),
        total: d("-1.00"),
        ..ok.clone()
    };
    assert!(check_sale_figures(&too_much_off, 2).is_err());
    let no_number = Sale {
        order_number: " ".into(),
        ..ok
    };
    assert!(check_sale_figures(&no_number, 2).is_err());
}
