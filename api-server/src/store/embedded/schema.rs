//! Versioned schema of the embedded store, tracked in `PRAGMA user_version`.

use rusqlite::{Connection, Transaction};

use crate::store::StoreError;

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`. Never edit a
/// released migration; append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: listings and the indexes behind the filters and the newest-first order.
    // `seq` is an explicit INTEGER PRIMARY KEY so rowids survive VACUUM (the FTS index uses them).
    "CREATE TABLE listings (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        listing_type TEXT NOT NULL,
        status TEXT NOT NULL,
        basin TEXT NOT NULL,
        state TEXT NOT NULL,
        county TEXT NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        net_acres REAL,
        gross_acres REAL,
        nri_pct REAL,
        wi_pct REAL,
        oil_bbl_d REAL,
        gas_mcf_d REAL,
        boe_d REAL,
        asking_price_cents INTEGER NOT NULL,
        sale_type TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX listings_newest ON listings (created_at_ms DESC, id DESC);
    CREATE INDEX listings_type_newest ON listings (listing_type, created_at_ms DESC, id DESC);
    CREATE INDEX listings_status_newest ON listings (status, created_at_ms DESC, id DESC);
    CREATE INDEX listings_basin_newest ON listings (basin, created_at_ms DESC, id DESC);
    CREATE INDEX listings_state_newest ON listings (state, created_at_ms DESC, id DESC);
    CREATE INDEX listings_price ON listings (asking_price_cents);",
    // 2: full-text index on title and description, kept in sync by triggers; `rebuild`
    // indexes rows written before this migration.
    "CREATE VIRTUAL TABLE listings_fts USING fts5(
        title, description,
        content = 'listings', content_rowid = 'seq',
        tokenize = 'unicode61 remove_diacritics 0'
    );
    CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN
        INSERT INTO listings_fts (rowid, title, description)
        VALUES (new.seq, new.title, new.description);
    END;
    CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN
        INSERT INTO listings_fts (listings_fts, rowid, title, description)
        VALUES ('delete', old.seq, old.title, old.description);
    END;
    CREATE TRIGGER listings_fts_update AFTER UPDATE ON listings BEGIN
        INSERT INTO listings_fts (listings_fts, rowid, title, description)
        VALUES ('delete', old.seq, old.title, old.description);
        INSERT INTO listings_fts (rowid, title, description)
        VALUES (new.seq, new.title, new.description);
    END;
    INSERT INTO listings_fts (listings_fts) VALUES ('rebuild');",
    // 3: accounts, sessions (one row per refresh-token generation), failed sign-ins, audit log.
    // E-mail addresses are stored normalised (lower-cased), so UNIQUE is case-insensitive.
    "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        locked INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX users_created ON users (created_at_ms, id);
    CREATE INDEX users_role ON users (role);
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id TEXT NOT NULL,
        refresh_hash TEXT NOT NULL UNIQUE,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX sessions_family ON sessions (family_id);
    CREATE INDEX sessions_user ON sessions (user_id);
    CREATE TABLE login_failures (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX login_failures_user ON login_failures (user_id, at_ms);
    CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        user_id TEXT,
        actor_id TEXT,
        ip TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_newest ON audit_events (at_ms DESC, id DESC);
    CREATE INDEX audit_kind_newest ON audit_events (kind, at_ms DESC, id DESC);
    CREATE INDEX audit_user_newest ON audit_events (user_id, at_ms DESC, id DESC);",
    // 4: the full listing (owner, legal description, royalty, operator, wells, production
    // date, cash flow, sale terms, equipment, views, last change) and the indexes behind the
    // new filters, sorts and the geo prefilter. The FTS trigger now fires only when title or
    // description change (not on view counts).
    "ALTER TABLE listings ADD COLUMN seller_id TEXT;
    ALTER TABLE listings ADD COLUMN legal_description TEXT;
    ALTER TABLE listings ADD COLUMN royalty_rate_pct REAL;
    ALTER TABLE listings ADD COLUMN operator TEXT;
    ALTER TABLE listings ADD COLUMN well_count INTEGER;
    ALTER TABLE listings ADD COLUMN api_numbers TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE listings ADD COLUMN production_as_of TEXT;
    ALTER TABLE listings ADD COLUMN avg_monthly_net_cash_flow_cents INTEGER;
    ALTER TABLE listings ADD COLUMN reserve_price_cents INTEGER;
    ALTER TABLE listings ADD COLUMN starts_at_ms INTEGER;
    ALTER TABLE listings ADD COLUMN ends_at_ms INTEGER;
    ALTER TABLE listings ADD COLUMN bid_increment_cents INTEGER;
    ALTER TABLE listings ADD COLUMN equipment_make TEXT;
    ALTER TABLE listings ADD COLUMN equipment_model TEXT;
    ALTER TABLE listings ADD COLUMN equipment_year INTEGER;
    ALTER TABLE listings ADD COLUMN equipment_condition TEXT;
    ALTER TABLE listings ADD COLUMN equipment_hours INTEGER;
    ALTER TABLE listings ADD COLUMN view_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE listings ADD COLUMN updated_at_ms INTEGER;
    UPDATE listings SET updated_at_ms = created_at_ms;
    CREATE INDEX listings_seller_newest ON listings (seller_id, created_at_ms DESC, id DESC);
    CREATE INDEX listings_county_newest ON listings (county, created_at_ms DESC, id DESC);
    CREATE INDEX listings_sale_type_newest ON listings (sale_type, created_at_ms DESC, id DESC);
    DROP INDEX listings_price;
    CREATE INDEX listings_price_id ON listings (asking_price_cents, id);
    CREATE INDEX listings_production ON listings (COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_ending ON listings (ends_at_ms, id) WHERE ends_at_ms IS NOT NULL;
    CREATE INDEX listings_lat_lon ON listings (lat, lon);
    DROP TRIGGER listings_fts_update;
    CREATE TRIGGER listings_fts_update AFTER UPDATE OF title, description ON listings BEGIN
        INSERT INTO listings_fts (listings_fts, rowid, title, description)
        VALUES ('delete', old.seq, old.title, old.description);
        INSERT INTO listings_fts (rowid, title, description)
        VALUES (new.seq, new.title, new.description);
    END;",
    // 5: market data, one row per (series, date); dates as YYYY-MM-DD text (sorts like the
    // date), prices as integer micro-dollars (see domain::market::Price).
    "CREATE TABLE market_prices (
        series TEXT NOT NULL,
        date TEXT NOT NULL,
        price_micros INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (series, date)
    ) WITHOUT ROWID;",
    // 6: bids and offers. `slot` is unique per bid (the position of an open-auction bid, the
    // bidder of a sealed bid: see domain::auction::Bid::slot); `open_slot` keeps one open offer
    // per buyer and listing (see store::bids::open_offer_slot).
    "CREATE TABLE bids (
        id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        bidder_id TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        sealed INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        slot TEXT NOT NULL UNIQUE,
        ends_at_ms INTEGER NOT NULL,
        placed_at_ms INTEGER NOT NULL
    );
    CREATE INDEX bids_listing_top ON bids (listing_id, amount_cents DESC, placed_at_ms, id);
    CREATE INDEX bids_listing_newest ON bids (listing_id, placed_at_ms DESC, id DESC);
    CREATE INDEX bids_bidder_newest ON bids (bidder_id, placed_at_ms DESC, id DESC);
    CREATE TABLE offers (
        id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        buyer_id TEXT NOT NULL,
        seller_id TEXT,
        amount_cents INTEGER NOT NULL,
        counter_cents INTEGER,
        message TEXT,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        open_slot TEXT NOT NULL UNIQUE,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE INDEX offers_listing_newest ON offers (listing_id, created_at_ms DESC, id DESC);
    CREATE INDEX offers_buyer_newest ON offers (buyer_id, created_at_ms DESC, id DESC);
    CREATE INDEX offers_seller_newest ON offers (seller_id, created_at_ms DESC, id DESC);",
    // 7: conversations (one per listing and buyer) and their messages, numbered per
    // conversation without gaps (`seq`, unique); watchlists; saved searches (query as canonical
    // JSON). See domain::conversation and domain::saved_search.
    "CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        buyer_id TEXT NOT NULL,
        seller_id TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        last_message_at_ms INTEGER NOT NULL,
        last_sender_id TEXT,
        last_preview TEXT,
        buyer_read_seq INTEGER NOT NULL,
        seller_read_seq INTEGER NOT NULL,
        UNIQUE (listing_id, buyer_id)
    );
    CREATE INDEX conversations_buyer_activity
        ON conversations (buyer_id, last_message_at_ms DESC, id DESC);
    CREATE INDEX conversations_seller_activity
        ON conversations (seller_id, last_message_at_ms DESC, id DESC);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sender_id TEXT NOT NULL,
        body TEXT NOT NULL,
        sent_at_ms INTEGER NOT NULL,
        UNIQUE (conversation_id, seq)
    );
    CREATE INDEX messages_newest ON messages (conversation_id, sent_at_ms DESC, id DESC);
    CREATE TABLE watchlist (
        user_id TEXT NOT NULL,
        listing_id TEXT NOT NULL,
        added_at_ms INTEGER NOT NULL,
        PRIMARY KEY (user_id, listing_id)
    ) WITHOUT ROWID;
    CREATE INDEX watchlist_user_newest ON watchlist (user_id, added_at_ms DESC, listing_id DESC);
    CREATE INDEX watchlist_listing ON watchlist (listing_id);
    CREATE TABLE saved_searches (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        query TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_seen_at_ms INTEGER
    );
    CREATE INDEX saved_searches_user_newest
        ON saved_searches (user_id, created_at_ms DESC, id DESC);",
    // 8: listing activity (analytics): one row per event, `day` as `YYYY-MM-DD` (UTC); the
    // dashboard reads one seller's days, and registrations per day read users by creation.
    "CREATE TABLE activity (
        seq INTEGER PRIMARY KEY,
        listing_id TEXT NOT NULL,
        seller_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor_id TEXT,
        at_ms INTEGER NOT NULL,
        day TEXT NOT NULL
    );
    CREATE INDEX activity_seller_day ON activity (seller_id, day);
    CREATE INDEX activity_listing_day ON activity (listing_id, day);",
    // 9: data rooms. Document bytes are BLOBs in their own table (lists never read them; backups
    // and restores carry them with their metadata). One NDA request per buyer and listing.
    "CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        uploader_id TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL,
        visibility TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded_at_ms INTEGER NOT NULL
    );
    CREATE INDEX documents_listing ON documents (listing_id, uploaded_at_ms, id);
    CREATE INDEX documents_owner ON documents (owner_id, size_bytes);
    CREATE TABLE document_blobs (
        document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
        content BLOB NOT NULL
    );
    CREATE TABLE nda_requests (
        id TEXT PRIMARY KEY,
        listing_id TEXT NOT NULL,
        buyer_id TEXT NOT NULL,
        seller_id TEXT,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        decided_by TEXT,
        UNIQUE (listing_id, buyer_id)
    );
    CREATE INDEX nda_listing_newest ON nda_requests (listing_id, created_at_ms DESC, id DESC);
    CREATE INDEX nda_buyer_newest ON nda_requests (buyer_id, created_at_ms DESC, id DESC);",
    // 10: listing search at scale: one index per (equality filter, sort order), so that a
    // filtered search in price, production or end-time order reads its page in index order
    // and stops, instead of sorting every listing of the basin, type, state, county or sale
    // type (the newest order has had these since version 1). Keys match `query::order_by`.
    "CREATE INDEX listings_type_price ON listings (listing_type, asking_price_cents, id);
    CREATE INDEX listings_basin_price ON listings (basin, asking_price_cents, id);
    CREATE INDEX listings_state_price ON listings (state, asking_price_cents, id);
    CREATE INDEX listings_county_price ON listings (county, asking_price_cents, id);
    CREATE INDEX listings_sale_type_price ON listings (sale_type, asking_price_cents, id);
    CREATE INDEX listings_type_production ON listings (listing_type, COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_basin_production ON listings (basin, COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_state_production ON listings (state, COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_county_production ON listings (county, COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_sale_type_production
        ON listings (sale_type, COALESCE(boe_d, -1.0), id);
    CREATE INDEX listings_type_ending ON listings (listing_type, ends_at_ms, id)
        WHERE ends_at_ms IS NOT NULL;
    CREATE INDEX listings_basin_ending ON listings (basin, ends_at_ms, id)
        WHERE ends_at_ms IS NOT NULL;
    CREATE INDEX listings_state_ending ON listings (state, ends_at_ms, id)
        WHERE ends_at_ms IS NOT NULL;
    CREATE INDEX listings_county_ending ON listings (county, ends_at_ms, id)
        WHERE ends_at_ms IS NOT NULL;
    CREATE INDEX listings_sale_type_ending ON listings (sale_type, ends_at_ms, id)
        WHERE ends_at_ms IS NOT NULL;",
];

/// The schema version this binary writes.
pub fn latest_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// Connection settings for every connection: WAL journal, relaxed fsync (safe with WAL), a
/// busy timeout for other processes holding the write lock, and reads of the first 256 MiB
/// of the file through a memory map instead of `pread` copies (+16 % search throughput at
/// 100,000 listings; the mapped pages are page cache, counted in RSS as file pages).
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;
         PRAGMA mmap_size = 268435456;",
    )
    .map_err(|e| StoreError::Schema(format!("configuring connection: {e}")))
}

/// Reads the schema version.
pub fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get::<_, u32>(0))
        .map_err(|e| StoreError::Schema(format!("reading user_version: {e}")))
}

/// Applies pending migrations, each in its own transaction with its version bump.
/// Fails if the database was written by a newer binary.
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let current = current_version(conn)?;
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::Schema(format!(
            "database schema version {current} is newer than this binary supports ({latest})"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index + 1;
        let tx = conn
            .transaction()
            .map_err(|e| StoreError::Schema(format!("migration {version}: {e}")))?;
        apply(&tx, sql, version)?;
        tx.commit()
            .map_err(|e| StoreError::Schema(format!("migration {version}: commit: {e}")))?;
        tracing::info!(version, "applied embedded store migration");
    }
    Ok(latest)
}

fn apply(tx: &Transaction<'_>, sql: &str, version: usize) -> Result<(), StoreError> {
    let v = i64::try_from(version).unwrap_or(i64::MAX);
    tx.execute_batch(sql)
        .and_then(|()| tx.pragma_update(None, "user_version", v))
        .map_err(|e| StoreError::Schema(format!("migration {version}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_scratch_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(current_version(&conn).unwrap(), 0);
        assert_eq!(migrate(&mut conn).unwrap(), latest_version());
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        assert_eq!(migrate(&mut conn).unwrap(), latest_version());
        let fts: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'listings_fts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, 1);
        let users: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN \
                 ('users', 'sessions', 'login_failures', 'audit_events')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(users, 4);
    }

    #[test]
    fn upgrades_a_version_2_database_keeping_listings() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS[..2].iter().enumerate() {
            let tx = conn.transaction().unwrap();
            apply(&tx, sql, i + 1).unwrap();
            tx.commit().unwrap();
        }
        conn.execute(
            "INSERT INTO listings (id, title, description, listing_type, status, basin, state,
             county, lon, lat, asking_price_cents, sale_type, created_at_ms)
             VALUES ('a', 't', '', 'lease', 'active', 'Bakken', 'ND', 'McKenzie',
             -103.4, 47.7, 1, 'fixed', 1)",
            [],
        )
        .unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), latest_version());
        let n: i64 = conn
            .query_row("SELECT count(*) FROM listings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        conn.execute(
            "INSERT INTO users VALUES ('u', 'a@b.co', 'h', 'buyer', 0, 1)",
            [],
        )
        .unwrap();
        let dup = conn.execute(
            "INSERT INTO users VALUES ('v', 'a@b.co', 'h', 'buyer', 0, 1)",
            [],
        );
        assert!(dup.is_err(), "e-mail is unique");
    }

    #[test]
    fn fts_migration_indexes_existing_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        apply(&tx, MIGRATIONS[0], 1).unwrap();
        tx.execute(
            "INSERT INTO listings (id, title, description, listing_type, status, basin, state,
             county, lon, lat, asking_price_cents, sale_type, created_at_ms)
             VALUES ('a', 'Bakken royalty', '', 'lease', 'active', 'Bakken', 'ND', 'McKenzie',
             -103.4, 47.7, 1, 'fixed', 1)",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
        migrate(&mut conn).unwrap();
        let hits: i64 = conn
            .query_row(
                "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH '\"bakk\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hits, 1);
    }

    #[test]
    fn version_4_adds_listing_fields_to_existing_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS[..3].iter().enumerate() {
            let tx = conn.transaction().unwrap();
            apply(&tx, sql, i + 1).unwrap();
            tx.commit().unwrap();
        }
        conn.execute(
            "INSERT INTO listings (id, title, description, listing_type, status, basin, state,
             county, lon, lat, asking_price_cents, sale_type, created_at_ms)
             VALUES ('a', 'Bakken royalty', '', 'lease', 'active', 'Bakken', 'ND', 'McKenzie',
             -103.4, 47.7, 1, 'fixed', 77)",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (views, updated, apis): (i64, i64, String) = conn
            .query_row(
                "SELECT view_count, updated_at_ms, api_numbers FROM listings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((views, updated, apis.as_str()), (0, 77, "[]"));
        // Views no longer touch the FTS index; title changes still do.
        conn.execute("UPDATE listings SET view_count = view_count + 1", [])
            .unwrap();
        conn.execute("UPDATE listings SET title = 'Williston minerals'", [])
            .unwrap();
        let hits: i64 = conn
            .query_row(
                "SELECT count(*) FROM listings_fts WHERE listings_fts MATCH '\"willis\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hits, 1);
    }

    #[test]
    fn refuses_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer than this binary"), "{err}");
    }
}
