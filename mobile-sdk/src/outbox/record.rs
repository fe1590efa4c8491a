//! How an action is stored on the device: protobuf, so the requests keep
//! their wire form and a newer SDK can add fields, and how a stored record
//! turns into what the app is shown.

use tradeport_proto::orders::{ApproveOrderRequest, Order, RejectOrderRequest, SubmitOrderRequest};

use super::entry::{Action, ActionState, OutboxEntry};
use super::refusal::failure;
use crate::clock::time_of;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct StoredAction {
    #[prost(uint64, tag = "1")]
    pub(super) queued_at_ms: u64,
    #[prost(oneof = "StoredRequest", tags = "2, 3, 4")]
    pub(crate) request: Option<StoredRequest>,
    #[prost(oneof = "StoredOutcome", tags = "5, 6")]
    pub(super) outcome: Option<StoredOutcome>,
    #[prost(uint64, tag = "7")]
    pub(super) finished_at_ms: u64,
    #[prost(uint32, tag = "8")]
    pub(super) attempts: u32,
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
pub(super) enum StoredOutcome {
    #[prost(message, tag = "5")]
    Succeeded(Order),
    #[prost(message, tag = "6")]
    Failed(StoredFailure),
}

#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct StoredFailure {
    #[prost(int32, tag = "1")]
    pub(super) code: i32,
    #[prost(string, tag = "2")]
    pub(super) message: String,
    #[prost(string, tag = "3")]
    pub(super) reason: String,
    #[prost(message, repeated, tag = "4")]
    pub(super) violations: Vec<StoredViolation>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct StoredViolation {
    #[prost(string, tag = "1")]
    pub(super) subject: String,
    #[prost(string, tag = "2")]
    pub(super) description: String,
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

impl StoredAction {
    pub(crate) fn is_pending(&self) -> bool {
        self.outcome.is_none()
    }

    pub(super) fn entry(&self, seq: u64) -> Option<OutboxEntry> {
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
