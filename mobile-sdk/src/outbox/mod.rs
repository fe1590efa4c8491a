//! The outbox: actions only the server can decide (submit an order, approve
//! or reject one), stored durably on the device with the `request_id`
//! chosen when they were queued, replayed in order once online, and their
//! outcomes kept for the app to list after a restart.
//!
//! The `request_id` never changes once stored, so sending an action again
//! after a lost reply returns the first result instead of acting twice (the
//! server dedupes, AIP-155). What this module must never do: drop a pending
//! action on a failure that says nothing about the action itself (no
//! network, a server restarting, an expired session), or decide an
//! outcome itself — the server's answer wins.
//!
//! The queue is here; what the app is shown of an action is `entry`, how an
//! action is stored is `record`, and how the server's refusal is read (and
//! which failures are not a refusal at all) is `refusal`.

mod entry;
mod record;
mod refusal;

use std::sync::Mutex;

use prost::Message;
use tonic::{Code, Status};
use tradeport_proto::orders::Order;

pub use entry::{Action, ActionFailure, ActionState, ChangedLine, OutboxEntry, Violation};
pub(crate) use record::{StoredAction, StoredRequest};
pub(crate) use refusal::is_transient;

use crate::Error;
use crate::clock::now_ms;
use crate::local_db::{LocalDb, OUTBOX_TREE};
use record::{StoredFailure, StoredOutcome};
use refusal::{failure, stored_failure};

/// Finished actions kept for the app to list; older ones are forgotten.
const FINISHED_KEPT: usize = 500;

fn seq_of(key: &[u8]) -> Result<u64, Error> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| Error::Corrupt {
            what: "an outbox key".into(),
            reason: format!("{} bytes, expected 8", key.len()),
        })
}

fn decode(seq: u64, raw: &[u8]) -> Result<StoredAction, Error> {
    StoredAction::decode(raw).map_err(|e| Error::Corrupt {
        what: format!("outbox action {seq}"),
        reason: e.to_string(),
    })
}

/// The queue in the local database, keyed by sequence number so that a
/// tree walk is queue order.
pub(crate) struct Outbox {
    tree: sled::Tree,
    /// The next sequence number; held while queueing so two actions
    /// queued at once keep the order they were queued in.
    next: Mutex<u64>,
}

impl Outbox {
    pub(crate) fn open(db: &LocalDb) -> Result<Self, Error> {
        let tree = db.tree(OUTBOX_TREE)?;
        let next = match tree.last()? {
            Some((k, _)) => seq_of(&k)?.saturating_add(1),
            None => 1,
        };
        Ok(Self {
            tree,
            next: Mutex::new(next),
        })
    }

    /// Stores a new pending action and flushes it to disk before returning.
    pub(crate) fn enqueue(&self, db: &LocalDb, request: StoredRequest) -> Result<u64, Error> {
        let action = StoredAction {
            queued_at_ms: now_ms(),
            request: Some(request),
            ..Default::default()
        };
        let seq = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let seq = *next;
            self.tree
                .insert(seq.to_be_bytes(), action.encode_to_vec())?;
            *next = seq.saturating_add(1);
            seq
        };
        db.flush()?;
        Ok(seq)
    }

    /// The oldest pending action.
    pub(crate) fn next_pending(&self) -> Result<Option<(u64, StoredAction)>, Error> {
        for entry in self.tree.iter() {
            let (k, v) = entry?;
            let seq = seq_of(&k)?;
            let action = decode(seq, &v)?;
            if action.is_pending() {
                return Ok(Some((seq, action)));
            }
        }
        Ok(None)
    }

    /// Counts a send before it goes out: a reply lost after it still shows.
    pub(crate) fn count_attempt(&self, seq: u64, action: &mut StoredAction) -> Result<(), Error> {
        action.attempts = action.attempts.saturating_add(1);
        self.tree
            .insert(seq.to_be_bytes(), action.encode_to_vec())?;
        Ok(())
    }

    /// Records the server's acceptance; returns the entry to announce.
    pub(crate) fn succeed(
        &self,
        db: &LocalDb,
        seq: u64,
        mut action: StoredAction,
        order: Order,
    ) -> Result<(), Error> {
        action.outcome = Some(StoredOutcome::Succeeded(order));
        self.finish(db, seq, action)
    }

    /// Records the server's final refusal; returns it as the app sees it.
    pub(crate) fn fail(
        &self,
        db: &LocalDb,
        seq: u64,
        mut action: StoredAction,
        status: &Status,
    ) -> Result<ActionFailure, Error> {
        let stored = stored_failure(status);
        let shown = failure(&stored, action.request.as_ref());
        action.outcome = Some(StoredOutcome::Failed(stored));
        self.finish(db, seq, action)?;
        Ok(shown)
    }

    /// An action this SDK cannot read or send (a newer SDK's kind): it
    /// leaves the queue so the ones after it are not held up for ever.
    pub(crate) fn fail_unsendable(
        &self,
        db: &LocalDb,
        seq: u64,
        mut action: StoredAction,
    ) -> Result<ActionFailure, Error> {
        let stored = StoredFailure {
            code: Code::Unimplemented as i32,
            message: "this version of the app cannot send this action".into(),
            reason: "UNSENDABLE".into(),
            violations: Vec::new(),
        };
        let shown = failure(&stored, None);
        action.outcome = Some(StoredOutcome::Failed(stored));
        self.finish(db, seq, action)?;
        Ok(shown)
    }

    fn finish(&self, db: &LocalDb, seq: u64, mut action: StoredAction) -> Result<(), Error> {
        action.finished_at_ms = now_ms();
        self.tree
            .insert(seq.to_be_bytes(), action.encode_to_vec())?;
        self.prune()?;
        db.flush()
    }

    /// Forgets the oldest finished actions beyond [`FINISHED_KEPT`].
    fn prune(&self) -> Result<(), Error> {
        let mut finished = Vec::new();
        for entry in self.tree.iter() {
            let (k, v) = entry?;
            let seq = seq_of(&k)?;
            if !decode(seq, &v)?.is_pending() {
                finished.push(k);
            }
        }
        let excess = finished.len().saturating_sub(FINISHED_KEPT);
        for k in finished.into_iter().take(excess) {
            self.tree.remove(k)?;
        }
        Ok(())
    }

    pub(crate) fn pending_count(&self) -> Result<usize, Error> {
        let mut count = 0;
        for entry in self.tree.iter() {
            let (k, v) = entry?;
            if decode(seq_of(&k)?, &v)?.is_pending() {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Every action kept, pending and finished, in queue order.
    pub(crate) fn entries(&self) -> Result<Vec<OutboxEntry>, Error> {
        let mut entries = Vec::new();
        for entry in self.tree.iter() {
            let (k, v) = entry?;
            let seq = seq_of(&k)?;
            if let Some(shown) = decode(seq, &v)?.entry(seq) {
                entries.push(shown);
            }
        }
        Ok(entries)
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
