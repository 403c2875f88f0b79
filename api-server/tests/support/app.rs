//! A test app over any store: a hand-moved clock, a known admin, and a request builder that
//! sets the client address (`ConnectInfo`), headers, bearer tokens and bodies.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use chrono::Utc;
use http_body_util::BodyExt;
use ogf_api::auth::bootstrap::ensure_admin;
use ogf_api::clock::ManualClock;
use ogf_api::http::{AppState, app};
use ogf_api::settings::Settings;
use ogf_api::store::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::http::Response;

/// E-mail of the admin every test app has.
pub const ADMIN_EMAIL: &str = "admin@ogf.local";
/// Password of that admin.
pub const ADMIN_PASSWORD: &str = "admin password 0123";
/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery";

/// The app under test.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
}

impl TestApp {
    /// An app over `store` with unlimited rates, changed by `adjust`, and the admin account.
    pub async fn new(store: Arc<dyn Store>, adjust: impl FnOnce(&mut Settings)) -> Self {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let mut settings = super::unlimited_settings();
        settings.clock = clock.clone();
        adjust(&mut settings);
        ensure_admin(
            store.as_ref(),
            clock.as_ref(),
            ADMIN_EMAIL,
            Some(ADMIN_PASSWORD.to_owned()),
        )
        .await
        .unwrap();
        let state = AppState::new(store.clone(), settings).unwrap();
        Self {
            router: app(state.clone()),
            state,
            clock,
            store,
        }
    }

    /// A request to send with [`Req::send`].
    pub fn req(&self, method: Method, uri: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            uri: uri.to_owned(),
            headers: Vec::new(),
            body: None,
            ip: Some("192.0.2.10".parse().unwrap()),
        }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Response {
        self.req(Method::GET, uri).token(token).send().await
    }

    pub async fn register(&self, email: &str, password: &str, role: Option<&str>) -> Response {
        let mut body = json!({ "email": email, "password": password });
        if let Some(r) = role {
            body["role"] = json!(r);
        }
        self.req(Method::POST, "/api/v1/auth/register")
            .json(body)
            .send()
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.req(Method::POST, "/api/v1/auth/login")
            .json(json!({ "email": email, "password": password }))
            .send()
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.req(Method::POST, "/api/v1/auth/refresh")
            .json(json!({ "refresh_token": refresh_token }))
            .send()
            .await
    }

    /// Signs in (must succeed): `(access, refresh)`.
    pub async fn tokens(&self, email: &str, password: &str) -> (String, String) {
        let res = self.login(email, password).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let t = res.json();
        (
            t["access_token"].as_str().unwrap().to_owned(),
            t["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn admin_token(&self) -> String {
        self.tokens(ADMIN_EMAIL, ADMIN_PASSWORD).await.0
    }

    /// Registers `email` with `role` and signs in: `(id, access, refresh)`.
    pub async fn user(&self, email: &str, role: &str) -> (String, String, String) {
        let res = self.register(email, PASSWORD, Some(role)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let id = res.json()["id"].as_str().unwrap().to_owned();
        let (access, refresh) = self.tokens(email, PASSWORD).await;
        (id, access, refresh)
    }

    /// The app's metrics text.
    pub async fn metrics(&self) -> String {
        self.req(Method::GET, "/metrics").send().await.body
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    ip: Option<IpAddr>,
}

impl Req<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: Value) -> Self {
        self.raw("application/json", body.to_string().as_bytes())
    }

    pub fn raw(mut self, content_type: &str, body: &[u8]) -> Self {
        if !content_type.is_empty() {
            self = self.header("content-type", content_type);
        }
        self.body = Some(body.to_vec());
        self
    }

    /// The peer address (`None`: no connection info, as with a bare `oneshot`).
    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.map(|s| s.parse().unwrap());
        self
    }

    pub async fn send(self) -> Response {
        let mut builder = Request::builder().method(self.method).uri(&self.uri);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let mut req = builder
            .body(self.body.map_or_else(Body::empty, Body::from))
            .unwrap();
        if let Some(ip) = self.ip {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
        }
        let res = self.app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Response {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
}
