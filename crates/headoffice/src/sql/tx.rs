//! The storage traits ([`crate::storage`]) over one SQLite transaction: row I/O only.

use crate::db::{Connection, Dialect, OptionalExtension, Row};
use crate::params;
use uuid::Uuid;
use wicket_domain::{
    Allotment, ClaimCode, Customer, Event, Item, OrderRule, Product, ProductCounters, RewardOffer,
    Role, StatusTier, Timestamp,
};

use super::events::{domain_event, find_event, insert_event};
use super::items::{find_item, holding};
use super::products::{
    find_product_where, insert_product, insert_rule, save_counters, update_product_row,
};
use super::rewards::{REWARD_COLS, reward_from_row, write_reward};
use super::rows::{now, opt_u64, opt_uuid_at, to_i64, touch, uuid_at};
use super::users::{find_user, insert_user, load_tiers, post_ledger};
use crate::error::{Error, Result};
use crate::storage::*;

/// One SQLite transaction (or savepoint) as a [`Tx`].
pub struct SqlTx<'a>(pub &'a Connection);

pub(crate) const ALLOT_COLS: &str =
    "id, product_id, device_id, units, used, first_item_id, expires_at";

pub(crate) fn allot_from_row(r: &Row) -> Result<Allotment> {
    Ok(Allotment {
        id: uuid_at(r, 0)?,
        product_id: uuid_at(r, 1)?,
        device_id: uuid_at(r, 2)?,
        units: opt_u64(r.get(3)?).unwrap_or(0),
        used: opt_u64(r.get(4)?).unwrap_or(0),
        first_item_id: opt_u64(r.get(5)?).unwrap_or(0),
        expires_at: r.get(6)?,
    })
}

fn iso() -> String {
    now().1
}

impl Products for SqlTx<'_> {
    fn product(&self, id: Uuid) -> Result<Option<(Product, ProductCounters)>> {
        Ok(find_product_where(self.0, "id", &id.to_string())?.map(|r| (r.p, r.counters)))
    }

    fn save_counters(&self, id: Uuid, counters: &ProductCounters) -> Result<()> {
        save_counters(self.0, id, counters, &iso())
    }
}

impl Customers for SqlTx<'_> {
    fn customer(&self, key: &UserKey) -> Result<Option<Customer>> {
        Ok(find_user(self.0, key)?.map(|u| u.c))
    }

    fn insert_customer(&self, c: &Customer) -> Result<()> {
        insert_user(self.0, c, None, &iso())
    }

    fn alias_of(&self, id: Uuid) -> Result<Option<Uuid>> {
        self.0
            .prepare_cached("SELECT customer_id FROM customer_aliases WHERE alias_id = ?1")?
            .query_row([id.to_string()], |r| uuid_at(r, 0))
            .optional()
    }

    fn add_alias(&self, alias: Uuid, customer: Uuid) -> Result<()> {
        self.0.execute(
            "INSERT INTO customer_aliases (alias_id, customer_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![alias.to_string(), customer.to_string()],
        )?;
        Ok(())
    }

    fn post_ledger(&self, p: &LedgerPost<'_>) -> Result<()> {
        post_ledger(
            self.0,
            p.before,
            p.after,
            p.kind,
            p.reason,
            p.ref_id,
            p.at,
            &iso(),
        )
    }

    fn customers(&self, keys: &[UserKey]) -> Result<Vec<Option<Customer>>> {
        super::batch::customers(self.0, keys)
    }

    fn aliases_of(&self, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Uuid>> {
        super::batch::aliases_of(self.0, ids)
    }

    fn tiers(&self) -> Result<Vec<StatusTier>> {
        Ok(load_tiers(self.0)?.into_iter().map(|(t, _)| t).collect())
    }
}

impl Items for SqlTx<'_> {
    fn item(&self, id: Uuid) -> Result<Option<Item>> {
        Ok(find_item(self.0, id)?.map(|r| r.item))
    }

    fn holding(&self, product: Uuid, owner: Uuid) -> Result<u64> {
        holding(self.0, product, owner)
    }

    fn insert_items(&self, product: &Product, items: &[NewItemRow]) -> Result<()> {
        let iso = iso();
        super::batch::insert_items(self.0, items, &iso)?;
        let all: Vec<Item> = items.iter().map(|r| r.item.clone()).collect();
        let at = all.first().map_or(now().0, |i| i.created_at);
        crate::mint_store::enqueue(self.0, product, &all, at, &iso)
    }

    fn holdings(
        &self,
        product: Uuid,
        owners: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, u64>> {
        super::batch::holdings(self.0, product, owners)
    }

    fn set_redemption(&self, item: Uuid, count: u32, at: Timestamp) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE items SET redemption_count = ?2, redeemed_at = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![item.to_string(), count, at, iso()])?;
        Ok(())
    }

    fn set_owner(&self, item: Uuid, owner: Uuid) -> Result<()> {
        self.0.execute(
            "UPDATE items SET owner_id = ?2, updated_at = ?3 WHERE id = ?1",
            params![item.to_string(), owner.to_string(), iso()],
        )?;
        Ok(())
    }

    fn insert_transfer(
        &self,
        id: Uuid,
        item: Uuid,
        from: Uuid,
        to: Uuid,
        at: Timestamp,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO transfers (id, item_id, from_user_id, to_user_id, transferred_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id.to_string(),
                item.to_string(),
                from.to_string(),
                to.to_string(),
                at
            ],
        )?;
        Ok(())
    }

    fn revoke(&self, item: Uuid, at: Timestamp, reason: Option<&str>) -> Result<()> {
        self.0.execute(
            "INSERT INTO revocations (item, revoked_at, reason) VALUES (?1, ?2, ?3) \
             ON CONFLICT (item) DO UPDATE SET revoked_at = excluded.revoked_at, reason = excluded.reason",
            params![item.to_string(), at, reason],
        )?;
        self.0.execute(
            "UPDATE items SET revoked = 1, updated_at = ?2 WHERE id = ?1",
            params![item.to_string(), iso()],
        )?;
        Ok(())
    }
}

impl Redemptions for SqlTx<'_> {
    fn insert_redemption(&self, s: &Scan, conflict: bool, pending: bool) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO redemptions (id, item, product_id, device_id, staff_id, gate, redeemed_at, op_id, \
                 conflict, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                s.id.to_string(),
                s.item.to_string(),
                s.product_id.map(|x| x.to_string()),
                s.device.to_string(),
                s.staff_id.map(|x| x.to_string()),
                s.gate,
                s.at,
                s.op_id.to_string(),
                conflict,
                pending
            ])?;
        Ok(())
    }

    fn insert_passage(&self, p: &crate::storage::PassageRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO passages (id, item, direction, gate, at, device_id, staff_id, received_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                p.id.to_string(),
                p.item.to_string(),
                p.direction.as_str(),
                p.gate,
                p.at,
                p.device.to_string(),
                p.staff.map(|x| x.to_string()),
                super::rows::now().0
            ])?;
        Ok(())
    }

    fn insert_refusal(&self, r: &crate::storage::RefusalRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO refusals (id, code, item, product_id, gate, at, device_id, staff_id, received_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                r.id.to_string(),
                r.code,
                r.item.map(|x| x.to_string()),
                r.product_id.map(|x| x.to_string()),
                r.gate,
                r.at,
                r.device.to_string(),
                r.staff.map(|x| x.to_string()),
                super::rows::now().0
            ])?;
        Ok(())
    }

    fn pending_scans(&self, item: Uuid) -> Result<Vec<Scan>> {
        let mut st = self.0.prepare_cached(
            "SELECT id, op_id, product_id, device_id, staff_id, gate, redeemed_at FROM redemptions \
             WHERE item = ?1 AND pending = 1 ORDER BY redeemed_at, id",
        )?;
        let rows = st.query_map([item.to_string()], |r| {
            Ok(Scan {
                id: uuid_at(r, 0)?,
                op_id: uuid_at(r, 1)?,
                item,
                product_id: opt_uuid_at(r, 2)?,
                device: uuid_at(r, 3)?,
                staff_id: opt_uuid_at(r, 4)?,
                gate: r.get(5)?,
                at: r.get(6)?,
            })
        })?;
        rows.collect::<Result<_>>()
    }

    fn delete_redemption(&self, id: Uuid) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM redemptions WHERE id = ?1")?
            .execute([id.to_string()])?;
        Ok(())
    }

    fn insert_conflict(&self, c: &ConflictRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO sync_conflicts (id, op_id, device_id, kind, item, code, detail, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                Uuid::now_v7().to_string(),
                c.op_id.to_string(),
                c.device.to_string(),
                c.kind,
                c.item.map(|i| i.to_string()),
                c.code,
                c.detail,
                c.at
            ])?;
        Ok(())
    }
}

impl Sales for SqlTx<'_> {
    fn insert_sale(&self, r: &SaleRow) -> Result<()> {
        let s = &r.sale;
        // SQLite numbers a NULL seq itself; PostgreSQL draws it from its sequence.
        let seq = match self.0.dialect() {
            Dialect::Sqlite => "?1",
            Dialect::Postgres => "COALESCE(?1, nextval('sales_seq_seq'))",
        };
        self.0
            .prepare_cached(&format!(
                "INSERT INTO sales (seq, id, order_number, product_id, quantity, currency, unit_price, subtotal, \
                 discount_percentage, discount, total, payment_method, buyer_id, device_id, sold_at, created_at, \
                 payments) VALUES ({seq}, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ))?
            .execute(params![
                r.seq,
                s.id.to_string(),
                s.order_number,
                s.product_id.to_string(),
                s.quantity,
                s.currency,
                s.unit_price.to_string(),
                r.subtotal.to_string(),
                r.discount_percentage.to_string(),
                s.discount.to_string(),
                s.total.to_string(),
                s.payment_method.as_str(),
                s.buyer_id.to_string(),
                s.device_id.map(|d| d.to_string()),
                s.created_at,
                iso(),
                super::rows::json_parts(&s.payments)?
            ])?;
        Ok(())
    }

    fn bought_between(&self, buyer: Uuid, product: Uuid, from: i64, to: i64) -> Result<u64> {
        let n: i64 = self
            .0
            .prepare_cached(
                "SELECT COALESCE(SUM(quantity), 0) FROM sales \
                 WHERE buyer_id = ?1 AND product_id = ?2 AND sold_at >= ?3 AND sold_at < ?4",
            )?
            .query_row(
                params![buyer.to_string(), product.to_string(), from, to],
                |r| r.get(0),
            )?;
        Ok(opt_u64(Some(n)).unwrap_or(0))
    }

    fn next_sale_seq(&self) -> Result<i64> {
        // PostgreSQL: a sequence, so two processes never take the same number.
        let sql = match self.0.dialect() {
            Dialect::Sqlite => "SELECT COALESCE(MAX(seq), 0) + 1 FROM sales",
            Dialect::Postgres => "SELECT nextval('sales_seq_seq')",
        };
        self.0.query_row(sql, (), |r| r.get(0))
    }
}

impl Claims for SqlTx<'_> {
    fn claim_code(&self, code: Uuid) -> Result<Option<ClaimCode>> {
        self
            .0
            .prepare_cached(&format!(
                "SELECT code, product_id, claimed_by, claimed_at FROM claim_codes WHERE code = ?1{}",
                self.0.for_update()
            ))?
            .query_row([code.to_string()], |r| {
                Ok(ClaimCode {
                    code: uuid_at(r, 0)?,
                    product_id: uuid_at(r, 1)?,
                    claimed_by: opt_uuid_at(r, 2)?,
                    claimed_at: r.get(3)?,
                })
            })
            .optional()
    }

    fn mark_claimed(&self, code: Uuid, by: Uuid, at: Timestamp, item: Uuid) -> Result<()> {
        self.0.execute(
            "UPDATE claim_codes SET claimed_by = ?2, claimed_at = ?3, item = ?4 WHERE code = ?1",
            params![code.to_string(), by.to_string(), at, item.to_string()],
        )?;
        Ok(())
    }
}

impl Rewards for SqlTx<'_> {
    fn reward(&self, id: Uuid) -> Result<Option<RewardOffer>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {REWARD_COLS} FROM rewards WHERE id = ?1{}",
                self.0.for_update()
            ))?
            .query_row([id.to_string()], reward_from_row)
            .optional()?
            .map(|r| r.o))
    }

    fn redeems_by(&self, offer: Uuid, customer: Uuid) -> Result<u64> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1 AND user_id = ?2",
            params![offer.to_string(), customer.to_string()],
            |r| r.get(0),
        )?;
        Ok(opt_u64(Some(n)).unwrap_or(0))
    }

    fn save_reward(&self, offer: &RewardOffer) -> Result<()> {
        write_reward(self.0, offer, &iso(), false)
    }

    fn insert_reward_redeem(&self, r: &RewardRedeemRow) -> Result<()> {
        self.0.execute(
            "INSERT INTO reward_redeems (id, reward_id, user_id, country, credits_spent, redeemed_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.id.to_string(),
                r.offer_id.to_string(),
                r.customer.to_string(),
                r.country,
                r.credits_spent,
                r.at,
                iso()
            ],
        )?;
        Ok(())
    }
}

impl Allotments for SqlTx<'_> {
    fn device_allotments(&self, device: Uuid, product: Uuid) -> Result<Vec<Allotment>> {
        let mut st = self.0.prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE device_id = ?1 AND product_id = ?2 \
             AND released_at IS NULL ORDER BY first_item_id{}",
            self.0.for_update()
        ))?;
        let rows = st.query_map(
            params![device.to_string(), product.to_string()],
            allot_from_row,
        )?;
        rows.collect::<Result<_>>()
    }

    fn set_allotment_used(&self, id: Uuid, used: u64) -> Result<()> {
        self.0
            .prepare_cached("UPDATE allotments SET used = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), to_i64(used)])?;
        Ok(())
    }

    fn insert_allotment(&self, a: &Allotment) -> Result<()> {
        self.0.execute(
            "INSERT INTO allotments (id, product_id, device_id, units, used, first_item_id, expires_at, granted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                a.id.to_string(),
                a.product_id.to_string(),
                a.device_id.to_string(),
                to_i64(a.units),
                to_i64(a.used),
                to_i64(a.first_item_id),
                a.expires_at,
                now().0
            ],
        )?;
        Ok(())
    }

    fn allotment(&self, id: Uuid, device: Uuid) -> Result<Option<(Allotment, bool)>> {
        self
            .0
            .query_row(
                &format!(
                    "SELECT {ALLOT_COLS}, released_at IS NOT NULL FROM allotments WHERE id = ?1 AND device_id = ?2{}",
                    self.0.for_update()
                ),
                params![id.to_string(), device.to_string()],
                |r| Ok((allot_from_row(r)?, r.get(7)?)),
            )
            .optional()
    }

    fn mark_released(&self, id: Uuid, at: Timestamp) -> Result<()> {
        self.0
            .prepare_cached("UPDATE allotments SET released_at = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), at])?;
        Ok(())
    }

    fn expired_allotments(&self, at: Timestamp) -> Result<Vec<Allotment>> {
        let mut st = self.0.prepare_cached(&format!(
            "SELECT {ALLOT_COLS} FROM allotments WHERE released_at IS NULL AND expires_at <= ?1{}",
            self.0.for_update()
        ))?;
        let rows = st.query_map([at], allot_from_row)?;
        rows.collect::<Result<_>>()
    }
}

impl SyncLog for SqlTx<'_> {
    fn staff_role(&self, id: Uuid) -> Result<Option<(Role, bool)>> {
        let row: Option<(String, bool)> = self
            .0
            .prepare_cached("SELECT role, active FROM staff WHERE id = ?1")?
            .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(role, active)| {
            Role::parse(&role)
                .map(|r| (r, active))
                .ok_or_else(|| Error::Storage(format!("staff role {role:?}")))
        })
        .transpose()
    }

    fn touch(&self, entity: &str, key: &str) -> Result<()> {
        touch(self.0, entity, key)
    }

    fn op_status(&self, op_id: Uuid) -> Result<Option<(String, Option<String>)>> {
        Ok(super::batch::op_statuses(self.0, &[op_id])?.remove(&op_id))
    }

    fn record_op(&self, r: &OpRecord<'_>) -> Result<()> {
        super::batch::record_ops(self.0, std::slice::from_ref(r))
    }

    fn record_ops(&self, rs: &[OpRecord<'_>]) -> Result<()> {
        super::batch::record_ops(self.0, rs)
    }

    fn op_statuses(
        &self,
        ops: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, (String, Option<String>)>> {
        super::batch::op_statuses(self.0, ops)
    }

    fn count_op(&self, device: Uuid, status: &str, n: u64, at: Timestamp) -> Result<()> {
        let col = match status {
            "applied" => "applied",
            "duplicate" => "duplicate",
            "conflict" => "conflict",
            "rejected" => "rejected",
            _ => return Ok(()),
        };
        self.0
            .prepare_cached(&format!(
                "INSERT INTO device_sync (device_id, last_push_at, {col}) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (device_id) DO UPDATE SET last_push_at = excluded.last_push_at, {col} = device_sync.{col} + ?3"
            ))?
            .execute(params![device.to_string(), at, n])?;
        Ok(())
    }

    fn atomically(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()> {
        self.0.execute_batch("SAVEPOINT wicket_op")?;
        match f(self) {
            Ok(()) => {
                self.0.execute_batch("RELEASE wicket_op")?;
                Ok(())
            }
            Err(e) => {
                self.0
                    .execute_batch("ROLLBACK TO wicket_op; RELEASE wicket_op")?;
                Err(e)
            }
        }
    }
}

impl Catalog for SqlTx<'_> {
    fn event(&self, key: &crate::store::EventKey) -> Result<Option<Event>> {
        Ok(find_event(self.0, key)?.map(|e| domain_event(&e)))
    }

    fn insert_event(&self, e: &Event) -> Result<()> {
        insert_event(self.0, e, &iso())
    }

    fn update_event(&self, e: &Event) -> Result<()> {
        self.0.execute(
            "UPDATE events SET name = ?2, start_date = ?3, end_date = ?4, location = ?5, address = ?6, \
             description = ?7, reference_id = ?8, updated_at = ?9 WHERE id = ?1",
            params![
                e.id.to_string(),
                e.name,
                e.start_date,
                e.end_date,
                e.location,
                e.address,
                e.description,
                e.reference_id,
                iso()
            ],
        )?;
        Ok(())
    }

    fn delete_event(&self, id: Uuid) -> Result<()> {
        self.0
            .execute("DELETE FROM events WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }

    fn products_of_event(&self, event: Uuid) -> Result<u64> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(*) FROM products WHERE event_id = ?1",
            [event.to_string()],
            |r| r.get(0),
        )?;
        Ok(opt_u64(Some(n)).unwrap_or(0))
    }

    fn insert_product(&self, p: &Product, company: Uuid) -> Result<()> {
        insert_product(self.0, p, company, &iso())
    }

    fn update_product(&self, p: &Product, rules: bool) -> Result<()> {
        let iso = iso();
        update_product_row(self.0, p, &iso)?;
        if rules {
            self.0.execute(
                "DELETE FROM order_rules WHERE product_id = ?1",
                [p.id.to_string()],
            )?;
            for r in &p.order_rules {
                insert_rule(self.0, p.id, r, &iso)?;
            }
        }
        Ok(())
    }

    fn insert_zone(&self, z: &wicket_domain::Zone) -> Result<()> {
        let iso = iso();
        self.0.execute(
            "INSERT INTO zones (id, name, gates, product_ids, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                z.id.to_string(),
                z.name,
                serde_json::to_string(&z.gates)?,
                serde_json::to_string(&z.product_ids)?,
                iso
            ],
        )?;
        Ok(())
    }

    fn delete_zone(&self, id: Uuid) -> Result<bool> {
        Ok(self
            .0
            .execute("DELETE FROM zones WHERE id = ?1", [id.to_string()])?
            > 0)
    }

    fn slug_taken(&self, company: Uuid, slug: &str) -> Result<bool> {
        self.0
            .prepare_cached("SELECT 1 FROM products WHERE company_id = ?1 AND slug = ?2")?
            .exists(params![company.to_string(), slug])
    }

    fn insert_rule(&self, product: Uuid, r: &OrderRule) -> Result<()> {
        insert_rule(self.0, product, r, &iso())
    }

    fn delete_rule(&self, product: Uuid, rule: Uuid) -> Result<bool> {
        let n = self.0.execute(
            "DELETE FROM order_rules WHERE id = ?1 AND product_id = ?2",
            params![rule.to_string(), product.to_string()],
        )?;
        Ok(n > 0)
    }

    fn insert_tier(&self, t: &StatusTier) -> Result<()> {
        self.0.execute(
            "INSERT INTO status_tiers (id, name, min_token_balance, discount_percentage, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                t.id,
                t.name,
                t.min_token_balance,
                t.discount_percentage.to_string(),
                iso()
            ],
        )?;
        Ok(())
    }

    fn insert_reward(&self, o: &RewardOffer) -> Result<()> {
        write_reward(self.0, o, &iso(), true)
    }

    fn reward_redeem_count(&self, offer: Uuid) -> Result<u64> {
        let n: i64 = self.0.query_row(
            "SELECT COUNT(*) FROM reward_redeems WHERE reward_id = ?1",
            [offer.to_string()],
            |r| r.get(0),
        )?;
        Ok(opt_u64(Some(n)).unwrap_or(0))
    }

    fn delete_reward(&self, offer: Uuid) -> Result<()> {
        self.0
            .execute("DELETE FROM rewards WHERE id = ?1", [offer.to_string()])?;
        Ok(())
    }

    fn insert_claim_codes(&self, product: Uuid, codes: &[Uuid]) -> Result<()> {
        let iso = iso();
        let mut st = self.0.prepare_cached(
            "INSERT INTO claim_codes (code, product_id, created_at) VALUES (?1, ?2, ?3)",
        )?;
        for c in codes {
            st.execute(params![c.to_string(), product.to_string(), iso])?;
        }
        Ok(())
    }

    fn insert_customer_with_reference(&self, c: &Customer, reference: Option<&str>) -> Result<()> {
        insert_user(self.0, c, reference, &iso())
    }
}
