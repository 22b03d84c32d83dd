//! Batched audit writing for frequent, read-only events (downloads, logins):
//! one transaction per batch instead of one write per request. Changes to data
//! are audited with their own write instead.

use kura_db::{Db, NewAuditEvent};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Events queued before senders start writing directly (back-pressure).
const QUEUE: usize = 8192;
/// Largest batch per transaction.
const BATCH: usize = 512;
/// How long an event may wait in the queue.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

enum Msg {
    Event(NewAuditEvent),
    /// Write everything queued so far, then answer.
    Flush(oneshot::Sender<()>),
}

/// Handle to the background writer.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Msg>,
    db: Db,
}

impl AuditSink {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Db) -> Self {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let wdb = db.clone();
        tokio::spawn(async move {
            let mut buf: Vec<NewAuditEvent> = Vec::with_capacity(BATCH);
            let mut acks: Vec<oneshot::Sender<()>> = Vec::new();
            while let Some(first) = rx.recv().await {
                let take = |m: Msg,
                            buf: &mut Vec<NewAuditEvent>,
                            acks: &mut Vec<oneshot::Sender<()>>| match m
                {
                    Msg::Event(e) => buf.push(e),
                    Msg::Flush(a) => acks.push(a),
                };
                take(first, &mut buf, &mut acks);
                // Let a burst gather into one transaction, unless someone waits.
                if acks.is_empty() {
                    let deadline = tokio::time::sleep(FLUSH_EVERY);
                    tokio::pin!(deadline);
                    while buf.len() < BATCH && acks.is_empty() {
                        tokio::select! {
                            () = &mut deadline => break,
                            m = rx.recv() => match m {
                                Some(m) => take(m, &mut buf, &mut acks),
                                None => break,
                            },
                        }
                    }
                }
                if let Err(e) = wdb.audit_many(&buf).await {
                    tracing::error!(error = %e, lost = buf.len(), "could not write audit events");
                }
                buf.clear();
                for a in acks.drain(..) {
                    a.send(()).ok();
                }
            }
        });
        Self { tx, db }
    }

    /// Queues an event; if the queue is full, writes it directly.
    pub async fn record(&self, e: NewAuditEvent) {
        match self.tx.try_send(Msg::Event(e)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Msg::Event(e)))
            | Err(mpsc::error::TrySendError::Closed(Msg::Event(e))) => {
                if let Err(err) = self.db.audit_many(std::slice::from_ref(&e)).await {
                    tracing::error!(error = %err, "could not write an audit event");
                }
            }
            Err(_) => {}
        }
    }

    /// Waits until every event queued before this call is written.
    pub async fn flush(&self) {
        let (a, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(a)).await.is_ok() {
            done.await.ok();
        }
    }
}
