//! Entry and exit across two doors through head office (issue 15): a re-entry
//! product's ticket that is inside is refused at the other door once it has
//! pulled; after an exit anywhere it comes back in without using an entry; a
//! single-entry ticket cannot come back; exits never use an entry; every passage
//! reaches head office once.

use serde_json::json;
use wicket_domain::Direction;
use wicket_tests::{lock, start_ho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_passback_and_reentry_across_two_doors() {
    let ho = start_ho().await;
    let dir = tempfile::tempdir().expect("tmp");
    let pass = ho
        .product(json!({"type": "admission", "name": "Festival pass", "price": "80.00", "allow_reentry": true}))
        .await;
    let single = ho
        .product(json!({"type": "admission", "name": "Concert", "price": "30.00"}))
        .await;
    let users = ho.users("fan", 2).await;
    let p_item = ho.issue(pass, &users[..1]).await[0];
    let s_item = ho.issue(single, &users[1..]).await[0];
    let (p_tok, s_tok) = (
        ho.ticket(pass, p_item).await,
        ho.ticket(single, s_item).await,
    );
    let (s, v) = ho
        .post(
            "/v1/staff",
            json!({"name": "Dora", "role": "door", "pin": "4321"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (north, en) = ho.device(dir.path(), "north").await;
    let (south, es) = ho.device(dir.path(), "south").await;
    for (r, e) in [(&north, &en), (&south, &es)] {
        e.sync_once(|_, _| {}).await.expect("first pull");
        let mut r = lock(r);
        let staff = r.sign_in("4321").expect("door staff");
        r.set_staff(Some(staff.id));
    }
    let scan = |r: &wicket_device::sync::SharedReplica, tok: &str, gate: &str, d: Direction| {
        lock(r).scan_at(tok, Some(gate), None, d).expect("scan")
    };

    // In at the north door.
    let v = scan(&north, &p_tok, "North", Direction::In);
    assert!(v.admitted && !v.reentry, "{v:?}");
    en.sync_once(|_, _| {}).await.expect("north pushes");
    es.sync_once(|_, _| {}).await.expect("south pulls");
    // Inside: refused at the south door, with when and where it went in.
    let v = scan(&south, &p_tok, "South", Direction::In);
    assert_eq!(v.code.as_str(), "already_inside", "{v:?}");
    assert!(!v.admitted);
    assert_eq!(v.first_gate.as_deref(), Some("North"));
    // Out at the south door: an exit uses nothing.
    let v = scan(&south, &p_tok, "South", Direction::Out);
    assert!(v.admitted && v.direction == Direction::Out, "{v:?}");
    assert_eq!(v.redemption_count, Some(1));
    es.sync_once(|_, _| {}).await.expect("south pushes");
    en.sync_once(|_, _| {}).await.expect("north pulls");
    // Back in at the north door without using another entry; in again: refused.
    let v = scan(&north, &p_tok, "North", Direction::In);
    assert!(v.admitted && v.reentry, "{v:?}");
    assert_eq!(v.redemption_count, Some(1));
    let v = scan(&north, &p_tok, "North", Direction::In);
    assert_eq!(v.code.as_str(), "already_inside", "{v:?}");

    // A single-entry ticket: in, out, in -> the second entry is refused.
    let v = scan(&north, &s_tok, "North", Direction::In);
    assert!(v.admitted, "{v:?}");
    let v = scan(&north, &s_tok, "North", Direction::Out);
    assert!(v.admitted && v.direction == Direction::Out, "{v:?}");
    let v = scan(&north, &s_tok, "North", Direction::In);
    assert_eq!(v.code.as_str(), "already_redeemed", "{v:?}");
    assert_eq!(lock(&north).item(s_item).expect("item").redemption_count, 1);

    en.sync_once(|_, _| {}).await.expect("north pushes");
    es.sync_once(|_, _| {}).await.expect("south syncs");
    // Head office: each passage once, whatever the order of the syncs; exits and
    // the re-entry used no entry.
    let count = |sql: &str| ho.scalar(sql);
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM passages WHERE item = '{p_item}'"
        )),
        3,
        "pass: in (north), out (south), in again (north)"
    );
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM passages WHERE item = '{s_item}' AND direction = 'out'"
        )),
        1
    );
    assert_eq!(
        count(&format!(
            "SELECT redemption_count FROM items WHERE id = '{p_item}'"
        )),
        1
    );
    assert_eq!(
        count(&format!(
            "SELECT redemption_count FROM items WHERE id = '{s_item}'"
        )),
        1
    );
    // Live numbers: the same at head office and at both doors once synced.
    let (st, api) = ho.send(reqwest::Method::GET, "/v1/door/stats", None).await;
    assert_eq!(st, 200, "{api}");
    let want = json!({"admitted": 2, "reentries": 1, "exits": 2, "inside_now": 1});
    for k in ["admitted", "reentries", "exits", "inside_now"] {
        assert_eq!(api[k], want[k], "head office {k}: {api}");
    }
    let north_gate = api["by_gate"]
        .as_array()
        .and_then(|a| a.iter().find(|g| g["gate"] == "North"))
        .cloned()
        .expect("North in by_gate");
    assert_eq!(
        (north_gate["admitted"].clone(), north_gate["exits"].clone()),
        (json!(2), json!(1))
    );
    // Refused scans from every door: already inside at South and at North, the
    // single-entry ticket's second entry at North.
    assert_eq!(api["refused"], 3, "head office refused: {api}");
    assert_eq!(north_gate["refused"], 2, "{api}");
    let codes: Vec<(String, u64)> = api["refused_by_code"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap_or("").to_string(),
                c["refused"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("already_inside".to_string(), 2),
            ("already_redeemed".to_string(), 1)
        ]
    );
    let pass_row = api["by_product"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "Festival pass"))
        .cloned()
        .expect("pass in by_product");
    assert_eq!(pass_row["inside_now"], 1);
    assert_eq!(pass_row["refused"], 2, "{api}");
    for r in [&north, &south] {
        let s = lock(r).door_stats(0).expect("stats");
        assert_eq!(
            (s.admitted, s.reentries, s.exits, s.inside_now, s.refused),
            (2, 1, 2, 1, 3),
            "{s:?}"
        );
    }
    // Both doors hold every passage of the pass, once.
    for r in [&north, &south] {
        let n: i64 = lock(r)
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM passages WHERE item = ?1",
                [p_item],
                |x| x.get(0),
            )
            .expect("passages");
        assert_eq!(n, 3);
    }
}
