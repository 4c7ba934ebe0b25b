//! Operations endpoints on whichever backend the suite runs on: load balancer
//! probes and Prometheus metrics.

mod common;

use serde_json::json;

#[tokio::test]
async fn probes_answer_and_metrics_count_requests_by_route() {
    let s = common::start().await;
    let (st, v) = s.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("ok")), "{v}");
    let (st, v) = s.send(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("ready")), "{v}");
    let (st, p) = s
        .post(
            "/v1/products",
            json!({"type": "admission", "name": "Gig", "price": "5.00", "stock": 3}),
        )
        .await;
    assert_eq!(st, 201, "{p}");
    let resp = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .expect("metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.expect("text");
    // By route pattern, never by raw path.
    assert!(
        text.contains(
            r#"wicket_http_requests_total{method="POST",route="/v1/products",status="201"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains("wicket_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("wicket_db_pool_connections "), "{text}");
    assert!(
        text.contains(r#"wicket_mint_queue{state="pending"} 0"#),
        "{text}"
    );
}
