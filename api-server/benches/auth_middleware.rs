//! Authentication middleware benchmark (issue 3; not a timed test): what an authenticated
//! request costs beyond an anonymous one, in process (no sockets, no load tool), so that the
//! middleware is isolated from network and client noise.
//!
//! ```sh
//! cargo bench -p ogf-api --bench auth_middleware
//! OGF_BENCH_ROUNDS=31 OGF_BENCH_ITERS=20000 cargo bench -p ogf-api --bench auth_middleware
//! ```
//!
//! One thread, the real app (`ogf_api::http::app`, every middleware layer) over an embedded
//! store in a temp dir, rate limits off (as in `bench/api_status.sh`), the default 5-second
//! session cache. Each case runs `OGF_BENCH_ROUNDS` rounds of `OGF_BENCH_ITERS` calls, the
//! cases interleaved round by round; the median time per call is reported.
//!
//! - `status`: `GET /api/v1/status`, no header (the baseline);
//! - `status_bearer`: the same with the `Authorization: Bearer` header (the header's own cost:
//!   the status handler ignores it);
//! - `users_me`: `GET /api/v1/users/me` with the header (authentication plus a larger body);
//! - `authenticate`: `Auth::authenticate` alone, warm (what every authenticated request pays);
//! - `jwt_verify`: `TokenKeys::verify` alone (what a token-cache miss adds).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use ogf_api::auth::JwtSecret;
use ogf_api::auth::bootstrap::ensure_admin;
use ogf_api::clock::SystemClock;
use ogf_api::http::{AppState, app};
use ogf_api::settings::{RateLimits, Settings};
use ogf_api::store::{EmbeddedStore, Store};
use tower::ServiceExt;

const ADMIN_EMAIL: &str = "admin@ogf.local";
const ADMIN_PASSWORD: &str = "bench password 0123";

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn get(router: &Router, uri: &str, token: Option<&str>) {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    std::hint::black_box(body);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds = env_or("OGF_BENCH_ROUNDS", 15).max(1);
    let iters = env_or("OGF_BENCH_ITERS", 10_000).max(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).await.unwrap());
        ensure_admin(
            store.as_ref(),
            &SystemClock,
            ADMIN_EMAIL,
            Some(ADMIN_PASSWORD.to_owned()),
        )
        .await
        .unwrap();
        let mut settings = Settings::new(JwtSecret::generate());
        settings.rate_limits = RateLimits {
            auth_per_minute: 0,
            anonymous_per_day: 0,
            user_per_minute: 0,
            trading_per_minute: 0,
        };
        let state = AppState::new(store, settings).unwrap();
        let router = app(state.clone());
        let auth = state.auth();
        let token = auth
            .login(ADMIN_EMAIL, ADMIN_PASSWORD.to_owned(), None)
            .await
            .unwrap()
            .access_token;
        let t = Some(token.as_str());

        let names = [
            "status",
            "status_bearer",
            "users_me",
            "authenticate",
            "jwt_verify",
        ];
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
        for round in 0..=rounds {
            for (case, name) in names.iter().enumerate() {
                let started = Instant::now();
                for _ in 0..iters {
                    match *name {
                        "status" => get(&router, "/api/v1/status", None).await,
                        "status_bearer" => get(&router, "/api/v1/status", t).await,
                        "users_me" => get(&router, "/api/v1/users/me", t).await,
                        "authenticate" => {
                            std::hint::black_box(auth.authenticate(&token).await.unwrap());
                        }
                        _ => {
                            let now = auth.clock().now();
                            std::hint::black_box(auth.keys().verify(&token, now).unwrap());
                        }
                    }
                }
                // Round 0 warms up (caches, allocator) and is not counted.
                if round > 0 {
                    samples[case].push(started.elapsed() / iters);
                }
            }
        }
        let medians: Vec<Duration> = samples.into_iter().map(median).collect();
        let status = medians[0].as_secs_f64();
        println!(
            "auth_middleware: {rounds} rounds x {iters} calls per case, one thread, medians\n"
        );
        println!("| case | µs per call | vs status |");
        println!("|---|---|---|");
        for (name, m) in names.iter().zip(&medians) {
            let us = m.as_secs_f64() * 1e6;
            println!(
                "| {name} | {us:.2} | {:.1} % |",
                m.as_secs_f64() / status * 100.0
            );
        }
        let extra = |i: usize| (medians[i].as_secs_f64() - status) / status * 100.0;
        println!(
            "\nextra cost over status: bearer header {:+.1} %, users_me {:+.1} %, \
             authenticate (warm) {:.1} % of a status request",
            extra(1),
            extra(2),
            medians[3].as_secs_f64() / status * 100.0
        );
        println!("session cache: {:?}", state.auth().session_cache());
    });
}
