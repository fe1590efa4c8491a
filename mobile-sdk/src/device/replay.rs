//! Actions only the server decides — submitting an order (from a draft or
//! from lines), approving or rejecting one — queued durably while offline
//! and replayed to the server in order, one at a time, each with the
//! request id it was queued with. The queue itself is `crate::outbox`;
//! this is the device sending it.

use tonic::Status;
use tradeport_proto::orders::{
    ApproveOrderRequest, Order, OrderLineInput, RejectOrderRequest, SubmitOrderRequest,
};

use super::{Device, DeviceEvent, Inner};
use crate::Error;
use crate::client::Retry;
use crate::outbox::{OutboxEntry, StoredRequest, is_transient};

/// What one replay of the outbox did. Outcomes also come as events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Actions the server carried out; they left the queue.
    pub succeeded: usize,
    /// Actions the server refused for good; they left the queue too, and
    /// [`Device::outbox`] keeps why, to show.
    pub failed: usize,
}

impl Device {
    /// Queues the submission of a draft as an order. The lines go with the
    /// prices this device shows for them, so the server refuses (as an
    /// [`DeviceEvent::ActionFailed`]) if the draft or a price changed since
    /// the person confirmed it; the server orders its own copy of the
    /// draft, which by then holds every device's changes.
    pub fn queue_submit_draft(&self, draft_id: &str) -> Result<String, Error> {
        let draft = self.inner.drafts.open(draft_id)?;
        let lines = draft.lines().map_err(|e| Error::InvalidArgument {
            field: "draft_id",
            reason: e.to_string(),
        })?;
        let lines = lines
            .into_iter()
            .map(|line| {
                // A product the local copy cannot price goes without an
                // expectation; the server prices it anyway.
                self.order_line(&line.sku, line.quantity).or_else(|_| {
                    Ok::<_, Error>(OrderLineInput {
                        sku: line.sku,
                        quantity: line.quantity.normalize().to_string(),
                        expected_unit_price: String::new(),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.queue_submit_order(SubmitOrderRequest {
            draft_id: draft_id.to_owned(),
            lines,
            ..Default::default()
        })
    }

    /// Queues an order submission, durably, and returns its request id: the
    /// one in `request` if set (e.g. derived from a draft, so that two
    /// devices submitting one draft make one order), otherwise a new UUID.
    /// Set `expected_unit_price` on the lines (see [`Device::order_line`])
    /// and `expected_total` to what the person saw.
    pub fn queue_submit_order(&self, mut request: SubmitOrderRequest) -> Result<String, Error> {
        if request.lines.is_empty() && request.lines_text.trim().is_empty() {
            return Err(Error::InvalidArgument {
                field: "lines",
                reason: "an order needs lines or lines_text".into(),
            });
        }
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::SubmitOrder(request))
    }

    /// Queues the approval of an order's current step.
    pub fn queue_approve_order(&self, order_id: &str, comment: &str) -> Result<String, Error> {
        let mut request = ApproveOrderRequest {
            id: non_empty("order_id", order_id)?,
            comment: comment.to_string(),
            request_id: String::new(),
        };
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::ApproveOrder(request))
    }

    /// Queues the rejection of an order; the reason is required.
    pub fn queue_reject_order(&self, order_id: &str, comment: &str) -> Result<String, Error> {
        let mut request = RejectOrderRequest {
            id: non_empty("order_id", order_id)?,
            comment: non_empty("comment", comment)?,
            request_id: String::new(),
        };
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::RejectOrder(request))
    }

    /// Sends the pending actions in order, one at a time. An action the
    /// server answers leaves the queue (with an event); a failure that says
    /// nothing about the action (offline, server restarting, session
    /// expired) stops the replay with that error and keeps the action and
    /// those after it for next time.
    pub async fn flush_outbox(&self) -> Result<FlushReport, Error> {
        self.inner.flush_outbox().await
    }

    /// Every action kept: pending ones and the last finished ones with
    /// their outcome, in queue order. Survives restarts.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.outbox.entries()
    }
}

fn fill_request_id(request_id: &mut String) {
    if request_id.trim().is_empty() {
        *request_id = uuid::Uuid::new_v4().to_string();
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument {
            field,
            reason: "required".into(),
        });
    }
    Ok(value.to_string())
}

impl Inner {
    fn enqueue(&self, request: StoredRequest) -> Result<String, Error> {
        self.check_open()?;
        let request_id = request.request_id().to_string();
        self.outbox.enqueue(&self.local, request)?;
        self.bump();
        Ok(request_id)
    }

    async fn send(&self, request: &StoredRequest) -> Result<Order, Status> {
        let config = &self.client.config;
        let order = match request {
            StoredRequest::SubmitOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.submit_order(r).await },
                    )
                    .await?
                    .order
            }
            StoredRequest::ApproveOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.approve_order(r).await },
                    )
                    .await?
                    .order
            }
            StoredRequest::RejectOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.reject_order(r).await },
                    )
                    .await?
                    .order
            }
        };
        order.ok_or_else(|| Status::internal("the server answered without the order"))
    }

    pub(super) async fn flush_outbox(&self) -> Result<FlushReport, Error> {
        self.check_open()?;
        let _one = self.replaying.lock().await;
        let mut report = FlushReport::default();
        while let Some((seq, mut action)) = self.outbox.next_pending()? {
            self.check_open()?;
            let Some(request) = action.request.clone() else {
                let failure = self.outbox.fail_unsendable(&self.local, seq, action)?;
                report.failed += 1;
                self.announce(DeviceEvent::ActionFailed {
                    request_id: String::new(),
                    failure,
                });
                continue;
            };
            let request_id = request.request_id().to_string();
            self.outbox.count_attempt(seq, &mut action)?;
            match self.authorized(|| self.send(&request)).await {
                Ok(order) => {
                    self.outbox
                        .succeed(&self.local, seq, action, order.clone())?;
                    self.reference.remember_order(&order)?;
                    report.succeeded += 1;
                    self.announce(DeviceEvent::ActionSucceeded {
                        request_id,
                        order: Box::new(order),
                    });
                }
                Err(status) if is_transient(&status) => {
                    tracing::debug!(%status, request_id, "outbox replay stopped; the action stays");
                    return Err(status.into());
                }
                Err(status) => {
                    let failure = self.outbox.fail(&self.local, seq, action, &status)?;
                    report.failed += 1;
                    self.announce(DeviceEvent::ActionFailed {
                        request_id,
                        failure,
                    });
                }
            }
        }
        Ok(report)
    }
}
