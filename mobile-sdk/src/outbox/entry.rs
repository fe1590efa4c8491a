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
    /// An order submission, from lines or from a draft
    /// ([`Device::queue_submit_order`](crate::Device::queue_submit_order),
    /// [`Device::queue_submit_draft`](crate::Device::queue_submit_draft)).
    SubmitOrder(SubmitOrderRequest),
    /// The approval of an order's current step
    /// ([`Device::queue_approve_order`](crate::Device::queue_approve_order)).
    ApproveOrder(ApproveOrderRequest),
    /// The rejection of an order, with its reason
    /// ([`Device::queue_reject_order`](crate::Device::queue_reject_order)).
    RejectOrder(RejectOrderRequest),
}

impl Action {
    /// The id the action is sent with on every attempt, so the server acts
    /// on it once however often it is replayed.
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
    Pending {
        /// Times it has been sent, each counted as it goes out; a high
        /// count means the device was offline or the server failing.
        attempts: u32,
    },
    /// The server acted; the order as it answered.
    Succeeded(Box<Order>),
    /// The server refused it for good; it will not be sent again.
    Failed(ActionFailure),
}

/// The server's refusal of an action, as the app shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFailure {
    /// The status the server answered with: `FailedPrecondition` for a
    /// rule of the portal (a price that moved, an order no longer
    /// awaiting approval), `InvalidArgument` for bad input,
    /// `PermissionDenied`, `NotFound`.
    pub code: Code,
    /// The server's explanation, in English, for logs and support; show
    /// the person text chosen by `reason`.
    pub message: String,
    /// The stable machine-readable reason (ErrorInfo), e.g. "PRICE_CHANGED".
    pub reason: String,
    /// Every precondition failure and bad-request field the server named.
    pub violations: Vec<Violation>,
    /// For a submission refused because prices moved: the lines whose
    /// price is no longer the one the person saw.
    pub changed_lines: Vec<ChangedLine>,
}

/// One thing the server found wrong with an action: a field it refused or
/// a precondition that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What it is about, e.g. `lines[1]`, `expected_total`.
    pub subject: String,
    /// What is wrong with it, in the server's words.
    pub description: String,
}

/// A submitted line whose price changed since the device showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedLine {
    /// Its index in the submitted lines.
    pub index: usize,
    /// The line's product.
    pub sku: String,
    /// The quantity submitted, a decimal in the product's unit, as sent.
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
    /// The id the `queue_*` call returned and every send carries.
    pub request_id: String,
    /// What was queued.
    pub action: Action,
    /// Waiting, done, or refused.
    pub state: ActionState,
    /// When it was queued, by this device's clock.
    pub queued_at: SystemTime,
    /// When the server's answer arrived, by this device's clock; `None`
    /// while it waits.
    pub finished_at: Option<SystemTime>,
}
