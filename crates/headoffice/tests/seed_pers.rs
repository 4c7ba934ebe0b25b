//! Client tests of the PERS redemption API (`/redemptions`), written from seed
//! document `003_pers_redemptions.txt` and `EXTERNAL_APIS.md` section 3: the doc's
//! create body, RedemptionDTO checked field by field, `x-project-key` public reads
//! against Bearer administration, NestJS error bodies; and one product seen through
//! all three APIs (W3Block, MUFI, PERS). Real binary, real HTTP; keys from the CLI.

mod seed_common;

use reqwest::Method;
use seed_common::*;
use serde_json::{Value, json};

/// A status tier (PERS user status type) through `/v1/status-tiers`.
async fn tier(ho: &Ho, name: &str, min: i64) -> Value {
    let (st, t) = ho
        .post(
            "/v1/status-tiers",
            &json!({"name": name, "min_token_balance": min, "discount_percentage": "10"}),
        )
        .await;
    assert_eq!(st, 201, "create tier: {t}");
    assert!(t["id"].is_u64(), "tier id: {t}");
    t
}

/// The create body of the docs (seed 003 lines 760-820) with real values.
fn doc_body(name: &str, tier: Option<u64>) -> Value {
    json!({
        "creditTokenAmount": 50,
        "description": "A free drink at the bar",
        "name": name,
        "imageUrl": "https://example.com/drink.png",
        "redemptionTypeId": null,
        "minUserStatusTypeId": tier,
        "maxTotalSupply": 100,
        "order": 1,
        "maxPerUser": 2,
        "countryCodeRestrictions": ["NOT_ES", "FR"],
    })
}

async fn create(ho: &Ho, body: &Value) -> Value {
    let (st, r) = ho.post("/redemptions", body).await;
    assert_eq!(st, 201, "create redemption: {r}");
    r
}

fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("a JSON array of redemptions, got {list}"))
        .iter()
        .map(|r| s(r, "id").to_string())
        .collect();
    v.sort();
    v
}

/// GET with the public `x-project-key`.
async fn public(ho: &Ho, project: &str, path: &str) -> (u16, Value) {
    ho.call(Method::GET, path, Auth::Project(project), None)
        .await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A RedemptionDTO (seed 003 lines 79-250) for the doc body `body`, field by field.
fn check_redemption(r: &Value, body: &Value, tier: Option<&Value>) {
    assert!(!s(r, "id").is_empty(), "{r}");
    for k in [
        "name",
        "description",
        "imageUrl",
        "creditTokenAmount",
        "order",
        "maxPerUser",
        "countryCodeRestrictions",
    ] {
        assert_eq!(r[k], body[k], "{k}: {r}");
    }
    assert_eq!(r["isActive"], true, "a new redemption is active: {r}");
    assert!(
        r["type"].is_null() || r["type"]["id"].is_number(),
        "type: {r}"
    );
    assert_eq!(r["tokenUnits"], json!([]), "{r}");
    assert_eq!(
        r["supply"],
        json!({"available": body["maxTotalSupply"], "total": body["maxTotalSupply"]}),
        "{r}"
    );
    assert_eq!(r["tags"], json!([]), "tags default []: {r}");
    match tier {
        None => assert_eq!(r["minUserStatusType"], Value::Null, "{r}"),
        Some(t) => {
            let m = &r["minUserStatusType"];
            assert_eq!(m["id"], t["id"], "{r}");
            assert_eq!(m["name"], t["name"], "{r}");
            assert_eq!(m["minTokenBalance"], t["min_token_balance"], "{r}");
            assert_eq!(m["discountPercentage"].as_f64(), Some(10.0), "{r}");
            assert!(m["eligibleTokenAddresses"].is_array(), "{r}");
        }
    }
    assert_camel_case(r);
}

/// Create with the doc's body, get, partial PUTs, status toggles, supply.
#[tokio::test]
async fn create_get_partial_put_and_toggle_as_documented() {
    let ho = Ho::start().await;
    let gold = tier(&ho, "Gold", 100).await;
    let body = doc_body("Free drink", gold["id"].as_u64());
    let r = create(&ho, &body).await;
    check_redemption(&r, &body, Some(&gold));
    let one = format!("/redemptions/{}", s(&r, "id"));
    assert_eq!(ho.get_ok(&one).await, r, "admin GET");
    let project = ho.project_key();
    let (st, v) = ho
        .call(Method::GET, &one, Auth::Project(&project), None)
        .await;
    assert_eq!((st, &v), (200, &r), "public GET");

    // Without a tier and a supply: null status type, unlimited supply.
    let mut plain = doc_body("Poster", None);
    plain["maxTotalSupply"] = Value::Null;
    let p = create(&ho, &plain).await;
    check_redemption(&p, &plain, None);
    let (st, v) = ho
        .call(
            Method::GET,
            &format!("/redemptions/{}/supply", s(&p, "id")),
            Auth::Project(&project),
            None,
        )
        .await;
    assert_eq!((st, v), (200, json!({"available": null, "total": null})));

    // PUT is partial: only the fields sent change.
    let (st, r2) = ho.put(&one, &json!({"name": "Free drink (large)"})).await;
    assert_eq!(st, 200, "put name: {r2}");
    assert_eq!(r2["name"], "Free drink (large)", "{r2}");
    assert_eq!(
        without(&r2, &["name", "updatedAt"]),
        without(&r, &["name", "updatedAt"])
    );
    let (st, r3) = ho
        .put(
            &one,
            &json!({"creditTokenAmount": 75, "countryCodeRestrictions": ["PT"], "maxPerUser": 3}),
        )
        .await;
    assert_eq!(st, 200, "{r3}");
    assert_eq!(r3["creditTokenAmount"], 75, "{r3}");
    assert_eq!(r3["countryCodeRestrictions"], json!(["PT"]), "{r3}");
    assert_eq!(r3["maxPerUser"], 3, "{r3}");
    let changed = [
        "creditTokenAmount",
        "countryCodeRestrictions",
        "maxPerUser",
        "updatedAt",
    ];
    assert_eq!(without(&r3, &changed), without(&r2, &changed));
    // Nullable fields are cleared by null.
    let (st, r4) = ho
        .put(
            &one,
            &json!({"description": null, "minUserStatusTypeId": null}),
        )
        .await;
    assert_eq!(st, 200, "{r4}");
    assert_eq!(r4["description"], Value::Null, "{r4}");
    assert_eq!(r4["minUserStatusType"], Value::Null, "{r4}");
    let changed = ["description", "minUserStatusType", "updatedAt"];
    assert_eq!(without(&r4, &changed), without(&r3, &changed));
    assert_eq!(ho.get_ok(&one).await, r4, "GET after the PUTs");

    // PUT {id}/status toggles isActive (no body), nothing else.
    let status = format!("{one}/status");
    let (st, off) = ho
        .call(Method::PUT, &status, Auth::Bearer(&ho.write), None)
        .await;
    assert_eq!(st, 200, "{off}");
    assert_eq!(off["isActive"], false, "{off}");
    assert_eq!(
        without(&off, &["isActive", "updatedAt"]),
        without(&r4, &["isActive", "updatedAt"])
    );
    let (st, on) = ho
        .call(Method::PUT, &status, Auth::Bearer(&ho.write), None)
        .await;
    assert_eq!(st, 200, "{on}");
    assert_eq!(on["isActive"], true, "{on}");

    // GET {id}/supply: {available, total}.
    let supply = ho.get_ok(&format!("{one}/supply")).await;
    assert_eq!(supply, json!({"available": 100, "total": 100}));
    let (st, v) = ho
        .call(
            Method::GET,
            &format!("{one}/supply"),
            Auth::Project(&project),
            None,
        )
        .await;
    assert_eq!((st, v), (200, supply));
    let (st, v) = ho.put(&one, &json!({"maxTotalSupply": 40})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["supply"], json!({"available": 40, "total": 40}), "{v}");
}

/// `x-project-key` sees active offers only (list and get) and cannot write;
/// `?active` is ignored for the public and honoured for an admin.
#[tokio::test]
async fn project_key_reads_the_active_catalog_only() {
    let ho = Ho::start().await;
    let project = ho.project_key();
    let a = create(&ho, &doc_body("Active offer", None)).await;
    let b = create(&ho, &doc_body("Retired offer", None)).await;
    let (ida, idb) = (s(&a, "id").to_string(), s(&b, "id").to_string());
    let (st, v) = ho
        .call(
            Method::PUT,
            &format!("/redemptions/{idb}/status"),
            Auth::Bearer(&ho.write),
            None,
        )
        .await;
    assert_eq!((st, &v["isActive"]), (200, &json!(false)), "{v}");

    for q in ["", "?active=false", "?active=true"] {
        let (st, v) = public(&ho, &project, &format!("/redemptions{q}")).await;
        assert_eq!(st, 200, "public list{q}: {v}");
        assert_eq!(ids(&v), vec![ida.clone()], "public list{q}: {v}");
        assert_eq!(v[0]["isActive"], true, "{v}");
        assert_camel_case(&v);
    }
    let (st, v) = public(&ho, &project, &format!("/redemptions/{ida}")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v, a, "public GET of an active offer");
    for path in [
        format!("/redemptions/{idb}"),
        format!("/redemptions/{idb}/supply"),
    ] {
        let (st, v) = public(&ho, &project, &path).await;
        assert_eq!(st, 404, "public {path} of an inactive offer: {v}");
        assert_nest_error(&v, 404);
    }

    // An admin sees both, and `active` filters.
    let both = sorted(vec![ida.clone(), idb.clone()]);
    assert_eq!(ids(&ho.get_ok("/redemptions").await), both);
    assert_eq!(
        ids(&ho.get_ok("/redemptions?active=true").await),
        vec![ida.clone()]
    );
    assert_eq!(
        ids(&ho.get_ok("/redemptions?active=false").await),
        vec![idb.clone()]
    );
    assert_eq!(
        ho.get_ok(&format!("/redemptions/{idb}")).await["isActive"],
        false
    );

    // The public cannot write (401: a project key is no admin credential), and
    // nothing changes.
    let one = format!("/redemptions/{ida}");
    let writes = [
        (
            Method::POST,
            "/redemptions".to_string(),
            Some(doc_body("Sneaky", None)),
        ),
        (Method::PUT, one.clone(), Some(json!({"name": "Hijacked"}))),
        (Method::PUT, format!("{one}/status"), None),
        (Method::DELETE, one.clone(), None),
        (
            Method::POST,
            format!("{one}/tokens"),
            Some(json!({"tokenId": uuid::Uuid::new_v4(), "amount": 1})),
        ),
    ];
    for (method, path, body) in &writes {
        let (st, v) = ho
            .call(method.clone(), path, Auth::Project(&project), body.as_ref())
            .await;
        assert_eq!(st, 401, "public {method} {path}: {v}");
        assert_nest_error(&v, 401);
    }
    assert_eq!(
        ho.get_ok(&one).await,
        a,
        "a refused public write changed the offer"
    );
    assert_eq!(
        ids(&ho.get_ok("/redemptions").await),
        both,
        "a refused public write"
    );

    // No key, or keys the server does not know: 401.
    for auth in [
        Auth::None,
        Auth::Project("wk_unknown_project_key_0000"),
        Auth::Bearer("wk_unknown_bearer_key_0000"),
    ] {
        let (st, v) = ho.call(Method::GET, "/redemptions", auth, None).await;
        assert_eq!(st, 401, "{v}");
        assert_nest_error(&v, 401);
    }
}

/// DELETE answers `true`; the offer is gone (404).
#[tokio::test]
async fn delete_answers_true_then_not_found() {
    let ho = Ho::start().await;
    let keep = create(&ho, &doc_body("Keep me", None)).await;
    let r = create(&ho, &doc_body("Delete me", None)).await;
    let one = format!("/redemptions/{}", s(&r, "id"));
    let (st, v) = ho.delete(&one).await;
    assert_eq!((st, v), (200, json!(true)), "DELETE");
    let (st, v) = ho.get(&one).await;
    assert_eq!(st, 404, "GET after DELETE: {v}");
    assert_nest_error(&v, 404);
    let (st, v) = ho.delete(&one).await;
    assert_eq!(st, 404, "second DELETE: {v}");
    assert_nest_error(&v, 404);
    assert_eq!(
        ids(&ho.get_ok("/redemptions").await),
        vec![s(&keep, "id").to_string()]
    );
}

/// Invalid bodies: 400 in the NestJS body, nothing created or changed.
#[tokio::test]
async fn invalid_bodies_answer_nest_400_and_change_nothing() {
    let ho = Ho::start().await;
    let r = create(&ho, &doc_body("Valid", None)).await;
    let one = format!("/redemptions/{}", s(&r, "id"));
    let before = ids(&ho.get_ok("/redemptions").await);

    let bad: Vec<(&str, Value)> = vec![
        (
            "creditTokenAmount a string",
            json!({"creditTokenAmount": "fifty"}),
        ),
        (
            "creditTokenAmount negative",
            json!({"creditTokenAmount": -5}),
        ),
        ("unknown status type", json!({"minUserStatusTypeId": 999})),
        ("maxPerUser negative", json!({"maxPerUser": -1})),
        (
            "countryCodeRestrictions not a list",
            json!({"countryCodeRestrictions": "FR"}),
        ),
        (
            "countryCodeRestrictions bad code",
            json!({"countryCodeRestrictions": ["FRANCE"]}),
        ),
        ("unknown field", json!({"colour": "red"})),
    ];
    for (what, change) in &bad {
        let mut b = doc_body("Refused", None);
        for (k, v) in change.as_object().expect("object") {
            b[k] = v.clone();
        }
        let (st, v) = ho.post("/redemptions", &b).await;
        assert_eq!(st, 400, "create with {what}: {v}");
        assert_nest_error(&v, 400);
        let (st, v) = ho.put(&one, change).await;
        assert_eq!(st, 400, "PUT with {what}: {v}");
        assert_nest_error(&v, 400);
    }
    let mut no_name = doc_body("x", None);
    if let Some(o) = no_name.as_object_mut() {
        o.remove("name");
    }
    let (st, v) = ho.post("/redemptions", &no_name).await;
    assert_eq!(st, 400, "create without name: {v}");
    assert_nest_error(&v, 400);
    // A token unit naming no product.
    let (st, v) = ho
        .post(
            &format!("{one}/tokens"),
            &json!({"tokenId": uuid::Uuid::new_v4(), "amount": 1}),
        )
        .await;
    assert!(
        (400..500).contains(&st),
        "token unit of no product: {st} {v}"
    );
    assert_nest_error(&v, st);

    assert_eq!(
        ids(&ho.get_ok("/redemptions").await),
        before,
        "a refused create created"
    );
    assert_eq!(ho.get_ok(&one).await, r, "a refused PUT changed the offer");
    let ghost = format!("/redemptions/{}", uuid::Uuid::new_v4());
    let (st, v) = ho.put(&ghost, &json!({"name": "Nobody"})).await;
    assert_eq!(st, 404, "{v}");
    assert_nest_error(&v, 404);
    let (st, v) = ho.get("/redemptions?mine=1").await;
    assert_eq!(st, 400, "unknown list parameter: {v}");
    assert_nest_error(&v, 400);
}

/// One product through all three APIs: created with W3Block in the default company,
/// read with MUFI `/v1`, handed out by a PERS redemption.
#[tokio::test]
async fn one_product_through_all_three_apis() {
    let ho = Ho::start().await;
    let project = ho.project_key();
    let tag = uuid::Uuid::new_v4().to_string();
    let w3 = json!({
        "name": "Festival Tote Bag",
        "description": "Canvas bag with the festival print",
        "distributionType": "sequential",
        "pricingType": "product",
        "startSaleAt": "2030-01-01T10:00:00.000Z",
        "slug": "festival-tote",
        "prices": [{"currencyId": USD_ID, "amount": "1.20"}],
        "draftData": {"range": "1", "quantity": 1, "keyCollectionId": null},
        "tags": [tag],
    });
    let admin = format!("/admin/companies/{DEFAULT_COMPANY}/products");
    let (st, p) = ho.post(&admin, &w3).await;
    assert_eq!(st, 201, "W3Block create in the default company: {p}");
    let pid = uuid_at(&p, "id");
    assert_eq!(p["companyId"], DEFAULT_COMPANY, "{p}");

    // MUFI: the same product, snake_case, same name and prices.
    let m = ho.get_ok(&format!("/v1/products/{pid}")).await;
    assert_snake_case(&m);
    assert_eq!(m["id"], pid.as_str(), "{m}");
    assert_eq!(m["name"], "Festival Tote Bag", "{m}");
    assert_eq!(m["description"], w3["description"], "{m}");
    assert_eq!(m["price"], "1.20", "{m}");
    assert_eq!(
        m["prices"],
        json!([{"currency": "USD", "amount": "1.20"}]),
        "{m}"
    );
    assert_eq!(m["slug"], "festival-tote", "{m}");
    assert_eq!(m["tags"], json!([tag]), "{m}");
    assert_eq!(m["status"], "draft", "{m}");
    assert_eq!(
        m["start_sale_at"].as_i64(),
        Some(iso(&p, "startSaleAt")),
        "{m}"
    );
    assert_eq!(iso(&m, "created_at"), iso(&p, "createdAt"), "{m}");
    let listed = ho.get_ok("/v1/products?search=Tote").await;
    assert_eq!(listed["items"][0]["id"], pid.as_str(), "{listed}");
    // Published through W3Block: MUFI sees it published.
    let (st, v) = ho.patch(&format!("{admin}/{pid}/publish"), None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        ho.get_ok(&format!("/v1/products/{pid}")).await["status"],
        "published"
    );

    // PERS: the product is the redemption's token unit.
    let r = create(&ho, &doc_body("Tote for 50 credits", None)).await;
    let rid = s(&r, "id").to_string();
    let (st, t) = ho
        .post(
            &format!("/redemptions/{rid}/tokens"),
            &json!({"tokenId": pid, "amount": 1}),
        )
        .await;
    assert_eq!(st, 201, "add token unit: {t}");
    let units = t["tokenUnits"].as_array().expect("tokenUnits");
    assert_eq!(units.len(), 1, "{t}");
    let u = &units[0];
    assert!(!s(u, "id").is_empty(), "{u}");
    assert_eq!(u["token"]["id"], pid.as_str(), "{u}");
    assert_eq!(u["token"]["name"], "Festival Tote Bag", "{u}");
    assert_eq!(u["amount"], 1, "{u}");
    assert!(
        ["ERC20", "ERC1155", "ERC721"].contains(&s(&u["token"], "type")),
        "{u}"
    );
    assert!(u["token"]["isActive"].is_boolean(), "{u}");
    assert!(u["token"]["isGallery"].is_boolean(), "{u}");
    assert_eq!(
        without(&t, &["tokenUnits", "updatedAt"]),
        without(&r, &["tokenUnits", "updatedAt"])
    );
    assert_camel_case(&t);
    let (st, public) = ho
        .call(
            Method::GET,
            &format!("/redemptions/{rid}"),
            Auth::Project(&project),
            None,
        )
        .await;
    assert_eq!(st, 200, "{public}");
    assert_eq!(
        public["tokenUnits"], t["tokenUnits"],
        "public view of the token unit"
    );

    // One catalog: a W3Block rename shows in MUFI and in the PERS token.
    let (st, v) = ho
        .patch(
            &format!("{admin}/{pid}"),
            Some(&json!({"name": "Festival Tote Bag XL"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        ho.get_ok(&format!("/v1/products/{pid}")).await["name"],
        "Festival Tote Bag XL"
    );
    let again = ho.get_ok(&format!("/redemptions/{rid}")).await;
    assert_eq!(
        again["tokenUnits"][0]["token"]["name"], "Festival Tote Bag XL",
        "{again}"
    );
}

// ------------------------------------------------------------------ doc deviations
// One documented fact each, kept apart so a deviation fails only its own test.

/// `keys create --scope project` makes a key that reads the active catalog with
/// `x-project-key` (seed 003 lines 65-73, 529-537, 556-571: projectKey security) and
/// can do nothing else: no PERS write, no `/v1`.
#[tokio::test]
async fn cli_makes_a_project_key() {
    let ho = Ho::start().await;
    let key = ho
        .try_cli(&["keys", "create", "--scope", "project"])
        .unwrap_or_else(|e| panic!("{e}"));
    let on = create(&ho, &doc_body("Listed", None)).await;
    let off = create(&ho, &doc_body("Hidden", None)).await;
    let (st, v) = ho
        .call(
            Method::PUT,
            &format!("/redemptions/{}/status", s(&off, "id")),
            Auth::Bearer(&ho.write),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = public(&ho, &key, "/redemptions?active=false").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(ids(&v), vec![s(&on, "id").to_string()], "{v}");
    // Sent as a Bearer key it is still only public.
    let (st, v) = ho
        .call(
            Method::POST,
            "/redemptions",
            Auth::Bearer(&key),
            Some(&doc_body("Nope", None)),
        )
        .await;
    assert_eq!(st, 401, "a project key is no admin credential: {v}");
    let (st, v) = ho
        .call(Method::GET, "/v1/products", Auth::Bearer(&key), None)
        .await;
    assert_eq!(st, 403, "a project key on /v1: {v}");
}
