//! [`ConversationStore`] on MongoDB: collections `conversations` and `messages`.
//!
//! A message is numbered like a bid takes its slot (see `bids.rs`): the highest `seq` of the
//! conversation is read and the message inserted with the next one under the unique index
//! `messages_seq`; of two messages racing for one number the server stores exactly one, the
//! other is numbered again (at most [`MESSAGE_ATTEMPTS`] times). That holds on MongoDB and
//! FerretDB, across replicas. The conversation's last-message fields and read positions are
//! then updated conditionally (`last_seq` / the read position only move up). FerretDB v1
//! applies updates by rewriting the whole document, so this process serialises its
//! conversation updates ([`CONVERSATION_WRITES`]); across replicas on FerretDB a concurrent
//! update may be lost (a stale inbox preview or order, or a read position to mark again),
//! never a message, and unread counts are counted from the messages themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{DateTime as BsonDateTime, Document, doc};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::MongoStore;
use super::error::{is_duplicate_key, map};
use super::user_docs::bson_date;
use crate::domain::conversation::preview;
use crate::domain::{Conversation, ConversationParty, Cursor, Message, NewMessage};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::conversations::{
    ConversationStore, InboxEntry, MESSAGE_ATTEMPTS, inbox_cursor, message_cursor,
};

/// Name of the conversations collection.
pub const CONVERSATIONS: &str = "conversations";
/// Name of the messages collection.
pub const MESSAGES: &str = "messages";

/// Serialises this process's conversation updates (see above).
static CONVERSATION_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stored form of a conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConversationDoc {
    #[serde(rename = "_id")]
    id: String,
    listing_id: String,
    buyer_id: String,
    seller_id: String,
    created_at: BsonDateTime,
    last_seq: i64,
    last_message_at: BsonDateTime,
    last_sender_id: Option<String>,
    last_preview: Option<String>,
    buyer_read_seq: i64,
    seller_read_seq: i64,
}

impl From<&Conversation> for ConversationDoc {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.clone(),
            listing_id: c.listing_id.clone(),
            buyer_id: c.buyer_id.clone(),
            seller_id: c.seller_id.clone(),
            created_at: bson_date(c.created_at),
            last_seq: c.last_seq,
            last_message_at: bson_date(c.last_message_at),
            last_sender_id: c.last_sender_id.clone(),
            last_preview: c.last_preview.clone(),
            buyer_read_seq: c.buyer_read_seq,
            seller_read_seq: c.seller_read_seq,
        }
    }
}

impl TryFrom<ConversationDoc> for Conversation {
    type Error = StoreError;

    fn try_from(d: ConversationDoc) -> Result<Self, StoreError> {
        Ok(Conversation {
            created_at: chrono_date(d.created_at, &d.id)?,
            last_message_at: chrono_date(d.last_message_at, &d.id)?,
            id: d.id,
            listing_id: d.listing_id,
            buyer_id: d.buyer_id,
            seller_id: d.seller_id,
            last_seq: d.last_seq,
            last_sender_id: d.last_sender_id,
            last_preview: d.last_preview,
            buyer_read_seq: d.buyer_read_seq,
            seller_read_seq: d.seller_read_seq,
        })
    }
}

/// Stored form of a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageDoc {
    #[serde(rename = "_id")]
    id: String,
    conversation_id: String,
    seq: i64,
    sender_id: String,
    body: String,
    sent_at: BsonDateTime,
}

impl From<&Message> for MessageDoc {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            conversation_id: m.conversation_id.clone(),
            seq: m.seq,
            sender_id: m.sender_id.clone(),
            body: m.body.clone(),
            sent_at: bson_date(m.sent_at),
        }
    }
}

impl TryFrom<MessageDoc> for Message {
    type Error = StoreError;

    fn try_from(d: MessageDoc) -> Result<Self, StoreError> {
        Ok(Message {
            sent_at: chrono_date(d.sent_at, &d.id)?,
            id: d.id,
            conversation_id: d.conversation_id,
            seq: d.seq,
            sender_id: d.sender_id,
            body: d.body,
        })
    }
}

pub(super) fn chrono_date(d: BsonDateTime, id: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(d.timestamp_millis()).ok_or_else(|| StoreError::Corrupt {
        id: id.to_owned(),
        reason: format!("date {d} out of range"),
    })
}

/// `(time, key) < cursor` for a newest-first order on `time_field`, then `key_field`.
pub(super) fn before(time_field: &str, key_field: &str, c: &Cursor) -> Document {
    let at = BsonDateTime::from_millis(c.created_at_ms);
    doc! { "$or": [
        { time_field: { "$lt": at } },
        { time_field: at, key_field: { "$lt": c.id.as_str() } },
    ] }
}

fn conversations(db: &Database) -> Collection<ConversationDoc> {
    db.collection(CONVERSATIONS)
}

fn messages(db: &Database) -> Collection<MessageDoc> {
    db.collection(MESSAGES)
}

/// The other party's messages above `user_id`'s read position in `c`.
fn unread_in(c: &Conversation, user_id: &str) -> Document {
    doc! {
        "conversation_id": c.id.as_str(),
        "sender_id": { "$ne": user_id },
        "seq": { "$gt": c.read_seq(user_id) },
    }
}

/// Conversations per unread-total count query.
const UNREAD_BATCH: usize = 100;

impl MongoStore {
    async fn top_seq(&self, conversation_id: &str) -> Result<i64, StoreError> {
        Ok(messages(&self.db)
            .find_one(doc! { "conversation_id": conversation_id })
            .sort(doc! { "seq": -1 })
            .await
            .map_err(|e| map(e, "read messages"))?
            .map_or(0, |m| m.seq))
    }

    async fn unread(&self, c: &Conversation, user_id: &str) -> Result<u64, StoreError> {
        messages(&self.db)
            .count_documents(unread_in(c, user_id))
            .await
            .map_err(|e| map(e, "count unread"))
    }

    /// Current titles of these listings, by id.
    async fn titles(
        &self,
        ids: Vec<&str>,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let docs: Vec<Document> = self
            .db
            .collection::<Document>(super::LISTINGS)
            .find(doc! { "_id": { "$in": ids } })
            .projection(doc! { "title": 1 })
            .await
            .map_err(|e| map(e, "read listing titles"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read listing titles"))?;
        Ok(docs
            .into_iter()
            .filter_map(|d| {
                Some((
                    d.get_str("_id").ok()?.to_owned(),
                    d.get_str("title").ok()?.to_owned(),
                ))
            })
            .collect())
    }
}

#[async_trait]
impl ConversationStore for MongoStore {
    async fn open_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<(Conversation, bool), StoreError> {
        let coll = conversations(&self.db);
        match coll.insert_one(ConversationDoc::from(conversation)).await {
            Ok(_) => return Ok((conversation.clone(), true)),
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(map(e, "open conversation")),
        }
        let existing = coll
            .find_one(doc! {
                "listing_id": conversation.listing_id.as_str(),
                "buyer_id": conversation.buyer_id.as_str(),
            })
            .await
            .map_err(|e| map(e, "open conversation"))?
            .ok_or_else(|| StoreError::Conflict(format!("conversation {}", conversation.id)))?;
        Ok((Conversation::try_from(existing)?, false))
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        conversations(&self.db)
            .find_one(doc! { "_id": id })
            .await
            .map_err(|e| map(e, "read conversation"))?
            .map(Conversation::try_from)
            .transpose()
    }

    async fn add_message(&self, message: &NewMessage) -> Result<Option<Message>, StoreError> {
        if self.conversation(&message.conversation_id).await?.is_none() {
            return Ok(None);
        }
        for _ in 0..MESSAGE_ATTEMPTS {
            let seq = self.top_seq(&message.conversation_id).await? + 1;
            let stored = message.clone().with_seq(seq);
            match messages(&self.db)
                .insert_one(MessageDoc::from(&stored))
                .await
            {
                Ok(_) => {}
                // Another message took the number: take the next one.
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(map(e, "add message")),
            }
            let _serial = CONVERSATION_WRITES.lock().await;
            conversations(&self.db)
                .update_one(
                    doc! { "_id": stored.conversation_id.as_str(), "last_seq": { "$lt": seq } },
                    doc! { "$set": {
                        "last_seq": seq,
                        "last_message_at": bson_date(stored.sent_at),
                        "last_sender_id": stored.sender_id.as_str(),
                        "last_preview": preview(&stored.body),
                    } },
                )
                .await
                .map_err(|e| map(e, "add message"))?;
            return Ok(Some(stored));
        }
        Err(StoreError::Unavailable(
            "too many concurrent messages in this conversation; retry".to_owned(),
        ))
    }

    async fn messages_page(
        &self,
        conversation_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<Message>, StoreError> {
        let mut filter = doc! { "conversation_id": conversation_id };
        if let Some(c) = after {
            filter = doc! { "$and": [filter, before("sent_at", "_id", c)] };
        }
        let docs: Vec<MessageDoc> = messages(&self.db)
            .find(filter)
            .sort(doc! { "sent_at": -1, "_id": -1 })
            .limit(i64::from(limit) + 1)
            .await
            .map_err(|e| map(e, "read messages"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read messages"))?;
        let items = docs
            .into_iter()
            .map(Message::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, limit, message_cursor))
    }

    async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        seq: i64,
    ) -> Result<bool, StoreError> {
        let Some(c) = self.conversation(conversation_id).await? else {
            return Ok(false);
        };
        let field = match c.party(user_id) {
            Some(ConversationParty::Buyer) => "buyer_read_seq",
            Some(ConversationParty::Seller) => "seller_read_seq",
            None => return Ok(false),
        };
        let to = seq.min(self.top_seq(conversation_id).await?);
        let _serial = CONVERSATION_WRITES.lock().await;
        conversations(&self.db)
            .update_one(
                doc! { "_id": conversation_id, field: { "$lt": to } },
                doc! { "$set": { field: to } },
            )
            .await
            .map_err(|e| map(e, "mark read"))?;
        Ok(true)
    }

    async fn inbox(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<InboxEntry>, StoreError> {
        let mut filter = doc! { "$or": [ { "buyer_id": user_id }, { "seller_id": user_id } ] };
        if let Some(c) = after {
            filter = doc! { "$and": [filter, before("last_message_at", "_id", c)] };
        }
        let docs: Vec<ConversationDoc> = conversations(&self.db)
            .find(filter)
            .sort(doc! { "last_message_at": -1, "_id": -1 })
            .limit(i64::from(limit) + 1)
            .await
            .map_err(|e| map(e, "read inbox"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "read inbox"))?;
        let mut found = docs
            .into_iter()
            .map(Conversation::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // Titles and counts for this page only (not the look-ahead item).
        let more = found.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let titles = self
            .titles(found.iter().map(|c| c.listing_id.as_str()).collect())
            .await?;
        let mut items = Vec::with_capacity(found.len());
        for c in found {
            let unread = self.unread(&c, user_id).await?;
            items.push(InboxEntry {
                listing_title: titles.get(&c.listing_id).cloned(),
                unread,
                conversation: c,
            });
        }
        let next = if more {
            items.last().map(inbox_cursor)
        } else {
            None
        };
        Ok(ItemPage { items, next })
    }

    async fn unread_total(&self, user_id: &str) -> Result<u64, StoreError> {
        let docs: Vec<ConversationDoc> = conversations(&self.db)
            .find(doc! { "$or": [ { "buyer_id": user_id }, { "seller_id": user_id } ] })
            .await
            .map_err(|e| map(e, "count unread"))?
            .try_collect()
            .await
            .map_err(|e| map(e, "count unread"))?;
        let all = docs
            .into_iter()
            .map(Conversation::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // One count per batch: `$or` of each conversation's unread condition.
        let mut total = 0;
        for batch in all.chunks(UNREAD_BATCH) {
            let any: Vec<Document> = batch.iter().map(|c| unread_in(c, user_id)).collect();
            total += messages(&self.db)
                .count_documents(doc! { "$or": any })
                .await
                .map_err(|e| map(e, "count unread"))?;
        }
        Ok(total)
    }
}
