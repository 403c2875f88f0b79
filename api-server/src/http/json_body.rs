//! [`StrictJson`]: JSON request bodies that are never interpreted loosely. Syntax errors are
//! `400 malformed-body`; unknown fields, wrong types and operator-looking keys (`$ne`,
//! `$where`, any key starting with `$`) are `422 invalid-body`; a wrong content type is `415`,
//! a body over the limit `413`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::problem::Problem;

/// Deepest accepted nesting of a body.
const MAX_DEPTH: usize = 16;

/// A JSON body deserialised into `T` (which should be `#[serde(deny_unknown_fields)]`).
#[derive(Debug, Clone)]
pub struct StrictJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// The first object key starting with `$`, or a nesting deeper than [`MAX_DEPTH`].
fn find_operator_key(value: &Value, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return Some("(nesting too deep)".to_owned());
    }
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.starts_with('$') {
                Some(k.clone())
            } else {
                find_operator_key(v, depth + 1)
            }
        }),
        Value::Array(items) => items.iter().find_map(|v| find_operator_key(v, depth + 1)),
        _ => None,
    }
}

/// Parses and checks a body (separate from the extractor so it can be tested directly).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed JSON body",
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    if let Some(key) = find_operator_key(&value, 0) {
        return Err(Problem::invalid_body(format!(
            "Key '{key}' is not allowed: keys starting with '$' are never accepted."
        )));
    }
    serde_json::from_value(value).map_err(|e| Problem::invalid_body(e.to_string()))
}

impl<S, T> FromRequest<S> for StrictJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if !is_json(&req) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "The body must be JSON (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-body",
                    "Malformed body",
                    "The request body could not be read.",
                )
            }
        })?;
        parse(&bytes).map(StrictJson)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    fn status(body: &str) -> u16 {
        parse::<Login>(body.as_bytes())
            .map(|_| 200)
            .unwrap_or_else(|p| p.status().as_u16())
    }

    #[test]
    fn accepts_exact_bodies_only() {
        assert_eq!(status(r#"{"email":"a@b.co","password":"x"}"#), 200);
        assert_eq!(status(r#"{"email":"a@b.co""#), 400);
        assert_eq!(status(""), 400);
        assert_eq!(
            status(r#"{"email":"a@b.co","password":"x","role":"admin"}"#),
            422
        );
        assert_eq!(status(r#"{"email":1,"password":"x"}"#), 422);
        assert_eq!(status(r#"{"email":{"$ne":""},"password":"x"}"#), 422);
        assert_eq!(status(r#"{"email":"a@b.co","password":{"$gt":""}}"#), 422);
        assert_eq!(status(r#"{"$where":"1","email":"a","password":"x"}"#), 422);
        assert_eq!(status(r#"[{"email":"a@b.co","password":"x"}]"#), 422);
    }

    #[test]
    fn operator_keys_are_found_at_any_depth() {
        let v: Value = serde_json::from_str(r#"{"a":[{"b":{"$in":[1]}}]}"#).unwrap();
        assert_eq!(find_operator_key(&v, 0).as_deref(), Some("$in"));
        let v: Value = serde_json::from_str(r#"{"a":"$ne","b":["$where"]}"#).unwrap();
        assert_eq!(find_operator_key(&v, 0), None, "values may contain '$'");
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let v: Value = serde_json::from_str(&deep).unwrap();
        assert!(find_operator_key(&v, 0).is_some());
    }
}
