//! The API's acts over SQLite: each runs its use case (`crate::usecase`) on this
//! transaction and shapes the answer; the same use cases apply devices' pushed ops.

use std::collections::HashMap;

use crate::db::Connection;
use uuid::Uuid;

use super::items::*;
use super::rows::now;
use super::tx::SqlTx;
use super::users::*;
use crate::error::Result;
use crate::model::*;
use crate::store::SaleRequest;
use crate::usecase::claim::{Numbering, claim};
use crate::usecase::reward::{RewardNumbering, redeem_reward};
use crate::usecase::transfer::{TransferInput, transfer};
use crate::usecase::{issue, sale};

pub(crate) fn op_issue(
    tx: &Connection,
    product: Uuid,
    users: Vec<Uuid>,
    emails: Vec<String>,
) -> Result<Vec<ItemOut>> {
    let (at, iso) = now();
    let done = issue::issue(&SqlTx(tx), product, &users, &emails, at)?;
    items_out(&done.product, &done.items, &done.owners, &iso)
}

pub(crate) fn op_transfer(
    tx: &Connection,
    product: Uuid,
    item: Uuid,
    sender: UserKey,
    recipient: UserKey,
) -> Result<TransferOut> {
    let (at, _) = now();
    let t = transfer(
        &SqlTx(tx),
        &TransferInput {
            id: Uuid::now_v7(),
            product: Some(product),
            item,
            from: sender,
            to: recipient,
            at,
        },
    )?;
    let moved = &t.item;
    Ok(TransferOut {
        product_item: TransferItemOut {
            id: moved.id,
            item_id: moved.item_id,
            product_id: moved.product_id,
            product_name: t.product.name.clone(),
            product_type: t.product.product_type.as_str().to_string(),
            redemption_count: moved.redemption_count,
            redemption_quantity: moved.redemption_quantity,
            is_fully_redeemed: moved.is_fully_redeemed(),
            redeemed_at: moved.redeemed_at,
        },
        previous_owner: item_user(&t.from),
        new_owner: item_user(&t.to),
        transferred_at: at,
    })
}

pub(crate) fn op_sale(tx: &Connection, req: SaleRequest) -> Result<SaleOut> {
    let (at, iso) = now();
    let s = sale::sell(&SqlTx(tx), &req, at)?;
    let owners = HashMap::from([(s.buyer.id, s.buyer.clone())]);
    let items = items_out(&s.product, &s.items, &owners, &iso)?;
    let q = &s.quote;
    Ok(SaleOut {
        id: s.row.sale.id,
        order_number: s.row.sale.order_number.clone(),
        product_id: s.product.id,
        quantity: q.quantity,
        currency: q.currency.clone(),
        unit_price: q.unit_price.to_string(),
        subtotal: q.subtotal.to_string(),
        discount_percentage: q.discount_percentage.to_string(),
        discount: q.discount.to_string(),
        total: q.total.to_string(),
        payment_method: s.row.sale.payment_method.as_str().to_string(),
        buyer: item_user(&s.buyer),
        device_id: req.device_id,
        sold_at: at,
        created_at: iso,
        items: Some(items),
        payments: Vec::new(),
        refunded: "0".into(),
        refunded_item_ids: Vec::new(),
    })
}

pub(crate) fn op_redeem_reward(
    tx: &Connection,
    id: Uuid,
    user: UserKey,
    country: Option<String>,
) -> Result<RedeemOut> {
    let (at, iso) = now();
    let r = redeem_reward(
        &SqlTx(tx),
        id,
        &user,
        country.as_deref(),
        RewardNumbering::HeadOffice,
        at,
    )?;
    let granted = r
        .offer
        .grants
        .as_ref()
        .ok_or(wicket_domain::DomainError::RewardGrantsNothing)?;
    let granted = crate::usecase::issue::product(&SqlTx(tx), granted.product_id)?.0;
    let owners = HashMap::from([(r.customer.id, r.customer.clone())]);
    let items = items_out(&granted, &r.items, &owners, &iso)?;
    Ok(RedeemOut {
        id: r.row.id,
        reward_id: id,
        user_id: r.customer.id,
        country: r.row.country,
        credits_spent: r.row.credits_spent,
        redeemed_at: at,
        created_at: iso,
        items: Some(items),
        credits_balance: Some(r.customer.credits),
    })
}

pub(crate) fn op_claim(tx: &Connection, code: Uuid, user: UserKey) -> Result<ItemOut> {
    let (at, _) = now();
    let item = claim(&SqlTx(tx), code, &user, Numbering::HeadOffice, at)?;
    Ok(item_out(&require_item(tx, item.id)?))
}
