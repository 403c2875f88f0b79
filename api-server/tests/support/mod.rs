//! Shared fixtures of the integration tests: listings built for filter and text edge cases,
//! and the reference ordering both stores must reproduce.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use ogf_api::domain::{
    Listing, ListingFilter, ListingStatus, ListingType, NewListing, SaleType, SearchQuery,
};
use ogf_api::store::ListingStore;

pub mod app;
pub mod backends;
pub mod http;

/// App settings for tests: a random key and no rate limits.
pub fn unlimited_settings() -> ogf_api::settings::Settings {
    let mut s = ogf_api::settings::Settings::new(ogf_api::auth::JwtSecret::generate());
    s.rate_limits = ogf_api::settings::RateLimits {
        auth_per_minute: 0,
        anonymous_per_day: 0,
        user_per_minute: 0,
        trading_per_minute: 0,
    };
    s
}

/// A fixed instant for deterministic data.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

/// A valid listing input; tests override fields.
pub fn input(title: &str, description: &str) -> NewListing {
    NewListing {
        title: title.into(),
        description: description.into(),
        listing_type: ListingType::MineralRights,
        status: ListingStatus::Active,
        basin: "Permian".into(),
        state: "TX".into(),
        county: "Midland".into(),
        lon: -102.03,
        lat: 31.87,
        net_acres: None,
        gross_acres: None,
        nri_pct: None,
        wi_pct: None,
        oil_bbl_d: None,
        gas_mcf_d: None,
        asking_price_cents: 10_000_000,
        sale_type: SaleType::Fixed,
        ..NewListing::default()
    }
}

/// Validates `n` into a listing with this id and creation time.
pub fn make(id: &str, n: NewListing, created_at: DateTime<Utc>) -> Listing {
    n.validate(id.into(), created_at).unwrap()
}

/// Twelve listings covering every filter boundary and text tokenisation case. Three of them
/// share one `created_at` (id decides their order).
pub fn crafted() -> Vec<Listing> {
    let at = |minutes: i64| t0() - Duration::minutes(minutes);
    let mut v = Vec::new();
    let mut n = input(
        "Midland Basin Minerals",
        "Permian royalty acreage under Midland County.",
    );
    n.net_acres = Some(50.0);
    n.gross_acres = Some(640.0);
    n.oil_bbl_d = Some(10.0);
    n.gas_mcf_d = Some(60.0);
    n.asking_price_cents = 50_000_000;
    v.push(make("c01", n, at(1)));

    let mut n = input(
        "Mid-Continent WI package",
        "SCOOP/STACK wells; STACK play, Grady County.",
    );
    n.listing_type = ListingType::WorkingInterest;
    n.basin = "SCOOP/STACK".into();
    n.state = "OK".into();
    n.county = "Grady".into();
    n.nri_pct = Some(80.0);
    n.wi_pct = Some(25.0);
    n.net_acres = Some(49.99);
    n.oil_bbl_d = Some(120.0);
    n.gas_mcf_d = Some(900.0);
    n.asking_price_cents = 120_000_000;
    n.sale_type = SaleType::Auction;
    v.push(make("c02", n, at(2)));

    let mut n = input(
        "MIDLAND county lease",
        "100% WI, 80% NRI, primary term to 2028.",
    );
    n.listing_type = ListingType::Lease;
    n.nri_pct = Some(79.999);
    n.wi_pct = Some(100.0);
    n.net_acres = Some(320.0);
    n.gross_acres = Some(320.0);
    n.asking_price_cents = 49_999_999;
    n.status = ListingStatus::Draft;
    v.push(make("c03", n, at(3)));

    let mut n = input("Bakken Non-op", "McKenzie County, ND; oil-weighted.");
    n.listing_type = ListingType::WorkingInterest;
    n.basin = "Bakken".into();
    n.state = "ND".into();
    n.county = "McKenzie".into();
    n.nri_pct = Some(75.0);
    n.net_acres = Some(120.0);
    n.oil_bbl_d = Some(200.0);
    n.gas_mcf_d = Some(300.0);
    n.asking_price_cents = 800_000_000;
    n.status = ListingStatus::UnderContract;
    v.push(make("c04", n, at(4)));

    let mut n = input(
        "Haynesville gas unit",
        "Dry gas \u{2014} DeSoto Parish, Louisiana.",
    );
    n.listing_type = ListingType::ProducingProperty;
    n.basin = "Haynesville".into();
    n.state = "LA".into();
    n.county = "DeSoto".into();
    n.gas_mcf_d = Some(6_000.0);
    n.nri_pct = Some(87.5);
    n.asking_price_cents = 0;
    v.push(make("c05", n, at(5)));

    let mut n = input(
        "Equipment: compressor",
        "Ariel JGK/4, 1,340 HP, field-ready.",
    );
    n.listing_type = ListingType::Equipment;
    n.asking_price_cents = 35_000_000;
    n.sale_type = SaleType::BestOffer;
    v.push(make("c06", n, at(6)));

    let mut n = input("Permian_Basin title with underscore", "");
    n.listing_type = ListingType::RoyaltyInterest;
    n.net_acres = Some(50.0);
    n.oil_bbl_d = Some(60.0);
    v.push(make("c07", n, at(7)));

    let mut n = input("Regex chars (.*) [test] $where", "a+b=c {\"$ne\": null}");
    n.listing_type = ListingType::Service;
    n.status = ListingStatus::Withdrawn;
    v.push(make("c08", n, at(8)));

    let mut n = input("\u{d1}and\u{fa} royalty", "\u{dc}n\u{ef}code text");
    n.listing_type = ListingType::RoyaltyInterest;
    n.state = "NM".into();
    n.county = "Lea".into();
    v.push(make("c09", n, at(9)));

    for (id, title) in [
        ("c10", "Tie breaker alpha"),
        ("c12", "Tie breaker gamma"),
        ("c11", "Tie breaker beta"),
    ] {
        let mut n = input(title, "Same created_at as two others.");
        n.status = ListingStatus::Sold;
        n.basin = "DJ".into();
        n.state = "CO".into();
        n.county = "Weld".into();
        v.push(make(id, n, at(10)));
    }
    v
}

/// Ids of `data` matching `filter`, newest first (the reference order).
pub fn expected(data: &[Listing], filter: &ListingFilter) -> Vec<String> {
    let mut hits: Vec<&Listing> = data.iter().filter(|l| filter.matches(l)).collect();
    hits.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    hits.into_iter().map(|l| l.id.clone()).collect()
}

/// Follows cursors from the first page to the last and returns every id seen, in order.
pub async fn walk(store: &dyn ListingStore, filter: &ListingFilter, limit: u32) -> Vec<String> {
    let mut query = SearchQuery {
        limit,
        ..SearchQuery::new(filter.clone())
    };
    let mut ids = Vec::new();
    for _ in 0..10_000 {
        let page = store.search(&query).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.iter().map(|l| l.id.clone()));
        match page.next {
            Some(c) => query.after = Some(c),
            None => return ids,
        }
    }
    panic!("pagination did not end");
}
