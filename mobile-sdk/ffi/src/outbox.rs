//! The outbox: actions only the server decides (submitting, approving,
//! rejecting an order), queued durably offline and replayed in order by
//! every sync, and what became of each.

use std::time::SystemTime;

use crate::device::Device;
use crate::error::TradeportError;
use crate::orders::Order;
use crate::runtime;
use crate::status::FlushReport;

/// What an outbox entry asks the server to do.
#[derive(Debug, uniffi::Enum)]
pub enum ActionKind {
    /// Submit an order; `draft_id` is set when it came from a draft.
    SubmitOrder {
        draft_id: String,
        lines: u32,
    },
    ApproveOrder {
        order_id: String,
    },
    RejectOrder {
        order_id: String,
    },
}

/// One way a refused action broke the server's rules.
#[derive(Debug, uniffi::Record)]
pub struct Violation {
    /// What it is about, e.g. `lines[2].quantity`.
    pub subject: String,
    pub description: String,
}

/// A line whose price moved since the device showed it (a
/// `PRICE_CHANGED` refusal).
#[derive(Debug, uniffi::Record)]
pub struct ChangedLine {
    pub index: u32,
    pub sku: String,
    pub quantity: String,
    pub expected_unit_price: String,
    pub description: String,
}

/// Why the server refused an action for good.
#[derive(Debug, uniffi::Record)]
pub struct ActionFailure {
    /// The gRPC code's name, e.g. `FailedPrecondition`.
    pub code: String,
    pub message: String,
    /// Stable reason, e.g. `PRICE_CHANGED`.
    pub reason: String,
    pub violations: Vec<Violation>,
    pub changed_lines: Vec<ChangedLine>,
}

impl From<tradeport_mobile::ActionFailure> for ActionFailure {
    fn from(f: tradeport_mobile::ActionFailure) -> Self {
        Self {
            code: format!("{:?}", f.code),
            message: f.message,
            reason: f.reason,
            violations: f
                .violations
                .into_iter()
                .map(|v| Violation {
                    subject: v.subject,
                    description: v.description,
                })
                .collect(),
            changed_lines: f
                .changed_lines
                .into_iter()
                .map(|l| ChangedLine {
                    index: u32::try_from(l.index).unwrap_or(u32::MAX),
                    sku: l.sku,
                    quantity: l.quantity,
                    expected_unit_price: l.expected_unit_price,
                    description: l.description,
                })
                .collect(),
        }
    }
}

/// Where an action stands.
// Serialised across the FFI and dropped at once: its size in Rust does
// not matter, and UniFFI passes no `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, uniffi::Enum)]
pub enum ActionState {
    /// Not answered yet; `attempts` sends so far.
    Pending { attempts: u32 },
    /// The server acted; the order as it answered.
    Succeeded { order: Order },
    /// The server refused it for good; it will not be sent again.
    Failed { failure: ActionFailure },
}

/// An action waiting for, or answered by, the server.
#[derive(Debug, uniffi::Record)]
pub struct OutboxEntry {
    /// Order of replay.
    pub seq: u64,
    /// Sent with the action, so the server acts on it once.
    pub request_id: String,
    pub kind: ActionKind,
    pub state: ActionState,
    pub queued_at: SystemTime,
    pub finished_at: Option<SystemTime>,
}

impl From<tradeport_mobile::OutboxEntry> for OutboxEntry {
    fn from(e: tradeport_mobile::OutboxEntry) -> Self {
        use tradeport_mobile::{Action, ActionState as State};
        let kind = match e.action {
            Action::SubmitOrder(r) => ActionKind::SubmitOrder {
                draft_id: r.draft_id,
                lines: u32::try_from(r.lines.len()).unwrap_or(u32::MAX),
            },
            Action::ApproveOrder(r) => ActionKind::ApproveOrder { order_id: r.id },
            Action::RejectOrder(r) => ActionKind::RejectOrder { order_id: r.id },
        };
        let state = match e.state {
            State::Pending { attempts } => ActionState::Pending { attempts },
            State::Succeeded(order) => ActionState::Succeeded {
                order: (*order).into(),
            },
            State::Failed(failure) => ActionState::Failed {
                failure: failure.into(),
            },
        };
        Self {
            seq: e.seq,
            request_id: e.request_id,
            kind,
            state,
            queued_at: e.queued_at,
            finished_at: e.finished_at,
        }
    }
}

#[uniffi::export]
impl Device {
    /// Queues the submission of a draft as an order, with the prices the
    /// device shows for its lines; returns the request id. The next sync
    /// sends it.
    pub fn queue_submit_draft(&self, draft_id: String) -> Result<String, TradeportError> {
        Ok(self.sdk()?.queue_submit_draft(&draft_id)?)
    }

    /// Queues approving an order's pending step; returns the request id.
    pub fn queue_approve_order(
        &self,
        order_id: String,
        comment: String,
    ) -> Result<String, TradeportError> {
        Ok(self.sdk()?.queue_approve_order(&order_id, &comment)?)
    }

    /// Queues rejecting an order's pending step; returns the request id.
    pub fn queue_reject_order(
        &self,
        order_id: String,
        comment: String,
    ) -> Result<String, TradeportError> {
        Ok(self.sdk()?.queue_reject_order(&order_id, &comment)?)
    }

    /// Every action in the outbox, oldest first, with where it stands.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, TradeportError> {
        Ok(self.sdk()?.outbox()?.into_iter().map(Into::into).collect())
    }

    /// Sends the queued actions now, in order, stopping at the first that
    /// cannot reach the server.
    pub async fn flush_outbox(&self) -> Result<FlushReport, TradeportError> {
        let device = self.sdk()?;
        runtime::run(async move { Ok(device.flush_outbox().await?.into()) }).await
    }
}
