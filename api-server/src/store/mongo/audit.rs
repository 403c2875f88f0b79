//! [`AuditStore`] on MongoDB: collection `audit`.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{DateTime as BsonDateTime, Document, doc};

use super::MongoStore;
use super::error::map;
use super::user_docs::{AuditDoc, bson_date};
use crate::domain::{AuditEvent, AuditPage, AuditQuery};
use crate::store::audit::into_audit_page;
use crate::store::{AuditStore, StoreError};

/// The query document; user input only ever appears as values.
fn filter(q: &AuditQuery) -> Document {
    let mut all: Vec<Document> = Vec::new();
    if let Some(k) = q.kind {
        all.push(doc! { "kind": k.as_str() });
    }
    if let Some(u) = &q.user_id {
        all.push(doc! { "user_id": u.as_str() });
    }
    if let Some(f) = q.from {
        all.push(doc! { "at": { "$gte": bson_date(f) } });
    }
    if let Some(t) = q.to {
        all.push(doc! { "at": { "$lt": bson_date(t) } });
    }
    if let Some(c) = &q.after {
        let at = BsonDateTime::from_millis(c.created_at_ms);
        all.push(doc! { "$or": [
            { "at": { "$lt": at } },
            { "at": at, "_id": { "$lt": c.id.as_str() } },
        ] });
    }
    if all.is_empty() {
        doc! {}
    } else {
        doc! { "$and": all }
    }
}

#[async_trait]
impl AuditStore for MongoStore {
    async fn record_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.audit
            .insert_one(AuditDoc::from(event))
            .await
            .map(|_| ())
            .map_err(|e| map(e, "record audit event"))
    }

    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let docs: Vec<AuditDoc> = self
            .audit
            .find(filter(query))
            .sort(doc! { "at": -1, "_id": -1 })
            .limit(i64::from(query.limit) + 1)
            .await
            .map_err(|e| map(e, "read audit log"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read audit log"))?;
        let items = docs
            .into_iter()
            .map(AuditEvent::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_audit_page(items, query.limit))
    }
}
