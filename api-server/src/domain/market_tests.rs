use chrono::NaiveDate;

use super::*;

fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

#[test]
fn prices_parse_exactly_and_print_back() {
    for (text, micros, shown) in [
        ("71.23", 71_230_000, "71.23"),
        ("-37.63", -37_630_000, "-37.63"),
        ("3", 3_000_000, "3.00"),
        (".5", 500_000, "0.50"),
        ("+2.3456", 2_345_600, "2.3456"),
        ("0.000001", 1, "0.000001"),
        ("1000000", 1_000_000_000_000, "1000000.00"),
        (" 007.10 ", 7_100_000, "7.10"),
    ] {
        let p = Price::parse(text).unwrap();
        assert_eq!(p.micros(), micros, "{text}");
        assert_eq!(p.to_string(), shown, "{text}");
        assert_eq!(Price::parse(shown).unwrap(), p);
    }
    for bad in [
        "", ".", "-", "1e3", "1,000", "abc", "1.2.3", "NaN", "--1", "0x10",
    ] {
        assert!(
            matches!(Price::parse(bad), Err(MarketError::NotDecimal(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        Price::parse("1.0000001"),
        Err(MarketError::TooPrecise(_))
    ));
    assert!(matches!(
        Price::parse("1000000.01"),
        Err(MarketError::OutOfRange(_))
    ));
    assert!(matches!(
        Price::parse("99999999999999999999"),
        Err(MarketError::OutOfRange(_))
    ));
}

#[test]
fn dates_in_both_layouts_within_the_window() {
    assert_eq!(parse_date_loose("01/02/2026").unwrap(), d("2026-01-02"));
    assert_eq!(parse_date_loose("1/2/2026").unwrap(), d("2026-01-02"));
    assert_eq!(parse_date_loose("2026-01-02").unwrap(), d("2026-01-02"));
    for bad in [
        "2026-02-30",
        "2026-1-2",
        "1899-12-31",
        "2101-01-01",
        "13/01/2026",
        "01/02/26",
        "yesterday",
        "",
    ] {
        assert!(parse_date_loose(bad).is_err(), "{bad}");
    }
    assert!(parse_date("01/02/2026").is_err(), "strict form only");
}

#[test]
fn series_names_and_units() {
    assert_eq!(
        Series::parse_loose(" henry_hub ").unwrap(),
        Series::HenryHub
    );
    assert_eq!(Series::Wti.unit(), "USD/bbl");
    assert_eq!(Series::HenryHub.unit(), "USD/MMBtu");
    assert!(Series::parse_loose("WTI2").is_err());
}

#[test]
fn buckets_follow_iso_weeks_and_calendar_months() {
    // 2026-01-01 is a Thursday: its ISO week is 2026-W01 starting Monday 2025-12-29.
    let start = bucket_start(d("2026-01-01"), Interval::Week);
    assert_eq!(start, d("2025-12-29"));
    assert_eq!(bucket_end(start, Interval::Week), d("2026-01-04"));
    assert_eq!(bucket_label(start, Interval::Week), "2026-W01");
    // 2021-01-03 (Sunday) belongs to 2020-W53.
    let start = bucket_start(d("2021-01-03"), Interval::Week);
    assert_eq!(bucket_label(start, Interval::Week), "2020-W53");
    let start = bucket_start(d("2024-02-29"), Interval::Month);
    assert_eq!(start, d("2024-02-01"));
    assert_eq!(bucket_end(start, Interval::Month), d("2024-02-29"));
    assert_eq!(bucket_label(start, Interval::Month), "2024-02");
    assert_eq!(bucket_label(d("2024-02-29"), Interval::Day), "2024-02-29");
}
