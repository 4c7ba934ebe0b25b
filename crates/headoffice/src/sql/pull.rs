//! The SQLite side of the pull: pages of the change sequence (kept by triggers, see
//! `migrations/headoffice/0002_sync.sql`), each change the typed protocol record of
//! the entity's current state.

use crate::db::{Connection, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{self as domain, ClaimCode, Event, Role, StatusTier};
use wicket_protocol::{
    Change, ConflictRecord, Entity, ItemRecord, NftRecord, PROTOCOL_VERSION, PassageRecord,
    ProductRecord, PullResponse, RedemptionRecord, RevocationRecord, StaffRecord, TrustedKeyRecord,
};

use super::events::{EVENT_COLS, event_from_row};
use super::products::find_product_where;
use super::rewards::{REWARD_COLS, reward_from_row};
use super::rows::{decimal_at, now, opt_u64, opt_uuid_at, uuid_at};
use super::users::find_user;
use crate::error::{Error, Result};
use crate::mint_store::{NftOut, nft_from_row};
use crate::model::UserKey;

fn nft_record(n: NftOut) -> NftRecord {
    NftRecord {
        state: n.state,
        chain: n.chain,
        collection_id: n.collection_id,
        owner: n.owner,
        tx_hash: n.tx_hash,
        block_hash: n.block_hash,
        metadata_tx_hash: n.metadata_tx_hash,
        attempts: n.attempts,
        error_code: n.error_code,
        error: n.error,
    }
}

fn stored(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn origin_at(r: &Row, i: usize) -> Result<domain::ItemOrigin> {
    let s: String = r.get(i)?;
    domain::ItemOrigin::parse(&s)
        .ok_or_else(|| super::rows::conv_err(i, format!("item origin {s:?}")))
}

pub(crate) fn pull_changes(
    tx: &Connection,
    device: Uuid,
    since: i64,
    limit: u32,
    count: bool,
) -> Result<PullResponse> {
    // Called in one snapshot transaction: the page is consistent.
    let remaining = if count {
        let n: i64 = tx.query_row(
            "SELECT COUNT(*) FROM changes WHERE seq > ?1",
            [since],
            |r| r.get(0),
        )?;
        opt_u64(Some(n))
    } else {
        None
    };
    let mut changes = Vec::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT c.seq, c.entity, c.key, i.product_id, i.item_id, i.owner_id, i.redemption_count, \
             i.redemption_quantity, i.redeemed_at, i.origin, i.revoked, i.issued_at, i.id IS NOT NULL, \
             n.state, n.chain, n.collection_id, n.owner_address, n.extrinsic_hash, n.block_hash, \
             n.metadata_extrinsic_hash, n.attempts, n.last_error_code, n.last_error \
             FROM changes c LEFT JOIN items i ON c.entity = 'item' AND i.id = c.key \
             LEFT JOIN nft_mints n ON c.entity = 'item' AND n.item_uuid = c.key \
             WHERE c.seq > ?1 ORDER BY c.seq LIMIT ?2",
        )?;
        let mut rows = st.query(params![since, limit])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let entity: String = r.get(1)?;
            let key: String = r.get(2)?;
            let body = if entity == "item" {
                if r.get::<bool>(12)? {
                    let nft = nft_from_row(r, 13)?;
                    Some(Entity::Item(ItemRecord {
                        id: Uuid::parse_str(&key).map_err(stored)?,
                        product_id: uuid_at(r, 3)?,
                        item_id: opt_u64(Some(r.get(4)?)).unwrap_or(0),
                        owner_id: uuid_at(r, 5)?,
                        redemption_count: r.get(6)?,
                        redemption_quantity: r.get(7)?,
                        redeemed_at: r.get(8)?,
                        origin: origin_at(r, 9)?,
                        revoked: r.get(10)?,
                        created_at: r.get(11)?,
                        // Most items never mint: leave `nft` out rather than send
                        // "none" a million times.
                        nft: (nft.state != "none").then(|| nft_record(nft)),
                    }))
                } else {
                    None
                }
            } else {
                entity_data(tx, &entity, &key)?
            };
            changes.push(match body {
                Some(e) => Change::upsert(seq, key, &e).map_err(stored)?,
                None => Change::gone(seq, &entity, key),
            });
        }
    }
    let next = changes.last().map_or(since, |c| c.seq);
    let more = changes.len() as u64 == u64::from(limit);
    let (at, _) = now();
    tx.prepare_cached(
        "INSERT INTO device_sync (device_id, last_pull_at, last_pull_cursor) VALUES (?1, ?2, ?3) \
         ON CONFLICT (device_id) DO UPDATE SET last_pull_at = excluded.last_pull_at, \
         last_pull_cursor = excluded.last_pull_cursor",
    )?
    .execute(params![device.to_string(), at, next])?;
    Ok(PullResponse {
        protocol_version: PROTOCOL_VERSION,
        changes,
        next,
        more,
        remaining,
    })
}

fn entity_data(c: &Connection, entity: &str, key: &str) -> Result<Option<Entity>> {
    let id = || Uuid::parse_str(key).map_err(|e| Error::Storage(format!("change key {key}: {e}")));
    Ok(match entity {
        "event" => c
            .prepare_cached(&format!("SELECT {EVENT_COLS} FROM events WHERE id = ?1"))?
            .query_row([key], event_from_row)
            .optional()?
            .map(|e| {
                Entity::Event(Event {
                    id: e.id,
                    name: e.name,
                    start_date: e.start_date,
                    end_date: e.end_date,
                    location: e.location,
                    address: e.address,
                    description: e.description,
                    reference_id: e.reference_id,
                })
            }),
        "product" => find_product_where(c, "id", key)?.map(|row| {
            Entity::Product(Box::new(ProductRecord {
                product: row.p,
                issued: row.counters.issued,
                next_item_id: row.counters.next_item_id,
            }))
        }),
        "customer" => find_user(c, &UserKey::Id(id()?))?.map(|u| Entity::Customer(u.c)),
        "tier" => c
            .prepare_cached(
                "SELECT id, name, min_token_balance, discount_percentage FROM status_tiers WHERE CAST(id AS TEXT) = ?1",
            )?
            .query_row([key], |r| {
                Ok(StatusTier {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    min_token_balance: r.get(2)?,
                    discount_percentage: decimal_at(r, 3)?,
                })
            })
            .optional()?
            .map(Entity::Tier),
        "reward_offer" => c
            .prepare_cached(&format!("SELECT {REWARD_COLS} FROM rewards WHERE id = ?1"))?
            .query_row([key], reward_from_row)
            .optional()?
            .map(|r| Entity::RewardOffer(r.o)),
        "claim_code" => c
            .prepare_cached(
                "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1",
            )?
            .query_row([key], |r| {
                Ok(ClaimCode {
                    code: uuid_at(r, 0)?,
                    product_id: uuid_at(r, 1)?,
                    claimed_by: opt_uuid_at(r, 2)?,
                    claimed_at: r.get(3)?,
                })
            })
            .optional()?
            .map(Entity::ClaimCode),
        "staff" => {
            let row: Option<(String, String, String, bool)> = c
                .prepare_cached("SELECT name, role, pin_hash, active FROM staff WHERE id = ?1")?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            match row {
                None => None,
                Some((name, role, pin_hash, active)) => Some(Entity::Staff(StaffRecord {
                    id: id()?,
                    name,
                    role: Role::parse(&role).ok_or_else(|| stored(format!("staff role {role:?}")))?,
                    pin_hash,
                    active,
                })),
            }
        }
        "trusted_key" if key == "headoffice" => c
            .query_row(
                "SELECT value FROM ho_meta WHERE key = 'public_key'",
                (),
                |r| r.get::<String>(0),
            )
            .optional()?
            .map(|pk| {
                Entity::TrustedKey(TrustedKeyRecord {
                    public_key: pk,
                    owner: "headoffice".into(),
                    revoked_at: None,
                    trusted_until: None,
                })
            }),
        // A retired head office key, trusted through its rotation's overlap.
        "trusted_key" if key.starts_with("headoffice:") => c
            .query_row(
                "SELECT public_key, retired_at FROM ho_keys WHERE key_id = ?1",
                params![key.trim_start_matches("headoffice:")],
                |r| {
                    Ok(Entity::TrustedKey(TrustedKeyRecord {
                        public_key: r.get(0)?,
                        owner: "headoffice".into(),
                        revoked_at: None,
                        trusted_until: Some(r.get(1)?),
                    }))
                },
            )
            .optional()?,
        "trusted_key" => c
            .prepare_cached("SELECT public_key, revoked_at FROM devices WHERE id = ?1")?
            .query_row([key], |r| {
                Ok(Entity::TrustedKey(TrustedKeyRecord {
                    public_key: r.get(0)?,
                    owner: format!("device:{key}"),
                    revoked_at: r.get(1)?,
                    trusted_until: None,
                }))
            })
            .optional()?,
        "revocation" => c
            .prepare_cached("SELECT revoked_at, reason FROM revocations WHERE item = ?1")?
            .query_row([key], |r| Ok((r.get::<i64>(0)?, r.get(1)?)))
            .optional()?
            .map(|(revoked_at, reason)| -> Result<Entity> {
                Ok(Entity::Revocation(RevocationRecord {
                    item: id()?,
                    revoked_at,
                    reason,
                }))
            })
            .transpose()?,
        "conflict" => c
            .prepare_cached(
                "SELECT op_id, device_id, kind, item, code, detail, at FROM sync_conflicts WHERE id = ?1",
            )?
            .query_row([key], |r| {
                Ok((
                    uuid_at(r, 0)?,
                    uuid_at(r, 1)?,
                    r.get(2)?,
                    opt_uuid_at(r, 3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .optional()?
            .map(|(op_id, device_id, kind, item, code, detail, at)| -> Result<Entity> {
                Ok(Entity::Conflict(ConflictRecord {
                    id: id()?,
                    op_id,
                    device_id,
                    kind,
                    item,
                    code,
                    detail,
                    at,
                }))
            })
            .transpose()?,
        "redemption" => c
            .prepare_cached(
                "SELECT item, device_id, staff_id, gate, redeemed_at, conflict FROM redemptions WHERE id = ?1",
            )?
            .query_row([key], |r| {
                Ok((
                    uuid_at(r, 0)?,
                    uuid_at(r, 1)?,
                    opt_uuid_at(r, 2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?
            .map(|(item, device_id, staff_id, gate, redeemed_at, conflict)| -> Result<Entity> {
                Ok(Entity::Redemption(RedemptionRecord {
                    id: id()?,
                    item,
                    device_id,
                    staff_id,
                    gate,
                    redeemed_at,
                    conflict,
                }))
            })
            .transpose()?,
        "passage" => c
            .prepare_cached(
                "SELECT item, direction, gate, at, device_id FROM passages WHERE id = ?1",
            )?
            .query_row([key], |r| {
                Ok((
                    uuid_at(r, 0)?,
                    r.get::<String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    uuid_at(r, 4)?,
                ))
            })
            .optional()?
            .map(|(item, direction, gate, at, device_id)| -> Result<Entity> {
                Ok(Entity::Passage(PassageRecord {
                    id: id()?,
                    item,
                    direction: wicket_domain::Direction::parse(&direction)
                        .ok_or_else(|| super::rows::bad_stored("passage direction"))?,
                    gate,
                    at,
                    device_id,
                }))
            })
            .transpose()?,
        "zone" => super::zones::entity(c, key)?.map(Entity::Zone),
        "sale" => super::refunds::sale(c, key, false)?.map(Entity::Sale),
        "refund" => super::refunds::refund_entity(c, key)?.map(Entity::Refund),
        "refusal" => super::stats::refusal_entity(c, key)?.map(Entity::Refusal),
        _ => None,
    })
}
