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

use std::sync::Mutex;
use std::time::SystemTime;

use prost::Message;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tradeport_proto::orders::{ApproveOrderRequest, Order, RejectOrderRequest, SubmitOrderRequest};

use crate::Error;
use crate::clock::{now_ms, time_of};
use crate::local_db::{LocalDb, OUTBOX_TREE};

/// Finished actions kept for the app to list; older ones are forgotten.
const FINISHED_KEPT: usize = 500;

/// An action waiting for, or answered by, the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    SubmitOrder(SubmitOrderRequest),
    ApproveOrder(ApproveOrderRequest),
    RejectOrder(RejectOrderRequest),
}

impl Action {
    pub fn request_id(&self) -> &str {
        match self {
            Action::SubmitOrder(r) => &r.request_id,
            Action::ApproveOrder(r) => &r.request_id,
            Action::RejectOrder(r) => &r.request_id,
        }
    }
}

/// Where an action stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionState {
    /// Not answered yet; `attempts` sends so far (a lost reply counts).
    Pending { attempts: u32 },
    /// The server acted; the order as it answered.
    Succeeded(Box<Order>),
    /// The server refused it for good; it will not be sent again.
    Failed(ActionFailure),
}

/// The server's refusal of an action, as the app shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFailure {
    pub code: Code,
    pub message: String,
    /// The stable machine-readable reason (ErrorInfo), e.g. "PRICE_CHANGED".
    pub reason: String,
    /// Every precondition failure and bad-request field the server named.
    pub violations: Vec<Violation>,
    /// For a submission refused because prices moved: the lines whose
    /// price is no longer the one the person saw.
    pub changed_lines: Vec<ChangedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What it is about, e.g. "lines[1]", "expected_total".
    pub subject: String,
    pub description: String,
}

/// A submitted line whose price changed since the device showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedLine {
    /// Its index in the submitted lines.
    pub index: usize,
    pub sku: String,
    pub quantity: String,
    /// The unit price the device showed and sent.
    pub expected_unit_price: String,
    /// The server's words, e.g. "TP-1: expected unit price 9.5, now 9.9".
    pub description: String,
}

/// One action of the outbox with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Its place in the queue: actions are sent in this order.
    pub seq: u64,
    pub request_id: String,
    pub action: Action,
    pub state: ActionState,
    pub queued_at: SystemTime,
    pub finished_at: Option<SystemTime>,
}

// What is stored: protobuf, so the requests keep their wire form and a
// newer SDK can add fields.

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct StoredAction {
    #[prost(uint64, tag = "1")]
    queued_at_ms: u64,
    #[prost(oneof = "StoredRequest", tags = "2, 3, 4")]
    pub(crate) request: Option<StoredRequest>,
    #[prost(oneof = "StoredOutcome", tags = "5, 6")]
    outcome: Option<StoredOutcome>,
    #[prost(uint64, tag = "7")]
    finished_at_ms: u64,
    #[prost(uint32, tag = "8")]
    attempts: u32,
}

// Named after the RPCs they are sent with.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum StoredRequest {
    #[prost(message, tag = "2")]
    SubmitOrder(SubmitOrderRequest),
    #[prost(message, tag = "3")]
    ApproveOrder(ApproveOrderRequest),
    #[prost(message, tag = "4")]
    RejectOrder(RejectOrderRequest),
}

// Decoded one record at a time; boxing the order would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, prost::Oneof)]
enum StoredOutcome {
    #[prost(message, tag = "5")]
    Succeeded(Order),
    #[prost(message, tag = "6")]
    Failed(StoredFailure),
}

#[derive(Clone, PartialEq, prost::Message)]
struct StoredFailure {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(string, tag = "3")]
    reason: String,
    #[prost(message, repeated, tag = "4")]
    violations: Vec<StoredViolation>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct StoredViolation {
    #[prost(string, tag = "1")]
    subject: String,
    #[prost(string, tag = "2")]
    description: String,
}

impl StoredRequest {
    pub(crate) fn request_id(&self) -> &str {
        match self {
            StoredRequest::SubmitOrder(r) => &r.request_id,
            StoredRequest::ApproveOrder(r) => &r.request_id,
            StoredRequest::RejectOrder(r) => &r.request_id,
        }
    }

    fn action(&self) -> Action {
        match self.clone() {
            StoredRequest::SubmitOrder(r) => Action::SubmitOrder(r),
            StoredRequest::ApproveOrder(r) => Action::ApproveOrder(r),
            StoredRequest::RejectOrder(r) => Action::RejectOrder(r),
        }
    }
}

/// Whether a failed send says nothing about the action itself, so it stays
/// queued and the replay stops here, keeping the order.
pub(crate) fn is_transient(status: &Status) -> bool {
    match status.code() {
        // No server acted: offline, restarting, overloaded, too slow, or a
        // commit that lost a race and did nothing.
        Code::Unavailable | Code::DeadlineExceeded | Code::Aborted => true,
        // The session expired while offline (and could not be refreshed):
        // the person signs in again, and the action is still wanted.
        Code::Unauthenticated => true,
        Code::ResourceExhausted => reason_of(status) == "RATE_LIMITED",
        // A status made on this side of the wire (the connection dropped
        // mid-call, a local timeout) carries its cause; one decoded from the
        // server's answer does not.
        Code::Unknown | Code::Cancelled | Code::Internal => {
            std::error::Error::source(status).is_some()
        }
        _ => false,
    }
}

fn reason_of(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

fn stored_failure(status: &Status) -> StoredFailure {
    let details = status.get_error_details();
    let mut violations = Vec::new();
    if let Some(p) = details.precondition_failure() {
        violations.extend(p.violations.iter().map(|v| StoredViolation {
            subject: v.subject.clone(),
            description: v.description.clone(),
        }));
    }
    if let Some(b) = details.bad_request() {
        violations.extend(b.field_violations.iter().map(|v| StoredViolation {
            subject: v.field.clone(),
            description: v.description.clone(),
        }));
    }
    StoredFailure {
        code: status.code() as i32,
        message: status.message().to_string(),
        reason: reason_of(status),
        violations,
    }
}

/// "lines[3]" → 3.
fn line_index(subject: &str) -> Option<usize> {
    subject
        .strip_prefix("lines[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn failure(stored: &StoredFailure, request: Option<&StoredRequest>) -> ActionFailure {
    let violations: Vec<Violation> = stored
        .violations
        .iter()
        .map(|v| Violation {
            subject: v.subject.clone(),
            description: v.description.clone(),
        })
        .collect();
    let changed_lines = match request {
        Some(StoredRequest::SubmitOrder(submit)) if stored.reason == "PRICE_CHANGED" => violations
            .iter()
            .filter_map(|v| {
                let index = line_index(&v.subject)?;
                let line = submit.lines.get(index)?;
                Some(ChangedLine {
                    index,
                    sku: line.sku.clone(),
                    quantity: line.quantity.clone(),
                    expected_unit_price: line.expected_unit_price.clone(),
                    description: v.description.clone(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    ActionFailure {
        code: Code::from_i32(stored.code),
        message: stored.message.clone(),
        reason: stored.reason.clone(),
        violations,
        changed_lines,
    }
}

impl StoredAction {
    pub(crate) fn is_pending(&self) -> bool {
        self.outcome.is_none()
    }

    fn entry(&self, seq: u64) -> Option<OutboxEntry> {
        let request = self.request.as_ref()?;
        let state = match &self.outcome {
            None => ActionState::Pending {
                attempts: self.attempts,
            },
            Some(StoredOutcome::Succeeded(order)) => {
                ActionState::Succeeded(Box::new(order.clone()))
            }
            Some(StoredOutcome::Failed(f)) => ActionState::Failed(failure(f, Some(request))),
        };
        Some(OutboxEntry {
            seq,
            request_id: request.request_id().to_string(),
            action: request.action(),
            state,
            queued_at: time_of(self.queued_at_ms),
            finished_at: (self.finished_at_ms > 0).then(|| time_of(self.finished_at_ms)),
        })
    }
}

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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tonic_types::ErrorDetails;
    use tradeport_proto::orders::OrderLineInput;

    fn submit(id: &str) -> StoredRequest {
        StoredRequest::SubmitOrder(SubmitOrderRequest {
            request_id: id.into(),
            lines: vec![
                OrderLineInput {
                    sku: "A".into(),
                    quantity: "1".into(),
                    expected_unit_price: "9.50".into(),
                },
                OrderLineInput {
                    sku: "B".into(),
                    quantity: "2".into(),
                    expected_unit_price: "1.00".into(),
                },
            ],
            ..Default::default()
        })
    }

    #[test]
    fn actions_keep_their_order_and_outcomes_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = LocalDb::open(dir.path()).unwrap();
            let outbox = Outbox::open(&db).unwrap();
            for id in ["r1", "r2", "r3"] {
                outbox.enqueue(&db, submit(id)).unwrap();
            }
            let (seq, mut first) = outbox.next_pending().unwrap().unwrap();
            assert_eq!(first.request.as_ref().unwrap().request_id(), "r1");
            outbox.count_attempt(seq, &mut first).unwrap();
            outbox
                .succeed(
                    &db,
                    seq,
                    first,
                    Order {
                        id: "o1".into(),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        let db = LocalDb::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        assert_eq!(outbox.pending_count().unwrap(), 2);
        let entries = outbox.entries().unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e.request_id.as_str()).collect();
        assert_eq!(ids, ["r1", "r2", "r3"]);
        assert!(matches!(&entries[0].state, ActionState::Succeeded(o) if o.id == "o1"));
        assert!(entries[0].finished_at.is_some());
        assert_eq!(entries[1].state, ActionState::Pending { attempts: 0 });
        let (_, next) = outbox.next_pending().unwrap().unwrap();
        assert_eq!(next.request.unwrap().request_id(), "r2");
        // Sequence numbers continue after the reopen.
        let seq = outbox.enqueue(&db, submit("r4")).unwrap();
        assert_eq!(seq, 4);
    }

    #[test]
    fn a_price_refusal_names_the_changed_lines() {
        let dir = tempfile::tempdir().unwrap();
        let db = LocalDb::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        outbox.enqueue(&db, submit("r1")).unwrap();
        let (seq, action) = outbox.next_pending().unwrap().unwrap();
        let mut details = ErrorDetails::new();
        details.set_error_info("PRICE_CHANGED", "tradeport", []);
        details.add_precondition_failure_violation(
            "PRICE_CHANGED",
            "lines[1]",
            "B: expected unit price 1, now 1.2",
        );
        let status =
            Status::with_error_details(Code::FailedPrecondition, "prices changed", details);
        assert!(!is_transient(&status));
        let shown = outbox.fail(&db, seq, action, &status).unwrap();
        assert_eq!(shown.reason, "PRICE_CHANGED");
        assert_eq!(shown.changed_lines.len(), 1);
        let line = &shown.changed_lines[0];
        assert_eq!((line.index, line.sku.as_str()), (1, "B"));
        assert_eq!(line.expected_unit_price, "1.00");
        assert_eq!(outbox.pending_count().unwrap(), 0);
        // The same failure is what a later listing shows.
        assert_eq!(
            outbox.entries().unwrap()[0].state,
            ActionState::Failed(shown)
        );
    }

    #[test]
    fn only_failures_that_say_nothing_about_the_action_are_transient() {
        assert!(is_transient(&Status::unavailable("down")));
        assert!(is_transient(&Status::deadline_exceeded("slow")));
        assert!(is_transient(&Status::unauthenticated("expired")));
        assert!(!is_transient(&Status::invalid_argument("bad")));
        assert!(!is_transient(&Status::not_found("gone")));
        assert!(!is_transient(&Status::internal("from the server")));
        let local = Status::from_error(Box::new(std::io::Error::other("connection reset")));
        assert_eq!(local.code(), Code::Unknown);
        assert!(is_transient(&local));
    }

    #[test]
    fn finished_actions_beyond_the_limit_are_forgotten_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let db = LocalDb::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        for i in 0..FINISHED_KEPT + 3 {
            outbox.enqueue(&db, submit(&format!("r{i}"))).unwrap();
        }
        outbox.enqueue(&db, submit("last")).unwrap();
        for _ in 0..FINISHED_KEPT + 3 {
            let (seq, action) = outbox.next_pending().unwrap().unwrap();
            outbox.succeed(&db, seq, action, Order::default()).unwrap();
        }
        let entries = outbox.entries().unwrap();
        assert_eq!(entries.len(), FINISHED_KEPT + 1);
        assert_eq!(entries[0].request_id, "r3");
        assert_eq!(entries.last().unwrap().request_id, "last");
    }
}
