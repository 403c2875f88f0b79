//! Mapping between listings and rows of the `listings` table.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use crate::domain::{EquipmentDetails, Listing, ListingMeta, NewListing, SaleTerms};
use crate::store::StoreError;

/// Columns read back into a [`Listing`] by [`from_row`] (by name).
pub const SELECT_COLUMNS: &str = "l.*";

/// Columns a write never changes: identity, owner, creation, the view counter.
const IMMUTABLE: &[&str] = &["id", "seller_id", "created_at_ms", "view_count"];

/// Every stored column of a listing with its value.
fn columns(l: &Listing) -> Vec<(&'static str, Value)> {
    let text = |s: &str| Value::Text(s.to_owned());
    let opt_text = |s: Option<&str>| s.map_or(Value::Null, text);
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    let ms = |t: Option<DateTime<Utc>>| int(t.map(|t| t.timestamp_millis()));
    let eq = l.equipment.as_ref();
    let api_numbers: Vec<&str> = l.api_numbers.iter().map(|a| a.as_str()).collect();
    vec![
        ("id", text(&l.id)),
        ("seller_id", opt_text(l.seller_id.as_deref())),
        ("title", text(&l.title)),
        ("description", text(&l.description)),
        ("listing_type", text(l.listing_type.as_str())),
        ("status", text(l.status.as_str())),
        ("basin", text(&l.basin)),
        ("state", text(l.state.as_str())),
        ("county", text(&l.county)),
        (
            "legal_description",
            opt_text(l.legal_description.as_deref()),
        ),
        ("lon", Value::Real(l.location.lon())),
        ("lat", Value::Real(l.location.lat())),
        ("net_acres", real(l.net_acres)),
        ("gross_acres", real(l.gross_acres)),
        ("nri_pct", real(l.nri_pct.map(|p| p.get()))),
        ("wi_pct", real(l.wi_pct.map(|p| p.get()))),
        (
            "royalty_rate_pct",
            real(l.royalty_rate_pct.map(|p| p.get())),
        ),
        ("operator", opt_text(l.operator.as_deref())),
        ("well_count", int(l.well_count.map(i64::from))),
        (
            "api_numbers",
            Value::Text(serde_json::to_string(&api_numbers).unwrap_or_else(|_| "[]".into())),
        ),
        ("oil_bbl_d", real(l.production.map(|p| p.oil_bbl_d()))),
        ("gas_mcf_d", real(l.production.map(|p| p.gas_mcf_d()))),
        ("boe_d", real(l.boe_d())),
        (
            "production_as_of",
            opt_text(l.production_as_of.map(|d| d.to_string()).as_deref()),
        ),
        (
            "avg_monthly_net_cash_flow_cents",
            int(l.avg_monthly_net_cash_flow_cents),
        ),
        ("asking_price_cents", Value::Integer(l.asking_price_cents)),
        ("sale_type", text(l.sale_type.as_str())),
        ("reserve_price_cents", int(l.terms.reserve_price_cents)),
        ("starts_at_ms", ms(l.terms.starts_at)),
        ("ends_at_ms", ms(l.terms.ends_at)),
        ("bid_increment_cents", int(l.terms.bid_increment_cents)),
        ("equipment_make", opt_text(eq.map(|e| e.make.as_str()))),
        ("equipment_model", opt_text(eq.map(|e| e.model.as_str()))),
        (
            "equipment_year",
            int(eq.and_then(|e| e.year).map(i64::from)),
        ),
        (
            "equipment_condition",
            opt_text(eq.map(|e| e.condition.as_str())),
        ),
        (
            "equipment_hours",
            int(eq.and_then(|e| e.hours).map(i64::from)),
        ),
        (
            "view_count",
            Value::Integer(i64::try_from(l.view_count).unwrap_or(i64::MAX)),
        ),
        (
            "created_at_ms",
            Value::Integer(l.created_at.timestamp_millis()),
        ),
        (
            "updated_at_ms",
            Value::Integer(l.updated_at.timestamp_millis()),
        ),
    ]
}

/// Every column written, in [`columns`] order.
const NAMES: &[&str] = &[
    "id",
    "seller_id",
    "title",
    "description",
    "listing_type",
    "status",
    "basin",
    "state",
    "county",
    "legal_description",
    "lon",
    "lat",
    "net_acres",
    "gross_acres",
    "nri_pct",
    "wi_pct",
    "royalty_rate_pct",
    "operator",
    "well_count",
    "api_numbers",
    "oil_bbl_d",
    "gas_mcf_d",
    "boe_d",
    "production_as_of",
    "avg_monthly_net_cash_flow_cents",
    "asking_price_cents",
    "sale_type",
    "reserve_price_cents",
    "starts_at_ms",
    "ends_at_ms",
    "bid_increment_cents",
    "equipment_make",
    "equipment_model",
    "equipment_year",
    "equipment_condition",
    "equipment_hours",
    "view_count",
    "created_at_ms",
    "updated_at_ms",
];

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let marks: Vec<String> = (1..=NAMES.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO listings ({}) VALUES ({})",
        NAMES.join(", "),
        marks.join(", ")
    )
});

static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = NAMES
        .iter()
        .filter(|n| !IMMUTABLE.contains(n))
        .map(|n| format!("{n} = ?"))
        .collect();
    format!(
        "UPDATE listings SET {} WHERE id = ? AND updated_at_ms = ?",
        sets.join(", ")
    )
});

/// Inserts one listing, mapping a duplicate id to [`StoreError::Conflict`].
pub fn insert(conn: &Connection, l: &Listing) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(&INSERT).map_err(backend)?;
    let params = columns(l).into_iter().map(|c| c.1);
    match stmt.execute(rusqlite::params_from_iter(params)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(StoreError::Conflict(l.id.clone()))
        }
        Err(e) => Err(backend(e)),
    }
}

/// Rewrites every mutable column of `l` if the row's `updated_at_ms` is still `expected_ms`.
pub fn update(conn: &Connection, l: &Listing, expected_ms: i64) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached(&UPDATE).map_err(backend)?;
    let mut params: Vec<Value> = columns(l)
        .into_iter()
        .filter(|c| !IMMUTABLE.contains(&c.0))
        .map(|c| c.1)
        .collect();
    params.push(Value::Text(l.id.clone()));
    params.push(Value::Integer(expected_ms));
    let n = stmt
        .execute(rusqlite::params_from_iter(params))
        .map_err(backend)?;
    Ok(n == 1)
}

/// Reads a row selected with [`SELECT_COLUMNS`], re-validating it.
pub fn from_row(row: &Row<'_>) -> Result<Listing, StoreError> {
    let id: String = row.get("id").map_err(backend)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        id: id.clone(),
        reason,
    };
    let get = |name: &str| -> Result<Value, StoreError> {
        row.get::<_, Value>(name)
            .map_err(|e| corrupt(e.to_string()))
    };
    let text = |name: &str| match get(name)? {
        Value::Text(s) => Ok(s),
        v => Err(corrupt(format!("{name}: expected text, got {v:?}"))),
    };
    let opt_text = |name: &str| match get(name)? {
        Value::Null => Ok(None),
        Value::Text(s) => Ok(Some(s)),
        v => Err(corrupt(format!("{name}: expected text, got {v:?}"))),
    };
    let opt_int = |name: &str| match get(name)? {
        Value::Null => Ok(None),
        Value::Integer(i) => Ok(Some(i)),
        v => Err(corrupt(format!("{name}: expected integer, got {v:?}"))),
    };
    let int = |name: &str| opt_int(name)?.ok_or_else(|| corrupt(format!("{name} is null")));
    let opt_real = |name: &str| match get(name)? {
        Value::Null => Ok(None),
        Value::Real(r) => Ok(Some(r)),
        Value::Integer(i) => Ok(Some(i as f64)),
        v => Err(corrupt(format!("{name}: expected real, got {v:?}"))),
    };
    let real = |name: &str| opt_real(name)?.ok_or_else(|| corrupt(format!("{name} is null")));
    let time = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .ok_or_else(|| corrupt(format!("time {ms} ms out of range")))
    };
    let opt_time = |name: &str| opt_int(name)?.map(time).transpose();
    let small = |name: &str, v: Option<i64>| {
        v.map(u32::try_from)
            .transpose()
            .map_err(|_| corrupt(format!("{name} out of range")))
    };
    let parse = |e: &dyn std::fmt::Display| corrupt(e.to_string());
    let created_at = time(int("created_at_ms")?)?;
    let updated_at = opt_time("updated_at_ms")?.unwrap_or(created_at);
    let equipment = match opt_text("equipment_make")? {
        None => None,
        Some(make) => Some(EquipmentDetails {
            make,
            model: opt_text("equipment_model")?.unwrap_or_default(),
            year: opt_int("equipment_year")?
                .map(u16::try_from)
                .transpose()
                .map_err(|_| corrupt("equipment_year out of range".into()))?,
            condition: text("equipment_condition")?
                .parse()
                .map_err(|e| parse(&e))?,
            hours: small("equipment_hours", opt_int("equipment_hours")?)?,
        }),
    };
    let api_numbers: Vec<String> = serde_json::from_str(&text("api_numbers")?)
        .map_err(|e| corrupt(format!("api_numbers: {e}")))?;
    let input = NewListing {
        title: text("title")?,
        description: text("description")?,
        listing_type: text("listing_type")?.parse().map_err(|e| parse(&e))?,
        status: text("status")?.parse().map_err(|e| parse(&e))?,
        basin: text("basin")?,
        state: text("state")?,
        county: text("county")?,
        legal_description: opt_text("legal_description")?,
        lon: real("lon")?,
        lat: real("lat")?,
        net_acres: opt_real("net_acres")?,
        gross_acres: opt_real("gross_acres")?,
        nri_pct: opt_real("nri_pct")?,
        wi_pct: opt_real("wi_pct")?,
        royalty_rate_pct: opt_real("royalty_rate_pct")?,
        operator: opt_text("operator")?,
        well_count: small("well_count", opt_int("well_count")?)?,
        api_numbers,
        oil_bbl_d: opt_real("oil_bbl_d")?,
        gas_mcf_d: opt_real("gas_mcf_d")?,
        production_as_of: opt_text("production_as_of")?
            .map(|d| d.parse::<NaiveDate>())
            .transpose()
            .map_err(|e| parse(&e))?,
        avg_monthly_net_cash_flow_cents: opt_int("avg_monthly_net_cash_flow_cents")?,
        asking_price_cents: int("asking_price_cents")?,
        sale_type: text("sale_type")?.parse().map_err(|e| parse(&e))?,
        terms: SaleTerms {
            reserve_price_cents: opt_int("reserve_price_cents")?,
            starts_at: opt_time("starts_at_ms")?,
            ends_at: opt_time("ends_at_ms")?,
            bid_increment_cents: opt_int("bid_increment_cents")?,
        },
        equipment,
    };
    let meta = ListingMeta {
        id: id.clone(),
        seller_id: opt_text("seller_id")?,
        view_count: u64::try_from(int("view_count")?).unwrap_or(0),
        created_at,
        updated_at,
    };
    input
        .validate_with(meta)
        .map_err(|e| corrupt(e.to_string()))
}

fn real(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Real)
}

/// Maps an unexpected SQLite error.
pub fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn column_names_follow_the_values() {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let l = NewListing {
            title: "Some lease".into(),
            basin: "Permian".into(),
            state: "TX".into(),
            county: "Midland".into(),
            ..NewListing::default()
        }
        .validate("a".into(), at)
        .unwrap();
        let names: Vec<&str> = columns(&l).into_iter().map(|c| c.0).collect();
        assert_eq!(names, NAMES);
    }
}
