//! Reward offers (PERS): rows, API records, redemptions.

use crate::db::{Connection, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{RewardGrant, RewardOffer};

use super::rows::*;
use crate::error::{Error, Result};
use crate::model::*;

pub(crate) const REWARD_COLS: &str = "id, name, description, credit_cost, grant_product_id, grant_quantity, supply_total, redeemed_count, max_per_user, min_tier_id, country_restrictions, tags, ord, active, created_at, updated_at, image_url";

pub(crate) struct RewardRow {
    pub(crate) o: RewardOffer,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

pub(crate) fn reward_from_row(r: &Row) -> Result<RewardRow> {
    Ok(RewardRow {
        o: RewardOffer {
            id: uuid_at(r, 0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            credit_cost: r.get(3)?,
            grants: match opt_uuid_at(r, 4)? {
                Some(product_id) => Some(RewardGrant {
                    product_id,
                    quantity: r.get::<Option<u32>>(5)?.unwrap_or(1),
                }),
                None => None,
            },
            image_url: r.get(16)?,
            supply_total: opt_u64(r.get(6)?),
            redeemed_count: opt_u64(r.get(7)?).unwrap_or(0),
            max_per_user: opt_u64(r.get(8)?),
            min_tier_id: r.get(9)?,
            country_restrictions: json_at(r, 10)?,
            tags: json_at(r, 11)?,
            order: r.get(12)?,
            active: r.get(13)?,
        },
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

pub(crate) fn reward_out(row: &RewardRow) -> RewardOut {
    let o = &row.o;
    RewardOut {
        id: o.id,
        name: o.name.clone(),
        description: o.description.clone(),
        credit_cost: o.credit_cost,
        grants: o.grants.as_ref().map(|g| GrantBody {
            product_id: g.product_id,
            quantity: g.quantity,
        }),
        image_url: o.image_url.clone(),
        supply: SupplyOut {
            available: o.available(),
            total: o.supply_total,
        },
        redeemed_count: o.redeemed_count,
        max_per_user: o.max_per_user,
        min_tier_id: o.min_tier_id,
        country_restrictions: o.country_restrictions.clone(),
        tags: o.tags.clone(),
        order: o.order,
        active: o.active,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}

pub(crate) fn require_reward(conn: &Connection, id: Uuid) -> Result<RewardRow> {
    conn.prepare_cached(&format!("SELECT {REWARD_COLS} FROM rewards WHERE id = ?1"))?
        .query_row([id.to_string()], reward_from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("reward {id}")))
}

pub(crate) fn write_reward(
    tx: &Connection,
    o: &RewardOffer,
    iso: &str,
    insert: bool,
) -> Result<()> {
    let sql = if insert {
        "INSERT INTO rewards (id, name, description, credit_cost, grant_product_id, grant_quantity, supply_total, redeemed_count,
            max_per_user, min_tier_id, country_restrictions, tags, ord, active, created_at, updated_at, image_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16)"
    } else {
        "UPDATE rewards SET name = ?2, description = ?3, credit_cost = ?4, grant_product_id = ?5, grant_quantity = ?6,
            supply_total = ?7, redeemed_count = ?8, max_per_user = ?9, min_tier_id = ?10, country_restrictions = ?11,
            tags = ?12, ord = ?13, active = ?14, updated_at = ?15, image_url = ?16
         WHERE id = ?1"
    };
    tx.prepare_cached(sql)?.execute(params![
        o.id.to_string(),
        o.name,
        o.description,
        o.credit_cost,
        o.grants.as_ref().map(|g| g.product_id.to_string()),
        o.grants.as_ref().map(|g| g.quantity),
        o.supply_total.map(to_i64),
        to_i64(o.redeemed_count),
        o.max_per_user.map(to_i64),
        o.min_tier_id,
        serde_json::to_string(&o.country_restrictions)?,
        serde_json::to_string(&o.tags)?,
        o.order,
        o.active,
        iso,
        o.image_url
    ])?;
    Ok(())
}

pub(crate) const REDEEM_SELECT: &str = "SELECT id, reward_id, user_id, country, credits_spent, redeemed_at, created_at FROM reward_redeems";

pub(crate) fn redeem_from_row(r: &Row) -> Result<RedeemOut> {
    Ok(RedeemOut {
        id: uuid_at(r, 0)?,
        reward_id: uuid_at(r, 1)?,
        user_id: uuid_at(r, 2)?,
        country: r.get(3)?,
        credits_spent: r.get(4)?,
        redeemed_at: r.get(5)?,
        created_at: r.get(6)?,
        items: None,
        credits_balance: None,
    })
}
