//! Mapping between listings and rows of the `listings` table.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use crate::domain::{Listing, NewListing};
use crate::store::StoreError;

/// Columns read back into a [`Listing`], in [`from_row`] order.
pub const SELECT_COLUMNS: &str = "l.id, l.title, l.description, l.listing_type, l.status, \
     l.basin, l.state, l.county, l.lon, l.lat, l.net_acres, l.gross_acres, l.nri_pct, l.wi_pct, \
     l.oil_bbl_d, l.gas_mcf_d, l.asking_price_cents, l.sale_type, l.created_at_ms";

const INSERT: &str = "INSERT INTO listings (id, title, description, listing_type, status, basin, \
     state, county, lon, lat, net_acres, gross_acres, nri_pct, wi_pct, oil_bbl_d, gas_mcf_d, \
     boe_d, asking_price_cents, sale_type, created_at_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";

/// Inserts one listing, mapping a duplicate id to [`StoreError::Conflict`].
pub fn insert(conn: &Connection, l: &Listing) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(INSERT).map_err(backend)?;
    let params: [Value; 20] = [
        Value::Text(l.id.clone()),
        Value::Text(l.title.clone()),
        Value::Text(l.description.clone()),
        Value::Text(l.listing_type.as_str().to_owned()),
        Value::Text(l.status.as_str().to_owned()),
        Value::Text(l.basin.clone()),
        Value::Text(l.state.as_str().to_owned()),
        Value::Text(l.county.clone()),
        Value::Real(l.location.lon()),
        Value::Real(l.location.lat()),
        real(l.net_acres),
        real(l.gross_acres),
        real(l.nri_pct.map(|p| p.get())),
        real(l.wi_pct.map(|p| p.get())),
        real(l.production.map(|p| p.oil_bbl_d())),
        real(l.production.map(|p| p.gas_mcf_d())),
        real(l.boe_d()),
        Value::Integer(l.asking_price_cents),
        Value::Text(l.sale_type.as_str().to_owned()),
        Value::Integer(l.created_at.timestamp_millis()),
    ];
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

/// Reads a row selected with [`SELECT_COLUMNS`], re-validating it.
pub fn from_row(row: &Row<'_>) -> Result<Listing, StoreError> {
    let id: String = row.get(0).map_err(backend)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        id: id.clone(),
        reason,
    };
    let text = |i: usize| row.get::<_, String>(i).map_err(|e| corrupt(e.to_string()));
    let opt_real = |i: usize| {
        row.get::<_, Option<f64>>(i)
            .map_err(|e| corrupt(e.to_string()))
    };
    let real = |i: usize| row.get::<_, f64>(i).map_err(|e| corrupt(e.to_string()));
    let created_at_ms: i64 = row.get(18).map_err(|e| corrupt(e.to_string()))?;
    let created_at = DateTime::<Utc>::from_timestamp_millis(created_at_ms)
        .ok_or_else(|| corrupt(format!("created_at_ms {created_at_ms} out of range")))?;
    let input = NewListing {
        title: text(1)?,
        description: text(2)?,
        listing_type: text(3)?.parse().map_err(|e| corrupt(format!("{e}")))?,
        status: text(4)?.parse().map_err(|e| corrupt(format!("{e}")))?,
        basin: text(5)?,
        state: text(6)?,
        county: text(7)?,
        lon: real(8)?,
        lat: real(9)?,
        net_acres: opt_real(10)?,
        gross_acres: opt_real(11)?,
        nri_pct: opt_real(12)?,
        wi_pct: opt_real(13)?,
        oil_bbl_d: opt_real(14)?,
        gas_mcf_d: opt_real(15)?,
        asking_price_cents: row.get(16).map_err(|e| corrupt(e.to_string()))?,
        sale_type: text(17)?.parse().map_err(|e| corrupt(format!("{e}")))?,
    };
    input
        .validate(id.clone(), created_at)
        .map_err(|e| corrupt(e.to_string()))
}

fn real(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Real)
}

/// Maps an unexpected SQLite error.
pub fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}
