//! JSON shapes of conversations and messages (see [`super::conversations`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Conversation, ConversationParty, Message};
use crate::store::bids::ItemPage;
use crate::store::conversations::InboxEntry;

/// A message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Position in the conversation, from 1.
    pub seq: i64,
    /// Who wrote it.
    pub sender_id: String,
    /// The text.
    pub body: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            conversation_id: m.conversation_id,
            seq: m.seq,
            sender_id: m.sender_id,
            body: m.body,
            sent_at: m.sent_at,
        }
    }
}

/// A conversation's parties.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    /// Id.
    pub id: String,
    /// The listing it is about.
    pub listing_id: String,
    /// The buyer who started it.
    pub buyer_id: String,
    /// The listing's seller.
    pub seller_id: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
}

impl From<&Conversation> for ConversationView {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.clone(),
            listing_id: c.listing_id.clone(),
            buyer_id: c.buyer_id.clone(),
            seller_id: c.seller_id.clone(),
            created_at: c.created_at,
        }
    }
}

/// The answer to starting (or continuing) a conversation on a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// The conversation.
    pub conversation: ConversationView,
    /// The message just sent.
    pub message: MessageView,
}

/// The last message of a conversation, as the inbox shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastMessage {
    /// Who wrote it.
    pub sender_id: String,
    /// Its first 140 characters, on one line.
    pub preview: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// One conversation in the caller's inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    /// Conversation id.
    pub id: String,
    /// The listing.
    pub listing_id: String,
    /// The listing's current title (`null` once the listing is deleted).
    pub listing_title: Option<String>,
    /// The caller's side: `buyer` or `seller`.
    pub role: String,
    /// The other party's user id.
    pub counterpart_id: String,
    /// The last message (`null` before the first).
    pub last_message: Option<LastMessage>,
    /// Messages of the other party the caller has not read.
    pub unread_count: u64,
    /// When the conversation was started.
    pub created_at: DateTime<Utc>,
    /// Latest activity (the last message, or the start).
    pub last_activity_at: DateTime<Utc>,
}

impl InboxItem {
    /// The inbox line of `e` as party `user_id` sees it.
    pub fn new(e: InboxEntry, user_id: &str) -> Self {
        let c = e.conversation;
        let role = match c.party(user_id) {
            Some(ConversationParty::Seller) => "seller",
            _ => "buyer",
        };
        Self {
            counterpart_id: c.counterpart(user_id).to_owned(),
            last_message: match (c.last_sender_id, c.last_preview) {
                (Some(sender_id), Some(preview)) => Some(LastMessage {
                    sender_id,
                    preview,
                    sent_at: c.last_message_at,
                }),
                _ => None,
            },
            role: role.to_owned(),
            id: c.id,
            listing_id: c.listing_id,
            listing_title: e.listing_title,
            unread_count: e.unread,
            created_at: c.created_at,
            last_activity_at: c.last_message_at,
        }
    }
}

/// A page of the inbox, latest activity first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    /// Conversations.
    pub items: Vec<InboxItem>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of messages, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Messages.
    pub items: Vec<MessageView>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<ItemPage<Message>> for MessageList {
    fn from(p: ItemPage<Message>) -> Self {
        Self {
            items: p.items.into_iter().map(MessageView::from).collect(),
            next_cursor: p.next.map(|c| c.encode()),
        }
    }
}

/// The caller's unread messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread messages over all of the caller's conversations.
    pub unread_count: u64,
}
