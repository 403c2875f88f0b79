//! API6 Unrestricted Access to Sensitive Business Flows: bid spamming, offer spraying and
//! mass registration, held to a human pace by the trading and per-IP auth budgets.

use axum::http::{Method, StatusCode};
use chrono::TimeDelta;
use ogf_api::settings::RateLimits;
use serde_json::json;

use crate::support::app::{PASSWORD, TestApp};
use crate::{call, listing};

/// Three trading actions per user and minute; nothing else limited.
pub fn three_trades_a_minute(s: &mut ogf_api::settings::Settings) {
    s.rate_limits = RateLimits {
        auth_per_minute: 0,
        anonymous_per_day: 0,
        user_per_minute: 0,
        trading_per_minute: 3,
    };
}

/// Three calls to the auth endpoints per IP and minute; nothing else limited.
pub fn three_auth_calls_a_minute(s: &mut ogf_api::settings::Settings) {
    s.rate_limits = RateLimits {
        auth_per_minute: 3,
        anonymous_per_day: 0,
        user_per_minute: 0,
        trading_per_minute: 0,
    };
}

/// A bot outbidding in a loop gets three bids in, then 429 with `Retry-After`; the refused
/// bids are not recorded, an honest bidder is unaffected, and the bot's budget returns with
/// the next minute.
pub async fn bid_spamming_runs_out_of_trading_budget(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (bot_id, bot, _) = app.user("bot@example.com", "buyer").await;
    let (_, honest, _) = app.user("honest@example.com", "buyer").await;
    let lot = listing(&app, &seller, "auction", "active", json!({})).await;
    let bids = format!("/api/v1/listings/{}/bids", lot["id"].as_str().unwrap());
    let mut amount = 1_000_000;
    let mut bid = |token: String| {
        amount += 100_000;
        let uri = bids.clone();
        let app = &app;
        async move {
            call(
                app,
                Method::POST,
                &uri,
                &token,
                json!({ "amount_cents": amount }),
            )
            .await
        }
    };
    for _ in 0..3 {
        let res = bid(bot.clone()).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    for _ in 0..5 {
        let res = bid(bot.clone()).await;
        res.assert_problem(429, "rate-limited");
        let retry: u64 = res.header("retry-after").parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
    }
    let res = bid(honest.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let all = app.get(&bids, &seller).await.json();
    let by_bot = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["bidder_id"] == bot_id.as_str())
        .count();
    assert_eq!(by_bot, 3, "{all}");
    app.clock.advance(TimeDelta::minutes(1));
    let res = bid(bot.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

/// Spraying low-ball offers over many listings shares one budget: the fourth offer, on a
/// fourth listing, is refused and never reaches that seller.
pub async fn offers_across_many_listings_share_one_budget(app: TestApp) {
    let (_, seller, _) = app.user("seller@example.com", "seller").await;
    let (_, bot, _) = app.user("bot@example.com", "buyer").await;
    let mut lots = Vec::new();
    for _ in 0..4 {
        let lot = listing(&app, &seller, "best_offer", "active", json!({})).await;
        lots.push(lot["id"].as_str().unwrap().to_owned());
    }
    for (i, id) in lots.iter().enumerate() {
        let uri = format!("/api/v1/listings/{id}/offers");
        let res = call(
            &app,
            Method::POST,
            &uri,
            &bot,
            json!({ "amount_cents": 1 + i as i64 }),
        )
        .await;
        if i < 3 {
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        } else {
            res.assert_problem(429, "rate-limited");
            let seen = app.get(&uri, &seller).await.json();
            assert_eq!(seen["items"], json!([]), "{seen}");
        }
    }
    // Reading is not trading: the bot can still look.
    let res = app
        .get(&format!("/api/v1/listings/{}", lots[3]), &bot)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

/// One address registering accounts in a loop gets three calls, then 429; the refused
/// sign-ups create nothing, and another address can still register.
pub async fn registration_spamming_hits_the_per_ip_limit(app: TestApp) {
    let from = |ip: &'static str, n: usize| {
        app.req(Method::POST, "/api/v1/auth/register")
            .ip(Some(ip))
            .json(json!({ "email": format!("bot{n}@example.com"), "password": PASSWORD }))
            .send()
    };
    for n in 0..3 {
        let res = from("198.51.100.7", n).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    for n in 3..6 {
        let res = from("198.51.100.7", n).await;
        res.assert_problem(429, "rate-limited");
        assert!(res.headers.contains_key("retry-after"));
    }
    let res = from("198.51.100.8", 99).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let admin = app
        .req(Method::POST, "/api/v1/auth/login")
        .ip(Some("203.0.113.50"))
        .json(json!({ "email": crate::support::app::ADMIN_EMAIL, "password": crate::support::app::ADMIN_PASSWORD }))
        .send()
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = app
        .get("/api/v1/admin/users?limit=100", &admin)
        .await
        .json();
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .filter(|e| e.starts_with("bot"))
        .collect();
    assert_eq!(emails.len(), 4, "{emails:?}");
    for refused in ["bot3@", "bot4@", "bot5@"] {
        assert!(!emails.iter().any(|e| e.starts_with(refused)), "{emails:?}");
    }
}
