//! Records listing activity off the request path: handlers hand events to a bounded queue
//! ([`ActivityRecorder::record`], never blocking, never failing the request) and one
//! background task writes them in batches (one store round trip per batch).
//!
//! Why a queue and not an insert in the handler: `GET /listings/{id}` is the hottest route and
//! already writes the view counter; a second awaited write would add a store round trip to
//! every view. Batching also turns a burst of views into a single insert. The cost: events
//! queued when the process dies are lost (`serve` flushes them on a graceful shutdown), and
//! when the queue is full (the store is slow or down) new events are dropped. Both are
//! counted, never silent:
//! `ogf_activity_events_total{result="recorded|dropped|failed"}`, and failures are logged.
//! Analytics tolerate such gaps; the audit log, not this log, is the record of consequence.
//!
//! [`ActivityRecorder::flush`] waits until everything queued before it is written: the
//! analytics endpoints call it before reading (read-your-writes within the process), and
//! tests use it instead of sleeping.

use std::sync::Arc;

use prometheus::{IntCounterVec, Opts, Registry};
use tokio::sync::{mpsc, oneshot};

use crate::domain::activity::ActivityEvent;
use crate::store::ActivityStore;

/// Events waiting to be written at most (then new ones are dropped).
const QUEUE: usize = 10_000;
/// Events written per store call at most.
const BATCH: usize = 500;

enum Message {
    Event(ActivityEvent),
    Flush(oneshot::Sender<()>),
}

/// The handle handlers record through (cheap to clone; the writer stops when every handle
/// is dropped, after writing what was queued).
#[derive(Debug, Clone)]
pub struct ActivityRecorder {
    queue: Option<mpsc::Sender<Message>>,
    events: IntCounterVec,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Event(e) => f.debug_tuple("Event").field(e).finish(),
            Message::Flush(_) => f.write_str("Flush"),
        }
    }
}

impl ActivityRecorder {
    /// Registers `ogf_activity_events_total{result}` and starts the batch writer on the
    /// current tokio runtime. Outside a runtime (tools that never serve requests) nothing is
    /// started and every event counts as dropped.
    pub fn start(
        store: Arc<dyn ActivityStore>,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let events = IntCounterVec::new(
            Opts::new(
                "ogf_activity_events_total",
                "Listing activity events, by result (recorded, dropped: queue full, failed: store error).",
            ),
            &["result"],
        )?;
        registry.register(Box::new(events.clone()))?;
        let queue = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let (tx, rx) = mpsc::channel(QUEUE);
                runtime.spawn(write_batches(store, rx, events.clone()));
                Some(tx)
            }
            Err(_) => {
                tracing::warn!("no async runtime: listing activity is not recorded");
                None
            }
        };
        Ok(Self { queue, events })
    }

    /// Queues `event` for writing; never waits and never fails (a full queue drops it).
    pub fn record(&self, event: ActivityEvent) {
        let Some(queue) = &self.queue else {
            self.events.with_label_values(&["dropped"]).inc();
            return;
        };
        if let Err(e) = queue.try_send(Message::Event(event)) {
            self.events.with_label_values(&["dropped"]).inc();
            tracing::warn!(error = %e, "activity queue full or closed: event dropped");
        }
    }

    /// Waits until every event queued before this call has been written (or failed).
    pub async fn flush(&self) {
        let Some(queue) = &self.queue else { return };
        let (done, wait) = oneshot::channel();
        if queue.send(Message::Flush(done)).await.is_ok() {
            // An error means the writer is gone: nothing more will be written anyway.
            let _ = wait.await;
        }
    }
}

/// The writer: takes what is queued (up to [`BATCH`]) and writes it in one call.
async fn write_batches(
    store: Arc<dyn ActivityStore>,
    mut rx: mpsc::Receiver<Message>,
    counter: IntCounterVec,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Event(e) => batch.push(e),
                Message::Flush(done) => flushes.push(done),
            }
            next = if batch.len() < BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            match store.record_activity(&batch).await {
                Ok(()) => counter.with_label_values(&["recorded"]).inc_by(n),
                Err(e) => {
                    counter.with_label_values(&["failed"]).inc_by(n);
                    tracing::warn!(error = %e, events = n, "recording listing activity failed");
                }
            }
            batch.clear();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::activity::{ActivityKind, ActivityQuery};
    use crate::store::EmbeddedStore;

    fn view(actor: Option<&str>) -> ActivityEvent {
        ActivityEvent {
            listing_id: "l1".into(),
            seller_id: "s1".into(),
            kind: ActivityKind::View,
            actor_id: actor.map(Into::into),
            at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn queued_events_are_written_by_flush() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.path()).await.unwrap());
        let registry = Registry::new();
        let recorder = ActivityRecorder::start(store.clone(), &registry).unwrap();
        for actor in [None, Some("u1"), Some("u1"), Some("u2")] {
            recorder.record(view(actor));
        }
        recorder.flush().await;
        let counts = store
            .activity_counts(&ActivityQuery {
                seller_id: "s1".into(),
                from: None,
                to: Utc::now().date_naive(),
                by_day: false,
            })
            .await
            .unwrap();
        assert_eq!((counts[0].events, counts[0].actors), (4, 2));
        let recorded = recorder.events.with_label_values(&["recorded"]).get();
        assert_eq!(recorded, 4);
    }

    #[test]
    fn without_a_runtime_events_are_dropped_and_counted() {
        let recorder = ActivityRecorder::start(Arc::new(DownStore), &Registry::new()).unwrap();
        recorder.record(view(None));
        assert_eq!(recorder.events.with_label_values(&["dropped"]).get(), 1);
    }

    #[tokio::test]
    async fn a_failed_write_is_counted_and_flush_still_returns() {
        let recorder = ActivityRecorder::start(Arc::new(DownStore), &Registry::new()).unwrap();
        recorder.record(view(Some("u1")));
        recorder.record(view(None));
        recorder.flush().await;
        assert_eq!(recorder.events.with_label_values(&["failed"]).get(), 2);
        assert_eq!(recorder.events.with_label_values(&["recorded"]).get(), 0);
    }

    /// A store whose database is down (only `record_activity` is ever called here).
    struct DownStore;

    #[async_trait::async_trait]
    impl ActivityStore for DownStore {
        async fn record_activity(
            &self,
            _: &[ActivityEvent],
        ) -> Result<(), crate::store::StoreError> {
            Err(crate::store::StoreError::Unavailable("down".into()))
        }
        async fn activity_counts(
            &self,
            _: &ActivityQuery,
        ) -> Result<Vec<crate::domain::activity::ActivityCount>, crate::store::StoreError> {
            unreachable!()
        }
        async fn seller_listings(
            &self,
            _: &str,
            _: u32,
        ) -> Result<Vec<crate::domain::activity::SellerListing>, crate::store::StoreError> {
            unreachable!()
        }
        async fn listing_groups(
            &self,
        ) -> Result<Vec<crate::domain::activity::ListingGroup>, crate::store::StoreError> {
            unreachable!()
        }
        async fn registrations_per_day(
            &self,
            _: chrono::NaiveDate,
            _: chrono::NaiveDate,
        ) -> Result<Vec<(chrono::NaiveDate, u64)>, crate::store::StoreError> {
            unreachable!()
        }
    }
}
