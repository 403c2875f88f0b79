//! Every route of the app, in one table: [`super::app`] mounts exactly this table, and the
//! OpenAPI completeness test walks it.

use std::convert::Infallible;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use tower_http::limit::RequestBodyLimitLayer;

use super::{
    AppState, admin, audit, auth, bids, health, listing_writes, listings, metrics, offers, openapi,
    status, users,
};

/// `(method, path template, handler)` of every route.
fn table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/healthz", get(health::live)),
        (Method::GET, "/readyz", get(health::ready)),
        (Method::GET, "/metrics", get(metrics::export)),
        (Method::GET, "/openapi.json", get(openapi::document)),
        (Method::GET, "/api/v1/status", get(status::get)),
        (Method::GET, "/api/v1/listings", get(listings::search)),
        (
            Method::POST,
            "/api/v1/listings",
            post(listing_writes::create),
        ),
        (Method::GET, "/api/v1/listings/{id}", get(listings::get)),
        (
            Method::PATCH,
            "/api/v1/listings/{id}",
            patch(listing_writes::update),
        ),
        (
            Method::DELETE,
            "/api/v1/listings/{id}",
            delete(listing_writes::delete),
        ),
        (
            Method::POST,
            "/api/v1/listings/{id}/status",
            post(listing_writes::change_status),
        ),
        (
            Method::POST,
            "/api/v1/listings/{id}/bids",
            post(bids::place),
        ),
        (Method::GET, "/api/v1/listings/{id}/bids", get(bids::list)),
        (
            Method::POST,
            "/api/v1/listings/{id}/settle",
            post(bids::settle),
        ),
        (
            Method::POST,
            "/api/v1/listings/{id}/offers",
            post(offers::create),
        ),
        (
            Method::GET,
            "/api/v1/listings/{id}/offers",
            get(offers::list),
        ),
        (
            Method::POST,
            "/api/v1/offers/{id}/accept",
            post(offers::accept),
        ),
        (
            Method::POST,
            "/api/v1/offers/{id}/reject",
            post(offers::reject),
        ),
        (
            Method::POST,
            "/api/v1/offers/{id}/counter",
            post(offers::counter),
        ),
        (
            Method::POST,
            "/api/v1/offers/{id}/withdraw",
            post(offers::withdraw),
        ),
        (Method::GET, "/api/v1/me/bids", get(bids::mine)),
        (Method::GET, "/api/v1/me/offers", get(offers::mine)),
        (Method::POST, "/api/v1/auth/register", post(auth::register)),
        (Method::POST, "/api/v1/auth/login", post(auth::login)),
        (Method::POST, "/api/v1/auth/refresh", post(auth::refresh)),
        (Method::POST, "/api/v1/auth/logout", post(auth::logout)),
        (Method::GET, "/api/v1/users/me", get(users::get_me)),
        (Method::PATCH, "/api/v1/users/me", patch(users::update_me)),
        (Method::GET, "/api/v1/admin/users", get(admin::list_users)),
        (
            Method::PATCH,
            "/api/v1/admin/users/{id}",
            patch(admin::update_user),
        ),
        (
            Method::DELETE,
            "/api/v1/admin/users/{id}",
            delete(admin::delete_user),
        ),
        (
            Method::DELETE,
            "/api/v1/admin/users/{id}/sessions",
            delete(admin::revoke_sessions),
        ),
        (Method::GET, "/api/v1/admin/audit", get(audit::list)),
        (
            Method::GET,
            "/api/v1/market/prices",
            get(super::market::prices),
        ),
        (
            Method::POST,
            "/api/v1/admin/market/prices",
            post(super::market::post_prices),
        ),
        (
            Method::GET,
            "/api/v1/market/summary",
            get(super::market::summary),
        ),
        (
            Method::POST,
            "/api/v1/listings/{id}/conversations",
            post(super::conversations::start),
        ),
        (
            Method::GET,
            "/api/v1/conversations",
            get(super::conversations::inbox),
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}/messages",
            get(super::conversations::messages),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/messages",
            post(super::conversations::post_message),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/read",
            post(super::conversations::mark_read),
        ),
        (
            Method::GET,
            "/api/v1/me/unread",
            get(super::conversations::unread),
        ),
        (
            Method::PUT,
            "/api/v1/me/watchlist/{listing_id}",
            put(super::watchlist::watch),
        ),
        (
            Method::DELETE,
            "/api/v1/me/watchlist/{listing_id}",
            delete(super::watchlist::unwatch),
        ),
        (
            Method::GET,
            "/api/v1/me/watchlist",
            get(super::watchlist::list),
        ),
        (
            Method::POST,
            "/api/v1/me/saved-searches",
            post(super::saved_searches::create),
        ),
        (
            Method::GET,
            "/api/v1/me/saved-searches",
            get(super::saved_searches::list),
        ),
        (
            Method::GET,
            "/api/v1/me/saved-searches/{id}",
            get(super::saved_searches::get),
        ),
        (
            Method::DELETE,
            "/api/v1/me/saved-searches/{id}",
            delete(super::saved_searches::delete),
        ),
        (
            Method::GET,
            "/api/v1/me/saved-searches/{id}/matches",
            get(super::saved_searches::matches),
        ),
        (
            Method::GET,
            "/api/v1/me/analytics",
            get(super::analytics::seller_dashboard),
        ),
        (
            Method::GET,
            "/api/v1/admin/analytics",
            get(super::analytics::admin_overview),
        ),
        (
            Method::GET,
            "/api/v1/users/{id}/profile",
            get(super::profiles::get),
        ),
        (
            Method::POST,
            UPLOAD_PATH,
            post(super::dataroom::upload::create),
        ),
        (
            Method::GET,
            "/api/v1/listings/{id}/documents",
            get(super::dataroom::documents::list),
        ),
        (
            Method::GET,
            "/api/v1/documents/{id}/content",
            get(super::dataroom::documents::content),
        ),
        (
            Method::DELETE,
            "/api/v1/documents/{id}",
            delete(super::dataroom::documents::delete),
        ),
        (
            Method::POST,
            "/api/v1/listings/{id}/nda",
            post(super::dataroom::nda::accept),
        ),
        (
            Method::GET,
            "/api/v1/listings/{id}/nda-requests",
            get(super::dataroom::nda::for_listing),
        ),
        (
            Method::POST,
            "/api/v1/nda-requests/{id}/approve",
            post(super::dataroom::nda::approve),
        ),
        (
            Method::POST,
            "/api/v1/nda-requests/{id}/deny",
            post(super::dataroom::nda::deny),
        ),
        (
            Method::GET,
            "/api/v1/me/nda-requests",
            get(super::dataroom::nda::mine),
        ),
    ]
}

/// The data-room upload route: the only one that admits bodies over the JSON limit.
pub const UPLOAD_PATH: &str = "/api/v1/listings/{id}/documents";
/// Room for the multipart framing and the small parts around an upload's file.
pub const MULTIPART_OVERHEAD_BYTES: usize = 64 * 1024;

/// `(method, path template)` of every mounted route.
pub fn routes() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// A router with every route of the table, each limited to `body_limit` bytes of body except
/// the upload route ([`UPLOAD_PATH`]), limited to `upload_limit` plus the multipart framing
/// (the upload handler enforces `upload_limit` on the file itself).
pub fn router(body_limit: usize, upload_limit: usize) -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |r, (method, path, handler)| {
            let limit = if method == Method::POST && path == UPLOAD_PATH {
                upload_limit.saturating_add(MULTIPART_OVERHEAD_BYTES)
            } else {
                body_limit
            };
            let handler = handler
                .layer::<_, Infallible>(DefaultBodyLimit::max(limit))
                .layer::<_, Infallible>(RequestBodyLimitLayer::new(limit));
            r.route(path, handler)
        })
}
