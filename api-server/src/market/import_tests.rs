use super::*;

fn dates(p: &Parsed) -> Vec<String> {
    p.points.iter().map(|(d, _)| d.to_string()).collect()
}

#[test]
fn plain_date_price_csv() {
    let p = parse("Date,Price\n2026-01-02,71.23\r\n2026-01-05,72.10\n\n").unwrap();
    assert_eq!(dates(&p), ["2026-01-02", "2026-01-05"]);
    assert_eq!(p.points[0].1.to_string(), "71.23");
    assert_eq!(p.skipped, 0);
}

#[test]
fn fred_layout_with_missing_values() {
    let text = "observation_date,DCOILWTICO\n2026-01-01,.\n2026-01-02,71.23\n2026-01-05,\n";
    let p = parse(text).unwrap();
    assert_eq!(dates(&p), ["2026-01-02"]);
    assert_eq!(p.skipped, 2);
}

#[test]
fn eia_download_with_preamble_and_us_dates_newest_first() {
    let text = "\u{feff}Cushing OK WTI Spot Price FOB Daily\n\
        https://www.eia.gov/dnav/pet/hist/LeafHandler.ashx?n=PET&s=RWTC&f=D\n\
        Data Source: Thomson Reuters\n\
        Day,\"Cushing, OK WTI Spot Price FOB Dollars per Barrel\"\n\
        01/05/2026,72.1\n01/02/2026,\"71.23\"\n";
    let p = parse(text).unwrap();
    assert_eq!(
        dates(&p),
        ["2026-01-02", "2026-01-05"],
        "sorted oldest first"
    );
}

#[test]
fn headerless_and_multi_column_files() {
    let p = parse("2026-01-02,71.23\n2026-01-03,70\n").unwrap();
    assert_eq!(p.points.len(), 2);
    let p = parse("Date,Open,High,Low,Close,Volume\n2026-01-02,70,72,69,71.5,1000\n").unwrap();
    assert_eq!(p.points[0].1.to_string(), "71.50");
    let e = parse("Date,Open,High\n2026-01-02,1,2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: cannot tell which column holds the price: name it Price"
    );
}

#[test]
fn malformed_csv_names_the_line() {
    let cases = [
        (
            "Date,Price\n2026-01-02,71.23\n2026-13-01,70\n",
            "line 3: date:",
        ),
        ("Date,Price\n2026-01-02,abc\n", "line 2: price:"),
        (
            "Date,Price\n2026-01-02\n",
            "line 2: expected at least 2 fields",
        ),
        (
            "Date,Price\n2026-01-02,1\n\n2026-01-02,2\n",
            "line 4: date 2026-01-02 appears twice (first on line 2)",
        ),
        (
            "Date,Price\n\"2026-01-02,1\n",
            "line 2: unterminated double quote",
        ),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{text:?}: {e}");
    }
    let junk = "hello\n".repeat(MAX_PREAMBLE + 1);
    assert!(
        parse(&junk)
            .unwrap_err()
            .to_string()
            .starts_with("line 11: no header")
    );
    assert!(matches!(parse(""), Err(ImportError::Layout(_))));
}

#[test]
fn eia_api_v2_json() {
    let text = r#"{"response": {"total": 3, "frequency": "daily", "data": [
        {"period": "2026-01-05", "series": "RWTC", "value": 72.1, "units": "$/BBL"},
        {"period": "2026-01-02", "series": "RWTC", "value": "71.23"},
        {"period": "2026-01-01", "series": "RWTC", "value": null}
    ]}}"#;
    let p = parse(text).unwrap();
    assert_eq!(dates(&p), ["2026-01-02", "2026-01-05"]);
    assert_eq!(p.points[1].1.to_string(), "72.10");
    assert_eq!(p.skipped, 1);
}

#[test]
fn malformed_eia_json_names_the_record() {
    let cases = [
        (
            r#"{"response": {"data": [{"period": "2026-01", "value": 1}]}}"#,
            "response.data[0]: period '2026-01'",
        ),
        (
            r#"{"response": {"data": [{"period": "2026-01-02", "value": 1}, {"value": 2}]}}"#,
            "response.data[1]: no \"period\"",
        ),
        (
            r#"{"response": {"data": [{"period": "2026-01-02", "value": true}]}}"#,
            "response.data[0]: value true",
        ),
        (
            r#"{"response": {"data": [{"period": "2026-01-02", "series": "RWTC", "value": 1}, {"period": "2026-01-03", "series": "RBRTE", "value": 1}]}}"#,
            "response.data[1]: several EIA series",
        ),
        (r#"{"data": []}"#, "not an EIA API v2 response"),
        ("{\"response\": \n{\"data\": [}", "invalid JSON: "),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{text}: {e}");
    }
    let e = parse("{\"response\": \n{\"data\": [}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn points_after_the_latest_date_are_refused() {
    let p = parse("Date,Price\n2026-01-02,71.23\n2026-01-04,1\n2099-12-31,2\n").unwrap();
    let latest = NaiveDate::from_ymd_opt(2026, 1, 3).unwrap();
    let e = refuse_future(&p, latest).unwrap_err().to_string();
    assert_eq!(
        e,
        "2 point(s) dated after 2026-01-03, the latest accepted date (first: 2026-01-04)"
    );
    let day_after = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
    assert_eq!(refuse_future(&p, day_after), Ok(()));
}
