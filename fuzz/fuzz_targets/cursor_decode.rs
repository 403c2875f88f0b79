//! Pagination cursors from clients: decoded or refused, never a panic; what decodes
//! re-encodes to a cursor that decodes to the same position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogf_api::domain::cursor::Cursor;
use ogf_api::domain::saved_search::MatchesCursor;
use ogf_api::domain::sort::ListingCursor;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cursor) = Cursor::decode(raw) {
        let encoded = cursor.encode();
        assert_eq!(Cursor::decode(&encoded).map(|c| c.encode()).ok(), Some(encoded));
    }
    if let Ok(cursor) = ListingCursor::decode(raw) {
        let encoded = cursor.encode();
        assert_eq!(ListingCursor::decode(&encoded).map(|c| c.encode()).ok(), Some(encoded));
    }
    if let Ok(cursor) = MatchesCursor::decode(raw) {
        let encoded = cursor.encode();
        assert_eq!(MatchesCursor::decode(&encoded).map(|c| c.encode()).ok(), Some(encoded));
    }
});
