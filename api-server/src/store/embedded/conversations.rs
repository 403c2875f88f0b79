//! [`ConversationStore`] on SQLite: tables `conversations` and `messages` (migration 7).
//!
//! A message is numbered and stored in one `BEGIN IMMEDIATE` transaction (read the highest
//! `seq`, insert, update the conversation), so no other writer runs in between. Unread counts
//! are counted in SQL from the read positions.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::EmbeddedStore;
use super::row::backend;
use super::users::time;
use crate::domain::conversation::preview;
use crate::domain::{Conversation, Cursor, Message, NewMessage};
use crate::store::StoreError;
use crate::store::bids::{ItemPage, into_page};
use crate::store::conversations::{ConversationStore, InboxEntry, inbox_cursor, message_cursor};

const CONVERSATION_COLUMNS: &str = "c.id, c.listing_id, c.buyer_id, c.seller_id, \
    c.created_at_ms, c.last_seq, c.last_message_at_ms, c.last_sender_id, c.last_preview, \
    c.buyer_read_seq, c.seller_read_seq";
const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, sender_id, body, sent_at_ms";
/// Messages of the other party above the caller's (`?1`) read position in conversation `c`.
const UNREAD: &str = "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id \
    AND m.sender_id <> ?1 AND m.seq > CASE WHEN c.buyer_id = ?1 THEN c.buyer_read_seq \
    ELSE c.seller_read_seq END)";

fn conversation_from_row(r: &Row<'_>) -> Result<Conversation, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    Ok(Conversation {
        listing_id: r.get(1).map_err(backend)?,
        buyer_id: r.get(2).map_err(backend)?,
        seller_id: r.get(3).map_err(backend)?,
        created_at: time(r.get(4).map_err(backend)?, &id)?,
        last_seq: r.get(5).map_err(backend)?,
        last_message_at: time(r.get(6).map_err(backend)?, &id)?,
        last_sender_id: r.get(7).map_err(backend)?,
        last_preview: r.get(8).map_err(backend)?,
        buyer_read_seq: r.get(9).map_err(backend)?,
        seller_read_seq: r.get(10).map_err(backend)?,
        id,
    })
}

fn message_from_row(r: &Row<'_>) -> Result<Message, StoreError> {
    let id: String = r.get(0).map_err(backend)?;
    Ok(Message {
        conversation_id: r.get(1).map_err(backend)?,
        seq: r.get(2).map_err(backend)?,
        sender_id: r.get(3).map_err(backend)?,
        body: r.get(4).map_err(backend)?,
        sent_at: time(r.get(5).map_err(backend)?, &id)?,
        id,
    })
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn by_key(
    conn: &Connection,
    condition: &str,
    key: &[&str],
) -> Result<Option<Conversation>, StoreError> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE {condition}");
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(key))
        .map_err(backend)?;
    match rows.next().map_err(backend)? {
        Some(r) => conversation_from_row(r).map(Some),
        None => Ok(None),
    }
}

fn open(conn: &mut Connection, c: &Conversation) -> Result<(Conversation, bool), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let existing = by_key(
        &tx,
        "c.listing_id = ?1 AND c.buyer_id = ?2",
        &[&c.listing_id, &c.buyer_id],
    )?;
    if let Some(existing) = existing {
        return Ok((existing, false));
    }
    tx.execute(
        "INSERT INTO conversations (id, listing_id, buyer_id, seller_id, created_at_ms, \
         last_seq, last_message_at_ms, last_sender_id, last_preview, buyer_read_seq, \
         seller_read_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            c.id,
            c.listing_id,
            c.buyer_id,
            c.seller_id,
            c.created_at.timestamp_millis(),
            c.last_seq,
            c.last_message_at.timestamp_millis(),
            c.last_sender_id,
            c.last_preview,
            c.buyer_read_seq,
            c.seller_read_seq
        ],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok((c.clone(), true))
}

fn add(conn: &mut Connection, m: &NewMessage) -> Result<Option<Message>, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let last: Option<i64> = tx
        .query_row(
            "SELECT last_seq FROM conversations WHERE id = ?1",
            [&m.conversation_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    if last.is_none() {
        return Ok(None);
    }
    let top: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?1",
            [&m.conversation_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let message = m.clone().with_seq(top + 1);
    tx.execute(
        &format!("INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            message.id,
            message.conversation_id,
            message.seq,
            message.sender_id,
            message.body,
            message.sent_at.timestamp_millis()
        ],
    )
    .map_err(backend)?;
    tx.execute(
        "UPDATE conversations SET last_seq = ?2, \
         last_message_at_ms = MAX(last_message_at_ms, ?3), last_sender_id = ?4, \
         last_preview = ?5 WHERE id = ?1",
        params![
            message.conversation_id,
            message.seq,
            message.sent_at.timestamp_millis(),
            message.sender_id,
            preview(&message.body)
        ],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(Some(message))
}

fn inbox(
    conn: &Connection,
    user_id: &str,
    after: Option<&Cursor>,
    limit: u32,
) -> Result<ItemPage<InboxEntry>, StoreError> {
    let mut values = vec![Value::Text(user_id.to_owned())];
    let mut keyset = String::new();
    if let Some(c) = after {
        keyset = " AND (c.last_message_at_ms, c.id) < (?2, ?3)".to_owned();
        values.push(Value::Integer(c.created_at_ms));
        values.push(Value::Text(c.id.clone()));
    }
    values.push(Value::Integer(i64::from(limit) + 1));
    let limit_param = values.len();
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS}, l.title, {UNREAD} FROM conversations c \
         LEFT JOIN listings l ON l.id = c.listing_id \
         WHERE (c.buyer_id = ?1 OR c.seller_id = ?1){keyset} \
         ORDER BY c.last_message_at_ms DESC, c.id DESC LIMIT ?{limit_param}"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(values))
        .map_err(backend)?;
    let mut items = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        items.push(InboxEntry {
            conversation: conversation_from_row(r)?,
            listing_title: r.get(11).map_err(backend)?,
            unread: count(r.get(12).map_err(backend)?),
        });
    }
    Ok(into_page(items, limit, inbox_cursor))
}

#[async_trait]
impl ConversationStore for EmbeddedStore {
    async fn open_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<(Conversation, bool), StoreError> {
        let c = conversation.clone();
        self.write(move |conn| open(conn, &c)).await
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| by_key(conn, "c.id = ?1", &[&id]))
            .await
    }

    async fn add_message(&self, message: &NewMessage) -> Result<Option<Message>, StoreError> {
        let m = message.clone();
        self.write(move |conn| add(conn, &m)).await
    }

    async fn messages_page(
        &self,
        conversation_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<Message>, StoreError> {
        let id = conversation_id.to_owned();
        let after = after.cloned();
        self.read(move |conn| {
            let mut values = vec![Value::Text(id)];
            let mut keyset = "";
            if let Some(c) = after {
                keyset = " AND (sent_at_ms, id) < (?2, ?3)";
                values.push(Value::Integer(c.created_at_ms));
                values.push(Value::Text(c.id));
            }
            values.push(Value::Integer(i64::from(limit) + 1));
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1{keyset} \
                 ORDER BY sent_at_ms DESC, id DESC LIMIT ?{}",
                values.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values))
                .map_err(backend)?;
            let mut items = Vec::new();
            while let Some(r) = rows.next().map_err(backend)? {
                items.push(message_from_row(r)?);
            }
            Ok(into_page(items, limit, message_cursor))
        })
        .await
    }

    async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        seq: i64,
    ) -> Result<bool, StoreError> {
        let (id, user) = (conversation_id.to_owned(), user_id.to_owned());
        self.write(move |conn| {
            let mut n = 0;
            for side in ["buyer", "seller"] {
                let sql = format!(
                    "UPDATE conversations SET {side}_read_seq = \
                     MAX({side}_read_seq, MIN(?3, last_seq)) WHERE id = ?1 AND {side}_id = ?2"
                );
                n += conn
                    .execute(&sql, params![id, user, seq])
                    .map_err(backend)?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn inbox(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<InboxEntry>, StoreError> {
        let user = user_id.to_owned();
        let after = after.cloned();
        self.read(move |conn| inbox(conn, &user, after.as_ref(), limit))
            .await
    }

    async fn unread_total(&self, user_id: &str) -> Result<u64, StoreError> {
        let user = user_id.to_owned();
        self.read(move |conn| {
            let n: i64 = conn
                .query_row(
                    &format!(
                        "SELECT COALESCE(SUM({UNREAD}), 0) FROM conversations c \
                         WHERE c.buyer_id = ?1 OR c.seller_id = ?1"
                    ),
                    [&user],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            Ok(count(n))
        })
        .await
    }
}
