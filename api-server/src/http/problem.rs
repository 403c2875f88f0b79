//! RFC 9457 problem details: every 4xx/5xx response body is `application/problem+json`.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::store::StoreError;

/// Media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Base of the stable problem `type` URIs.
pub const TYPE_BASE: &str = "https://ogf.dev/problems/";

/// A problem response. Its `detail` is meant for clients: never put internal errors in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    name: &'static str,
    title: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl Problem {
    /// A problem of type `https://ogf.dev/problems/<name>`.
    pub fn new(
        status: StatusCode,
        name: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            name,
            title,
            detail: detail.into(),
        }
    }

    /// 400: a query or path parameter is malformed or out of range.
    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
            "Invalid request parameter",
            detail,
        )
    }

    /// 422: a JSON body has unknown fields, wrong types, operator-looking keys or breaks a rule.
    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "Invalid request body",
            detail,
        )
    }

    /// 401: no valid access token (answered with `WWW-Authenticate: Bearer`).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        )
    }

    /// 403: signed in, but the role may not call this endpoint.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Your role may not call this endpoint.",
        )
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    /// 404: no such resource.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 503: the store cannot be reached.
    pub fn store_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store-unavailable",
            "Store unavailable",
            "The data store cannot be reached; try again later.",
        )
    }

    /// 503: the server is draining before it stops (see [`super::drain`]).
    pub fn shutting_down() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            "Shutting down",
            "This instance is shutting down; other instances take the traffic.",
        )
    }

    /// 500: a bug or unexpected failure; details are in the server log.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "An unexpected error occurred; it has been logged.",
        )
    }

    /// A generic problem for a status produced outside our handlers (framework rejections).
    pub fn for_status(status: StatusCode) -> Self {
        let (name, title, detail) = match status.as_u16() {
            400 => ("bad-request", "Bad request", "The request is malformed."),
            401 => (
                "unauthorized",
                "Unauthorized",
                "A valid bearer access token is required.",
            ),
            403 => ("forbidden", "Forbidden", "You may not call this endpoint."),
            404 => ("not-found", "Not found", "No such resource."),
            405 => (
                "method-not-allowed",
                "Method not allowed",
                "See the Allow header.",
            ),
            408 => ("timeout", "Request timeout", "The request took too long."),
            413 => (
                "payload-too-large",
                "Payload too large",
                "The request body is too large.",
            ),
            415 => (
                "unsupported-media-type",
                "Unsupported media type",
                "Unsupported content type.",
            ),
            422 => (
                "invalid-body",
                "Invalid request body",
                "The request body is invalid.",
            ),
            429 => (
                "rate-limited",
                "Too many requests",
                "Slow down and retry later.",
            ),
            503 => ("unavailable", "Service unavailable", "Try again later."),
            s if s >= 500 => (
                "internal",
                "Internal server error",
                "An unexpected error occurred.",
            ),
            _ => (
                "client-error",
                "Client error",
                "The request cannot be served.",
            ),
        };
        Self::new(status, name, title, detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong in this request (the `detail` member).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            kind: format!("{TYPE_BASE}{}", self.name),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut res = (self.status, json).into_response();
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

impl From<StoreError> for Problem {
    /// Logs the error (with the request's span) and hides its details from the client.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "store unavailable");
                Problem::store_unavailable()
            }
            StoreError::Conflict(_) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                "A resource with this id already exists.",
            ),
            _ => {
                tracing::error!(error = %e, "store failure");
                Problem::internal()
            }
        }
    }
}

impl From<AuthError> for Problem {
    /// Sign-in failures all look alike; internal failures are logged and hidden.
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
                "Invalid e-mail or password.",
            ),
            AuthError::InvalidToken => {
                Problem::unauthorized("The access token is invalid, expired or revoked.")
            }
            AuthError::InvalidRefreshToken | AuthError::RefreshTokenReused => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-refresh-token",
                "Invalid refresh token",
                "The refresh token is invalid, expired or revoked; sign in again.",
            ),
            AuthError::EmailTaken => {
                Problem::conflict("This e-mail address is already registered.")
            }
            AuthError::Invalid(v) => Problem::invalid_body(v.to_string()),
            AuthError::Store(e) => Problem::from(e),
            AuthError::Hashing(_) | AuthError::Internal(_) => {
                tracing::error!(error = %e, "authentication failure");
                Problem::internal()
            }
        }
    }
}

/// Fallback for unknown routes.
pub async fn no_route() -> Problem {
    Problem::not_found("No such route.")
}

/// Middleware: turns any other 4xx/5xx (framework rejections, 405) into a problem body,
/// keeping the status and headers such as `Allow`.
pub async fn ensure_problem_body(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_error = res.status().is_client_error() || res.status().is_server_error();
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !is_error || is_problem {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let (problem_parts, body) = Problem::for_status(parts.status)
        .into_response()
        .into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}
