//! One stream of what happened on the device, for the app to show: the
//! outbox's answers, reference-data updates and draft changes and
//! refusals, read with the async [`EventStream::next`] (in Kotlin, wrap it
//! in a `Flow`; in Swift, an `AsyncStream`).

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Mutex, broadcast};
use tradeport_mobile::{DeviceEvent, DraftEvent};

use crate::device::Device;
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
    /// The server refused a draft; it stays on the device.
    DraftRefused {
        draft_id: String,
        reason: String,
        field: String,
        message: String,
    },
    /// The app read too slowly and `count` events were dropped: reread
    /// what it shows (the outbox and drafts still hold everything).
    Missed { count: u64 },
}

/// Events from the moment the stream was made, from [`Device::events`].
#[derive(uniffi::Object)]
pub struct EventStream {
    receivers: Mutex<Receivers>,
}

struct Receivers {
    device: Option<broadcast::Receiver<DeviceEvent>>,
    drafts: Option<broadcast::Receiver<DraftEvent>>,
}

#[uniffi::export]
impl Device {
    /// A stream of the device's events from now on.
    pub fn events(&self) -> Result<std::sync::Arc<EventStream>, TradeportError> {
        let device = self.sdk()?;
        Ok(std::sync::Arc::new(EventStream {
            receivers: Mutex::new(Receivers {
                device: Some(device.events()),
                drafts: Some(device.drafts().events()),
            }),
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
        self.receivers.lock().await.next().await
    }
}

/// One receiver's next event: `Err(())` once it is closed.
async fn receive<T: Clone>(receiver: &mut Option<broadcast::Receiver<T>>) -> Result<T, Lag> {
    let Some(open) = receiver else {
        return std::future::pending().await;
    };
    match open.recv().await {
        Ok(event) => Ok(event),
        Err(RecvError::Lagged(count)) => Err(Lag::Missed(count)),
        Err(RecvError::Closed) => {
            *receiver = None;
            Err(Lag::Closed)
        }
    }
}

enum Lag {
    Missed(u64),
    Closed,
}

impl Receivers {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if self.device.is_none() && self.drafts.is_none() {
                return None;
            }
            let event = tokio::select! {
                e = receive(&mut self.device) => e.map(device_event),
                e = receive(&mut self.drafts) => e.map(|e| Some(draft_event(e))),
            };
            match event {
                Ok(Some(event)) => return Some(event),
                // A kind of event this layer does not know yet.
                Ok(None) | Err(Lag::Closed) => continue,
                Err(Lag::Missed(count)) => return Some(Event::Missed { count }),
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
        _ => return None,
    })
}

fn draft_event(event: DraftEvent) -> Event {
    match event {
        DraftEvent::Changed { document_id } => Event::DraftChanged {
            draft_id: document_id,
        },
        DraftEvent::Refused {
            document_id,
            reason,
            field,
            message,
        } => Event::DraftRefused {
            draft_id: document_id,
            reason,
            field,
            message,
        },
    }
}
