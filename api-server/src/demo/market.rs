//! Synthetic market history for demo installs: a seeded, mean-reverting random walk per
//! series over the weekdays of the last [`DEMO_YEARS`] years, at plausible levels (WTI around
//! $75/bbl, Brent a few dollars above, Henry Hub around $3.20/MMBtu). Integer arithmetic
//! only, so the same seed and end date give the same points on every platform. Every point
//! has source `demo` and is shown as `synthetic: true` by the API. Not real prices.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::market::{MICROS, Price, PricePoint, PriceSource, Series};
use crate::store::{MarketStore, StoreError};

/// Years of history generated.
pub const DEMO_YEARS: u32 = 5;
/// Points written per store call.
const BATCH: usize = 1_000;

/// Walk parameters of a series: `(base, low, high, volatility factor %, rounding)` in
/// micro-dollars.
fn params(series: Series) -> (i64, i64, i64, i64, i64) {
    match series {
        Series::Wti => (75 * MICROS, 30 * MICROS, 130 * MICROS, 100, 10_000),
        Series::Brent => (79_500_000, 32 * MICROS, 135 * MICROS, 95, 10_000),
        Series::HenryHub => (3_200_000, 1_500_000, 9 * MICROS, 180, 1_000),
    }
}

/// The synthetic weekday history of `series` ending on or before `last`.
pub fn history(series: Series, seed: u64, last: NaiveDate) -> Vec<PricePoint> {
    let (base, low, high, vol, round) = params(series);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let stream = match series {
        Series::Wti => 1_000,
        Series::Brent => 1_001,
        Series::HenryHub => 1_002,
    };
    rng.set_stream(stream);
    let first = last
        .checked_sub_months(Months::new(12 * DEMO_YEARS))
        .unwrap_or(last);
    let mut price = base;
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            // Triangular shock of about ±3 % (scaled per series), plus 1 % of the gap to
            // the base level, in basis points.
            let shock: i64 = rng.random_range(-150..=150) + rng.random_range(-150..=150);
            let revert = (base - price) * 100 / price.max(1);
            let step = price * (shock * vol / 100 + revert) / 10_000;
            price = (price + step).clamp(low, high);
            let rounded = (price + round / 2) / round * round;
            if let Some(p) = Price::from_micros(rounded) {
                out.push(PricePoint {
                    series,
                    date: day,
                    price: p,
                    source: PriceSource::Demo,
                });
            }
        }
        day = match day.checked_add_days(Days::new(1)) {
            Some(d) => d,
            None => break,
        };
    }
    out
}

/// Writes the synthetic history of every series ending on `today` if the store holds no
/// market data at all; returns how many points were written.
pub async fn seed_market_if_empty(
    store: &dyn MarketStore,
    seed: u64,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    if store.count_prices().await? > 0 {
        return Ok(0);
    }
    let mut written = 0;
    for series in Series::ALL {
        let points = history(*series, seed, today);
        for chunk in points.chunks(BATCH) {
            written += store.upsert_prices(chunk).await?.inserted;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
    }

    #[test]
    fn deterministic_weekday_history_at_plausible_levels() {
        for series in Series::ALL {
            let a = history(*series, 7, end());
            assert_eq!(a, history(*series, 7, end()), "{series}");
            assert_ne!(a, history(*series, 8, end()), "{series}: another seed");
            assert!((1_300..=1_310).contains(&a.len()), "{series}: {}", a.len());
            assert_eq!(a.last().unwrap().date, end());
            let (_, low, high, _, _) = params(*series);
            for p in &a {
                assert!(!matches!(p.date.weekday(), Weekday::Sat | Weekday::Sun));
                assert!((low..=high).contains(&p.price.micros()), "{p:?}");
                assert_eq!(p.source, PriceSource::Demo);
            }
            // It moves: not stuck at a bound or the base.
            let distinct: std::collections::HashSet<_> = a.iter().map(|p| p.price).collect();
            assert!(distinct.len() > 200, "{series}: {}", distinct.len());
        }
        let wti = history(Series::Wti, 7, end());
        let mean = wti.iter().map(|p| p.price.micros()).sum::<i64>() / wti.len() as i64;
        assert!(
            (50 * MICROS..=100 * MICROS).contains(&mean),
            "WTI mean {mean}"
        );
    }
}
