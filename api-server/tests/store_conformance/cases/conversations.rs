//! Conformance cases: conversations (one per listing and buyer, gap-free message numbers even
//! under concurrent sends, read positions that only move up, unread counts, the inbox).

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use ogf_api::domain::{Conversation, Cursor, ListingMeta, Message, NewMessage};
use ogf_api::store::Store;

use crate::support::{input, t0};

/// An active listing titled `title` by `seller`.
async fn listing(
    store: &dyn Store,
    id: &str,
    title: &str,
    seller: &str,
) -> ogf_api::domain::Listing {
    let mut meta = ListingMeta::new(id.into(), t0() - Duration::days(1));
    meta.seller_id = Some(seller.into());
    let l = input(title, "For conversations.")
        .validate_with(meta)
        .unwrap();
    store.insert(&l).await.unwrap();
    l
}

async fn open(
    store: &dyn Store,
    id: &str,
    listing: &str,
    buyer: &str,
    at: DateTime<Utc>,
) -> (Conversation, bool) {
    let l = store.get(listing).await.unwrap().unwrap();
    let c = Conversation::start(id.into(), &l, buyer, at).unwrap();
    store.open_conversation(&c).await.unwrap()
}

async fn send(
    store: &dyn Store,
    conversation: &str,
    sender: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Message {
    let m = NewMessage {
        id: uuid::Uuid::now_v7().to_string(),
        conversation_id: conversation.into(),
        sender_id: sender.into(),
        body: body.into(),
        sent_at: at,
    };
    store.add_message(&m).await.unwrap().unwrap()
}

async fn all_messages(store: &dyn Store, conversation: &str, limit: u32) -> Vec<Message> {
    let mut after: Option<Cursor> = None;
    let mut out = Vec::new();
    loop {
        let page = store
            .messages_page(conversation, after.as_ref(), limit)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next {
            Some(c) => after = Some(c),
            None => return out,
        }
    }
}

pub async fn conversations_are_one_per_listing_and_buyer_with_numbered_messages(store: &dyn Store) {
    listing(store, "l1", "Midland minerals", "seller").await;
    let at = |m: i64| t0() + Duration::minutes(m);
    let (c, created) = open(store, "c1", "l1", "b1", at(0)).await;
    assert!(created);
    let (again, created_again) = open(store, "c2", "l1", "b1", at(1)).await;
    assert!(!created_again);
    assert_eq!(again, c, "the buyer's existing conversation");
    assert_eq!(store.conversation("c1").await.unwrap(), Some(c.clone()));
    assert_eq!(store.conversation("c2").await.unwrap(), None);
    let (other, created_other) = open(store, "c3", "l1", "b2", at(2)).await;
    assert!(created_other && other.id == "c3");

    let m1 = send(store, "c1", "b1", "Is the lease HBP?", at(3)).await;
    let m2 = send(store, "c1", "seller", "Yes, two producing wells.", at(4)).await;
    let m3 = send(store, "c1", "b1", "Line one\nline two", at(5)).await;
    assert_eq!((m1.seq, m2.seq, m3.seq), (1, 2, 3));
    assert_eq!(m3.body, "Line one\nline two");
    let stored = store.conversation("c1").await.unwrap().unwrap();
    assert_eq!(stored.last_seq, 3);
    assert_eq!(stored.last_message_at, at(5));
    assert_eq!(stored.last_sender_id.as_deref(), Some("b1"));
    assert_eq!(stored.last_preview.as_deref(), Some("Line one line two"));
    // Newest first with every page size; other conversations stay apart.
    for limit in [1, 2, 3, 10] {
        assert_eq!(
            all_messages(store, "c1", limit).await,
            vec![m3.clone(), m2.clone(), m1.clone()]
        );
    }
    assert!(all_messages(store, "c3", 5).await.is_empty());
    let missing = NewMessage {
        id: "m-x".into(),
        conversation_id: "nope".into(),
        sender_id: "b1".into(),
        body: "hello".into(),
        sent_at: at(6),
    };
    assert_eq!(store.add_message(&missing).await.unwrap(), None);
}

pub async fn unread_counts_follow_read_positions_and_the_inbox_pages(store: &dyn Store) {
    listing(store, "l1", "Midland minerals", "seller").await;
    listing(store, "l2", "Bakken WI", "seller").await;
    let at = |m: i64| t0() + Duration::minutes(m);
    open(store, "c1", "l1", "b1", at(0)).await;
    open(store, "c2", "l2", "b1", at(1)).await;
    open(store, "c3", "l2", "b2", at(2)).await;
    for i in 0..3 {
        send(store, "c1", "b1", &format!("question {i}"), at(10 + i)).await;
    }
    send(store, "c2", "b1", "Bakken?", at(20)).await;
    send(store, "c2", "seller", "Yes", at(21)).await;
    send(store, "c3", "b2", "Hi", at(22)).await;

    assert_eq!(store.unread_total("seller").await.unwrap(), 5);
    assert_eq!(store.unread_total("b1").await.unwrap(), 1);
    assert_eq!(store.unread_total("b2").await.unwrap(), 0);
    assert_eq!(store.unread_total("nobody").await.unwrap(), 0);

    assert!(store.mark_read("c1", "seller", 2).await.unwrap());
    assert_eq!(store.unread_total("seller").await.unwrap(), 3);
    // Never down; capped at the last message; only parties.
    assert!(store.mark_read("c1", "seller", 1).await.unwrap());
    assert_eq!(
        store
            .conversation("c1")
            .await
            .unwrap()
            .unwrap()
            .seller_read_seq,
        2
    );
    assert!(store.mark_read("c1", "seller", 99).await.unwrap());
    assert_eq!(
        store
            .conversation("c1")
            .await
            .unwrap()
            .unwrap()
            .seller_read_seq,
        3
    );
    assert!(!store.mark_read("c1", "b2", 3).await.unwrap());
    assert!(!store.mark_read("nope", "b1", 3).await.unwrap());
    assert_eq!(store.unread_total("seller").await.unwrap(), 2);
    // A new message after the read position is unread again.
    send(store, "c1", "b1", "anyone?", at(30)).await;
    assert_eq!(store.unread_total("seller").await.unwrap(), 3);

    // Inbox: latest activity first, titles, unread counts, pages of every size.
    let ids = |limit: u32| async move {
        let mut after: Option<Cursor> = None;
        let mut out = Vec::new();
        loop {
            let page = store.inbox("seller", after.as_ref(), limit).await.unwrap();
            out.extend(page.items);
            match page.next {
                Some(c) => after = Some(c),
                None => return out,
            }
        }
    };
    for limit in [1, 2, 5] {
        let inbox = ids(limit).await;
        let got: Vec<(&str, Option<&str>, u64)> = inbox
            .iter()
            .map(|e| {
                (
                    e.conversation.id.as_str(),
                    e.listing_title.as_deref(),
                    e.unread,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("c1", Some("Midland minerals"), 1),
                ("c3", Some("Bakken WI"), 1),
                ("c2", Some("Bakken WI"), 1),
            ],
            "limit {limit}"
        );
    }
    let b1 = store.inbox("b1", None, 10).await.unwrap();
    let got: Vec<(&str, u64)> = b1
        .items
        .iter()
        .map(|e| (e.conversation.id.as_str(), e.unread))
        .collect();
    assert_eq!(got, [("c1", 0), ("c2", 1)]);
    assert!(store.inbox("b3", None, 10).await.unwrap().items.is_empty());
}

pub async fn concurrent_messages_get_distinct_numbers_and_exact_unread_counts(store: &dyn Store) {
    listing(store, "l1", "Race lot", "seller").await;
    open(store, "c1", "l1", "b1", t0()).await;
    let sends = (0..20).map(|i| {
        let sender = if i % 4 == 0 { "seller" } else { "b1" };
        send(
            store,
            "c1",
            sender,
            "concurrent",
            t0() + Duration::seconds(i),
        )
    });
    let messages = join_all(sends).await;
    let mut seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=20).collect::<Vec<_>>(),
        "gap-free, no duplicates"
    );
    assert_eq!(store.unread_total("seller").await.unwrap(), 15);
    assert_eq!(store.unread_total("b1").await.unwrap(), 5);
    assert_eq!(all_messages(store, "c1", 7).await.len(), 20);
    // Concurrent read marks: the highest wins.
    let marks = (1..=20).map(|s| store.mark_read("c1", "seller", s));
    assert!(join_all(marks).await.into_iter().all(|r| r.unwrap()));
    assert_eq!(store.unread_total("seller").await.unwrap(), 0);
    assert_eq!(
        store
            .conversation("c1")
            .await
            .unwrap()
            .unwrap()
            .seller_read_seq,
        20
    );
}
