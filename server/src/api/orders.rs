//! OrderService on the wire: decode (`decode`), hand to the order use
//! cases, encode (`encode`).

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};

use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};
use tradeport_proto::orders::{self as pb, order_service_server::OrderService};

mod decode;
mod encode;

pub use encode::order_to;

use super::dates::date_text;
use super::errors::Failure;
use super::identity::caller;
use super::open_streams::{OpenStreams, holding};
use super::product::quick_order_to;
use crate::service::documents::Documents;
use crate::service::orders::{NewShipment, NewTrackingEvent, ORDER_TEMPLATE, Orders};
use encode::notification_to;
use tradeport_domain::orders::Order;

pub struct OrderApi {
    orders: Arc<Orders>,
    /// Where orders from drafts find their lines.
    documents: Arc<Documents>,
    /// Submissions let in at once; the rest wait their turn here.
    submissions: Arc<Semaphore>,
    /// Order watches open, per caller.
    watches: OpenStreams,
}

/// How many submissions run at once, per core. Each prices and checks its lines on
/// a thread of its own, then takes its turn at the order writer (one at a
/// time). With every caller let in, dozens of threads pricing crowd the
/// turn's holder off the two cores, and the turn's lock, which lets a
/// newcomer barge in ahead of a sleeping waiter, leaves some submissions
/// waiting far longer than others. Waiting here instead is first come,
/// first served, and costs no thread. Measured at 64 callers (quick demo,
/// alternating runs): 8 let in gave p99 70-71 ms, 16 gave 88-113 ms, and
/// all 64 gave 140-210 ms; 4 was no better, and too few queue at the
/// turn for a run of them to share a flush (`orders::writer`). Those were
/// two cores: four per core.
pub const SUBMISSIONS_PER_CORE: usize = 4;

impl OrderApi {
    pub fn new(orders: Arc<Orders>, documents: Arc<Documents>) -> Self {
        Self {
            orders,
            documents,
            submissions: Arc::new(Semaphore::new(
                SUBMISSIONS_PER_CORE
                    * std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            )),
            watches: OpenStreams::default(),
        }
    }

    /// Ends every order watch (at shutdown).
    pub fn end_watches(&self) {
        self.orders.close_watches();
    }

    pub fn orders(&self) -> &Arc<Orders> {
        &self.orders
    }
}

/// The answer of an RPC that answers with the order it changed.
fn answer<T>(
    order: &Order,
    wrap: impl FnOnce(Option<pb::Order>) -> T,
) -> Result<Response<T>, Status> {
    Ok(Response::new(wrap(Some(order_to(order)))))
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn submit_order(
        &self,
        request: Request<pb::SubmitOrderRequest>,
    ) -> Result<Response<pb::SubmitOrderResponse>, Status> {
        let caller = caller(&request)?;
        let submission = decode::submission(request.into_inner())?;
        let (orders, drafts) = (Arc::clone(&self.orders), Arc::clone(&self.documents));
        // Never closed: an error here would be a bug, not a busy server.
        let admitted = Arc::clone(&self.submissions)
            .acquire_owned()
            .await
            .map_err(|e| Failure::internal(format!("submission queue: {e}")))?;
        let order = tokio::task::spawn_blocking(move || {
            let _admitted = admitted;
            orders.submit_order(&caller, submission, &drafts)
        })
        .await
        .map_err(|e| Failure::internal(format!("submit task: {e}")))??;
        answer(&order, |order| pb::SubmitOrderResponse { order })
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        let caller = caller(&request)?;
        let order = self.orders.get(&caller, &request.into_inner().id)?;
        answer(&order, |order| pb::GetOrderResponse { order })
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = caller(&request)?;
        let filter = decode::filter(request.into_inner())?;
        let orders = Arc::clone(&self.orders);
        let (page, next_page_token) =
            tokio::task::spawn_blocking(move || orders.list(&caller, &filter))
                .await
                .map_err(|e| Failure::internal(format!("list task: {e}")))??;
        Ok(Response::new(pb::ListOrdersResponse {
            orders: page.iter().map(order_to).collect(),
            next_page_token,
        }))
    }

    async fn approve_order(
        &self,
        request: Request<pb::ApproveOrderRequest>,
    ) -> Result<Response<pb::ApproveOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self
            .orders
            .approve(&caller, &r.id, &r.comment, &r.request_id)?;
        answer(&order, |order| pb::ApproveOrderResponse { order })
    }

    async fn reject_order(
        &self,
        request: Request<pb::RejectOrderRequest>,
    ) -> Result<Response<pb::RejectOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self
            .orders
            .reject(&caller, &r.id, &r.comment, &r.request_id)?;
        answer(&order, |order| pb::RejectOrderResponse { order })
    }

    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> Result<Response<pb::CancelOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self
            .orders
            .cancel(&caller, &r.id, &r.reason, &r.request_id)?;
        answer(&order, |order| pb::CancelOrderResponse { order })
    }

    async fn release_credit_hold(
        &self,
        request: Request<pb::ReleaseCreditHoldRequest>,
    ) -> Result<Response<pb::ReleaseCreditHoldResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self
            .orders
            .release_credit_hold(&caller, &r.id, &r.comment, &r.request_id)?;
        answer(&order, |order| pb::ReleaseCreditHoldResponse { order })
    }

    async fn record_shipment(
        &self,
        request: Request<pb::RecordShipmentRequest>,
    ) -> Result<Response<pb::RecordShipmentResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let new = NewShipment {
            lines: r
                .lines
                .into_iter()
                .map(|l| (l.line_number, l.quantity))
                .collect(),
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            promised_date: date_text(r.promised_date),
        };
        let order = self
            .orders
            .record_shipment(&caller, &r.order_id, new, &r.request_id)?;
        let wire = order_to(&order);
        Ok(Response::new(pb::RecordShipmentResponse {
            shipment: wire.shipments.last().cloned(),
            order: Some(wire),
        }))
    }

    async fn add_tracking_event(
        &self,
        request: Request<pb::AddTrackingEventRequest>,
    ) -> Result<Response<pb::AddTrackingEventResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let status = decode::tracking_status(r.status)?;
        let event = NewTrackingEvent {
            status,
            location: r.location,
            description: r.description,
        };
        let order = self.orders.add_tracking_event(
            &caller,
            &r.order_id,
            &r.shipment_id,
            event,
            &r.request_id,
        )?;
        answer(&order, |order| pb::AddTrackingEventResponse { order })
    }

    async fn invoice_order(
        &self,
        request: Request<pb::InvoiceOrderRequest>,
    ) -> Result<Response<pb::InvoiceOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self
            .orders
            .invoice(&caller, &r.order_id, &r.invoice_number, &r.request_id)?;
        answer(&order, |order| pb::InvoiceOrderResponse { order })
    }

    async fn close_order(
        &self,
        request: Request<pb::CloseOrderRequest>,
    ) -> Result<Response<pb::CloseOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self.orders.close(&caller, &r.order_id, &r.request_id)?;
        answer(&order, |order| pb::CloseOrderResponse { order })
    }

    async fn create_return(
        &self,
        request: Request<pb::CreateReturnRequest>,
    ) -> Result<Response<pb::CreateReturnResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self.orders.create_return(
            &caller,
            &r.order_id,
            r.line_number,
            &r.quantity,
            &r.reason,
            &r.request_id,
        )?;
        let wire = order_to(&order);
        Ok(Response::new(pb::CreateReturnResponse {
            rma: wire.returns.last().cloned(),
            order: Some(wire),
        }))
    }

    async fn resolve_return(
        &self,
        request: Request<pb::ResolveReturnRequest>,
    ) -> Result<Response<pb::ResolveReturnResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let resolution = decode::resolution(r.resolution)?;
        let order = self.orders.resolve_return(
            &caller,
            &r.order_id,
            &r.return_id,
            resolution,
            &r.request_id,
        )?;
        answer(&order, |order| pb::ResolveReturnResponse { order })
    }

    type WatchOrdersStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchOrdersResponse, Status>> + Send + 'static>>;

    async fn watch_orders(
        &self,
        request: Request<pb::WatchOrdersRequest>,
    ) -> Result<Response<Self::WatchOrdersStream>, Status> {
        let caller = caller(&request)?;
        let watch = self.orders.watch(&caller)?;
        let permit = self.watches.open(&caller).map_err(Failure::from)?;
        let sees = watch.sees;
        let updates = BroadcastStream::new(watch.changes).filter_map(move |item| match item {
            Ok(order) if sees(&order) => Some(Ok(pb::WatchOrdersResponse {
                order: Some(order_to(&order)),
            })),
            Ok(_) => None,
            Err(BroadcastStreamRecvError::Lagged(missed)) => Some(Err(Failure::from(
                tradeport_domain::DomainError::precondition(
                    "WATCH_LAGGED",
                    format!(
                        "this watch fell {missed} changes behind; list the orders and watch again"
                    ),
                ),
            )
            .into())),
        });
        let stream = super::watch::until_shutdown(updates, self.orders.closed());
        Ok(Response::new(Box::pin(holding(stream, permit))))
    }

    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (notes, next_page_token) =
            self.orders
                .notifications(&caller, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: notes.into_iter().map(notification_to).collect(),
            next_page_token,
        }))
    }

    async fn reorder_order(
        &self,
        request: Request<pb::ReorderOrderRequest>,
    ) -> Result<Response<pb::ReorderOrderResponse>, Status> {
        let caller = caller(&request)?;
        let (lines, currency) = self
            .orders
            .reorder(&caller, &request.into_inner().order_id)?;
        Ok(Response::new(pb::ReorderOrderResponse {
            lines: Some(quick_order_to(&lines, &currency)),
        }))
    }

    async fn get_order_template(
        &self,
        request: Request<pb::GetOrderTemplateRequest>,
    ) -> Result<Response<pb::GetOrderTemplateResponse>, Status> {
        caller(&request)?;
        Ok(Response::new(pb::GetOrderTemplateResponse {
            csv: ORDER_TEMPLATE.to_string(),
        }))
    }
}
