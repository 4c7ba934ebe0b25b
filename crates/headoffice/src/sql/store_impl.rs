//! `Store` for [`SqlStore`]: each call one read or one write transaction.

use crate::db::Value;
use crate::db::{Connection, OptionalExtension};
use crate::params;
use uuid::Uuid;
use wicket_domain::{self as domain, DetailsInput, EventInput, ProductInput};

use super::SqlStore;
use super::acts::*;
use super::demo::*;
use super::events::*;
use super::items::*;
use super::products::*;
use super::rewards::*;
use super::rows::*;
use super::tx::SqlTx;
use super::users::*;
use crate::error::{Error, Result};
use crate::model::*;
use crate::storage::Devices;
use crate::store::{DemoSummary, EventKey, RewardFilter, SaleRequest, Store, StoreFuture};
use crate::usecase::{catalog, devices};

impl Store for SqlStore {
    fn key_scope(&self, key_hash: String) -> StoreFuture<Option<Scope>> {
        self.run(move |c| {
            let s: Option<String> = c
                .prepare_cached("SELECT scope FROM api_keys WHERE key_hash = ?1")?
                .query_row([key_hash], |r| r.get(0))
                .optional()?;
            Ok(s.as_deref().and_then(Scope::parse))
        })
    }

    fn insert_key(&self, key_hash: String, scope: Scope) -> StoreFuture<Uuid> {
        self.write(move |tx| {
            let id = Uuid::new_v4();
            tx.execute(
                "INSERT INTO api_keys (id, key_hash, scope, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id.to_string(), key_hash, scope.as_str(), now().1],
            )?;
            Ok(id)
        })
    }

    fn create_event(&self, input: EventInput) -> StoreFuture<EventOut> {
        self.write(move |tx| {
            let e = catalog::create_event(&SqlTx(tx), input.clone())?;
            find_event(tx, &EventKey::Id(e.id))?
                .ok_or_else(|| Error::Storage("event vanished".into()))
        })
    }

    fn update_event(&self, key: EventKey, input: EventInput) -> StoreFuture<EventOut> {
        self.write(move |tx| {
            let e = catalog::update_event(&SqlTx(tx), &key, input.clone())?;
            find_event(tx, &EventKey::Id(e.id))?
                .ok_or_else(|| Error::Storage("event vanished".into()))
        })
    }

    fn get_event(&self, key: EventKey) -> StoreFuture<EventOut> {
        self.run(move |c| find_event(c, &key)?.ok_or_else(|| Error::not_found("event")))
    }

    fn list_events(&self, page: PageReq) -> StoreFuture<Page<EventOut>> {
        self.run(move |c| {
            page_of(
                c,
                "SELECT COUNT(*) FROM events",
                &format!(
                    "SELECT {EVENT_COLS} FROM events ORDER BY start_date, id LIMIT ?1 OFFSET ?2"
                ),
                vec![],
                &page,
                event_from_row,
            )
        })
    }

    fn delete_event(&self, id: Uuid) -> StoreFuture<()> {
        self.write(move |tx| catalog::delete_event(&SqlTx(tx), id))
    }

    fn create_users(&self, users: Vec<NewUserBody>) -> StoreFuture<Vec<UserOut>> {
        self.write(move |tx| {
            let made = catalog::create_users(&SqlTx(tx), users.clone())?;
            let (_, iso) = now();
            Ok(made
                .into_iter()
                .map(|(c, r)| UserOut {
                    id: c.id,
                    email: c.email,
                    first_name: c.first_name,
                    last_name: c.last_name,
                    reference_id: r,
                    country: c.country,
                    created_at: iso.clone(),
                    updated_at: iso.clone(),
                })
                .collect())
        })
    }

    fn fetch_users(&self, limit: u32, offset: u64) -> StoreFuture<UsersPage> {
        self.run(move |c| {
            let total = count(c, "SELECT COUNT(*) FROM users", ())?;
            let mut st = c.prepare(&format!(
                "SELECT {USER_COLS} FROM users ORDER BY rowid LIMIT ?1 OFFSET ?2"
            ))?;
            let users = st
                .query_map(params![limit, to_i64(offset)], |r| {
                    user_from_row(r).map(|u| u.out())
                })?
                .collect::<Result<Vec<_>>>()?;
            Ok(UsersPage { users, total })
        })
    }

    fn get_user(&self, key: UserKey) -> StoreFuture<UserOut> {
        self.run(move |c| {
            find_user(c, &key)?
                .map(|u| u.out())
                .ok_or_else(|| Error::not_found(format!("user {key}")))
        })
    }

    fn balances(&self, user: Uuid) -> StoreFuture<BalancesOut> {
        self.run(move |c| balances_of(c, &require_user(c, user)?.c))
    }

    fn adjust_balance(&self, user: Uuid, body: AdjustBody) -> StoreFuture<BalancesOut> {
        self.write(move |tx| {
            let (at, _) = now();
            let after = catalog::adjust_balance(
                &SqlTx(tx),
                user,
                &body.kind,
                body.delta,
                &body.reason,
                at,
            )?;
            balances_of(tx, &after)
        })
    }

    fn ledger(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<LedgerEntryOut>> {
        self.run(move |c| {
            require_user(c, user)?;
            page_of(
                c,
                "SELECT COUNT(*) FROM ledger WHERE user_id = ?1",
                "SELECT id, kind, delta, balance_after, reason, ref_id, at, created_at FROM ledger
                  WHERE user_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
                vec![Value::Text(user.to_string())],
                &page,
                |r| {
                    Ok(LedgerEntryOut {
                        id: uuid_at(r, 0)?,
                        kind: r.get(1)?,
                        delta: r.get(2)?,
                        balance_after: r.get(3)?,
                        reason: r.get(4)?,
                        ref_id: r.get(5)?,
                        at: r.get(6)?,
                        created_at: r.get(7)?,
                    })
                },
            )
        })
    }

    fn create_tier(&self, body: TierBody) -> StoreFuture<TierOut> {
        self.write(move |tx| {
            let t = catalog::create_tier(&SqlTx(tx), &body)?;
            Ok(tier_out(&t, &now().1))
        })
    }

    fn list_tiers(&self) -> StoreFuture<Vec<TierOut>> {
        self.run(|c| {
            Ok(load_tiers(c)?
                .iter()
                .map(|(t, at)| tier_out(t, at))
                .collect())
        })
    }

    fn create_product(
        &self,
        company: Uuid,
        input: ProductInput,
        details: DetailsInput,
    ) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            let p = catalog::create_product(&SqlTx(tx), company, input.clone(), details.clone())?;
            product_out(tx, &require_product(tx, p.id)?)
        })
    }

    fn get_product(&self, id: Uuid) -> StoreFuture<ProductOut> {
        self.run(move |c| product_out(c, &require_product(c, id)?))
    }

    fn product_by_slug(&self, company: Uuid, slug: String) -> StoreFuture<ProductOut> {
        self.run(move |c| {
            find_product_by_slug(c, company, &slug)?
                .map(|r| product_out(c, &r))
                .ok_or_else(|| Error::not_found(format!("product with slug {slug:?}")))?
        })
    }

    fn list_products(&self, q: ProductQuery, page: PageReq) -> StoreFuture<Page<ProductOut>> {
        self.run(move |c| list_products_sql(c, q, page))
    }

    fn update_product(
        &self,
        id: Uuid,
        input: ProductInput,
        details: DetailsInput,
    ) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            catalog::update_product(&SqlTx(tx), id, input.clone(), details.clone())?;
            product_out(tx, &require_product(tx, id)?)
        })
    }

    fn create_zone(&self, body: ZoneBody) -> StoreFuture<ZoneOut> {
        self.write(move |tx| {
            let z = catalog::create_zone(&SqlTx(tx), body.clone())?;
            super::zones::zone(tx, z.id)
        })
    }

    fn door_stats(&self, since: i64) -> StoreFuture<domain::DoorStats> {
        self.run(move |c| super::stats::door_stats(c, since))
    }

    fn list_zones(&self) -> StoreFuture<Vec<ZoneOut>> {
        self.run(super::zones::list)
    }

    fn delete_zone(&self, id: Uuid) -> StoreFuture<()> {
        self.write(move |tx| catalog::delete_zone(&SqlTx(tx), id))
    }

    fn create_company(&self, name: String) -> StoreFuture<Uuid> {
        self.write(move |tx| catalog::create_company(&SqlTx(tx), &name))
    }

    fn company_exists(&self, id: Uuid) -> StoreFuture<bool> {
        self.run(move |c| Ok(super::companies::company_name(c, id)?.is_some()))
    }

    fn publish_product(&self, id: Uuid) -> StoreFuture<ProductOut> {
        self.write(move |tx| {
            catalog::publish_product(&SqlTx(tx), id)?;
            product_out(tx, &require_product(tx, id)?)
        })
    }

    fn list_order_rules(&self, product: Uuid) -> StoreFuture<Vec<OrderRuleOut>> {
        self.run(move |c| {
            let row = require_product(c, product)?;
            Ok(row
                .p
                .order_rules
                .iter()
                .map(|r| rule_out(product, r))
                .collect())
        })
    }

    fn add_order_rule(&self, product: Uuid, rule: OrderRuleBody) -> StoreFuture<OrderRuleOut> {
        self.write(move |tx| {
            let r = catalog::add_order_rule(
                &SqlTx(tx),
                product,
                rule.start_at,
                rule.end_at,
                rule.purchase_limit,
            )?;
            Ok(rule_out(product, &r))
        })
    }

    fn delete_order_rule(&self, product: Uuid, rule: Uuid) -> StoreFuture<()> {
        self.write(move |tx| catalog::delete_order_rule(&SqlTx(tx), product, rule))
    }

    fn issue_items(
        &self,
        product: Uuid,
        users: Vec<Uuid>,
        emails: Vec<String>,
    ) -> StoreFuture<Vec<ItemOut>> {
        self.write(move |tx| op_issue(tx, product, users.clone(), emails.clone()))
    }

    fn product_items(&self, product: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>> {
        self.run(move |c| {
            require_product(c, product)?;
            let p = page_of(
                c,
                "SELECT COUNT(*) FROM items WHERE product_id = ?1",
                &format!(
                    "{ITEM_SELECT} WHERE i.product_id = ?1 ORDER BY i.item_id LIMIT ?2 OFFSET ?3"
                ),
                vec![Value::Text(product.to_string())],
                &page,
                item_from_row,
            )?;
            Ok(Page {
                items: p.items.iter().map(item_out).collect(),
                meta: p.meta,
            })
        })
    }

    fn user_items(&self, user: Uuid, page: PageReq) -> StoreFuture<Page<ItemOut>> {
        self.run(move |c| {
            require_user(c, user)?;
            let p = page_of(
                c,
                "SELECT COUNT(*) FROM items WHERE owner_id = ?1",
                &format!(
                    "{ITEM_SELECT} WHERE i.owner_id = ?1 ORDER BY i.issued_at, i.product_id, i.item_id LIMIT ?2 OFFSET ?3"
                ),
                vec![Value::Text(user.to_string())],
                &page,
                item_from_row,
            )?;
            Ok(Page {
                items: p.items.iter().map(item_out).collect(),
                meta: p.meta,
            })
        })
    }

    fn get_item(&self, id: Uuid) -> StoreFuture<ItemOut> {
        self.run(move |c| Ok(item_out(&require_item(c, id)?)))
    }

    fn redeem_item(&self, product: Uuid, item: Uuid) -> StoreFuture<ItemOut> {
        self.write(move |tx| {
            let (at, _) = now();
            let id = Uuid::now_v7();
            // The same use case as a door's pushed scan, strict: a refusal is an
            // error and writes nothing. Head office's own scans carry the nil device.
            let scanned = crate::usecase::scan::record_scan(
                &super::tx::SqlTx(tx),
                &crate::storage::Scan {
                    id,
                    op_id: id,
                    item,
                    product_id: Some(product),
                    device: Uuid::nil(),
                    staff_id: None,
                    gate: Some("api".into()),
                    at,
                },
                true,
            );
            if let Err(e) = scanned {
                // An unknown product is named first, as before; it is looked up
                // only on this path, and never held (scans of one product must not
                // queue behind each other).
                return Err(if product_exists(tx, product)? {
                    e
                } else {
                    Error::not_found(format!("product {product}"))
                });
            }
            Ok(item_out(&require_item(tx, item)?))
        })
    }

    fn transfer_item(
        &self,
        product: Uuid,
        item: Uuid,
        sender: UserKey,
        recipient: UserKey,
    ) -> StoreFuture<TransferOut> {
        self.write(move |tx| op_transfer(tx, product, item, sender.clone(), recipient.clone()))
    }

    fn create_claim_codes(&self, product: Uuid, n: u32) -> StoreFuture<Vec<Uuid>> {
        self.write(move |tx| catalog::create_claim_codes(&SqlTx(tx), product, n))
    }

    fn claim(&self, code: Uuid, user: UserKey) -> StoreFuture<ItemOut> {
        self.write(move |tx| op_claim(tx, code, user.clone()))
    }

    fn claim_as(&self, code: Uuid, who: NewUserBody) -> StoreFuture<ItemOut> {
        self.write(move |tx| {
            let email = domain::normalize_email(&who.email)?;
            let key = UserKey::Email(email);
            if crate::usecase::customer::recipient(&SqlTx(tx), &key).is_err() {
                catalog::create_users(&SqlTx(tx), vec![who.clone()])?;
            }
            op_claim(tx, code, key)
        })
    }

    fn claim_code(&self, code: Uuid) -> StoreFuture<Option<domain::ClaimCode>> {
        self.snapshot(move |tx| {
            use crate::storage::Claims;
            SqlTx(tx).claim_code(code)
        })
    }

    fn create_sale(&self, req: SaleRequest) -> StoreFuture<SaleOut> {
        self.write(move |tx| op_sale(tx, req.clone()))
    }

    fn refund_sale(&self, req: crate::usecase::refund::RefundInput) -> StoreFuture<domain::Refund> {
        self.write(move |tx| crate::usecase::refund::refund(&SqlTx(tx), &req, super::rows::now().0))
    }

    fn device_refund(
        &self,
        device: Uuid,
        req: wicket_protocol::RefundRequest,
    ) -> StoreFuture<domain::Refund> {
        self.write(move |tx| {
            crate::usecase::refund::device_online_refund(
                &SqlTx(tx),
                device,
                &req,
                super::rows::now().0,
            )
        })
    }

    fn cash_sessions(
        &self,
        device: Option<Uuid>,
        limit: u32,
    ) -> StoreFuture<Vec<domain::SessionReport>> {
        self.run(move |c| super::refunds::session_reports(c, device, limit))
    }

    fn list_sales(&self, product: Option<Uuid>, page: PageReq) -> StoreFuture<Page<SaleOut>> {
        self.run(move |c| {
            let mut page = list_sales_page(c, product, &page)?;
            let ids: Vec<Uuid> = page.items.iter().map(|s| s.id).collect();
            let refunded = super::refunds::refunded_by_sale(c, &ids)?;
            for s in &mut page.items {
                if let Some(r) = refunded.get(&s.id) {
                    s.refunded = r.amount.to_string();
                    s.refunded_item_ids = r.item_ids.clone();
                }
            }
            Ok(page)
        })
    }

    fn create_reward(&self, body: RewardBody) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            let o = catalog::create_reward(&SqlTx(tx), body.clone())?;
            Ok(reward_out(&require_reward(tx, o.id)?))
        })
    }

    fn replace_reward(&self, id: Uuid, body: RewardBody) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            catalog::replace_reward(&SqlTx(tx), id, body.clone())?;
            Ok(reward_out(&require_reward(tx, id)?))
        })
    }

    fn patch_reward(&self, id: Uuid, patch: RewardPatch) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            catalog::patch_reward(&SqlTx(tx), id, patch.clone())?;
            Ok(reward_out(&require_reward(tx, id)?))
        })
    }

    fn delete_reward(&self, id: Uuid) -> StoreFuture<()> {
        self.write(move |tx| catalog::delete_reward(&SqlTx(tx), id))
    }

    fn list_rewards(&self, filter: RewardFilter) -> StoreFuture<Vec<RewardOut>> {
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {REWARD_COLS} FROM rewards WHERE (CAST(?1 AS INTEGER) IS NULL OR active = ?1) ORDER BY ord, created_at, id"
            ))?;
            let rows = st
                .query_map([filter.active], reward_from_row)?
                .collect::<Result<Vec<_>>>()?;
            Ok(rows.iter().map(reward_out).collect())
        })
    }

    fn get_reward(&self, id: Uuid) -> StoreFuture<RewardOut> {
        self.run(move |c| Ok(reward_out(&require_reward(c, id)?)))
    }

    fn toggle_reward(&self, id: Uuid) -> StoreFuture<RewardOut> {
        self.write(move |tx| {
            catalog::toggle_reward(&SqlTx(tx), id)?;
            Ok(reward_out(&require_reward(tx, id)?))
        })
    }

    fn redeem_reward(
        &self,
        id: Uuid,
        user: UserKey,
        country: Option<String>,
    ) -> StoreFuture<RedeemOut> {
        self.write(move |tx| op_redeem_reward(tx, id, user.clone(), country.clone()))
    }

    fn list_reward_redeems(
        &self,
        user: Option<Uuid>,
        reward: Option<Uuid>,
        page: PageReq,
    ) -> StoreFuture<Page<RedeemOut>> {
        self.run(move |c| {
            let args = vec![
                user.map_or(Value::Null, |u| Value::Text(u.to_string())),
                reward.map_or(Value::Null, |r| Value::Text(r.to_string())),
            ];
            let wh = "(CAST(?1 AS TEXT) IS NULL OR user_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR reward_id = ?2)";
            page_of(
                c,
                &format!("SELECT COUNT(*) FROM reward_redeems WHERE {wh}"),
                &format!("{REDEEM_SELECT} WHERE {wh} ORDER BY seq DESC LIMIT ?3 OFFSET ?4"),
                args,
                &page,
                redeem_from_row,
            )
        })
    }

    fn item_ticket(&self, product: Uuid, item: Uuid) -> StoreFuture<String> {
        // A write: the first ticket may create head office's signing key.
        self.write(move |tx| devices::item_ticket(&SqlTx(tx), product, item))
    }

    fn seed_demo(&self, users: u32) -> StoreFuture<DemoSummary> {
        self.write(move |tx| op_demo(tx, users))
    }

    fn create_enrollment_code(
        &self,
        code_hash: String,
        expires_at: i64,
        for_device: Option<Uuid>,
    ) -> StoreFuture<()> {
        self.write(move |tx| {
            devices::create_enrollment_code(&SqlTx(tx), &code_hash, expires_at, for_device)
        })
    }

    fn revoke_device(&self, device: Uuid, by: Option<Uuid>) -> StoreFuture<()> {
        self.write(move |tx| devices::revoke_device(&SqlTx(tx), device, by, now().0))
    }

    fn rename_device(&self, device: Uuid, name: String, by: Option<Uuid>) -> StoreFuture<()> {
        self.write(move |tx| devices::rename_device(&SqlTx(tx), device, &name, by, now().0))
    }

    fn device_report(
        &self,
        device: Uuid,
        pending: Option<u64>,
        app_version: Option<String>,
    ) -> StoreFuture<()> {
        self.write(move |tx| {
            devices::record_device_report(&SqlTx(tx), device, pending, app_version.as_deref())
        })
    }

    fn rotate_ticket_key(&self, overlap_secs: i64) -> StoreFuture<devices::Rotated> {
        self.write(move |tx| devices::rotate_ticket_key(&SqlTx(tx), overlap_secs, now().0))
    }

    fn audit_log(&self, since: i64, limit: u32) -> StoreFuture<Vec<crate::storage::AuditEntry>> {
        self.snapshot(move |tx| {
            use crate::storage::Trust;
            SqlTx(tx).audit_entries(since, limit)
        })
    }

    fn enroll_device(
        &self,
        code_hash: String,
        device_id: Uuid,
        name: String,
        public_key: String,
        credential_hash: String,
    ) -> StoreFuture<String> {
        self.write(move |tx| {
            devices::enroll(
                &SqlTx(tx),
                &code_hash,
                device_id,
                &name,
                &public_key,
                &credential_hash,
                now().0,
            )
        })
    }

    fn device_by_credential(&self, credential_hash: String) -> StoreFuture<Option<Uuid>> {
        self.run(move |c| SqlTx(c).device_by_credential(&credential_hash))
    }

    fn create_staff(
        &self,
        name: String,
        role: domain::Role,
        pin_hash: String,
    ) -> StoreFuture<wicket_protocol::StaffResponse> {
        self.write(move |tx| devices::create_staff(&SqlTx(tx), &name, role, &pin_hash, now().0))
    }

    fn staff_login(&self, id: Uuid) -> StoreFuture<Option<crate::storage::StaffLogin>> {
        self.run(move |c| crate::storage::StaffAccess::staff_login(&SqlTx(c), id))
    }

    fn finish_staff_sign_in(
        &self,
        device: Uuid,
        staff: Uuid,
        checked_hash: String,
        pin_matched: bool,
    ) -> StoreFuture<crate::usecase::staff::SignIn> {
        // Made outside the transaction: a retried transaction keeps the same token.
        let token = crate::sync::random_token("stt_");
        let token_hash = crate::keys::hash_key(&token);
        self.write(move |tx| {
            crate::usecase::staff::finish_sign_in(
                &SqlTx(tx),
                device,
                staff,
                &checked_hash,
                pin_matched,
                &token,
                &token_hash,
                now().0,
            )
        })
    }

    fn staff_for_token(
        &self,
        device: Uuid,
        token_hash: String,
    ) -> StoreFuture<Option<(Uuid, domain::Role)>> {
        self.run(move |c| {
            crate::storage::StaffAccess::staff_for_token(&SqlTx(c), &token_hash, device, now().0)
        })
    }

    fn list_staff(&self) -> StoreFuture<Vec<wicket_protocol::StaffListing>> {
        self.run(move |c| crate::storage::StaffAccess::list_staff(&SqlTx(c)))
    }

    fn update_staff(
        &self,
        id: Uuid,
        change: crate::usecase::staff::StaffChange,
        by: Option<Uuid>,
    ) -> StoreFuture<wicket_protocol::StaffListing> {
        self.write(move |tx| crate::usecase::staff::update_staff(&SqlTx(tx), id, &change, by))
    }

    fn push_ops(
        &self,
        device: Uuid,
        ops: Vec<wicket_protocol::WireOp>,
    ) -> StoreFuture<Vec<wicket_protocol::OpResult>> {
        self.write(move |tx| super::sync::push_ops(tx, device, &ops))
    }

    fn pull_changes(
        &self,
        device: Uuid,
        since: i64,
        limit: u32,
        count: bool,
    ) -> StoreFuture<wicket_protocol::PullResponse> {
        self.feed_snapshot(move |tx| super::pull::pull_changes(tx, device, since, limit, count))
    }

    fn create_allotment(
        &self,
        device: Uuid,
        product: Uuid,
        units: u64,
        ttl_secs: i64,
    ) -> StoreFuture<wicket_domain::Allotment> {
        self.write(move |tx| super::sync::create_allotment(tx, device, product, units, ttl_secs))
    }

    fn release_allotment(&self, device: Uuid, id: Uuid) -> StoreFuture<u64> {
        self.write(move |tx| super::sync::release_allotment(tx, device, id))
    }

    fn item_redemptions(
        &self,
        item: Uuid,
    ) -> StoreFuture<Vec<wicket_protocol::RedemptionHistoryEntry>> {
        self.run(move |c| super::sync::item_redemptions(c, item))
    }

    fn sync_conflicts(&self, limit: u32) -> StoreFuture<Vec<crate::review::SyncIssue>> {
        self.run(move |c| super::sync::sync_issues(c, limit))
    }

    fn device_states(&self) -> StoreFuture<Vec<wicket_protocol::DeviceSyncState>> {
        self.run(super::sync::device_states)
    }

    fn ready(&self) -> StoreFuture<()> {
        self.check_ready()
    }

    fn stats(&self) -> StoreFuture<crate::store::StoreStats> {
        let (pool_open, pool_idle) = self.pool_state();
        let counts = crate::mint_store::MintQueue::nft_counts(self);
        Box::pin(async move {
            let c = counts.await?;
            Ok(crate::store::StoreStats {
                pool_open,
                pool_idle,
                mints_pending: c.pending,
                mints_minted: c.minted,
                mints_failed: c.failed,
            })
        })
    }
}

fn list_sales_page(c: &Connection, product: Option<Uuid>, page: &PageReq) -> Result<Page<SaleOut>> {
    match product {
        Some(p) => page_of(
            c,
            "SELECT COUNT(*) FROM sales WHERE product_id = ?1",
            &format!(
                "{SALE_SELECT} WHERE s.product_id = ?1 ORDER BY s.seq DESC LIMIT ?2 OFFSET ?3"
            ),
            vec![Value::Text(p.to_string())],
            page,
            sale_from_row,
        ),
        None => page_of(
            c,
            "SELECT COUNT(*) FROM sales",
            &format!("{SALE_SELECT} ORDER BY s.seq DESC LIMIT ?1 OFFSET ?2"),
            vec![],
            page,
            sale_from_row,
        ),
    }
}
