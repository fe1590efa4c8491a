//! [`DeviceEvent`]: the one stream of what happened on a device — drafts
//! changed or refused, outbox actions answered, reference data updated —
//! for the app to show. Drafts, the outbox and the feed each send on it;
//! [`Device::events`](crate::Device::events) receives them all.

use tokio::sync::broadcast;
use tradeport_proto::orders::Order;

use crate::drafts::Refusal;
use crate::outbox::ActionFailure;

/// Events not yet received by a slow listener beyond this are dropped for
/// it (it sees `RecvError::Lagged`); the outbox listing and the drafts'
/// outcomes still hold what they said.
pub(crate) const EVENT_BUFFER: usize = 256;

/// A receiver of [`DeviceEvent`]s (tokio's broadcast receiver), re-exported
/// so an app needs no tokio dependency of its own to name it.
pub type DeviceEvents = broadcast::Receiver<DeviceEvent>;

/// What happened, for the app to show. More kinds may come: match with a
/// wildcard arm.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeviceEvent {
    /// The server accepted a queued action; `order` is its answer.
    ActionSucceeded {
        request_id: String,
        order: Box<Order>,
    },
    /// The server refused a queued action for good; it left the queue.
    ActionFailed {
        request_id: String,
        failure: ActionFailure,
    },
    /// A page of reference data was applied (the catalog, prices, stock
    /// or orders shown may have changed).
    ReferenceDataUpdated { changes: u64, reset: bool },
    /// Another device's changes arrived for this draft.
    DraftChanged { document_id: String },
    /// This draft was refused; it stays on the device as it was, and the
    /// other drafts go on syncing (see [`Refusal`]).
    DraftRefused {
        document_id: String,
        refusal: Refusal,
    },
}
