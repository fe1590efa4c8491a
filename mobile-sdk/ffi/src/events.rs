//! One stream of what happened on the device, for the app to show: the
//! outbox's answers, reference-data updates and draft changes and
//! refusals, read with the async [`EventStream::next`] (in Kotlin, wrap it
//! in a `Flow`; in Swift, an `AsyncStream`).

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Mutex, broadcast};
use tradeport_mobile::DeviceEvent;

use crate::device::Device;
use crate::drafts::Refusal;
use crate::error::TradeportError;
use crate::orders::Order;
use crate::outbox::ActionFailure;

/// Something that happened on the device.
// Serialised across the FFI and dropped at once: its size in Rust does
// not matter, and UniFFI passes no `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, uniffi::Enum)]
pub enum Event {
    /// The server accepted a queued action; `order` is its answer.
    ActionSucceeded { request_id: String, order: Order },
    /// The server refused a queued action for good; it left the queue.
    ActionFailed {
        request_id: String,
        failure: ActionFailure,
    },
    /// Reference data changed (catalog, prices, stock or orders).
    ReferenceDataUpdated { changes: u64, reset: bool },
    /// Another device's changes arrived for a draft.
    DraftChanged { draft_id: String },
    /// A draft was refused (by the server, or this device refused what
    /// the server sent for it); it stays on the device as it was and the
    /// other drafts go on syncing.
    DraftRefused { draft_id: String, refusal: Refusal },
    /// The app read too slowly and `count` events were dropped: reread
    /// what it shows (the outbox and drafts still hold everything).
    Missed { count: u64 },
}

/// Events from the moment the stream was made, from [`Device::events`].
#[derive(uniffi::Object)]
pub struct EventStream {
    /// `None` once the device's stream has closed (signed out).
    receiver: Mutex<Option<broadcast::Receiver<DeviceEvent>>>,
}

#[uniffi::export]
impl Device {
    /// A stream of the device's events from now on: drafts, outbox actions
    /// and reference data, the SDK's one stream.
    pub fn events(&self) -> Result<std::sync::Arc<EventStream>, TradeportError> {
        Ok(std::sync::Arc::new(EventStream {
            receiver: Mutex::new(Some(self.sdk()?.events())),
        }))
    }
}

#[uniffi::export]
impl EventStream {
    /// The next event, waiting for one; `None` once the device is signed
    /// out and every event has been read.
    ///
    /// Cancelling the wait loses no event: it runs on the caller's
    /// executor (Tokio's channels need no runtime), not as a task that
    /// would go on to take the next event for nobody.
    pub async fn next(&self) -> Option<Event> {
        let mut receiver = self.receiver.lock().await;
        loop {
            let open = receiver.as_mut()?;
            match open.recv().await {
                Ok(event) => {
                    if let Some(event) = device_event(event) {
                        return Some(event);
                    }
                    // A kind of event this layer does not know yet.
                }
                Err(RecvError::Lagged(count)) => return Some(Event::Missed { count }),
                Err(RecvError::Closed) => *receiver = None,
            }
        }
    }
}

fn device_event(event: DeviceEvent) -> Option<Event> {
    Some(match event {
        DeviceEvent::ActionSucceeded { request_id, order } => Event::ActionSucceeded {
            request_id,
            order: (*order).into(),
        },
        DeviceEvent::ActionFailed {
            request_id,
            failure,
        } => Event::ActionFailed {
            request_id,
            failure: failure.into(),
        },
        DeviceEvent::ReferenceDataUpdated { changes, reset } => {
            Event::ReferenceDataUpdated { changes, reset }
        }
        DeviceEvent::DraftChanged { document_id } => Event::DraftChanged {
            draft_id: document_id,
        },
        DeviceEvent::DraftRefused {
            document_id,
            refusal,
        } => Event::DraftRefused {
            draft_id: document_id,
            refusal: refusal.into(),
        },
        _ => return None,
    })
}
