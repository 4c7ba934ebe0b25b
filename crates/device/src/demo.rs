//! A demo catalog: one event, products of all three types, status tiers, a reward
//! offer, claim codes, and `customers` customers each holding one admission ticket.
//! Deterministic for a given seed, so a support person sees the same names twice.

use rand::{Rng, SeedableRng, rngs::StdRng};
use uuid::Uuid;
use wicket_domain::*;

use crate::replica::{Catalog, Replica};

const FIRST: &[&str] = &[
    "Ada", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Luca", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Almeida", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen", "Ibrahim",
    "Jensen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi",
    "Silva", "Tanaka", "Uysal", "Novak", "Weber", "Yilmaz", "Zhang",
];

fn uuid_from(rng: &mut StdRng) -> Uuid {
    // Version-4 layout from the seeded generator: stable across runs.
    uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()
}

/// The ids of the demo's fixed parts, for scripts and tests.
pub struct DemoIds {
    pub event: Uuid,
    pub admission: Uuid,
    pub presale: Uuid,
    pub perks: Uuid,
    pub reward: Uuid,
}

/// Build the demo catalog; `now` anchors the event and sale windows.
pub fn catalog(customers: usize, now: Timestamp) -> Result<(Catalog, DemoIds), DomainError> {
    let mut rng = StdRng::seed_from_u64(0x5749_434B_4554);
    let event = Event {
        id: uuid_from(&mut rng),
        name: "Wicket Summer Festival".into(),
        start_date: now + 3_600,
        end_date: now + 14 * 3_600,
        location: "Riverside Arena".into(),
        address: "1 Quay Street".into(),
        description: Some("Demo event".into()),
        reference_id: Some("demo-festival".into()),
    };
    let product = |id: Uuid, input: ProductInput| input.into_product(id);
    let admission = product(
        uuid_from(&mut rng),
        ProductInput {
            product_type: Some("admission".into()),
            name: Some("General Admission".into()),
            event_id: Some(event.id),
            price: Some("49.00".into()),
            currency: Some("EUR".into()),
            prices: Some(vec![PriceInput {
                currency: "USD".into(),
                amount: "53.00".into(),
            }]),
            stock: Some(customers as i64 + 5_000),
            max_per_account: Some(6),
            slug: Some("general-admission".into()),
            tags: Some(vec!["festival".into()]),
            ..Default::default()
        },
    )?;
    let presale = product(
        uuid_from(&mut rng),
        ProductInput {
            product_type: Some("presale".into()),
            name: Some("VIP Early Entry".into()),
            event_id: Some(event.id),
            price: Some("89.50".into()),
            stock: Some(200),
            slug: Some("vip-early-entry".into()),
            max_per_account: Some(2),
            is_transferable: Some(true),
            order_rules: Some(vec![OrderRule {
                id: uuid_from(&mut rng),
                start_at: None,
                end_at: None,
                purchase_limit: Some(2),
            }]),
            ..Default::default()
        },
    )?;
    let perks = product(
        uuid_from(&mut rng),
        ProductInput {
            product_type: Some("perks".into()),
            name: Some("Drink Voucher (3 drinks)".into()),
            event_id: Some(event.id),
            price: Some("12.00".into()),
            redemption_quantity: Some(3),
            is_transferable: Some(true),
            is_claimable: Some(true),
            slug: Some("drink-voucher".into()),
            ..Default::default()
        },
    )?;
    let tiers = vec![
        StatusTier {
            id: 1,
            name: "Silver".into(),
            min_token_balance: 100,
            discount_percentage: Decimal::new(5, 0),
        },
        StatusTier {
            id: 2,
            name: "Gold".into(),
            min_token_balance: 500,
            discount_percentage: Decimal::new(125, 1),
        },
    ];
    let mut people = Vec::with_capacity(customers);
    let mut items = Vec::with_capacity(customers);
    for n in 0..customers {
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = LAST[rng.gen_range(0..LAST.len())];
        let id = uuid_from(&mut rng);
        people.push(Customer {
            id,
            email: format!("{}.{n}@example.com", first.to_lowercase()),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            reputation: rng.gen_range(0..50),
            credits: rng.gen_range(0..500),
            status_balance: [0, 0, 0, 150, 600][rng.gen_range(0..5)],
            country: Some(["FR", "ES", "DE", "PT", "GB"][rng.gen_range(0..5)].into()),
        });
        items.push(Item {
            id: uuid_from(&mut rng),
            product_id: admission.id,
            item_id: n as u64 + 1,
            owner_id: id,
            redemption_count: 0,
            redemption_quantity: 1,
            redeemed_at: None,
            origin: ItemOrigin::Issue,
            revoked: false,
            created_at: now,
        });
    }
    let reward = RewardOffer {
        id: uuid_from(&mut rng),
        name: "Free drink voucher".into(),
        description: Some("Swap 100 credits for a 3-drink voucher".into()),
        credit_cost: 100,
        grants: Some(RewardGrant {
            product_id: perks.id,
            quantity: 1,
        }),
        image_url: None,
        supply_total: Some(1_000),
        redeemed_count: 0,
        max_per_user: Some(2),
        min_tier_id: None,
        country_restrictions: vec!["NOT_GB".into()],
        tags: vec!["drinks".into()],
        order: 1,
        active: true,
    };
    let claim_codes = (0..20)
        .map(|_| ClaimCode {
            code: uuid_from(&mut rng),
            product_id: perks.id,
            claimed_by: None,
            claimed_at: None,
        })
        .collect();
    let ids = DemoIds {
        event: event.id,
        admission: admission.id,
        presale: presale.id,
        perks: perks.id,
        reward: reward.id,
    };
    Ok((
        Catalog {
            events: vec![event],
            products: vec![admission, presale, perks],
            customers: people,
            tiers,
            reward_offers: vec![reward],
            items,
            claim_codes,
        },
        ids,
    ))
}

/// Demo staff and their PINs (printed by the run command; never use them for real).
pub use wicket_domain::DEMO_STAFF;

/// Load the demo catalog (10,000 customers) and the demo staff into a replica.
pub fn install(r: &mut Replica) -> crate::Result<DemoIds> {
    install_with(r, 10_000)
}

/// [`install`] with a chosen number of customers (one ticket each).
pub fn install_with(r: &mut Replica, customers: usize) -> crate::Result<DemoIds> {
    let (cat, ids) = catalog(customers, r.now())?;
    r.load_catalog(&cat)?;
    add_demo_staff(r)?;
    Ok(ids)
}

/// Add the demo staff ([`DEMO_STAFF`]) that are not there yet.
pub fn add_demo_staff(r: &mut Replica) -> crate::Result<()> {
    let have: Vec<String> = r.staff()?.into_iter().map(|s| s.name).collect();
    for (name, role, _pin, hash) in DEMO_STAFF {
        if !have.iter().any(|h| h == name) {
            r.add_staff_hashed(name, *role, hash)?;
        }
    }
    Ok(())
}
