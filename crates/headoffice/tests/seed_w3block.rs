//! Client tests of W3Block commerce "Products (Admin)"
//! (`/admin/companies/{companyId}/products`), written from seed document
//! `002_w3block_products_admin.txt` and `EXTERNAL_APIS.md` section 2: the create
//! body of the docs, answers checked field by field (camelCase at every level, ISO
//! 8601 times, prices by `currencyId`), NestJS error bodies, companies as tenants
//! made with the CLI, over real HTTP against the real binary.

mod seed_common;

use reqwest::Method;
use seed_common::*;
use serde_json::{Value, json};

const START_SALE: &str = "2030-01-01T10:00:00.000Z";
const END_SALE: &str = "2030-02-01T18:30:00.000Z";
/// `draftData.keyCollectionId` of the doc's product model (line 48).
const KEY_COLLECTION: &str = "2e90e88b-7263-4cdc-a9dd-b7cdf3df4c91";

fn products(company: &str) -> String {
    format!("/admin/companies/{company}/products")
}

/// The create body of the docs (seed 002 lines 68-79 plus `prices`, `draftData`,
/// `tags` of the CreateProductDto, §2.3), with the doc's example values.
fn doc_body(slug: &str, tag: &str) -> Value {
    json!({
        "name": "W3Block Product",
        "description": "My Description",
        "distributionType": "random",
        "pricingType": "product",
        "startSaleAt": START_SALE,
        "endSaleAt": END_SALE,
        "slug": slug,
        "htmlContent": "<b>block</b>",
        "onDemandMintEnabled": true,
        "terms": [{"title": "Terms of sale", "description": "No refunds", "link": "https://example.com/terms"}],
        "relevance": 0,
        "prices": [{"currencyId": USD_ID, "amount": "1.20"}],
        "draftData": {"range": "1", "quantity": 1, "keyCollectionId": KEY_COLLECTION},
        "tags": [tag],
    })
}

/// A change to a valid create body that makes it invalid.
type BodyChange = Box<dyn Fn(&mut Value)>;

fn remove(body: &mut Value, key: &str) {
    if let Some(o) = body.as_object_mut() {
        o.remove(key);
    }
}

fn instant(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("a test date")
        .unix_timestamp()
}

/// A ProductEntity (§2.4, the doc's product model lines 10-52) for `body` in
/// `company`, field by field.
fn check_product(p: &Value, body: &Value, company: &str) {
    uuid_at(p, "id");
    assert_eq!(p["companyId"], company, "companyId: {p}");
    for k in [
        "name",
        "description",
        "slug",
        "distributionType",
        "pricingType",
        "htmlContent",
        "onDemandMintEnabled",
        "terms",
        "draftData",
        "tags",
    ] {
        assert_eq!(p[k], body[k], "{k}: {p}");
    }
    assert_eq!(
        p["relevance"].as_f64(),
        body["relevance"].as_f64(),
        "relevance: {p}"
    );
    // New products are drafts until published.
    assert_eq!(p["status"], "draft", "{p}");
    let created = iso(p, "createdAt");
    assert!(iso(p, "updatedAt") >= created, "{p}");
    for k in ["startSaleAt", "endSaleAt"] {
        assert_eq!(iso(p, k), instant(s(body, k)), "{k}: {p}");
    }
    assert!(p["images"].is_array(), "images: {p}");
    for k in ["contractAddress", "chainId"] {
        assert!(p.get(k).is_some(), "{k} missing: {p}");
    }
    let prices = p["prices"].as_array().expect("prices array");
    let sent = body["prices"].as_array().expect("sent prices");
    assert_eq!(prices.len(), sent.len(), "{p}");
    for (got, want) in prices.iter().zip(sent) {
        assert_eq!(got["amount"], want["amount"], "{p}");
        if want["currencyId"] == USD_ID {
            assert_eq!(got["currencyId"], USD_ID, "{p}");
            let c = &got["currency"];
            assert_eq!(c["id"], USD_ID, "{p}");
            assert_eq!(c["code"], "USD", "{p}");
            assert_eq!(c["symbol"], "US$", "{p}");
            assert_eq!(c["crypto"], false, "{p}");
            assert!(!s(c, "name").is_empty(), "{p}");
        }
    }
    assert_camel_case(p);
}

async fn create(ho: &Ho, company: &str, body: &Value) -> Value {
    let (st, p) = ho.post(&products(company), body).await;
    assert_eq!(st, 201, "create: {p}");
    p
}

async fn total(ho: &Ho, company: &str) -> u64 {
    let v = ho.get_ok(&products(company)).await;
    v["meta"]["totalItems"]
        .as_u64()
        .unwrap_or_else(|| panic!("meta.totalItems in {v}"))
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {page}"))
        .iter()
        .map(|p| s(p, "name").to_string())
        .collect()
}

/// Create (201), get by id and by slug, partial PATCH, publish.
#[tokio::test]
async fn create_get_patch_publish_as_documented() {
    let ho = Ho::start().await;
    let company = ho.company("Acme Tickets");
    let tag = uuid::Uuid::new_v4().to_string();
    let body = doc_body("w3block-product", &tag);
    let p = create(&ho, &company, &body).await;
    check_product(&p, &body, &company);
    let id = s(&p, "id").to_string();
    let one = format!("{}/{id}", products(&company));
    assert_eq!(ho.get_ok(&one).await, p, "GET by id");
    let by_slug = format!("{}/get-by-slug/w3block-product", products(&company));
    assert_eq!(ho.get_ok(&by_slug).await, p, "GET by slug");

    // PATCH with only a name: every other field keeps its value.
    let (st, q) = ho
        .patch(&one, Some(&json!({"name": "Renamed Product"})))
        .await;
    assert_eq!(st, 200, "patch: {q}");
    assert_eq!(q["name"], "Renamed Product", "{q}");
    assert_eq!(
        without(&q, &["name", "updatedAt"]),
        without(&p, &["name", "updatedAt"]),
        "a name-only PATCH changed other fields"
    );
    assert!(iso(&q, "updatedAt") >= iso(&p, "updatedAt"), "{q}");
    assert_eq!(ho.get_ok(&one).await, q, "GET after patch");

    // PATCH of a price by ISO code: the answer names the currency by id.
    let (st, e) = ho
        .patch(
            &one,
            Some(&json!({"prices": [{"currencyId": "EUR", "amount": "9.50"}]})),
        )
        .await;
    assert_eq!(st, 200, "patch prices: {e}");
    let price = &e["prices"][0];
    assert_eq!(price["amount"], "9.50", "{e}");
    assert_eq!(price["currency"]["code"], "EUR", "{e}");
    let eur = uuid_at(price, "currencyId");
    assert_eq!(price["currency"]["id"], eur.as_str(), "{e}");
    assert_eq!(
        without(&e, &["prices", "updatedAt"]),
        without(&q, &["prices", "updatedAt"])
    );
    // That id is accepted back as a currencyId.
    let (st, e2) = ho
        .patch(
            &one,
            Some(&json!({"prices": [{"currencyId": eur, "amount": "9.75"}]})),
        )
        .await;
    assert_eq!(st, 200, "{e2}");
    assert_eq!(e2["prices"][0]["currency"]["code"], "EUR", "{e2}");
    assert_eq!(e2["prices"][0]["amount"], "9.75", "{e2}");

    // Publish (no body): status published, nothing else changes.
    let (st, pb) = ho.patch(&format!("{one}/publish"), None).await;
    assert_eq!(st, 200, "publish: {pb}");
    assert_eq!(pb["status"], "published", "{pb}");
    assert_eq!(
        without(&pb, &["status", "updatedAt"]),
        without(&e2, &["status", "updatedAt"])
    );
    assert_camel_case(&pb);
    assert_eq!(ho.get_ok(&one).await["status"], "published");
}

/// page/limit/search/sortBy/orderBy/status/tagIds/sortByPriceCurrencyId/
/// includeMetadata and the `{items, meta, links}` envelope (§2.1, §2.2).
#[tokio::test]
async fn list_filters_sorts_pages_in_the_envelope() {
    let ho = Ho::start().await;
    let company = ho.company("Lists Inc");
    let (t1, t2) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    let mut ids = std::collections::HashMap::new();
    for (name, amount, tags, relevance) in [
        ("Alpha Pass", "30.00", vec![t1.clone()], 5),
        ("Bravo Pass", "10.00", vec![t2.clone()], 1),
        ("Charlie Ticket", "20.00", vec![t1.clone(), t2.clone()], 3),
    ] {
        let mut b = doc_body(&name.to_lowercase().replace(' ', "-"), &t1);
        b["name"] = json!(name);
        b["prices"] = json!([{"currencyId": USD_ID, "amount": amount}]);
        b["tags"] = json!(tags);
        b["relevance"] = json!(relevance);
        let p = create(&ho, &company, &b).await;
        ids.insert(name, s(&p, "id").to_string());
    }
    let base = products(&company);
    let (st, v) = ho
        .patch(&format!("{base}/{}/publish", ids["Bravo Pass"]), None)
        .await;
    assert_eq!(st, 200, "{v}");

    let page1 = ho.get_ok(&format!("{base}?page=1&limit=2")).await;
    assert_eq!(
        page1["meta"],
        json!({"itemCount": 2, "totalItems": 3, "itemsPerPage": 2, "totalPages": 2, "currentPage": 1}),
        "{page1}"
    );
    let links = &page1["links"];
    for k in ["first", "next", "last"] {
        assert!(!s(links, k).is_empty(), "links.{k}: {page1}");
    }
    assert_camel_case(&page1);
    let page2 = ho.get_ok(&format!("{base}?page=2&limit=2")).await;
    assert_eq!(page2["meta"]["itemCount"], 1, "{page2}");
    assert_eq!(page2["meta"]["currentPage"], 2, "{page2}");
    let mut seen = names(&page1);
    seen.extend(names(&page2));
    seen.sort();
    assert_eq!(seen, ["Alpha Pass", "Bravo Pass", "Charlie Ticket"]);
    // Defaults: page 1, limit 10.
    let all = ho.get_ok(&base).await;
    assert_eq!(all["meta"]["itemsPerPage"], 10, "{all}");
    assert_eq!(all["meta"]["currentPage"], 1, "{all}");

    let q = |query: &str| format!("{base}?{query}");
    let price_asc = format!("sortBy=price&sortByPriceCurrencyId={USD_ID}&orderBy=ASC");
    let price_desc = format!("sortBy=price&sortByPriceCurrencyId={USD_ID}&orderBy=DESC");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("search=Charlie", vec!["Charlie Ticket"]),
        (
            "search=pass&sortBy=name&orderBy=ASC",
            vec!["Alpha Pass", "Bravo Pass"],
        ),
        (
            "sortBy=name&orderBy=DESC",
            vec!["Charlie Ticket", "Bravo Pass", "Alpha Pass"],
        ),
        (
            "sortBy=name&orderBy=ASC",
            vec!["Alpha Pass", "Bravo Pass", "Charlie Ticket"],
        ),
        ("status=published", vec!["Bravo Pass"]),
        ("status[]=published", vec!["Bravo Pass"]),
        (
            "status=draft&status=published&sortBy=name",
            vec!["Alpha Pass", "Bravo Pass", "Charlie Ticket"],
        ),
        (
            "status=draft&sortBy=name",
            vec!["Alpha Pass", "Charlie Ticket"],
        ),
        (
            "sortBy=relevance&orderBy=DESC",
            vec!["Alpha Pass", "Charlie Ticket", "Bravo Pass"],
        ),
        (
            &price_asc,
            vec!["Bravo Pass", "Charlie Ticket", "Alpha Pass"],
        ),
        (
            &price_desc,
            vec!["Alpha Pass", "Charlie Ticket", "Bravo Pass"],
        ),
    ];
    for (query, want) in cases {
        let v = ho.get_ok(&q(query)).await;
        assert_eq!(names(&v), want, "?{query}: {v}");
        assert_eq!(
            v["meta"]["totalItems"].as_u64(),
            Some(want.len() as u64),
            "?{query}"
        );
    }
    let mut tagged = names(&ho.get_ok(&q(&format!("tagIds={t2}"))).await);
    tagged.sort();
    assert_eq!(tagged, ["Bravo Pass", "Charlie Ticket"], "tagIds={t2}");
    let mut tagged = names(&ho.get_ok(&q(&format!("tagIds[]={t1}"))).await);
    tagged.sort();
    assert_eq!(tagged, ["Alpha Pass", "Charlie Ticket"], "tagIds[]={t1}");
    let none = ho
        .get_ok(&q(&format!("tagIds={}", uuid::Uuid::new_v4())))
        .await;
    assert_eq!(none["meta"]["totalItems"], 0, "{none}");

    let meta = ho.get_ok(&q("includeMetadata=true&sortBy=name")).await;
    assert_eq!(names(&meta), ["Alpha Pass", "Bravo Pass", "Charlie Ticket"]);
    assert_camel_case(&meta);
    let plain = ho.get_ok(&q("includeMetadata=false&sortBy=name")).await;
    assert_eq!(names(&plain), names(&meta));
}

/// Unknown list parameters and invalid bodies: 400 in the NestJS body, nothing
/// created or changed.
#[tokio::test]
async fn refusals_answer_nest_400_and_change_nothing() {
    let ho = Ho::start().await;
    let company = ho.company("Strict Ltd");
    let base = products(&company);
    let tag = uuid::Uuid::new_v4().to_string();
    let p = create(&ho, &company, &doc_body("strict-one", &tag)).await;
    let one = format!("{base}/{}", s(&p, "id"));

    for query in [
        "foo=1",
        "page=1&limit=5&foo=1",
        "sort=name",
        "sortBy=bogus",
        "orderBy=SIDEWAYS",
        "status=lost",
        "tagIds=not-a-uuid",
        "limit=0",
    ] {
        let (st, v) = ho.get(&format!("{base}?{query}")).await;
        assert_eq!(st, 400, "?{query}: {v}");
        assert_nest_error(&v, 400);
    }

    let before = total(&ho, &company).await;
    let variants: Vec<(&str, BodyChange)> = vec![
        (
            "distributionType bogus",
            Box::new(|b| b["distributionType"] = json!("bogus")),
        ),
        (
            "pricingType bogus",
            Box::new(|b| b["pricingType"] = json!("bogus")),
        ),
        ("no name", Box::new(|b| remove(b, "name"))),
        (
            "no distributionType",
            Box::new(|b| remove(b, "distributionType")),
        ),
        (
            "startSaleAt not a date",
            Box::new(|b| b["startSaleAt"] = json!("next tuesday")),
        ),
        (
            "unknown currencyId",
            Box::new(|b| {
                b["prices"] = json!([{"currencyId": uuid::Uuid::new_v4(), "amount": "1.00"}])
            }),
        ),
        (
            "amount not a number",
            Box::new(|b| b["prices"] = json!([{"currencyId": USD_ID, "amount": "one"}])),
        ),
        ("unknown field", Box::new(|b| b["colour"] = json!("red"))),
    ];
    for (i, (what, change)) in variants.iter().enumerate() {
        let mut b = doc_body(&format!("refused-{i}"), &tag);
        change(&mut b);
        let (st, v) = ho.post(&base, &b).await;
        assert_eq!(st, 400, "create with {what}: {v}");
        assert_nest_error(&v, 400);
        let (st, v) = ho.get(&format!("{base}/get-by-slug/refused-{i}")).await;
        assert_eq!(st, 404, "{what} left a product behind: {v}");
    }
    assert_eq!(
        total(&ho, &company).await,
        before,
        "a refused create created"
    );

    for (what, b) in [
        (
            "distributionType bogus",
            json!({"distributionType": "bogus"}),
        ),
        ("endSaleAt not a date", json!({"endSaleAt": "soon"})),
        ("unknown field", json!({"colour": "red"})),
    ] {
        let (st, v) = ho.patch(&one, Some(&b)).await;
        assert_eq!(st, 400, "patch with {what}: {v}");
        assert_nest_error(&v, 400);
    }
    assert_eq!(
        ho.get_ok(&one).await,
        p,
        "a refused PATCH changed the product"
    );

    // An unknown company or product: 404 in the same body.
    let ghost = uuid::Uuid::new_v4();
    for path in [products(&ghost.to_string()), format!("{base}/{ghost}")] {
        let (st, v) = ho.get(&path).await;
        assert_eq!(st, 404, "{path}: {v}");
        assert_nest_error(&v, 404);
    }
}

/// A second company sees nothing of the first one's products.
#[tokio::test]
async fn companies_are_tenants() {
    let ho = Ho::start().await;
    let a = ho.company("Company A");
    let p = create(
        &ho,
        &a,
        &doc_body("a-only", &uuid::Uuid::new_v4().to_string()),
    )
    .await;
    let id = s(&p, "id").to_string();
    let b = ho.company("Company B");
    assert_ne!(a, b);

    let list_b = ho.get_ok(&products(&b)).await;
    assert_eq!(list_b["meta"]["totalItems"], 0, "{list_b}");
    assert_eq!(list_b["items"], json!([]), "{list_b}");
    let search_b = ho.get_ok(&format!("{}?search=W3Block", products(&b))).await;
    assert_eq!(search_b["meta"]["totalItems"], 0, "{search_b}");

    let other = format!("{}/{id}", products(&b));
    for (method, path, body) in [
        (Method::GET, other.clone(), None),
        (
            Method::GET,
            format!("{}/get-by-slug/a-only", products(&b)),
            None,
        ),
        (
            Method::PATCH,
            other.clone(),
            Some(json!({"name": "Stolen"})),
        ),
        (Method::PATCH, format!("{other}/publish"), None),
    ] {
        let (st, v) = ho
            .call(
                method.clone(),
                &path,
                Auth::Bearer(&ho.write),
                body.as_ref(),
            )
            .await;
        assert_eq!(st, 404, "{method} {path}: {v}");
        assert_nest_error(&v, 404);
    }
    // Company A's product is untouched and still its own.
    let mine = ho.get_ok(&format!("{}/{id}", products(&a))).await;
    assert_eq!(mine, p, "B's refused writes changed A's product");
    let list_a = ho.get_ok(&products(&a)).await;
    assert_eq!(list_a["meta"]["totalItems"], 1, "{list_a}");
    assert_eq!(list_a["items"][0]["id"], id.as_str(), "{list_a}");
}

/// No key or an unknown key: 401 in the NestJS body; a read key cannot write.
#[tokio::test]
async fn keys_are_required() {
    let ho = Ho::start().await;
    let company = ho.company("Locked");
    let base = products(&company);
    let body = doc_body("locked", &uuid::Uuid::new_v4().to_string());
    for auth in [Auth::None, Auth::Bearer("wk_not_a_real_key_000000000000")] {
        for (method, b) in [(Method::GET, None), (Method::POST, Some(&body))] {
            let (st, v) = ho.call(method.clone(), &base, auth, b).await;
            assert_eq!(st, 401, "{method} without a valid key: {v}");
            assert_nest_error(&v, 401);
        }
    }
    let read = ho.key("read");
    let (st, v) = ho
        .call(Method::POST, &base, Auth::Bearer(&read), Some(&body))
        .await;
    assert_eq!(st, 403, "read key creating: {v}");
    assert_nest_error(&v, 403);
    let (st, v) = ho.call(Method::GET, &base, Auth::Bearer(&read), None).await;
    assert_eq!(st, 200, "read key listing: {v}");
    // W3Block's API-key header (§2.1) carries a key too.
    let (st, v) = ho
        .call(
            Method::GET,
            &base,
            Auth::Header("x-w3block-api-key", &ho.write),
            None,
        )
        .await;
    assert_eq!(st, 200, "x-w3block-api-key: {v}");
    assert_eq!(v["meta"]["totalItems"], 0, "{v}");
    assert_eq!(
        total(&ho, &company).await,
        0,
        "an unauthorized create created"
    );
}

// ------------------------------------------------------------------ doc deviations
// One documented fact each, kept apart so a deviation fails only its own test.

/// Seed 002 line 70: `description` is Required on create.
#[tokio::test]
async fn create_without_description_is_refused() {
    let ho = Ho::start().await;
    let company = ho.company("Describers");
    let mut b = doc_body("no-description", &uuid::Uuid::new_v4().to_string());
    remove(&mut b, "description");
    let (st, v) = ho.post(&products(&company), &b).await;
    assert_eq!(st, 400, "create without description: {v}");
    assert_nest_error(&v, 400);
    assert_eq!(total(&ho, &company).await, 0);
}

/// Seed 002 lines 127-148: a slug is found per company, so two companies may each
/// use the same slug (and one cannot learn the other's slugs by collision).
#[tokio::test]
async fn the_same_slug_in_two_companies() {
    let ho = Ho::start().await;
    let a = ho.company("Slug A");
    let b = ho.company("Slug B");
    let tag = uuid::Uuid::new_v4().to_string();
    let pa = create(&ho, &a, &doc_body("shared-slug", &tag)).await;
    let (st, pb) = ho.post(&products(&b), &doc_body("shared-slug", &tag)).await;
    assert_eq!(st, 201, "company B reusing company A's slug: {pb}");
    let got_a = ho
        .get_ok(&format!("{}/get-by-slug/shared-slug", products(&a)))
        .await;
    assert_eq!(got_a["id"], pa["id"]);
    let got_b = ho
        .get_ok(&format!("{}/get-by-slug/shared-slug", products(&b)))
        .await;
    assert_eq!(got_b["id"], pb["id"]);
}

/// Seed 002 lines 27-35: the USD currency object of the example is named "USD".
#[tokio::test]
async fn usd_currency_object_matches_the_doc_example() {
    let ho = Ho::start().await;
    let company = ho.company("Dollars");
    let p = create(
        &ho,
        &company,
        &doc_body("usd", &uuid::Uuid::new_v4().to_string()),
    )
    .await;
    let c = &p["prices"][0]["currency"];
    assert_eq!(
        (
            c["id"].clone(),
            c["name"].clone(),
            c["code"].clone(),
            c["symbol"].clone(),
            c["crypto"].clone()
        ),
        (
            json!(USD_ID),
            json!("USD"),
            json!("USD"),
            json!("US$"),
            json!(false)
        ),
        "{c}"
    );
}

/// §2.3: `startSaleAt`/`endSaleAt` are `date-time | null`, and every create field
/// is optional on update: a PATCH with `null` clears the sale window.
#[tokio::test]
async fn patch_clears_the_sale_window_with_null() {
    let ho = Ho::start().await;
    let company = ho.company("Open Sale");
    let p = create(
        &ho,
        &company,
        &doc_body("open-sale", &uuid::Uuid::new_v4().to_string()),
    )
    .await;
    let one = format!("{}/{}", products(&company), s(&p, "id"));
    let (st, v) = ho
        .patch(&one, Some(&json!({"startSaleAt": null, "endSaleAt": null})))
        .await;
    assert_eq!(st, 200, "PATCH startSaleAt/endSaleAt null: {v}");
    assert_eq!(v["startSaleAt"], Value::Null, "{v}");
    assert_eq!(v["endSaleAt"], Value::Null, "{v}");
}
