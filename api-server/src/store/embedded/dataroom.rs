//! [`DataRoomStore`] on SQLite: tables `documents`, `document_blobs` and `nda_requests`
//! (migration 7). An upload checks the owner's quota and inserts metadata and bytes in one
//! `BEGIN IMMEDIATE` transaction, so concurrent uploads cannot overrun the quota together.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::EmbeddedStore;
use super::bids::page;
use super::row::backend;
use super::users::time;
use crate::domain::{Document, NdaRequest};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::dataroom::{DataRoomStore, NdaQuery, QuotaExceeded, nda_cursor};

const DOC_COLUMNS: &str = "id, listing_id, owner_id, uploader_id, title, kind, visibility, \
    size_bytes, sha256, uploaded_at_ms";
const NDA_COLUMNS: &str = "id, listing_id, buyer_id, seller_id, status, version, created_at_ms, \
    updated_at_ms, decided_by";

fn corrupt(id: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: id.to_owned(),
        reason: e.to_string(),
    }
}

fn doc_from_row(r: &Row<'_>) -> Result<Document, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    let kind: String = r.get(5).map_err(backend)?;
    let visibility: String = r.get(6).map_err(backend)?;
    let size: i64 = r.get(7).map_err(backend)?;
    Ok(Document {
        listing_id: r.get(1).map_err(backend)?,
        owner_id: r.get(2).map_err(backend)?,
        uploader_id: r.get(3).map_err(backend)?,
        title: r.get(4).map_err(backend)?,
        kind: kind.parse().map_err(|e| corrupt(&id, e))?,
        visibility: visibility.parse().map_err(|e| corrupt(&id, e))?,
        size_bytes: u64::try_from(size).map_err(|e| corrupt(&id, e))?,
        sha256: r.get(8).map_err(backend)?,
        uploaded_at: time(r.get(9).map_err(backend)?, &id)?,
        id,
    })
}

fn nda_from_row(r: &Row<'_>) -> Result<NdaRequest, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    let status: String = r.get(4).map_err(backend)?;
    Ok(NdaRequest {
        listing_id: r.get(1).map_err(backend)?,
        buyer_id: r.get(2).map_err(backend)?,
        seller_id: r.get(3).map_err(backend)?,
        status: status.parse().map_err(|e| corrupt(&id, e))?,
        version: r.get(5).map_err(backend)?,
        created_at: time(r.get(6).map_err(backend)?, &id)?,
        updated_at: time(r.get(7).map_err(backend)?, &id)?,
        decided_by: r.get(8).map_err(backend)?,
        id,
    })
}

fn stored_bytes(conn: &Connection, owner: &str) -> Result<u64, StoreError> {
    let n: i64 = conn
        .query_row(
            "SELECT COALESCE(SUM(size_bytes), 0) FROM documents WHERE owner_id = ?1",
            [owner],
            |r| r.get(0),
        )
        .map_err(backend)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn insert(
    conn: &mut Connection,
    d: &Document,
    content: &[u8],
    quota: u64,
) -> Result<Result<(), QuotaExceeded>, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let used = stored_bytes(&tx, &d.owner_id)?;
    if used.saturating_add(d.size_bytes) > quota {
        return Ok(Err(QuotaExceeded {
            used_bytes: used,
            quota_bytes: quota,
        }));
    }
    let size = i64::try_from(d.size_bytes).map_err(|e| corrupt(&d.id, e))?;
    let res = tx.execute(
        &format!(
            "INSERT INTO documents ({DOC_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            d.id,
            d.listing_id,
            d.owner_id,
            d.uploader_id,
            d.title,
            d.kind.as_str(),
            d.visibility.as_str(),
            size,
            d.sha256,
            d.uploaded_at.timestamp_millis()
        ],
    );
    match res {
        Ok(_) => {}
        Err(e) if is_constraint(&e) => return Err(StoreError::Conflict(d.id.clone())),
        Err(e) => return Err(backend(e)),
    }
    tx.execute(
        "INSERT INTO document_blobs (document_id, content) VALUES (?1, ?2)",
        params![d.id, content],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(Ok(()))
}

fn nda_for(
    conn: &Connection,
    listing: &str,
    buyer: &str,
) -> Result<Option<NdaRequest>, StoreError> {
    let sql =
        format!("SELECT {NDA_COLUMNS} FROM nda_requests WHERE listing_id = ?1 AND buyer_id = ?2");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt.query([listing, buyer]).map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(r) => nda_from_row(r).map(Some),
        None => Ok(None),
    }
}

fn insert_nda(conn: &mut Connection, r: &NdaRequest) -> Result<(NdaRequest, bool), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    if let Some(existing) = nda_for(&tx, &r.listing_id, &r.buyer_id)? {
        return Ok((existing, false));
    }
    tx.execute(
        &format!(
            "INSERT INTO nda_requests ({NDA_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            r.id,
            r.listing_id,
            r.buyer_id,
            r.seller_id,
            r.status.as_str(),
            r.version,
            r.created_at.timestamp_millis(),
            r.updated_at.timestamp_millis(),
            r.decided_by
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(r.id.clone())
        } else {
            backend(e)
        }
    })?;
    tx.commit().map_err(backend)?;
    Ok((r.clone(), true))
}

#[async_trait]
impl DataRoomStore for EmbeddedStore {
    async fn insert_document(
        &self,
        doc: &Document,
        content: &[u8],
        quota_bytes: u64,
    ) -> Result<Result<(), QuotaExceeded>, StoreError> {
        let d = doc.clone();
        let bytes = content.to_vec();
        self.write(move |conn| insert(conn, &d, &bytes, quota_bytes))
            .await
    }

    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE id = ?1");
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt.query([&id]).map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(r) => doc_from_row(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn document_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT content FROM document_blobs WHERE document_id = ?1",
                [&id],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn listing_documents(&self, listing_id: &str) -> Result<Vec<Document>, StoreError> {
        let id = listing_id.to_owned();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {DOC_COLUMNS} FROM documents WHERE listing_id = ?1 \
                 ORDER BY uploaded_at_ms, id"
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt.query([&id]).map_err(backend)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                out.push(doc_from_row(r)?);
            }
            Ok(out)
        })
        .await
    }

    async fn delete_document(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute("DELETE FROM document_blobs WHERE document_id = ?1", [&id])
                .map_err(backend)?;
            let n = tx
                .execute("DELETE FROM documents WHERE id = ?1", [&id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn delete_data_room(&self, listing_id: &str) -> Result<u64, StoreError> {
        let id = listing_id.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute(
                "DELETE FROM document_blobs WHERE document_id IN \
                 (SELECT id FROM documents WHERE listing_id = ?1)",
                [&id],
            )
            .map_err(backend)?;
            let n = tx
                .execute("DELETE FROM documents WHERE listing_id = ?1", [&id])
                .map_err(backend)?;
            tx.execute("DELETE FROM nda_requests WHERE listing_id = ?1", [&id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn stored_bytes(&self, owner_id: &str) -> Result<u64, StoreError> {
        let id = owner_id.to_owned();
        self.read(move |conn| stored_bytes(conn, &id)).await
    }

    async fn request_nda(&self, request: &NdaRequest) -> Result<(NdaRequest, bool), StoreError> {
        let r = request.clone();
        self.write(move |conn| insert_nda(conn, &r)).await
    }

    async fn nda_request(&self, id: &str) -> Result<Option<NdaRequest>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {NDA_COLUMNS} FROM nda_requests WHERE id = ?1");
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt.query([&id]).map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(r) => nda_from_row(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn nda_request_for(
        &self,
        listing_id: &str,
        buyer_id: &str,
    ) -> Result<Option<NdaRequest>, StoreError> {
        let (l, b) = (listing_id.to_owned(), buyer_id.to_owned());
        self.read(move |conn| nda_for(conn, &l, &b)).await
    }

    async fn update_nda_request(
        &self,
        request: &NdaRequest,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let r = request.clone();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE nda_requests SET status = ?3, version = ?4, updated_at_ms = ?5, \
                     decided_by = ?6 WHERE id = ?1 AND version = ?2",
                    params![
                        r.id,
                        expected_version,
                        r.status.as_str(),
                        r.version,
                        r.updated_at.timestamp_millis(),
                        r.decided_by
                    ],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn nda_requests_page(
        &self,
        query: &NdaQuery,
    ) -> Result<ItemPage<NdaRequest>, StoreError> {
        let q = query.clone();
        self.read(move |conn| {
            let mut parts = Vec::new();
            let mut values = Vec::new();
            if let Some(l) = &q.listing_id {
                parts.push("listing_id = ?".to_owned());
                values.push(Value::Text(l.clone()));
            }
            if let Some(b) = &q.buyer_id {
                parts.push("buyer_id = ?".to_owned());
                values.push(Value::Text(b.clone()));
            }
            let table = format!("SELECT {NDA_COLUMNS} FROM nda_requests");
            let items = page(
                conn,
                &table,
                "created_at_ms",
                (parts, values),
                q.after.as_ref(),
                q.limit,
                nda_from_row,
            )?;
            Ok(into_page(items, q.limit, nda_cursor))
        })
        .await
    }
}
