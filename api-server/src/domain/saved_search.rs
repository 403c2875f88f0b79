//! Watched listings and saved searches. No I/O.
//!
//! A saved search keeps a listing query in canonical form (the `GET /listings` parameters
//! that were given, validated and rewritten one way only: see `http::saved_query`), and the
//! time its matches were last fetched. "New matches" are the listings matching the query that
//! were created after that time; before the first fetch, after the search was saved.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::cursor::CursorError;
use super::listing::validate_id;
use super::terms::short_text;
use super::values::ValidationError;

/// Most saved searches one user may keep.
pub const MAX_SAVED_SEARCHES: usize = 50;
/// Longest saved-search name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A listing on a user's watchlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry {
    /// Who watches.
    pub user_id: String,
    /// The watched listing.
    pub listing_id: String,
    /// When it was added (millisecond precision); re-adding keeps the first time.
    pub added_at: DateTime<Utc>,
}

/// A saved listing search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    /// Unique id (UUID v7).
    pub id: String,
    /// Its owner.
    pub user_id: String,
    /// The owner's name for it (1-[`MAX_NAME_CHARS`] characters).
    pub name: String,
    /// The canonical `GET /listings` parameters (name → value, sorted by name).
    pub query: BTreeMap<String, String>,
    /// When it was saved (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// When its matches were last fetched and marked seen (`None`: never).
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl SavedSearch {
    /// Listings created after this instant are new: the last fetch, or the creation.
    pub fn seen_until(&self) -> DateTime<Utc> {
        self.last_seen_at.unwrap_or(self.created_at)
    }
}

/// Validates a saved-search name (trimmed, 1-[`MAX_NAME_CHARS`] characters).
pub fn search_name(raw: &str) -> Result<String, ValidationError> {
    short_text("name", raw, MAX_NAME_CHARS)
}

/// A position in a walk over the new matches of a saved search: the `since` instant of the
/// walk (fixed at its first page, since that page moves `last_seen_at`) and the last listing
/// seen in the newest-first order. Opaque to clients: base64url of
/// `m1|<since ms>|<created_at ms>|<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchesCursor {
    /// Listings created after this instant (Unix ms) are new.
    pub since_ms: i64,
    /// `created_at` of the last listing seen, Unix ms.
    pub created_at_ms: i64,
    /// Id of the last listing seen.
    pub id: String,
}

/// Longest accepted encoded matches cursor.
const MAX_CURSOR_LEN: usize = 200;

impl MatchesCursor {
    /// The opaque string given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "m1|{}|{}|{}",
            self.since_ms, self.created_at_ms, self.id
        ))
    }

    /// Parses a string made by [`MatchesCursor::encode`].
    pub fn decode(raw: &str) -> Result<Self, CursorError> {
        if raw.is_empty() || raw.len() > MAX_CURSOR_LEN {
            return Err(CursorError::new("wrong length"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| CursorError::new("not base64url"))?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError::new("not UTF-8"))?;
        let mut parts = text.splitn(4, '|');
        if parts.next() != Some("m1") {
            return Err(CursorError::new("unknown version"));
        }
        let mut number = || {
            parts
                .next()
                .and_then(|ms| ms.parse::<i64>().ok())
                .ok_or(CursorError::new("bad timestamp"))
        };
        let since_ms = number()?;
        let created_at_ms = number()?;
        let id = parts.next().ok_or(CursorError::new("missing id"))?;
        validate_id(id).map_err(|_| CursorError::new("bad id"))?;
        Ok(Self {
            since_ms,
            created_at_ms,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cursor_round_trips_and_rejects_garbage() {
        let c = MatchesCursor {
            since_ms: 1_700_000_000_000,
            created_at_ms: 1_700_000_000_123,
            id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        };
        assert_eq!(MatchesCursor::decode(&c.encode()), Ok(c));
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            String::new(),
            enc("v1|1|abc"),
            enc("m1|1|x|abc"),
            enc("m1|1|2"),
            enc("m1|1|2|a/b"),
            "!!".into(),
        ] {
            assert!(MatchesCursor::decode(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            search_name("  Permian minerals ").unwrap(),
            "Permian minerals"
        );
        assert!(search_name(" ").is_err());
        assert!(search_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
    }
}
