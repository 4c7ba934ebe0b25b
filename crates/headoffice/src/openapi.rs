//! The OpenAPI 3.1 document, generated from the handler and schema annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wicket head office API",
        description = "MUFI-compatible products, items, events, users and sales, with W3Block-style admin and PERS-style rewards."
    ),
    paths(
        api::openapi_json,
        api::version,
        api::create_event,
        api::update_event,
        api::list_events,
        api::get_event,
        api::delete_event,
        api::create_users,
        api::fetch_users,
        api::user_profile,
        api::get_balances,
        api::adjust_balance,
        api::get_ledger,
        api::user_items,
        api::create_tier,
        api::list_tiers,
        api::create_product,
        api::list_products,
        api::product_by_slug,
        api::get_product,
        api::update_product,
        api::publish_product,
        api::list_order_rules,
        api::add_order_rule,
        api::delete_order_rule,
        api::issue_items,
        api::product_items,
        api::redeem_item,
        api::transfer_item,
        api::create_claim_codes,
        api::claim,
        api::item_ticket,
        api::get_item,
        api::create_sale,
        api::list_sales,
        api::create_reward,
        api::list_rewards,
        api::list_reward_redeems,
        api::get_reward,
        api::replace_reward,
        api::delete_reward,
        api::reward_supply,
        api::toggle_reward,
        api::redeem_reward,
        crate::review::item_redemptions,
        crate::review::sync_conflicts,
        crate::review::device_states,
        crate::sync::create_enrollment_code,
        crate::sync::enroll,
        crate::sync::create_staff,
        crate::sync::push,
        crate::sync::pull,
        crate::sync::allot,
        crate::sync::release,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}
