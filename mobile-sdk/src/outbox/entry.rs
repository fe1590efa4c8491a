//! What the app is shown of an action in the outbox: the action itself,
//! where it stands, and, when the server refused it, the refusal in terms
//! the app can show (the changed lines of a price refusal among them).
//! Kept apart from how actions are stored, which may change without the
//! app noticing.

use std::time::SystemTime;

use tonic::Code;
use tradeport_proto::orders::{ApproveOrderRequest, Order, RejectOrderRequest, SubmitOrderRequest};

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
