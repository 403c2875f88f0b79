//! Search parameters over HTTP: sorts, cursors bound to their sort, geo, ending soonest.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::app::TestApp;
use crate::support::http::Response;

async fn query(app: &TestApp, q: String) -> Response {
    app.req(Method::GET, &format!("/api/v1/listings?{q}"))
        .send()
        .await
}

pub async fn search_parameters_sorts_and_cursors(app: TestApp) {
    let (_, seller, _) = app.user("seller1@example.com", "seller").await;
    let mut ids = Vec::new();
    for (i, (price, lon, hours)) in [
        (3_000_000, -102.08, 2),
        (1_000_000, -102.37, 30),
        (2_000_000, -97.50, 10),
        (1_000_000, -103.50, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = crate::lease_body(&app, &format!("Search lease {i}"));
        body["status"] = json!("active");
        body["asking_price_cents"] = json!(price);
        body["reserve_price_cents"] = json!(price / 2);
        body["location"] = json!({ "lon": lon, "lat": 31.9 });
        let ends = ogf_api::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::hours(hours);
        body["ends_at"] = json!(ends.to_rfc3339());
        let res = app
            .req(Method::POST, "/api/v1/listings")
            .token(&seller)
            .json(body)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        ids.push(res.json()["id"].as_str().unwrap().to_owned());
        app.clock.advance(chrono::TimeDelta::milliseconds(5));
    }

    // price_asc in pages of one, cursors followed; ties on price by id.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = query(&app, format!("sort=price_asc&limit=1&cursor={cursor}")).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        seen.extend(res.ids());
        match res.json()["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let mut cheap = [ids[1].clone(), ids[3].clone()];
    cheap.sort();
    assert_eq!(
        seen,
        [
            cheap[0].clone(),
            cheap[1].clone(),
            ids[2].clone(),
            ids[0].clone()
        ]
    );

    // A cursor belongs to its sort.
    let first = query(&app, "sort=price_asc&limit=1".into()).await.json();
    let c = first["next_cursor"].as_str().unwrap();
    query(&app, format!("sort=price_desc&cursor={c}"))
        .await
        .assert_problem(400, "invalid-parameter");
    query(&app, format!("cursor={c}"))
        .await
        .assert_problem(400, "invalid-parameter");

    // Geo: 40 km around Midland finds the two Permian spots near it; bbox the same.
    let near = query(&app, "near=-102.2,31.9&radius_km=40&sort=price_desc".into()).await;
    assert_eq!(near.ids(), [ids[0].clone(), ids[1].clone()]);
    let bbox = query(&app, "bbox=-102.5,31.0,-102.0,32.0&sort=price_desc".into()).await;
    assert_eq!(bbox.ids(), near.ids());
    query(&app, "near=-102.2,31.9".into())
        .await
        .assert_problem(400, "invalid-parameter");
    query(&app, "bbox=1,2,3".into())
        .await
        .assert_problem(400, "invalid-parameter");
    query(&app, "sort=relevance".into())
        .await
        .assert_problem(400, "invalid-parameter");
    query(&app, "sort=cheapest".into())
        .await
        .assert_problem(400, "invalid-parameter");

    // Relevance is the default with q; the whole title match first.
    let rel = query(&app, "q=search%20lease%202".into()).await;
    assert_eq!(rel.ids()[0], ids[2]);

    // Ending soonest only shows what is still open, soonest first.
    app.clock.advance(chrono::TimeDelta::minutes(90));
    let ending = query(&app, "sort=ending_soonest".into()).await;
    assert_eq!(
        ending.ids(),
        [ids[0].clone(), ids[2].clone(), ids[1].clone()]
    );

    // Filters added by this version.
    assert_eq!(
        query(
            &app,
            "sale_type=auction&county=Midland&max_net_acres=160".into()
        )
        .await
        .ids()
        .len(),
        4
    );
    assert!(query(&app, "sale_type=fixed".into()).await.ids().is_empty());
    assert!(
        query(&app, "county=midland".into()).await.ids().is_empty(),
        "county is exact"
    );
    let capped = query(&app, "limit=100000".into()).await;
    assert_eq!(capped.status, StatusCode::OK);
}
