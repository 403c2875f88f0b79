//! Listing search parameters as a query string: parsed into a query or refused with a
//! problem, never a panic; full-text terms are non-empty lower-case letters and digits only,
//! so no query syntax can reach a store.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogf_api::domain::search::TextQuery;
use ogf_api::http::search_params::SearchParams;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(query)) = TextQuery::parse(text) {
        for term in query.terms() {
            assert!(!term.is_empty());
            assert!(term.chars().all(char::is_alphanumeric), "term {term:?} of {text:?}");
            assert_eq!(&term.to_lowercase(), term, "term {term:?} of {text:?}");
        }
    }
    if let Ok(params) = serde_urlencoded::from_str::<SearchParams>(text) {
        let _ = params.into_query();
    }
});
