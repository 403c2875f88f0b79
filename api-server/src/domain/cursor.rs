//! Opaque keyset cursors: base64url of `v1|<created_at ms>|<id>`.
//!
//! Results are ordered newest first by `(created_at desc, id desc)`; a cursor holds the sort key
//! of the last item of a page, and the next page holds the items strictly after it. Items added
//! later sort before any older cursor (they are newer), so a walk never repeats or skips items.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::listing::{Listing, validate_id};

/// Longest accepted encoded cursor.
const MAX_ENCODED_LEN: usize = 200;

/// A position in the newest-first order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// `created_at` of the last item seen, Unix milliseconds.
    pub created_at_ms: i64,
    /// Id of the last item seen.
    pub id: String,
}

/// Why a cursor string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor: {0}")]
pub struct CursorError(&'static str);

impl CursorError {
    /// A cursor error saying what is wrong (for other cursor formats of this crate).
    pub(crate) fn new(reason: &'static str) -> Self {
        Self(reason)
    }
}

impl Cursor {
    /// The position just after `listing`.
    pub fn after(listing: &Listing) -> Self {
        Self {
            created_at_ms: listing.created_at.timestamp_millis(),
            id: listing.id.clone(),
        }
    }

    /// The opaque string given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1|{}|{}", self.created_at_ms, self.id))
    }

    /// Parses a string made by [`Cursor::encode`].
    pub fn decode(raw: &str) -> Result<Self, CursorError> {
        if raw.is_empty() || raw.len() > MAX_ENCODED_LEN {
            return Err(CursorError("wrong length"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| CursorError("not base64url"))?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError("not UTF-8"))?;
        let mut parts = text.splitn(3, '|');
        if parts.next() != Some("v1") {
            return Err(CursorError("unknown version"));
        }
        let created_at_ms = parts
            .next()
            .and_then(|ms| ms.parse::<i64>().ok())
            .ok_or(CursorError("bad timestamp"))?;
        let id = parts.next().ok_or(CursorError("missing id"))?;
        validate_id(id).map_err(|_| CursorError("bad id"))?;
        Ok(Self {
            created_at_ms,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = Cursor {
            created_at_ms: 1_700_000_000_123,
            id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        };
        let s = c.encode();
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{s}"
        );
        assert_eq!(Cursor::decode(&s), Ok(c));
        let negative = Cursor {
            created_at_ms: -5,
            id: "x".into(),
        };
        assert_eq!(Cursor::decode(&negative.encode()), Ok(negative));
    }

    #[test]
    fn rejects_garbage() {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let bad = [
            String::new(),
            "!!!".into(),
            "a".repeat(MAX_ENCODED_LEN + 1),
            enc("v2|1|abc"),
            enc("v1|soon|abc"),
            enc("v1|1"),
            enc("v1|1|"),
            enc("v1|1|a/b"),
            enc("v1|1|{\"$ne\":1}"),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
        ];
        for b in bad {
            assert!(Cursor::decode(&b).is_err(), "{b:?} accepted");
        }
    }
}
