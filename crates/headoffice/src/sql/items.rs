//! Items and sales: rows, API records, storing planned items, pages.

use std::collections::HashMap;

use crate::db::{Connection, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{Customer, Item, ItemOrigin, Product};

use super::rows::*;
use super::users::*;
use crate::error::{Error, Result};
use crate::model::*;

pub(crate) const ITEM_SELECT: &str =
    "SELECT i.id, i.product_id, i.item_id, i.owner_id, i.redemption_count, i.redemption_quantity,
       i.redeemed_at, i.origin, i.revoked, i.issued_at, i.created_at, i.updated_at,
       u.email, u.first_name, u.last_name, p.name, p.type, p.redemption_quantity,
       n.state, n.chain, n.collection_id, n.owner_address, n.extrinsic_hash, n.block_hash,
       n.metadata_extrinsic_hash, n.attempts, n.last_error_code, n.last_error
  FROM items i JOIN users u ON u.id = i.owner_id JOIN products p ON p.id = i.product_id
  LEFT JOIN nft_mints n ON n.item_uuid = i.id";

pub(crate) struct ItemRow {
    pub(crate) item: Item,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) user: ItemUser,
    pub(crate) product: ItemProduct,
    pub(crate) nft: crate::mint_store::NftOut,
}

pub(crate) fn item_from_row(r: &Row) -> Result<ItemRow> {
    let origin: String = r.get(7)?;
    let item = Item {
        id: uuid_at(r, 0)?,
        product_id: uuid_at(r, 1)?,
        item_id: opt_u64(r.get(2)?).unwrap_or(0),
        owner_id: uuid_at(r, 3)?,
        redemption_count: r.get(4)?,
        redemption_quantity: r.get(5)?,
        redeemed_at: r.get(6)?,
        origin: ItemOrigin::parse(&origin).ok_or_else(|| bad_stored("item origin"))?,
        revoked: r.get(8)?,
        created_at: r.get(9)?,
    };
    Ok(ItemRow {
        user: ItemUser {
            id: item.owner_id,
            email: r.get(12)?,
            first_name: r.get(13)?,
            last_name: r.get(14)?,
        },
        product: ItemProduct {
            id: item.product_id,
            name: r.get(15)?,
            product_type: r.get(16)?,
            redemption_quantity: r.get(17)?,
        },
        item,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        nft: crate::mint_store::nft_from_row(r, 18)?,
    })
}

pub(crate) fn item_out(row: &ItemRow) -> ItemOut {
    let i = &row.item;
    ItemOut {
        id: i.id,
        product_id: i.product_id,
        item_id: i.item_id,
        redemption_count: i.redemption_count,
        redemption_quantity: i.redemption_quantity,
        is_fully_redeemed: i.is_fully_redeemed(),
        redeemed_at: i.redeemed_at,
        origin: i.origin.as_str().to_string(),
        revoked: i.revoked,
        user_id: row.user.id,
        user: row.user.clone(),
        product: row.product.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        nft: row.nft.clone(),
    }
}

pub(crate) fn find_item(conn: &Connection, id: Uuid) -> Result<Option<ItemRow>> {
    conn.prepare_cached(&format!(
        "{ITEM_SELECT} WHERE i.id = ?1{}",
        // In a PostgreSQL write: hold the item (its scan count) until commit.
        conn.for_update_of("i")
    ))?
    .query_row([id.to_string()], item_from_row)
    .optional()
}

pub(crate) fn require_item(conn: &Connection, id: Uuid) -> Result<ItemRow> {
    find_item(conn, id)?.ok_or_else(|| Error::not_found(format!("item {id}")))
}

/// How many live items of `product` `owner` holds now.
pub(crate) fn holding(conn: &Connection, product: Uuid, owner: Uuid) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM items WHERE product_id = ?1 AND owner_id = ?2 AND revoked = 0",
        )?
        .query_row(params![product.to_string(), owner.to_string()], |r| {
            r.get(0)
        })?;
    Ok(opt_u64(Some(n)).unwrap_or(0))
}

/// New items as the API answers them (no read back: they were just written).
pub(crate) fn items_out(
    product: &Product,
    items: &[Item],
    owners: &HashMap<Uuid, Customer>,
    iso: &str,
) -> Result<Vec<ItemOut>> {
    let p = ItemProduct {
        id: product.id,
        name: product.name.clone(),
        product_type: product.product_type.as_str().to_string(),
        redemption_quantity: product.redemption_quantity,
    };
    items
        .iter()
        .map(|i| {
            let owner = owners
                .get(&i.owner_id)
                .ok_or_else(|| Error::Storage("item of an unresolved owner".into()))?;
            Ok(ItemOut {
                id: i.id,
                product_id: i.product_id,
                item_id: i.item_id,
                redemption_count: i.redemption_count,
                redemption_quantity: i.redemption_quantity,
                is_fully_redeemed: i.is_fully_redeemed(),
                redeemed_at: i.redeemed_at,
                origin: i.origin.as_str().to_string(),
                revoked: i.revoked,
                user_id: owner.id,
                user: item_user(owner),
                product: p.clone(),
                created_at: iso.to_string(),
                updated_at: iso.to_string(),
                nft: crate::mint_store::initial_nft(product),
            })
        })
        .collect()
}

// ------------------------------------------------------------------ sales

pub(crate) const SALE_SELECT: &str = "SELECT s.id, s.order_number, s.product_id, s.quantity, s.currency, s.unit_price, s.subtotal,
       s.discount_percentage, s.discount, s.total, s.payment_method, s.buyer_id, u.email, u.first_name, u.last_name,
       s.device_id, s.sold_at, s.created_at, s.payments
  FROM sales s JOIN users u ON u.id = s.buyer_id";

pub(crate) fn sale_from_row(r: &Row) -> Result<SaleOut> {
    Ok(SaleOut {
        id: uuid_at(r, 0)?,
        order_number: r.get(1)?,
        product_id: uuid_at(r, 2)?,
        quantity: r.get(3)?,
        currency: r.get(4)?,
        unit_price: r.get(5)?,
        subtotal: r.get(6)?,
        discount_percentage: r.get(7)?,
        discount: r.get(8)?,
        total: r.get(9)?,
        payment_method: r.get(10)?,
        buyer: ItemUser {
            id: uuid_at(r, 11)?,
            email: r.get(12)?,
            first_name: r.get(13)?,
            last_name: r.get(14)?,
        },
        device_id: opt_uuid_at(r, 15)?,
        sold_at: r.get(16)?,
        created_at: r.get(17)?,
        items: None,
        payments: super::rows::parts_at(r, 18)?,
        refunded: "0".into(),
        refunded_item_ids: Vec::new(),
    })
}
