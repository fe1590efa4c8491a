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
        /// The id the `queue_*` call returned, to match the action the app
        /// showed as waiting.
        request_id: String,
        /// The order as the server answered: for a submission, the new
        /// order with its id, number and totals.
        order: Box<Order>,
    },
    /// The server refused a queued action for good; it left the queue.
    ActionFailed {
        /// The id the `queue_*` call returned.
        request_id: String,
        /// Why, to show the person (for a price that moved, the lines
        /// affected): see [`ActionFailure`].
        failure: ActionFailure,
    },
    /// A page of reference data was applied (the catalog, prices, stock
    /// or orders shown may have changed).
    ReferenceDataUpdated {
        /// Products, removals, stock levels and orders the page applied.
        changes: u64,
        /// The local copy was replaced by a new snapshot: redraw anything
        /// shown from it, search results included.
        reset: bool,
    },
    /// Another device's changes arrived for this draft.
    DraftChanged {
        /// The draft to reload ([`Drafts::open`](crate::Drafts::open)) if
        /// it is on screen.
        document_id: String,
    },
    /// This draft was refused; it stays on the device as it was, and the
    /// other drafts go on syncing (see [`Refusal`]).
    DraftRefused {
        /// The draft refused.
        document_id: String,
        /// Why, with the field at fault, to show beside the draft.
        refusal: Refusal,
    },
}
