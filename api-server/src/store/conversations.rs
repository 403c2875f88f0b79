//! Persistence of conversations and their messages.
//!
//! Race safety: a message gets its `seq` (the next number of its conversation) in one atomic
//! step; `(conversation, seq)` is unique in both stores, so of two messages racing for one
//! number exactly one is stored and the other takes the next. Read positions only move up.
//! Unread counts are counted from the messages above a party's read position (see
//! [`crate::domain::conversation`]), so concurrent messages can never make them drift.

use async_trait::async_trait;

use super::StoreError;
use super::bids::ItemPage;
use crate::domain::{Conversation, Cursor, Message, NewMessage};

/// How often a message is numbered again after losing its `seq` to a concurrent message.
pub const MESSAGE_ATTEMPTS: usize = 25;

/// One line of a user's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The conversation.
    pub conversation: Conversation,
    /// The listing's current title (`None` once the listing is deleted).
    pub listing_title: Option<String>,
    /// Messages of the other party the user has not read.
    pub unread: u64,
}

/// Conversations and messages.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Stores `conversation` unless its buyer already has one on its listing; returns the
    /// stored conversation and whether it is the new one.
    async fn open_conversation(
        &self,
        conversation: &Conversation,
    ) -> Result<(Conversation, bool), StoreError>;

    /// The conversation with this id.
    async fn conversation(&self, id: &str) -> Result<Option<Conversation>, StoreError>;

    /// Appends a message with the next `seq` of its conversation and makes it the
    /// conversation's last message. `None` when there is no such conversation.
    async fn add_message(&self, message: &NewMessage) -> Result<Option<Message>, StoreError>;

    /// One page of a conversation's messages, newest first `(sent_at desc, id desc)`.
    async fn messages_page(
        &self,
        conversation_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<Message>, StoreError>;

    /// Moves `user_id`'s read position in the conversation up to `seq` (never down; `seq`
    /// is capped at the last message). `false` when the user is not a party.
    async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        seq: i64,
    ) -> Result<bool, StoreError>;

    /// One page of the user's conversations, latest activity first
    /// `(last_message_at desc, id desc)`, with listing titles and unread counts.
    async fn inbox(
        &self,
        user_id: &str,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ItemPage<InboxEntry>, StoreError>;

    /// Unread messages over all of the user's conversations.
    async fn unread_total(&self, user_id: &str) -> Result<u64, StoreError>;
}

/// The cursor just after a message in the newest-first order.
pub fn message_cursor(m: &Message) -> Cursor {
    Cursor {
        created_at_ms: m.sent_at.timestamp_millis(),
        id: m.id.clone(),
    }
}

/// The cursor just after an inbox entry in the latest-activity-first order.
pub fn inbox_cursor(e: &InboxEntry) -> Cursor {
    Cursor {
        created_at_ms: e.conversation.last_message_at.timestamp_millis(),
        id: e.conversation.id.clone(),
    }
}
