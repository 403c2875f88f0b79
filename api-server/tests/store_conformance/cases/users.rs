//! Conformance cases: accounts, sessions, failed sign-ins.

use chrono::{DateTime, Duration, Utc};
use ogf_api::domain::{Email, Role, Session, SessionState, User};
use ogf_api::store::{Store, StoreError};

use crate::support::t0;

pub(crate) fn user(id: &str, email: &str, role: Role, created_at: DateTime<Utc>) -> User {
    User {
        id: id.into(),
        email: Email::parse(email).unwrap(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${id}"),
        role,
        locked: false,
        created_at,
    }
}

fn session(id: &str, user_id: &str, family: &str, hash: &str) -> Session {
    Session {
        id: id.into(),
        user_id: user_id.into(),
        family_id: family.into(),
        refresh_hash: hash.into(),
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
        state: SessionState::Active,
    }
}

pub async fn users_round_trip_with_unique_case_insensitive_email(store: &dyn Store) {
    assert!(!store.has_admin().await.unwrap());
    let a = user("u1", "Alice@Example.com", Role::Seller, t0());
    store.create_user(&a).await.unwrap();
    assert_eq!(store.user("u1").await.unwrap(), Some(a.clone()));
    let by_email = Email::parse("ALICE@example.COM").unwrap();
    assert_eq!(
        store.user_by_email(&by_email).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.user("nobody").await.unwrap(), None);
    let dup = user("u2", "alice@EXAMPLE.com", Role::Buyer, t0());
    assert!(matches!(
        store.create_user(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    let same_id = user("u1", "other@example.com", Role::Buyer, t0());
    assert!(matches!(
        store.create_user(&same_id).await,
        Err(StoreError::Conflict(_))
    ));

    let b = user("u2", "bob@example.com", Role::Buyer, t0());
    store.create_user(&b).await.unwrap();
    let mut changed = b.clone();
    changed.role = Role::Admin;
    changed.locked = true;
    changed.password_hash = "$argon2id$new".into();
    changed.email = Email::parse("robert@example.com").unwrap();
    assert!(store.update_user(&changed).await.unwrap());
    assert_eq!(store.user("u2").await.unwrap(), Some(changed.clone()));
    assert!(store.has_admin().await.unwrap());
    let mut taken = changed.clone();
    taken.email = a.email.clone();
    let r = store.update_user(&taken).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(
        store.user("u2").await.unwrap(),
        Some(changed),
        "unchanged after conflict"
    );
    let ghost = user("ghost", "ghost@example.com", Role::Buyer, t0());
    assert!(!store.update_user(&ghost).await.unwrap());

    assert!(store.delete_user("u2").await.unwrap());
    assert!(!store.delete_user("u2").await.unwrap());
    assert_eq!(store.user("u2").await.unwrap(), None);
    assert!(!store.has_admin().await.unwrap());
}

pub async fn users_page_in_creation_order(store: &dyn Store) {
    let mut want = Vec::new();
    for i in 0..23 {
        // Groups of three share a creation time: the id breaks ties.
        let at = t0() + Duration::milliseconds(i / 3);
        let id = format!("user-{:02}", (i * 7) % 23);
        store
            .create_user(&user(&id, &format!("{id}@example.com"), Role::Buyer, at))
            .await
            .unwrap();
        want.push((at, id));
    }
    want.sort();
    let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
    for size in [1, 5, 23, 100] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store.users_page(after.as_ref(), size).await.unwrap();
            assert!(page.items.len() <= size as usize);
            seen.extend(page.items.iter().map(|u| u.id.clone()));
            match page.next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, want, "page size {size}");
    }
}

pub async fn sessions_rotate_once_and_revoke(store: &dyn Store) {
    store
        .create_user(&user("u1", "a@example.com", Role::Buyer, t0()))
        .await
        .unwrap();
    let s1 = session("s1", "u1", "f1", "h1");
    store.create_session(&s1).await.unwrap();
    assert_eq!(store.session("s1").await.unwrap(), Some(s1.clone()));
    assert_eq!(
        store.session_by_refresh_hash("h1").await.unwrap(),
        Some(s1.clone())
    );
    assert_eq!(store.session_by_refresh_hash("nope").await.unwrap(), None);
    assert!(
        matches!(
            store.create_session(&session("s9", "u1", "f1", "h1")).await,
            Err(StoreError::Conflict(_))
        ),
        "refresh hashes are unique"
    );

    let s2 = session("s2", "u1", "f1", "h2");
    assert!(store.rotate_session("s1", &s2).await.unwrap());
    let s3 = session("s3", "u1", "f1", "h3");
    assert!(
        !store.rotate_session("s1", &s3).await.unwrap(),
        "only one rotation wins"
    );
    assert_eq!(store.session("s3").await.unwrap(), None);
    assert_eq!(
        store.session("s1").await.unwrap().unwrap().state,
        SessionState::Rotated
    );
    assert_eq!(
        store.session("s2").await.unwrap().unwrap().state,
        SessionState::Active
    );

    let other = session("t1", "u1", "f2", "g1");
    store.create_session(&other).await.unwrap();
    assert_eq!(store.revoke_family("f1").await.unwrap(), 1);
    assert_eq!(store.revoke_family("f1").await.unwrap(), 0);
    assert_eq!(
        store.session("s2").await.unwrap().unwrap().state,
        SessionState::Revoked
    );
    assert_eq!(
        store.session("s1").await.unwrap().unwrap().state,
        SessionState::Rotated
    );
    assert_eq!(
        store.session("t1").await.unwrap().unwrap().state,
        SessionState::Active
    );
    assert!(
        !store.rotate_session("s2", &s3).await.unwrap(),
        "revoked cannot rotate"
    );

    store
        .create_session(&session("t2", "u1", "f3", "g2"))
        .await
        .unwrap();
    assert_eq!(store.revoke_user_sessions("u1").await.unwrap(), 2);
    assert_eq!(store.revoke_user_sessions("u1").await.unwrap(), 0);

    store
        .create_session(&session("t3", "u1", "f4", "g3"))
        .await
        .unwrap();
    assert!(store.delete_user("u1").await.unwrap());
    for id in ["s1", "s2", "t1", "t3"] {
        assert_eq!(
            store.session(id).await.unwrap(),
            None,
            "{id} deleted with its user"
        );
    }
}

pub async fn login_failures_count_within_the_window(store: &dyn Store) {
    for (id, email) in [("u1", "a@example.com"), ("u2", "b@example.com")] {
        store
            .create_user(&user(id, email, Role::Buyer, t0()))
            .await
            .unwrap();
    }
    for minutes in [20, 10, 1] {
        store
            .record_login_failure("u1", t0() - Duration::minutes(minutes))
            .await
            .unwrap();
    }
    store.record_login_failure("u2", t0()).await.unwrap();
    let since = t0() - Duration::minutes(15);
    assert_eq!(store.login_failures_since("u1", since).await.unwrap(), 2);
    let exact = t0() - Duration::minutes(10);
    assert_eq!(
        store.login_failures_since("u1", exact).await.unwrap(),
        2,
        "inclusive"
    );
    store.clear_login_failures("u1").await.unwrap();
    assert_eq!(store.login_failures_since("u1", since).await.unwrap(), 0);
    assert_eq!(store.login_failures_since("u2", since).await.unwrap(), 1);
    assert!(store.delete_user("u2").await.unwrap());
    assert_eq!(store.login_failures_since("u2", since).await.unwrap(), 0);
}

pub async fn operator_like_user_input_is_literal(store: &dyn Store) {
    store
        .create_user(&user("u1", "a@example.com", Role::Buyer, t0()))
        .await
        .unwrap();
    // An e-mail that looks like a query fragment matches nothing and stores literally.
    for raw in [r#"{"$ne":""}@x.io"#, "$where@x.io", ".*@x.io"] {
        let email = Email::parse(raw).unwrap();
        assert_eq!(store.user_by_email(&email).await.unwrap(), None, "{raw}");
    }
    let odd = user("u2", "$ne@x.io", Role::Buyer, t0());
    store.create_user(&odd).await.unwrap();
    assert_eq!(store.user_by_email(&odd.email).await.unwrap(), Some(odd));
    assert_eq!(
        store
            .session_by_refresh_hash("{\"$ne\":null}")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .login_failures_since("{\"$ne\":null}", t0())
            .await
            .unwrap(),
        0
    );
}
