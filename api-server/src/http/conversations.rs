//! Buyer–seller conversations: `POST /api/v1/listings/{id}/conversations`,
//! `GET /api/v1/conversations` (inbox), `GET|POST /api/v1/conversations/{id}/messages`,
//! `POST /api/v1/conversations/{id}/read`, `GET /api/v1/me/unread`.
//!
//! Only the two parties of a conversation read or write it; anyone else, admins included,
//! gets `404` as if it did not exist (messages are private correspondence; admins act on
//! accounts and listings, never read mail). Starting a conversation is for buyers and sellers
//! (not admins, who do not trade), never on one's own listing, and only on listings that
//! still sell (`active`, `under_contract`); an existing conversation goes on whatever the
//! listing's status.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::bids::{PageParams, Traders};
use super::conversation_views::{
    ConversationView, Inbox, InboxItem, MessageList, MessageView, Started, UnreadCount,
};
use super::extract::{AuthUser, Authorized};
use super::json_body::StrictJson;
use super::listings::visible_listing;
use super::paging::page_params;
use super::problem::Problem;
use crate::auth::Principal;
use crate::domain::conversation::message_body;
use crate::domain::{Conversation, Message, NewMessage, StartError, new_id, validate_id};

/// `POST` body of a message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// The text: 1-5,000 characters after trimming (line breaks allowed).
    pub body: String,
}

fn not_accepting(detail: String) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "not-accepting-messages",
        "Not accepting messages",
        detail,
    )
}

/// The conversation if the caller is one of its parties, else `404`.
async fn own_conversation(
    state: &AppState,
    id: &str,
    caller: &Principal,
) -> Result<Conversation, Problem> {
    let missing = || Problem::not_found("No conversation with this id.");
    if validate_id(id).is_err() {
        return Err(missing());
    }
    let conversation = state.users().conversation(id).await?.ok_or_else(missing)?;
    if conversation.party(&caller.user_id).is_none() {
        state.auth().count_failure("forbidden");
        return Err(missing());
    }
    Ok(conversation)
}

/// Stores a message by the caller in `conversation`.
async fn send(
    state: &AppState,
    conversation: &Conversation,
    caller: &Principal,
    body: String,
) -> Result<Message, Problem> {
    let message = NewMessage {
        id: new_id(),
        conversation_id: conversation.id.clone(),
        sender_id: caller.user_id.clone(),
        body,
        sent_at: state.settings().clock.now(),
    };
    state
        .users()
        .add_message(&message)
        .await?
        .ok_or_else(|| Problem::not_found("No conversation with this id."))
}

fn valid_body(raw: &str) -> Result<String, Problem> {
    message_body(raw).map_err(|e| Problem::invalid_body(e.to_string()))
}

/// Sends a message to a listing's seller: starts the caller's conversation about the listing,
/// or continues it (one conversation per listing and buyer). Buyers and sellers, never on
/// their own listing; only listings that still sell (`active`, `under_contract`).
#[utoipa::path(post, path = "/api/v1/listings/{id}/conversations", tag = "conversations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Listing id")),
    request_body = MessageBody,
    responses(
        (status = 201, description = "A new conversation and its first message", body = Started),
        (status = 200, description = "The caller's existing conversation on the listing and the message added to it", body = Started),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Admins do not trade; sellers not on their own listings", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such listing (or a draft of someone else)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The listing no longer sells or has no seller account (`not-accepting-messages`)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Empty, too long or otherwise invalid body", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Traders>,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<MessageBody>,
) -> Result<(StatusCode, Json<Started>), Problem> {
    let listing = visible_listing(&state, &id, Some(&caller)).await?;
    let text = valid_body(&body.body)?;
    let now = state.settings().clock.now();
    let candidate =
        Conversation::start(new_id(), &listing, &caller.user_id, now).map_err(|e| match e {
            StartError::OwnListing => {
                state.auth().count_failure("forbidden");
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    "Sellers cannot start conversations on their own listings.",
                )
            }
            StartError::NoSeller | StartError::Closed(_) => not_accepting(format!("{}.", e)),
        })?;
    let (conversation, created) = state.users().open_conversation(&candidate).await?;
    let message = send(&state, &conversation, &caller, text).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Started {
            conversation: ConversationView::from(&conversation),
            message: message.into(),
        }),
    ))
}

/// The caller's conversations, latest activity first, with the listing, the other party, the
/// last message and the caller's unread count.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of the inbox", body = Inbox),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn inbox(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<Inbox>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let page = state
        .users()
        .inbox(&caller.user_id, after.as_ref(), limit)
        .await?;
    Ok(Json(Inbox {
        items: page
            .items
            .into_iter()
            .map(|e| InboxItem::new(e, &caller.user_id))
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// Messages of one of the caller's conversations, newest first. Reading a page marks its
/// messages read for the caller.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), PageParams),
    responses(
        (status = 200, description = "A page of messages", body = MessageList),
        (status = 400, description = "Invalid limit or cursor", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn messages(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<MessageList>, Problem> {
    let Query(params) = params.map_err(|e| Problem::invalid_parameter(e.body_text()))?;
    let (limit, after) = page_params(params.limit.as_deref(), params.cursor.as_deref())?;
    let conversation = own_conversation(&state, &id, &caller).await?;
    let store = state.users();
    let page = store
        .messages_page(&conversation.id, after.as_ref(), limit)
        .await?;
    if let Some(newest) = page.items.iter().map(|m| m.seq).max() {
        store
            .mark_read(&conversation.id, &caller.user_id, newest)
            .await?;
    }
    Ok(Json(page.into()))
}

/// Adds a message to one of the caller's conversations.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    request_body = MessageBody,
    responses(
        (status = 201, description = "The message", body = MessageView),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Empty, too long or otherwise invalid body", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn post_message(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    StrictJson(body): StrictJson<MessageBody>,
) -> Result<(StatusCode, Json<MessageView>), Problem> {
    let conversation = own_conversation(&state, &id, &caller).await?;
    let text = valid_body(&body.body)?;
    let message = send(&state, &conversation, &caller, text).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Marks every message of one of the caller's conversations read for the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation (or not the caller's)", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn mark_read(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let conversation = own_conversation(&state, &id, &caller).await?;
    state
        .users()
        .mark_read(&conversation.id, &caller.user_id, conversation.last_seq)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many messages the caller has not read, over all their conversations.
#[utoipa::path(get, path = "/api/v1/me/unread", tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The unread count", body = UnreadCount),
        (status = 401, description = "No valid access token", body = super::openapi::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn unread(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<UnreadCount>, Problem> {
    let unread_count = state.users().unread_total(&caller.user_id).await?;
    Ok(Json(UnreadCount { unread_count }))
}
