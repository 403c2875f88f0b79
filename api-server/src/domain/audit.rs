//! Security events kept in the audit log, and how they are queried.

use chrono::{DateTime, Utc};

use super::cursor::Cursor;

wire_enum!(
    /// What happened.
    AuditKind, "audit event type" {
        /// A new account was registered.
        UserRegistered => "user_registered",
        /// A sign-in succeeded.
        LoginSucceeded => "login_succeeded",
        /// A sign-in failed (wrong password, unknown e-mail, locked account or lockout).
        LoginFailed => "login_failed",
        /// Too many failed sign-ins: the account is locked out for a while.
        AccountLockedOut => "account_locked_out",
        /// An already rotated refresh token was presented: its session family was revoked.
        RefreshTokenReused => "refresh_token_reused",
        /// A user signed out.
        Logout => "logout",
        /// A user changed their password (every session ends).
        PasswordChanged => "password_changed",
        /// An admin changed a user's role.
        RoleChanged => "role_changed",
        /// An admin locked an account.
        UserLocked => "user_locked",
        /// An admin unlocked an account.
        UserUnlocked => "user_unlocked",
        /// An admin revoked a user's sessions.
        SessionsRevoked => "sessions_revoked",
        /// An admin deleted an account.
        UserDeleted => "user_deleted",
        /// A listing was created (`detail`: `listing=<id>`).
        ListingCreated => "listing_created",
        /// A listing's fields were changed (`detail`: `listing=<id> fields=a,b`).
        ListingUpdated => "listing_updated",
        /// A listing's status changed (`detail`: `listing=<id> draft->active`).
        ListingStatusChanged => "listing_status_changed",
        /// A listing was deleted (`detail`: `listing=<id>`).
        ListingDeleted => "listing_deleted",
        /// An admin posted market prices (`detail`: `series=WTI points=n inserted=a updated=b
        /// unchanged=c from=<date> to=<date>`).
        MarketPricesPosted => "market_prices_posted",
        /// `ogf-api market import` loaded a file (`detail`: `series=WTI inserted=a updated=b
        /// unchanged=c skipped=d file=<name>`).
        MarketPricesImported => "market_prices_imported",
        /// A bid was accepted (`detail`: `listing=<id> bid=<id> amount_cents=<n>`).
        BidPlaced => "bid_placed",
        /// An ended auction or sealed-bid sale was settled (`detail`: `listing=<id> outcome=<o>`).
        AuctionSettled => "auction_settled",
        /// A buyer made an offer (`detail`: `listing=<id> offer=<id>`).
        OfferMade => "offer_made",
        /// An offer changed status (`detail`: `listing=<id> offer=<id> pending->accepted`).
        OfferStatusChanged => "offer_status_changed",
        /// A buyer accepted a listing's NDA and asked for data-room access (`detail`:
        /// `listing=<id> request=<id>`).
        NdaAccepted => "nda_accepted",
        /// The seller (or an admin) opened the data room to a buyer (`detail`: `listing=<id>
        /// request=<id> pending->approved`).
        DataRoomAccessApproved => "data_room_access_approved",
        /// The seller (or an admin) refused or revoked a buyer's access (`detail`:
        /// `listing=<id> request=<id> pending->denied`).
        DataRoomAccessDenied => "data_room_access_denied",
        /// A document was added to a data room (`detail`: `listing=<id> document=<id>
        /// kind=pdf bytes=<n> visibility=nda`).
        DocumentUploaded => "document_uploaded",
        /// A document was downloaded (`detail`: `listing=<id> document=<id>`).
        DocumentDownloaded => "document_downloaded",
        /// A document was removed from a data room (`detail`: `listing=<id> document=<id>`).
        DocumentDeleted => "document_deleted",
    }
);

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Stable id (time-ordered).
    pub id: String,
    /// When it happened (millisecond precision in both stores).
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: AuditKind,
    /// The account concerned, when known.
    pub user_id: Option<String>,
    /// Who did it, when it is not the user concerned (an admin).
    pub actor_id: Option<String>,
    /// Client IP address.
    pub ip: Option<String>,
    /// Short machine-readable detail (a reason, `buyer->seller`); never a secret.
    pub detail: String,
}

/// Filters and page position for reading the audit log, newest first: `(at desc, id desc)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this type.
    pub kind: Option<AuditKind>,
    /// Only events about this account.
    pub user_id: Option<String>,
    /// Only events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events strictly before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: u32,
}

impl AuditQuery {
    /// All events, first page of `limit`.
    pub fn all(limit: u32) -> Self {
        Self {
            kind: None,
            user_id: None,
            from: None,
            to: None,
            after: None,
            limit,
        }
    }

    /// The reference semantics both stores implement (ignores paging).
    pub fn matches(&self, e: &AuditEvent) -> bool {
        self.kind.is_none_or(|k| k == e.kind)
            && self
                .user_id
                .as_ref()
                .is_none_or(|u| e.user_id.as_ref() == Some(u))
            && self.from.is_none_or(|f| e.at >= f)
            && self.to.is_none_or(|t| e.at < t)
    }
}

/// The cursor just after `e` in the newest-first order.
pub fn audit_cursor(e: &AuditEvent) -> Cursor {
    Cursor {
        created_at_ms: e.at.timestamp_millis(),
        id: e.id.clone(),
    }
}

/// A page of audit events and the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// Events, newest first.
    pub items: Vec<AuditEvent>,
    /// Position after the last item, when more may follow.
    pub next: Option<Cursor>,
}
