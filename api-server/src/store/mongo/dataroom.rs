//! [`DataRoomStore`] on MongoDB: collections `documents` (metadata), `document_blobs` (the
//! bytes, one BSON binary per document, `_id` = the document id) and `nda_requests`.
//!
//! Without multi-document transactions (FerretDB v1 has none), an upload writes the bytes
//! first and the metadata second (a crash in between leaves unreferenced bytes, never
//! metadata without bytes), and a delete removes the metadata first. The quota check and the
//! insert run under a per-process lock ([`UPLOADS`]); two replicas uploading for the same
//! seller at the same instant could together pass the quota by one upload (MongoDB and
//! FerretDB have no atomic sum-and-insert without transactions). One NDA request per buyer and
//! listing is enforced by a unique index (atomic everywhere); decisions are compare-and-set
//! on `version`, serialised in this process as for offers (see `bids.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, DateTime as BsonDateTime, Document as BsonDocument, doc};
use serde::{Deserialize, Serialize};

use super::MongoStore;
use super::error::{is_duplicate_key, map};
use super::user_docs::bson_date;
use crate::domain::{Cursor, Document, NdaRequest};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::dataroom::{DataRoomStore, NdaQuery, QuotaExceeded, nda_cursor};

/// Name of the document metadata collection.
pub const DOCUMENTS: &str = "documents";
/// Name of the document bytes collection.
pub const DOCUMENT_BLOBS: &str = "document_blobs";
/// Name of the NDA requests collection.
pub const NDA_REQUESTS: &str = "nda_requests";

/// Serialises this process's quota checks with their inserts.
static UPLOADS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// Serialises this process's NDA decisions (compare-and-set, see the module docs).
static NDA_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stored form of a document's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DocumentDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    owner_id: String,
    uploader_id: String,
    title: String,
    kind: String,
    visibility: String,
    size_bytes: i64,
    sha256: String,
    uploaded_at: BsonDateTime,
}

/// Stored bytes of a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BlobDoc {
    #[serde(rename = "_id")]
    id: String,
    content: Binary,
}

/// Stored form of an NDA request.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NdaDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    buyer_id: String,
    seller_id: Option<String>,
    status: String,
    version: i64,
    created_at: BsonDateTime,
    updated_at: BsonDateTime,
    decided_by: Option<String>,
}

fn corrupt(id: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: id.to_owned(),
        reason: e.to_string(),
    }
}

fn chrono_date(d: BsonDateTime, id: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(d.timestamp_millis())
        .ok_or_else(|| corrupt(id, format!("date {d} out of range")))
}

impl DocumentDoc {
    fn from_domain(d: &Document) -> Result<Self, StoreError> {
        Ok(Self {
            id: d.id.clone(),
            listing_id: d.listing_id.clone(),
            owner_id: d.owner_id.clone(),
            uploader_id: d.uploader_id.clone(),
            title: d.title.clone(),
            kind: d.kind.as_str().to_owned(),
            visibility: d.visibility.as_str().to_owned(),
            size_bytes: i64::try_from(d.size_bytes).map_err(|e| corrupt(&d.id, e))?,
            sha256: d.sha256.clone(),
            uploaded_at: bson_date(d.uploaded_at),
        })
    }

    fn into_domain(self) -> Result<Document, StoreError> {
        Ok(Document {
            kind: self.kind.parse().map_err(|e| corrupt(&self.id, e))?,
            visibility: self.visibility.parse().map_err(|e| corrupt(&self.id, e))?,
            size_bytes: u64::try_from(self.size_bytes).map_err(|e| corrupt(&self.id, e))?,
            uploaded_at: chrono_date(self.uploaded_at, &self.id)?,
            id: self.id,
            listing_id: self.listing_id,
            owner_id: self.owner_id,
            uploader_id: self.uploader_id,
            title: self.title,
            sha256: self.sha256,
        })
    }
}

impl From<&NdaRequest> for NdaDoc {
    fn from(r: &NdaRequest) -> Self {
        Self {
            id: r.id.clone(),
            listing_id: r.listing_id.clone(),
            buyer_id: r.buyer_id.clone(),
            seller_id: r.seller_id.clone(),
            status: r.status.as_str().to_owned(),
            version: r.version,
            created_at: bson_date(r.created_at),
            updated_at: bson_date(r.updated_at),
            decided_by: r.decided_by.clone(),
        }
    }
}

impl TryFrom<NdaDoc> for NdaRequest {
    type Error = StoreError;

    fn try_from(d: NdaDoc) -> Result<Self, StoreError> {
        Ok(NdaRequest {
            status: d.status.parse().map_err(|e| corrupt(&d.id, e))?,
            created_at: chrono_date(d.created_at, &d.id)?,
            updated_at: chrono_date(d.updated_at, &d.id)?,
            id: d.id,
            listing_id: d.listing_id,
            buyer_id: d.buyer_id,
            seller_id: d.seller_id,
            version: d.version,
            decided_by: d.decided_by,
        })
    }
}

/// `(created_at, _id) < cursor` for the newest-first order.
fn after(c: &Cursor) -> BsonDocument {
    let at = BsonDateTime::from_millis(c.created_at_ms);
    doc! { "$or": [
        { "created_at": { "$lt": at } },
        { "created_at": at, "_id": { "$lt": c.id.as_str() } },
    ] }
}

impl MongoStore {
    fn documents(&self) -> mongodb::Collection<DocumentDoc> {
        self.db.collection(DOCUMENTS)
    }

    fn blobs(&self) -> mongodb::Collection<BlobDoc> {
        self.db.collection(DOCUMENT_BLOBS)
    }

    fn ndas(&self) -> mongodb::Collection<NdaDoc> {
        self.db.collection(NDA_REQUESTS)
    }

    async fn sum_stored(&self, owner_id: &str) -> Result<u64, StoreError> {
        let sizes: Vec<BsonDocument> = self
            .db
            .collection::<BsonDocument>(DOCUMENTS)
            .find(doc! { "owner_id": owner_id })
            .projection(doc! { "_id": 0, "size_bytes": 1 })
            .await
            .map_err(|e| map(e, "read stored bytes"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read stored bytes"))?;
        Ok(sizes
            .iter()
            .filter_map(|d| d.get_i64("size_bytes").ok())
            .map(|n| u64::try_from(n).unwrap_or(0))
            .sum())
    }
}

#[async_trait]
impl DataRoomStore for MongoStore {
    async fn insert_document(
        &self,
        doc: &Document,
        content: &[u8],
        quota_bytes: u64,
    ) -> Result<Result<(), QuotaExceeded>, StoreError> {
        let meta = DocumentDoc::from_domain(doc)?;
        let _serial = UPLOADS.lock().await;
        let used = self.sum_stored(&doc.owner_id).await?;
        if used.saturating_add(doc.size_bytes) > quota_bytes {
            return Ok(Err(QuotaExceeded {
                used_bytes: used,
                quota_bytes,
            }));
        }
        let blob = BlobDoc {
            id: doc.id.clone(),
            content: Binary {
                subtype: BinarySubtype::Generic,
                bytes: content.to_vec(),
            },
        };
        match self.blobs().insert_one(blob).await {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => return Err(StoreError::Conflict(doc.id.clone())),
            Err(e) => return Err(map(e, "insert document bytes")),
        }
        if let Err(e) = self.documents().insert_one(meta).await {
            // Leave no unreferenced bytes behind (best effort; the error is what matters).
            let _ = self
                .blobs()
                .delete_one(doc! { "_id": doc.id.as_str() })
                .await;
            return Err(if is_duplicate_key(&e) {
                StoreError::Conflict(doc.id.clone())
            } else {
                map(e, "insert document")
            });
        }
        Ok(Ok(()))
    }

    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError> {
        self.documents()
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read document"))?
            .map(DocumentDoc::into_domain)
            .transpose()
    }

    async fn document_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .blobs()
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read document bytes"))?
            .map(|b| b.content.bytes))
    }

    async fn listing_documents(&self, listing_id: &str) -> Result<Vec<Document>, StoreError> {
        let docs: Vec<DocumentDoc> = self
            .documents()
            .find(doc! { "listing_id": listing_id })
            .sort(doc! { "uploaded_at": 1, "_id": 1 })
            .await
            .map_err(|e| map(e, "read documents"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read documents"))?;
        docs.into_iter().map(DocumentDoc::into_domain).collect()
    }

    async fn delete_document(&self, id: &str) -> Result<bool, StoreError> {
        let res = self
            .documents()
            .delete_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "delete document"))?;
        self.blobs()
            .delete_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "delete document bytes"))?;
        Ok(res.deleted_count == 1)
    }

    async fn delete_data_room(&self, listing_id: &str) -> Result<u64, StoreError> {
        self.ndas()
            .delete_many(doc! { "listing_id": listing_id })
            .await
            .map_err(|e| map(e, "delete NDA requests"))?;
        let ids: Vec<Bson> = self
            .listing_documents(listing_id)
            .await?
            .into_iter()
            .map(|d| Bson::String(d.id))
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let res = self
            .documents()
            .delete_many(doc! { "_id": { "$in": ids.clone() } })
            .await
            .map_err(|e| map(e, "delete documents"))?;
        self.blobs()
            .delete_many(doc! { "_id": { "$in": ids } })
            .await
            .map_err(|e| map(e, "delete document bytes"))?;
        Ok(res.deleted_count)
    }

    async fn stored_bytes(&self, owner_id: &str) -> Result<u64, StoreError> {
        self.sum_stored(owner_id).await
    }

    async fn request_nda(&self, request: &NdaRequest) -> Result<(NdaRequest, bool), StoreError> {
        for _ in 0..3 {
            if let Some(existing) = self
                .nda_request_for(&request.listing_id, &request.buyer_id)
                .await?
            {
                return Ok((existing, false));
            }
            match self.ndas().insert_one(NdaDoc::from(request)).await {
                Ok(_) => return Ok((request.clone(), true)),
                // A concurrent request by the same buyer won: read it back.
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(map(e, "insert NDA request")),
            }
        }
        Err(StoreError::Conflict(request.id.clone()))
    }

    async fn nda_request(&self, id: &str) -> Result<Option<NdaRequest>, StoreError> {
        self.ndas()
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read NDA request"))?
            .map(NdaRequest::try_from)
            .transpose()
    }

    async fn nda_request_for(
        &self,
        listing_id: &str,
        buyer_id: &str,
    ) -> Result<Option<NdaRequest>, StoreError> {
        self.ndas()
            .find_one(doc! { "listing_id": listing_id, "buyer_id": buyer_id })
            .await
            .map_err(|e| map(e, "read NDA request"))?
            .map(NdaRequest::try_from)
            .transpose()
    }

    async fn update_nda_request(
        &self,
        request: &NdaRequest,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let d = NdaDoc::from(request);
        let set = doc! {
            "status": d.status,
            "version": d.version,
            "updated_at": d.updated_at,
            "decided_by": d.decided_by.map_or(Bson::Null, Bson::String),
        };
        let _serial = NDA_WRITES.lock().await;
        let res = self
            .ndas()
            .update_one(
                doc! { "_id": request.id.as_str(), "version": expected_version },
                doc! { "$set": set },
            )
            .await
            .map_err(|e| map(e, "update NDA request"))?;
        Ok(res.matched_count == 1)
    }

    async fn nda_requests_page(
        &self,
        query: &NdaQuery,
    ) -> Result<ItemPage<NdaRequest>, StoreError> {
        let mut all = Vec::new();
        if let Some(l) = &query.listing_id {
            all.push(doc! { "listing_id": l.as_str() });
        }
        if let Some(b) = &query.buyer_id {
            all.push(doc! { "buyer_id": b.as_str() });
        }
        if let Some(c) = &query.after {
            all.push(after(c));
        }
        let filter = if all.is_empty() {
            doc! {}
        } else {
            doc! { "$and": all }
        };
        let docs: Vec<NdaDoc> = self
            .ndas()
            .find(filter)
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(i64::from(query.limit) + 1)
            .await
            .map_err(|e| map(e, "read NDA requests"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read NDA requests"))?;
        let items = docs
            .into_iter()
            .map(NdaRequest::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, query.limit, nda_cursor))
    }
}
