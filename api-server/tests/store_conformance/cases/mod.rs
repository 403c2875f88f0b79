//! The conformance cases, run by `tests/store_conformance.rs` against every backend.

mod activity;
mod audit;
mod basics;
mod bids;
mod conversations;
mod dataroom;
mod market;
mod search;
mod sorting;
mod users;
mod watchlist;
mod writes;

pub use activity::*;
pub use audit::*;
pub use basics::*;
pub use bids::*;
pub use conversations::*;
pub use dataroom::*;
pub use market::*;
pub use search::*;
pub use sorting::*;
pub use users::*;
pub use watchlist::*;
pub use writes::*;

use ogf_api::domain::{Listing, ListingFilter};
use ogf_api::store::ListingStore;

use crate::support::{expected, walk};

pub(crate) async fn load(store: &dyn ListingStore, data: &[Listing]) {
    store.insert_many(data).await.unwrap();
}

pub(crate) async fn assert_matches_reference(
    store: &dyn ListingStore,
    data: &[Listing],
    filter: &ListingFilter,
    limits: &[u32],
) {
    let want = expected(data, filter);
    for &limit in limits {
        assert_eq!(
            walk(store, filter, limit).await,
            want,
            "filter {filter:?}, limit {limit}"
        );
    }
    assert_eq!(
        store.count(filter).await.unwrap(),
        want.len() as u64,
        "count {filter:?}"
    );
}
