//! The rulebook's sales, claims, rewards, ticket windows, money and error codes.

use std::str::FromStr;

use uuid::Uuid;
use wicket_domain::*;

mod common;
use common::*;

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
        payments: Vec::new(),
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
