//! Conformance cases: the audit log.

use chrono::Duration;
use ogf_api::domain::{AuditEvent, AuditKind, AuditQuery};
use ogf_api::store::Store;

use crate::support::t0;

fn events() -> Vec<AuditEvent> {
    let kinds = [
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::RoleChanged,
        AuditKind::SessionsRevoked,
    ];
    (0..30)
        .map(|i: i64| AuditEvent {
            id: format!("e{:02}", (i * 11) % 30),
            // Pairs share an instant: the id breaks ties.
            at: t0() + Duration::seconds(i / 2),
            kind: kinds[(i % 4) as usize],
            user_id: (i % 3 != 0).then(|| format!("u{}", i % 3)),
            actor_id: (i % 5 == 0).then(|| "admin".to_owned()),
            ip: (i % 2 == 0).then(|| "192.0.2.1".to_owned()),
            detail: if i == 7 {
                "{\"$ne\": null}".into()
            } else {
                String::new()
            },
        })
        .collect()
}

async fn walk(store: &dyn Store, query: &AuditQuery) -> Vec<AuditEvent> {
    let mut q = query.clone();
    let mut seen = Vec::new();
    loop {
        let page = store.audit_page(&q).await.unwrap();
        assert!(page.items.len() <= q.limit as usize);
        seen.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return seen,
        }
    }
}

pub async fn audit_log_filters_and_pages_like_the_reference(store: &dyn Store) {
    let all = events();
    for e in &all {
        store.record_audit(e).await.unwrap();
    }
    let mut queries = vec![AuditQuery::all(4)];
    let mut q = AuditQuery::all(3);
    q.kind = Some(AuditKind::LoginFailed);
    queries.push(q);
    let mut q = AuditQuery::all(2);
    q.user_id = Some("u1".into());
    queries.push(q);
    let mut q = AuditQuery::all(5);
    q.from = Some(t0() + Duration::seconds(3));
    q.to = Some(t0() + Duration::seconds(10));
    queries.push(q);
    let mut q = AuditQuery::all(100);
    q.kind = Some(AuditKind::RoleChanged);
    q.user_id = Some("u2".into());
    q.from = Some(t0() + Duration::seconds(2));
    queries.push(q);
    let mut q = AuditQuery::all(10);
    q.user_id = Some("{\"$ne\": null}".into());
    queries.push(q);
    for query in queries {
        let mut want: Vec<AuditEvent> = all.iter().filter(|e| query.matches(e)).cloned().collect();
        want.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        assert_eq!(walk(store, &query).await, want, "{query:?}");
    }
}
