//! Conformance cases: market prices (upsert counts, ranges, on-or-before, extremes, races).

use chrono::NaiveDate;
use ogf_api::domain::market::{
    MAX_DATE, MIN_DATE, Price, PricePoint, PriceSource, Series, UpsertCounts, parse_date,
};
use ogf_api::store::Store;

fn point(series: Series, date: &str, price: &str, source: PriceSource) -> PricePoint {
    PricePoint {
        series,
        date: parse_date(date).unwrap(),
        price: Price::parse(price).unwrap(),
        source,
    }
}

fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

fn counts(inserted: u64, updated: u64, unchanged: u64) -> UpsertCounts {
    UpsertCounts {
        inserted,
        updated,
        unchanged,
    }
}

/// Weekdays of 2026-01-05 .. 2026-01-16 for WTI, and three Brent points.
fn sample() -> Vec<PricePoint> {
    let mut v = Vec::new();
    for (i, day) in ["05", "06", "07", "08", "09", "12", "13", "14", "15", "16"]
        .iter()
        .enumerate()
    {
        let price = format!("{}.{:02}", 70 + i, i * 7);
        v.push(point(
            Series::Wti,
            &format!("2026-01-{day}"),
            &price,
            PriceSource::Import,
        ));
    }
    for (day, price) in [
        ("2026-01-05", "75.5"),
        ("2026-01-09", "76"),
        ("2026-01-16", "77.25"),
    ] {
        v.push(point(Series::Brent, day, price, PriceSource::Admin));
    }
    v
}

pub async fn market_upserts_count_and_read_back_by_range(store: &dyn Store) {
    assert_eq!(store.count_prices().await.unwrap(), 0);
    assert_eq!(
        store
            .price_on_or_before(Series::Wti, MAX_DATE)
            .await
            .unwrap(),
        None
    );
    let data = sample();
    assert_eq!(store.upsert_prices(&data).await.unwrap(), counts(13, 0, 0));
    assert_eq!(
        store.upsert_prices(&data).await.unwrap(),
        counts(0, 0, 13),
        "idempotent"
    );
    assert_eq!(store.count_prices().await.unwrap(), 13);

    let mut next = vec![
        point(Series::Wti, "2026-01-05", "1.5", PriceSource::Import),
        // Same price, another source: an update.
        point(Series::Wti, "2026-01-06", "71.07", PriceSource::Admin),
        point(Series::Wti, "2026-01-07", "72.14", PriceSource::Import),
        point(Series::Wti, "2026-01-19", "80", PriceSource::Import),
    ];
    assert_eq!(store.upsert_prices(&next).await.unwrap(), counts(1, 2, 1));
    assert_eq!(store.count_prices().await.unwrap(), 14);

    let wti = store
        .prices(Series::Wti, d("2026-01-05"), d("2026-01-09"))
        .await
        .unwrap();
    let got: Vec<(String, String)> = wti
        .iter()
        .map(|p| (p.date.to_string(), p.price.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-01-05", "1.50"),
            ("2026-01-06", "71.07"),
            ("2026-01-07", "72.14"),
            ("2026-01-08", "73.21"),
            ("2026-01-09", "74.28"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned())),
        "inclusive bounds, oldest first"
    );
    assert_eq!(wti[1].source, PriceSource::Admin);
    assert!(wti.iter().all(|p| p.series == Series::Wti));
    let brent = store
        .prices(Series::Brent, MIN_DATE, MAX_DATE)
        .await
        .unwrap();
    assert_eq!(brent.len(), 3, "series are separate");
    assert!(
        store
            .prices(Series::HenryHub, MIN_DATE, MAX_DATE)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .prices(Series::Wti, d("2026-01-10"), d("2026-01-11"))
            .await
            .unwrap()
            .is_empty(),
        "a weekend"
    );

    // On or before: a Sunday falls back to Friday; before the first point there is none.
    let on = |s, date| {
        let date = d(date);
        async move { store.price_on_or_before(s, date).await.unwrap() }
    };
    assert_eq!(
        on(Series::Wti, "2026-01-11").await.unwrap().date,
        d("2026-01-09")
    );
    assert_eq!(
        on(Series::Wti, "2026-01-12").await.unwrap().date,
        d("2026-01-12")
    );
    assert_eq!(on(Series::Wti, "2026-01-04").await, None);
    assert_eq!(
        on(Series::Brent, "2026-01-15")
            .await
            .unwrap()
            .price
            .to_string(),
        "76.00"
    );
    next.sort_by_key(|p| p.date);
    assert_eq!(on(Series::Wti, "2100-12-31").await.unwrap(), next[3]);
}

pub async fn market_extreme_values_round_trip(store: &dyn Store) {
    let data = vec![
        point(Series::Wti, "1900-01-01", "-1000000", PriceSource::Demo),
        point(Series::Wti, "2020-04-20", "-37.63", PriceSource::Import),
        point(Series::Wti, "2100-12-31", "1000000", PriceSource::Admin),
        point(
            Series::HenryHub,
            "2026-01-02",
            "0.000001",
            PriceSource::Demo,
        ),
        point(Series::HenryHub, "2026-01-05", "0", PriceSource::Demo),
    ];
    assert_eq!(store.upsert_prices(&data).await.unwrap().inserted, 5);
    let mut back = store.prices(Series::Wti, MIN_DATE, MAX_DATE).await.unwrap();
    back.extend(
        store
            .prices(Series::HenryHub, MIN_DATE, MAX_DATE)
            .await
            .unwrap(),
    );
    assert_eq!(back, data);
    assert_eq!(store.upsert_prices(&[]).await.unwrap(), counts(0, 0, 0));
}

pub async fn market_concurrent_upserts_of_the_same_dates_keep_one_point_each(store: &dyn Store) {
    let day0 = d("2025-01-01");
    let batch = |price: &str| -> Vec<PricePoint> {
        (0..60u64)
            .map(|i| PricePoint {
                series: Series::Brent,
                date: day0 + chrono::Days::new(i),
                price: Price::parse(price).unwrap(),
                source: PriceSource::Import,
            })
            .collect()
    };
    let (a, b) = (batch("80.1"), batch("80.2"));
    let (ra, rb) = tokio::join!(store.upsert_prices(&a), store.upsert_prices(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.inserted + ra.updated + ra.unchanged, 60);
    assert_eq!(rb.inserted + rb.updated + rb.unchanged, 60);
    assert_eq!(store.count_prices().await.unwrap(), 60);
    let back = store
        .prices(Series::Brent, MIN_DATE, MAX_DATE)
        .await
        .unwrap();
    assert_eq!(back.len(), 60);
    assert!(
        back.iter()
            .all(|p| ["80.10", "80.20"].contains(&p.price.to_string().as_str()))
    );
}
