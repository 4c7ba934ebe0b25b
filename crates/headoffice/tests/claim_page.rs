//! The public claim page (`/claim/{code}`) over real HTTP, with no API key: the
//! form, the claim through the same use case as `POST /v1/claim`, the ticket's QR
//! (the same signed token as the API's ticket route), and every refusal as HTML
//! with the right status.

mod common;

use common::{Server, id, start};
use serde_json::{Value, json};

/// A page as a browser gets it: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    cache_control: String,
    body: String,
}

async fn page(s: &Server, path: &str, form: Option<&[(&str, &str)]>) -> Answer {
    let url = format!("{}{path}", s.base);
    // No key: the page is public.
    let rb = match form {
        Some(f) => s.client.post(url).form(f),
        None => s.client.get(url),
    };
    let resp = rb.send().await.expect("request");
    let header = |h: reqwest::header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let cache_control = header(reqwest::header::CACHE_CONTROL);
    let status = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    Answer {
        status,
        content_type,
        cache_control,
        body,
    }
}

impl Answer {
    fn html(&self) -> &Self {
        assert!(
            self.content_type.starts_with("text/html"),
            "not HTML ({}): {}",
            self.content_type,
            self.body
        );
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
        assert!(self.body.contains("name=\"viewport\""), "no viewport meta");
        self
    }
}

/// A claimable product of an event, `stock` units, and `n` claim URL paths.
async fn claimable(s: &Server, name: &str, stock: u64, n: u32) -> (String, Vec<String>) {
    let (st, ev) = s
        .post(
            "/v1/events/create",
            json!({"name": "Summer Night", "start_date": 1_900_000_000i64,
                   "end_date": 1_900_014_400i64, "location": "Arena", "address": "1 Quay St"}),
        )
        .await;
    assert_eq!(st, 201, "{ev}");
    let p = s
        .product(
            json!({"type": "admission", "name": name, "event_id": ev["id"],
                        "is_claimable": true, "stock": stock}),
        )
        .await;
    let (st, v) = s
        .post(
            &format!("/v1/products/{}/claim-codes", id(&p)),
            json!({"count": n}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let paths = v["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| {
            let url = c["url"].as_str().expect("url");
            // The URL head office hands out is the one this server serves.
            let path = url.strip_prefix(&s.base).expect("claim URL on this server");
            path.to_string()
        })
        .collect();
    (id(&p), paths)
}

async fn items_of(s: &Server, product: &str) -> Vec<Value> {
    let (st, v) = s.get(&format!("/v1/products/{product}/items")).await;
    assert_eq!(st, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_person_claims_with_the_form_and_gets_the_api_s_ticket() {
    let s = start().await;
    let (p, paths) = claimable(&s, "Floor <VIP> & \"Friends\"", 10, 2).await;

    let a = page(&s, &paths[0], None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.html();
    // Catalog text is escaped, and the event is named with its date.
    assert!(
        a.body
            .contains("Floor &lt;VIP&gt; &amp; &quot;Friends&quot;"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("<VIP>"));
    assert!(a.body.contains("Summer Night"));
    assert!(a.body.contains("Arena"));
    assert!(a.body.contains("2030"), "no event date: {}", a.body);
    assert!(a.body.contains("<form id=\"claim-form\" method=\"post\""));
    assert!(a.body.contains("name=\"email\""));
    assert!(a.body.contains("name=\"name\""));

    let a = page(
        &s,
        &paths[0],
        Some(&[
            ("name", " Ana Maria Silva "),
            ("email", " Ana@Example.com "),
        ]),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.html();
    assert_eq!(
        a.cache_control, "no-store",
        "a ticket page must not be cached"
    );
    assert!(a.body.contains("Ana Maria Silva"));
    assert!(a.body.contains("<svg"), "no QR: {}", a.body);
    assert!(!a.body.contains("<?xml"), "XML declaration inlined");

    // The item exists, through the API, owned by a new customer with that email.
    let items = items_of(&s, &p).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["origin"], "claim");
    assert_eq!(item["user"]["email"], "ana@example.com");
    assert_eq!(item["user"]["first_name"], "Ana Maria");
    assert_eq!(item["user"]["last_name"], "Silva");

    // The QR shown and the one offered for download are the API's ticket.
    let (st, t) = s
        .get(&format!("/v1/products/{p}/items/{}/ticket", id(item)))
        .await;
    assert_eq!(st, 200, "{t}");
    let svg = t["svg"].as_str().expect("svg");
    let inline = &svg[svg.find("<svg").expect("svg element")..];
    assert!(a.body.contains(inline), "the page's QR is not the API's");
    let b64 = data_encoding::BASE64.encode(svg.as_bytes());
    assert!(
        a.body
            .contains(&format!("href=\"data:image/svg+xml;base64,{b64}\"")),
        "no download of the API's QR"
    );
    assert!(
        a.body
            .contains(&format!("download=\"ticket-{}.svg\"", id(item)))
    );

    // A customer head office knows keeps their record; the claim is theirs.
    let known = s.user("known@example.com").await;
    let a = page(
        &s,
        &paths[1],
        Some(&[("name", "Someone Else"), ("email", "KNOWN@example.com")]),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let items = items_of(&s, &p).await;
    let mine: Vec<_> = items
        .iter()
        .filter(|i| i["user"]["id"] == known["id"])
        .collect();
    assert_eq!(mine.len(), 1, "{items:?}");
    assert_eq!(mine[0]["user"]["first_name"], "F");
}

#[tokio::test]
async fn a_used_code_is_409_on_both_methods_and_claims_nothing_more() {
    let s = start().await;
    let (p, paths) = claimable(&s, "Gift", 10, 1).await;
    let a = page(
        &s,
        &paths[0],
        Some(&[("name", "Ana"), ("email", "ana@example.com")]),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);

    for form in [
        None,
        Some(&[("name", "Bo"), ("email", "bo@example.com")][..]),
    ] {
        let a = page(&s, &paths[0], form).await;
        assert_eq!(a.status, 409, "{}", a.body);
        a.html();
        assert!(a.body.contains("already been claimed"), "{}", a.body);
        assert!(a.body.contains("data-code=\"claim_used\""));
        assert!(!a.body.contains("<form"), "a used code offers no form");
    }
    assert_eq!(items_of(&s, &p).await.len(), 1);
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_html_404_and_400() {
    let s = start().await;
    let unknown = format!("/claim/{}", uuid::Uuid::new_v4());
    for form in [
        None,
        Some(&[("name", "Ana"), ("email", "ana@example.com")][..]),
    ] {
        let a = page(&s, &unknown, form).await;
        assert_eq!(a.status, 404, "{}", a.body);
        a.html();
        assert!(
            a.body.contains("could not find this claim link"),
            "{}",
            a.body
        );

        let a = page(&s, "/claim/not-a-code", form).await;
        assert_eq!(a.status, 400, "{}", a.body);
        a.html();
        assert!(a.body.contains("not valid"), "{}", a.body);
    }
    // Nobody was created for a dead link.
    let (st, v) = s.post("/v1/users/fetch", json!({"limit": 10})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 0, "{v}");
}

#[tokio::test]
async fn bad_input_is_400_on_the_form_and_changes_nothing() {
    let s = start().await;
    let (p, paths) = claimable(&s, "Gift", 10, 1).await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("name", "Ana"), ("email", "<script>x</script>")],
            "is not an email address",
        ),
        (&[("name", "Ana"), ("email", "")], "enter your email"),
        (
            &[("name", "  "), ("email", "ana@example.com")],
            "enter your name",
        ),
        (&[("email", "ana@example.com")], "enter your name"),
    ];
    for (form, says) in cases {
        let a = page(&s, &paths[0], Some(form)).await;
        assert_eq!(a.status, 400, "{form:?}: {}", a.body);
        a.html();
        assert!(a.body.contains(says), "{form:?}: {}", a.body);
        // The form again, with what was typed, escaped.
        assert!(a.body.contains("<form id=\"claim-form\""));
        assert!(!a.body.contains("<script>"), "unescaped input");
    }
    // A body that is not the form's encoding is refused the same way.
    let resp = s
        .client
        .post(format!("{}{}", s.base, paths[0]))
        .json(&json!({"name": "Ana", "email": "ana@example.com"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("could not read the form")
    );

    assert!(items_of(&s, &p).await.is_empty(), "something was claimed");
    let (_, v) = s.post("/v1/users/fetch", json!({"limit": 10})).await;
    assert_eq!(v["total"], 0, "a customer was created: {v}");
    // The code still works.
    let a = page(&s, &paths[0], None).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn sold_out_is_a_page_not_json() {
    let s = start().await;
    let (p, paths) = claimable(&s, "Last One", 1, 2).await;
    let ok = page(
        &s,
        &paths[0],
        Some(&[("name", "Ana"), ("email", "ana@example.com")]),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let a = page(
        &s,
        &paths[1],
        Some(&[("name", "Bo"), ("email", "bo@example.com")]),
    )
    .await;
    assert_eq!(a.status, 409, "{}", a.body);
    a.html();
    assert!(a.body.contains("Sold out"), "{}", a.body);
    assert_eq!(items_of(&s, &p).await.len(), 1);
    // The refused claim made no customer: one transaction, nothing left behind.
    let (_, v) = s.post("/v1/users/fetch", json!({"limit": 10})).await;
    assert_eq!(v["total"], 1, "{v}");
}
