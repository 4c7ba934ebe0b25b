//! The OpenAPI 3.1 document, generated from the handler and schema annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wicket head office API",
        description = "Three APIs over one catalog: MUFI products, items, events, users and sales under /v1; W3Block commerce products admin under /admin/companies/{companyId}/products; PERS redemptions under /redemptions."
    ),
    paths(
        api::openapi_json,
        api::version,
        api::people::create_event,
        api::people::update_event,
        api::people::list_events,
        api::people::get_event,
        api::people::delete_event,
        api::people::create_users,
        api::people::fetch_users,
        api::people::user_profile,
        api::people::get_balances,
        api::people::adjust_balance,
        api::people::get_ledger,
        api::people::user_items,
        api::people::create_tier,
        api::people::list_tiers,
        api::products::create_product,
        api::products::list_products,
        api::products::product_by_slug,
        api::products::get_product,
        api::products::update_product,
        api::products::publish_product,
        api::products::list_order_rules,
        api::products::add_order_rule,
        api::products::delete_order_rule,
        api::items::issue_items,
        api::items::product_items,
        api::items::redeem_item,
        api::items::legacy_issue_items,
        api::items::legacy_redeem_item,
        api::products::legacy_create_product,
        api::items::transfer_item,
        api::items::create_claim_codes,
        api::items::claim,
        api::items::item_ticket,
        api::items::get_item,
        api::sales::create_sale,
        api::sales::list_sales,
        api::sales::create_reward,
        api::sales::list_rewards,
        api::sales::list_reward_redeems,
        api::sales::get_reward,
        api::sales::replace_reward,
        api::sales::delete_reward,
        api::sales::reward_supply,
        api::sales::toggle_reward,
        api::sales::redeem_reward,
        crate::review::item_redemptions,
        crate::review::sync_conflicts,
        crate::review::device_states,
        crate::sync::create_enrollment_code,
        crate::sync::enroll,
        crate::sync::create_staff,
        crate::sync::revoke_device,
        crate::sync::rename_device,
        crate::sync::audit_log,
        crate::sync::push,
        crate::sync::pull,
        crate::sync::allot,
        crate::sync::release,
        crate::sync::refund,
        crate::staff_api::staff_token,
        crate::staff_api::list_staff,
        crate::staff_api::update_staff,
        api::refunds::refund_sale,
        api::refunds::list_sessions,
        api::zones::create_zone,
        api::zones::list_zones,
        api::zones::delete_zone,
        api::zones::door_stats,
        api::w3block::create,
        api::w3block::list,
        api::w3block::by_slug,
        api::w3block::get,
        api::w3block::update,
        api::w3block::publish,
        api::pers::list_redemptions,
        api::pers::create_redemption,
        api::pers::get_redemption,
        api::pers::update_redemption,
        api::pers::delete_redemption,
        api::pers::redemption_supply,
        api::pers::toggle_redemption,
        api::pers::add_token_unit,
    ),
    modifiers(&BearerAuth, &StandardErrors)
)]
struct ApiDoc;

/// Every answer an operation can give, documented on every operation from the
/// rules that produce them (not one annotation at a time, where some were missed):
/// 400 for any unreadable path, query or body; 401 and 403 where a credential is
/// needed; 404 where the path names something; 413 and 415 where there is a body;
/// 409 where a write can collide; 503 when the database is busy.
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |what: &str, schema: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            if path == "/openapi.json" {
                continue;
            }
            // W3Block and PERS clients get their NestJS error body.
            let schema = if path.starts_with("/admin/") || path.starts_with("/redemptions") {
                "NestError"
            } else {
                "ErrorBody"
            };
            let ops = [
                (item.get.as_mut(), false),
                (item.put.as_mut(), true),
                (item.post.as_mut(), true),
                (item.delete.as_mut(), true),
                (item.patch.as_mut(), true),
            ];
            for (op, write) in ops {
                let Some(op) = op else { continue };
                // POSTs that only read (MUFI queries users through POST).
                let write = write && !crate::api::READ_ONLY_POSTS.contains(&path.as_str());
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                let mut add = |code: &str, what: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| error(what, schema).into());
                };
                add("400", "invalid path, query or body, or a rule refused it");
                if secured {
                    add("401", "missing, unknown or revoked credential");
                    add("403", "this credential may not do this");
                }
                if path.contains('{') {
                    add("404", "what the path names does not exist");
                }
                if body {
                    add("413", "body too large");
                    add("415", "body is not JSON");
                }
                if write {
                    add(
                        "409",
                        "collides with existing data (a slug, an email, an id)",
                    );
                }
                add("503", "the database is busy; try again");
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // PERS's public project key: reads of the active reward catalog.
        components.add_security_scheme(
            "projectKey",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("x-project-key"),
            )),
        );
    }
}

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}
