//! OrderService on the wire: decode, hand to the order use cases, encode.

use std::sync::Arc;

use rust_decimal::Decimal;
use tonic::{Request, Response, Status};
use tradeport_proto::orders::{self as pb, order_service_server::OrderService};

use super::identity::{caller, millis, ts};
use super::product::money_to;
use super::status::Failure;
use crate::domain::orders::{CreditWarning, Order, OrderStatus};
use crate::orders::{LineInput, OrderError, OrderFilter, Orders, Submission};

pub struct OrderApi {
    orders: Arc<Orders>,
}

impl OrderApi {
    pub fn new(orders: Arc<Orders>) -> Self {
        Self { orders }
    }
}

impl From<OrderError> for Status {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Domain(d) => Failure::Domain(d).into(),
            OrderError::Store(s) => Failure::Store(s).into(),
        }
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

fn order_to(o: &Order) -> pb::Order {
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
            Some(CreditWarning::Near) => "near".into(),
            Some(CreditWarning::AtLimit) => "at_limit".into(),
            None => String::new(),
        },
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
    }
}

fn status_from(i: usize, raw: i32) -> Result<OrderStatus, Status> {
    let known = pb::OrderStatus::try_from(raw)
        .ok()
        .and_then(|s| OrderStatus::ALL.into_iter().find(|o| status_to(*o) == s));
    known.ok_or_else(|| {
        Failure::from(crate::domain::DomainError::invalid(
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
        let r = request.into_inner();
        let submission = Submission {
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
        };
        let orders = Arc::clone(&self.orders);
        let order = tokio::task::spawn_blocking(move || orders.submit(&caller, submission))
            .await
            .map_err(|e| Failure::Internal(format!("submit task: {e}")))??;
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
                .map_err(|e| Failure::Internal(format!("list task: {e}")))??;
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
}
