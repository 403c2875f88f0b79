//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! served at `GET /openapi.json`.

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{
    admin, audit, auth, bids, health, listing_writes, listings, metrics, offers, status, users,
};
use crate::domain::{
    AuditKind, EquipmentCondition, ListingStatus, ListingType, OfferStatus, Role, SaleType,
};

/// An RFC 9457 problem body (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// `https://ogf.dev/problems/<name>`: stable, one per kind of error.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this request (never internal details).
    pub detail: String,
}

/// Implements the schema of a `wire_enum!` type: a string with its wire names.
macro_rules! wire_enum_schema {
    ($($t:ty),+) => {$(
        impl utoipa::PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(<$t>::NAMES.iter().copied()))
                    .into()
            }
        }
        impl ToSchema for $t {}
    )+};
}

wire_enum_schema!(
    Role,
    AuditKind,
    ListingType,
    ListingStatus,
    SaleType,
    EquipmentCondition,
    OfferStatus,
    crate::domain::DocumentKind,
    crate::domain::DocumentVisibility,
    crate::domain::NdaStatus,
    crate::domain::market::Series,
    crate::domain::market::Interval,
    crate::domain::market::PriceSource
);

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Oil & Gas Finder API",
        description = "Marketplace API for oil and gas assets. Errors are RFC 9457 problem \
            bodies. `/api/` is rate limited (`RateLimit-*` headers; `429` with `Retry-After`)."
    ),
    paths(
        health::live,
        health::ready,
        metrics::export,
        document,
        status::get,
        listings::search,
        listings::get,
        listing_writes::create,
        listing_writes::update,
        listing_writes::change_status,
        listing_writes::delete,
        bids::place,
        bids::list,
        bids::settle,
        bids::mine,
        offers::create,
        offers::list,
        offers::accept,
        offers::reject,
        offers::counter,
        offers::withdraw,
        offers::mine,
        auth::register,
        auth::login,
        auth::refresh,
        auth::logout,
        users::get_me,
        users::update_me,
        admin::list_users,
        admin::update_user,
        admin::delete_user,
        admin::revoke_sessions,
        audit::list,
        super::market::prices,
        super::market::summary,
        super::market::post_prices,
        super::conversations::start,
        super::conversations::inbox,
        super::conversations::messages,
        super::conversations::post_message,
        super::conversations::mark_read,
        super::conversations::unread,
        super::watchlist::watch,
        super::watchlist::unwatch,
        super::watchlist::list,
        super::saved_searches::create,
        super::saved_searches::list,
        super::saved_searches::get,
        super::saved_searches::delete,
        super::saved_searches::matches,
        super::analytics::seller_dashboard,
        super::analytics::admin_overview,
        super::profiles::get,
        super::dataroom::upload::create,
        super::dataroom::documents::list,
        super::dataroom::documents::content,
        super::dataroom::documents::delete,
        super::dataroom::nda::accept,
        super::dataroom::nda::for_listing,
        super::dataroom::nda::approve,
        super::dataroom::nda::deny,
        super::dataroom::nda::mine,
    ),
    components(schemas(ProblemDetails)),
    modifiers(&CommonResponses),
    tags(
        (name = "ops", description = "Probes, metrics, status, this document"),
        (name = "listings", description = "Asset listings"),
        (name = "bids", description = "Bids on auction and sealed-bid listings"),
        (name = "offers", description = "Offers on best-offer listings: accept, reject, counter, withdraw"),
        (name = "auth", description = "Sign-up, sign-in, token refresh, sign-out"),
        (name = "users", description = "The signed-in user's account"),
        (name = "admin", description = "User management and audit log (admins only)"),
        (name = "market", description = "Oil and gas benchmark prices (public reads, admin writes)"),
        (name = "conversations", description = "Buyer–seller message threads about listings, inbox, unread counts"),
        (name = "watchlist", description = "The caller's watched listings and saved searches with new matches"),
        (name = "analytics", description = "Seller dashboards and the admin overview"),
        (name = "data room", description = "Listing documents (uploads checked by content) and NDA access requests"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Adds the bearer scheme and the problems any operation can answer: `500` everywhere,
/// `429` under `/api/`, `413` and `415` where there is a body.
struct CommonResponses;

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDetails")))
                .build(),
        )
        .build()
        .into()
}

fn add_common(path: &str, op: &mut Operation) {
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description));
    };
    add(
        "500",
        "Unexpected failure (details are logged, not returned)",
    );
    if path.starts_with("/api/") {
        add(
            "429",
            "Rate limit exceeded (see Retry-After and RateLimit-* headers)",
        );
        add("503", "Store unavailable or request timeout");
    }
    if op.request_body.is_some() {
        add("400", "Malformed JSON");
        add("413", "Body too large");
        add("415", "Body is not JSON");
    }
}

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_common(path, op);
            }
        }
    }
}

/// The document as JSON (built once).
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
}

/// Whether the document has an operation for `method` on `path`.
pub fn has_operation(doc: &utoipa::openapi::OpenApi, method: &Method, path: &str) -> bool {
    let Some(item) = doc.paths.paths.get(path) else {
        return false;
    };
    let op = match *method {
        Method::GET => &item.get,
        Method::POST => &item.post,
        Method::PATCH => &item.patch,
        Method::PUT => &item.put,
        Method::DELETE => &item.delete,
        _ => return false,
    };
    op.is_some()
}

/// This document. Public.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn document() -> Response {
    let mut res = json().to_owned().into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
