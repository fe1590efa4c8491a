//! OrderService on the wire: decode, hand to the order use cases, encode.

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};

use rust_decimal::Decimal;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};
use tradeport_proto::orders::{self as pb, order_service_server::OrderService};

use super::dates::{date_text, date_to};
use super::errors::Failure;
use super::identity::{caller, millis, ts};
use super::open_streams::{OpenStreams, holding};
use super::product::{money_to, quick_order_to};
use crate::service::documents::Documents;
use crate::service::orders::{
    LineInput, NewShipment, NewTrackingEvent, ORDER_TEMPLATE, OrderFilter, Orders, Submission,
};
use tradeport_domain::orders::fulfilment::{ReturnResolution, TrackingStatus};
use tradeport_domain::orders::notifications::NotificationKind;
use tradeport_domain::orders::{CreditWarning, Order, OrderStatus};
use tradeport_domain::payments::{CardState, Payment, PaymentMethodKind, PaymentRequest};

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

fn status_to(s: OrderStatus) -> pb::OrderStatus {
    match s {
        OrderStatus::Submitted => pb::OrderStatus::Submitted,
        OrderStatus::PendingApproval => pb::OrderStatus::PendingApproval,
        OrderStatus::OnCreditHold => pb::OrderStatus::OnCreditHold,
        OrderStatus::Confirmed => pb::OrderStatus::Confirmed,
        OrderStatus::PartiallyShipped => pb::OrderStatus::PartiallyShipped,
        OrderStatus::Shipped => pb::OrderStatus::Shipped,
        OrderStatus::Delivered => pb::OrderStatus::Delivered,
        OrderStatus::Invoiced => pb::OrderStatus::Invoiced,
        OrderStatus::Closed => pb::OrderStatus::Closed,
        OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
        OrderStatus::Rejected => pb::OrderStatus::Rejected,
    }
}

pub(super) fn order_to(o: &Order) -> pb::Order {
    let money = |amount: Decimal| Some(money_to(&o.currency, amount));
    pb::Order {
        id: o.id.clone(),
        number: o.number.clone(),
        account_id: o.account_id.clone(),
        placed_by: o.placed_by.clone(),
        placed_time: ts(o.placed_at),
        po_number: o.po_number.clone(),
        ship_to_id: o.ship_to_id.clone(),
        lines: o
            .lines
            .iter()
            .map(|l| pb::OrderLine {
                line_number: l.line_no,
                sku: l.sku.clone(),
                product_id: l.product_id.clone(),
                name: l.name.clone(),
                quantity: l.quantity.normalize().to_string(),
                list_unit_price: money(l.list_unit_price),
                unit_price: money(l.unit_price),
                line_total: money(l.line_total),
                discount_total: money(l.discount_total),
                tax: money(l.tax),
                duty: money(l.duty),
                shipped_quantity: l.shipped.normalize().to_string(),
            })
            .collect(),
        subtotal: money(o.subtotal),
        discount_total: money(o.discount_total),
        tax_total: money(o.tax_total),
        duty_total: money(o.duty_total),
        total: money(o.total),
        tax_breakdown: o
            .tax_breakdown
            .iter()
            .map(|t| pb::TaxLine {
                name: t.name.clone(),
                rate: t.rate.normalize().to_string(),
                base: money(t.base),
                amount: money(t.amount),
            })
            .collect(),
        contract_id: o.contract_id.clone().unwrap_or_default(),
        status: status_to(o.status) as i32,
        approval_rule: o.approval.rule.clone(),
        pending_approvals: o
            .approval
            .steps
            .iter()
            .skip(o.approvals.iter().filter(|a| a.approved).count())
            .filter(|_| o.status == OrderStatus::PendingApproval)
            .map(|r| r.name().to_string())
            .collect(),
        credit_warning: match o.credit_warning {
            Some(CreditWarning::Near) => pb::CreditWarning::Near,
            Some(CreditWarning::AtLimit) => pb::CreditWarning::AtLimit,
            None => pb::CreditWarning::Unspecified,
        } as i32,
        history: o
            .history
            .iter()
            .map(|h| pb::StatusChange {
                time: ts(h.at),
                status: status_to(h.to) as i32,
                actor: h.by.clone(),
                note: h.note.clone(),
            })
            .collect(),
        shipments: o
            .shipments
            .iter()
            .map(|sh| pb::Shipment {
                id: sh.id.clone(),
                lines: sh
                    .lines
                    .iter()
                    .map(|(n, q)| pb::LineQuantity {
                        line_number: *n,
                        quantity: q.normalize().to_string(),
                    })
                    .collect(),
                carrier: sh.carrier.clone(),
                tracking_number: sh.tracking_number.clone(),
                shipped_time: ts(sh.shipped_at),
                promised_date: sh.promised_date.map(date_to),
                events: sh
                    .events
                    .iter()
                    .map(|e| pb::TrackingEvent {
                        time: ts(e.at),
                        status: tracking_to(e.status) as i32,
                        location: e.location.clone(),
                        description: e.description.clone(),
                    })
                    .collect(),
                late: sh.late_alerted && !sh.delivered(),
            })
            .collect(),
        returns: o
            .returns
            .iter()
            .map(|r| pb::Return {
                id: r.id.clone(),
                line_number: r.line_no,
                quantity: r.quantity.normalize().to_string(),
                reason: r.reason.clone(),
                resolution: resolution_to(r.resolution) as i32,
                create_time: ts(r.created),
            })
            .collect(),
        invoice_number: o.invoice_number.clone().unwrap_or_default(),
        payment: o.payment.as_ref().map(payment_to),
    }
}

fn method_to(kind: PaymentMethodKind) -> pb::PaymentMethod {
    match kind {
        PaymentMethodKind::OnAccount => pb::PaymentMethod::OnAccount,
        PaymentMethodKind::BankTransfer => pb::PaymentMethod::BankTransfer,
        PaymentMethodKind::Card => pb::PaymentMethod::Card,
        PaymentMethodKind::DigitalCurrency => pb::PaymentMethod::DigitalCurrency,
    }
}

fn payment_from(p: pb::PaymentInput) -> Result<PaymentRequest, Status> {
    let method = match pb::PaymentMethod::try_from(p.method) {
        Ok(pb::PaymentMethod::Unspecified) => None,
        Ok(known) => PaymentMethodKind::ALL
            .into_iter()
            .find(|k| method_to(*k) == known),
        Err(_) => {
            return Err(invalid(
                "INVALID_PAYMENT",
                "payment.method",
                "give ON_ACCOUNT, BANK_TRANSFER, CARD or DIGITAL_CURRENCY",
            ));
        }
    };
    Ok(PaymentRequest {
        method,
        card_token: p.card_token,
        network: p.network,
        external_reference: p.external_reference,
    })
}

fn payment_to(p: &Payment) -> pb::Payment {
    let mut wire = pb::Payment {
        method: method_to(p.method()) as i32,
        ..Default::default()
    };
    match p {
        Payment::OnAccount { terms, due_date } => {
            wire.terms = terms.to_string();
            wire.due_date = due_date.map(date_to);
        }
        Payment::BankTransfer {
            reference,
            amount_due,
            currency,
        } => {
            wire.reference = reference.clone();
            wire.amount_due = Some(money_to(currency, *amount_due));
        }
        Payment::Card(card) => {
            wire.authorization_id = card.authorization_id.clone();
            wire.authorised = Some(money_to(&card.currency, card.authorised));
            wire.captured = Some(money_to(&card.currency, card.captured));
            wire.card_state = match card.state {
                CardState::Authorised => pb::CardState::Authorised,
                CardState::Captured => pb::CardState::Captured,
                CardState::Voided => pb::CardState::Voided,
                CardState::Declined { .. } => pb::CardState::Declined,
            } as i32;
        }
        Payment::DigitalCurrency {
            network,
            external_reference,
        } => {
            wire.network = network.clone();
            wire.external_reference = external_reference.clone();
        }
    }
    wire
}

fn tracking_to(s: TrackingStatus) -> pb::TrackingStatus {
    match s {
        TrackingStatus::InTransit => pb::TrackingStatus::InTransit,
        TrackingStatus::OutForDelivery => pb::TrackingStatus::OutForDelivery,
        TrackingStatus::Delivered => pb::TrackingStatus::Delivered,
        TrackingStatus::Exception => pb::TrackingStatus::Exception,
    }
}

fn resolution_to(r: ReturnResolution) -> pb::ReturnResolution {
    match r {
        ReturnResolution::Pending => pb::ReturnResolution::Pending,
        ReturnResolution::Refund => pb::ReturnResolution::Refund,
        ReturnResolution::Replacement => pb::ReturnResolution::Replacement,
        ReturnResolution::CreditNote => pb::ReturnResolution::CreditNote,
        ReturnResolution::Refused => pb::ReturnResolution::Refused,
    }
}

fn invalid(reason: &'static str, field: &str, description: &str) -> Status {
    Failure::from(tradeport_domain::DomainError::invalid(
        reason,
        field,
        description,
    ))
    .into()
}

fn status_from(i: usize, raw: i32) -> Result<OrderStatus, Status> {
    let known = pb::OrderStatus::try_from(raw)
        .ok()
        .and_then(|s| OrderStatus::ALL.into_iter().find(|o| status_to(*o) == s));
    known.ok_or_else(|| {
        Failure::from(tradeport_domain::DomainError::invalid(
            "INVALID_STATUS",
            format!("statuses[{i}]"),
            format!("{raw} is not an order status"),
        ))
        .into()
    })
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn submit_order(
        &self,
        request: Request<pb::SubmitOrderRequest>,
    ) -> Result<Response<pb::SubmitOrderResponse>, Status> {
        let caller = caller(&request)?;
        let mut r = request.into_inner();
        if !r.draft_id.is_empty() {
            let documents = Arc::clone(&self.documents);
            let (draft_caller, draft_id) = (caller.clone(), r.draft_id.clone());
            let confirmed: Vec<(String, String)> = r
                .lines
                .iter()
                .map(|l| (l.sku.clone(), l.quantity.clone()))
                .collect();
            let draft = tokio::task::spawn_blocking(move || {
                documents.order_draft(&draft_caller, &draft_id, &confirmed)
            })
            .await
            .map_err(|e| Failure::internal(format!("draft task: {e}")))?
            .map_err(Failure::from)?;
            if r.lines.is_empty() {
                r.lines = draft
                    .lines
                    .iter()
                    .map(|(sku, quantity)| pb::OrderLineInput {
                        sku: sku.clone(),
                        quantity: quantity.to_string(),
                        ..Default::default()
                    })
                    .collect();
            }
            if r.ship_to_id.is_empty() {
                r.ship_to_id = draft.ship_to_id;
            }
            if r.po_number.is_empty() {
                r.po_number = draft.po_reference;
            }
        }
        let submission = Submission {
            draft_id: r.draft_id,
            request_id: r.request_id,
            lines: r
                .lines
                .into_iter()
                .map(|l| LineInput {
                    sku: l.sku,
                    quantity: l.quantity,
                    expected_unit_price: l.expected_unit_price,
                })
                .collect(),
            ship_to_id: r.ship_to_id,
            po_number: r.po_number,
            expected_total: r.expected_total.map(|m| (m.currency_code, m.amount)),
            lines_text: r.lines_text,
            payment: payment_from(r.payment.unwrap_or_default())?,
        };
        let orders = Arc::clone(&self.orders);
        // Never closed: an error here would be a bug, not a busy server.
        let admitted = Arc::clone(&self.submissions)
            .acquire_owned()
            .await
            .map_err(|e| Failure::internal(format!("submission queue: {e}")))?;
        let order = tokio::task::spawn_blocking(move || {
            let _admitted = admitted;
            orders.submit(&caller, submission)
        })
        .await
        .map_err(|e| Failure::internal(format!("submit task: {e}")))??;
        Ok(Response::new(pb::SubmitOrderResponse {
            order: Some(order_to(&order)),
        }))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        let caller = caller(&request)?;
        let order = self.orders.get(&caller, &request.into_inner().id)?;
        Ok(Response::new(pb::GetOrderResponse {
            order: Some(order_to(&order)),
        }))
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let statuses = r
            .statuses
            .iter()
            .enumerate()
            .map(|(i, s)| status_from(i, *s))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = OrderFilter {
            account_id: r.account_id,
            statuses,
            placed_after: r.placed_after.as_ref().map(millis),
            placed_before: r.placed_before.as_ref().map(millis),
            po_number: r.po_number,
            sku: r.sku,
            page_size: r.page_size,
            page_token: r.page_token,
        };
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
        Ok(Response::new(pb::ApproveOrderResponse {
            order: Some(order_to(&order)),
        }))
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
        Ok(Response::new(pb::RejectOrderResponse {
            order: Some(order_to(&order)),
        }))
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
        Ok(Response::new(pb::CancelOrderResponse {
            order: Some(order_to(&order)),
        }))
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
        Ok(Response::new(pb::ReleaseCreditHoldResponse {
            order: Some(order_to(&order)),
        }))
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
        let status = match pb::TrackingStatus::try_from(r.status) {
            Ok(pb::TrackingStatus::InTransit) => TrackingStatus::InTransit,
            Ok(pb::TrackingStatus::OutForDelivery) => TrackingStatus::OutForDelivery,
            Ok(pb::TrackingStatus::Delivered) => TrackingStatus::Delivered,
            Ok(pb::TrackingStatus::Exception) => TrackingStatus::Exception,
            _ => {
                return Err(invalid(
                    "INVALID_TRACKING_STATUS",
                    "status",
                    "give IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED or EXCEPTION",
                ));
            }
        };
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
        Ok(Response::new(pb::AddTrackingEventResponse {
            order: Some(order_to(&order)),
        }))
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
        Ok(Response::new(pb::InvoiceOrderResponse {
            order: Some(order_to(&order)),
        }))
    }

    async fn close_order(
        &self,
        request: Request<pb::CloseOrderRequest>,
    ) -> Result<Response<pb::CloseOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let order = self.orders.close(&caller, &r.order_id, &r.request_id)?;
        Ok(Response::new(pb::CloseOrderResponse {
            order: Some(order_to(&order)),
        }))
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
        let resolution = match pb::ReturnResolution::try_from(r.resolution) {
            Ok(pb::ReturnResolution::Refund) => ReturnResolution::Refund,
            Ok(pb::ReturnResolution::Replacement) => ReturnResolution::Replacement,
            Ok(pb::ReturnResolution::CreditNote) => ReturnResolution::CreditNote,
            Ok(pb::ReturnResolution::Refused) => ReturnResolution::Refused,
            _ => {
                return Err(invalid(
                    "INVALID_RESOLUTION",
                    "resolution",
                    "give REFUND, REPLACEMENT, CREDIT_NOTE or REFUSED",
                ));
            }
        };
        let order = self.orders.resolve_return(
            &caller,
            &r.order_id,
            &r.return_id,
            resolution,
            &r.request_id,
        )?;
        Ok(Response::new(pb::ResolveReturnResponse {
            order: Some(order_to(&order)),
        }))
    }

    type WatchOrdersStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchOrdersResponse, Status>> + Send + 'static>>;

    async fn watch_orders(
        &self,
        request: Request<pb::WatchOrdersRequest>,
    ) -> Result<Response<Self::WatchOrdersStream>, Status> {
        let caller = caller(&request)?;
        caller
            .authorize_action(tradeport_domain::identity::Action::ReadOrders)
            .map_err(Failure::from)?;
        let permit = self.watches.open(&caller).map_err(Failure::from)?;
        let (changes, sees) = self.orders.watch(&caller);
        let updates = BroadcastStream::new(changes).filter_map(move |item| match item {
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
            notifications: notes
                .into_iter()
                .map(|n| pb::Notification {
                    id: n.id,
                    create_time: ts(n.at),
                    kind: match n.kind {
                        NotificationKind::ApprovalNeeded => pb::NotificationKind::ApprovalNeeded,
                        NotificationKind::CreditHold => pb::NotificationKind::CreditHold,
                        NotificationKind::Shipped => pb::NotificationKind::Shipped,
                        NotificationKind::Delayed => pb::NotificationKind::Delayed,
                    } as i32,
                    order_id: n.order_id,
                    order_number: n.order_number,
                    text: n.text,
                })
                .collect(),
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
