//! Shipments, tracking, invoicing, closing and returns of an order, each
//! one change through [`Orders::change`]: read, decide, write in one commit.

use rust_decimal::Decimal;
use time::Date;

use super::{Orders, Result, keys, now, today};
use crate::store::versioned::get_value;
use tradeport_domain::DomainError;
use tradeport_domain::decimal::parse_decimal;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::orders::fulfilment::{
    self, Return, ReturnResolution, Shipment, TrackingEvent, TrackingStatus,
};
use tradeport_domain::orders::{Order, OrderEvent, OrderStatus, StatusChange};
use tradeport_domain::payments::{Payment, capture_for_shipment, shipped_share};
use tradeport_domain::pricing::price_date;

/// A shipment as brand staff or the ERP report it.
#[derive(Debug, Clone, Default)]
pub struct NewShipment {
    /// (line number, quantity as sent).
    pub lines: Vec<(u32, String)>,
    pub carrier: String,
    pub tracking_number: String,
    /// "YYYY-MM-DD" or empty.
    pub promised_date: String,
}

/// A tracking event as a carrier or the ERP reports it.
#[derive(Debug, Clone)]
pub struct NewTrackingEvent {
    pub status: TrackingStatus,
    pub location: String,
    pub description: String,
}

/// Raises the late alert on every shipment that just became late.
fn flag_late(order: &mut Order, today: Date) {
    for shipment in &mut order.shipments {
        if shipment.is_late(today) && !shipment.late_alerted {
            shipment.late_alerted = true;
        }
    }
}

/// The lines of a shipment (line number, quantity) and its promised date.
type ShipmentInput = (Vec<(u32, Decimal)>, Option<Date>);

/// A shipment's lines and promised date as sent, every bad field named.
fn checked_shipment(new: &NewShipment) -> Result<ShipmentInput> {
    let mut v = Vec::new();
    let mut lines = Vec::new();
    for (i, (line_no, raw)) in new.lines.iter().enumerate() {
        match parse_decimal(&format!("lines[{i}].quantity"), raw) {
            Ok(q) => lines.push((*line_no, q)),
            Err(DomainError::InvalidArgument { violations, .. }) => v.extend(violations),
            Err(other) => return Err(other.into()),
        }
    }
    let promised = match new.promised_date.trim() {
        "" => None,
        raw => match price_date("promised_date", raw, today()) {
            Ok(d) => Some(d),
            Err(DomainError::InvalidArgument { violations, .. }) => {
                v.extend(violations);
                None
            }
            Err(other) => return Err(other.into()),
        },
    };
    if new.carrier.trim().is_empty() {
        v.push(tradeport_domain::FieldViolation::new(
            "carrier",
            "is required",
        ));
    }
    if !v.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: "INVALID_SHIPMENT",
            violations: v,
        }
        .into());
    }
    Ok((lines, promised))
}

impl Orders {
    pub fn record_shipment(
        &self,
        caller: &Caller,
        order_id: &str,
        new: NewShipment,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::FulfilOrders,
            "RecordShipment",
            order_id,
            request_id,
            |this, commit, order| {
                let (lines, promised) = checked_shipment(&new)?;
                let event = fulfilment::ship(order, &lines)?;
                // The status moves first: shipping an order that is not
                // confirmed is refused before any stock moves.
                order.apply(
                    event,
                    &caller.id,
                    now(),
                    format!("shipped with {}", new.carrier.trim()),
                )?;
                let mut consumed = Vec::new();
                for (line_no, quantity) in &lines {
                    let sku = order
                        .lines
                        .iter()
                        .find(|l| l.line_no == *line_no)
                        .map(|l| l.sku.clone())
                        .unwrap_or_default();
                    consumed.extend(fulfilment::take_reservations(
                        &mut order.reservations,
                        &sku,
                        *quantity,
                    ));
                }
                order.shipments.push(Shipment {
                    id: format!("shp-{}", uuid::Uuid::now_v7().simple()),
                    lines: lines.clone(),
                    carrier: new.carrier.trim().to_string(),
                    tracking_number: new.tracking_number.trim().to_string(),
                    shipped_at: now(),
                    promised_date: promised,
                    events: Vec::new(),
                    late_alerted: false,
                });
                flag_late(order, today());
                this.capture_shipped(order, &caller.id);
                this.inventory.stage_release(commit, &consumed, true)
            },
        )
    }

    pub fn add_tracking_event(
        &self,
        caller: &Caller,
        order_id: &str,
        shipment_id: &str,
        event: NewTrackingEvent,
        request_id: &str,
    ) -> Result<Order> {
        let NewTrackingEvent {
            status,
            location,
            description,
        } = event;
        self.change(
            caller,
            Action::FulfilOrders,
            "AddTrackingEvent",
            order_id,
            request_id,
            |_, commit, order| {
                let shipment = order
                    .shipments
                    .iter_mut()
                    .find(|s| s.id == shipment_id)
                    .ok_or_else(|| DomainError::NotFound {
                        resource: "shipment",
                        id: shipment_id.to_string(),
                    })?;
                shipment.events.push(TrackingEvent {
                    at: now(),
                    status,
                    location: location.trim().to_string(),
                    description: description.trim().to_string(),
                });
                flag_late(order, today());
                let everything_delivered = order.status == OrderStatus::Shipped
                    && order.shipments.iter().all(Shipment::delivered);
                if everything_delivered {
                    order.apply(
                        OrderEvent::Deliver,
                        &caller.id,
                        now(),
                        "every shipment delivered",
                    )?;
                }
                Ok((commit, Vec::new()))
            },
        )
    }

    pub fn invoice(
        &self,
        caller: &Caller,
        order_id: &str,
        invoice_number: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::InvoiceOrders,
            "InvoiceOrder",
            order_id,
            request_id,
            |this, commit, order| {
                if invoice_number.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "INVOICE_NUMBER_REQUIRED",
                        "invoice_number",
                        "is required",
                    )
                    .into());
                }
                order.apply(
                    OrderEvent::Invoice,
                    &caller.id,
                    now(),
                    format!("invoice {}", invoice_number.trim()),
                )?;
                order.invoice_number = Some(invoice_number.trim().to_string());
                if let Some(payment) = order.payment.as_mut() {
                    // Terms run from the invoice date.
                    payment.invoiced(today());
                }
                // Invoiced: the order's exposure moves from "on order" to
                // "open invoices" (statements settle the latter).
                let total = order.total;
                let commit = this.adjust_exposure(commit, &order.account_id, |e| {
                    e.uninvoiced_orders -= total;
                    e.open_invoices += total;
                })?;
                Ok((commit, Vec::new()))
            },
        )
    }

    pub fn close(&self, caller: &Caller, order_id: &str, request_id: &str) -> Result<Order> {
        self.change(
            caller,
            Action::InvoiceOrders,
            "CloseOrder",
            order_id,
            request_id,
            |this, commit, order| {
                order.apply(OrderEvent::Close, &caller.id, now(), "paid")?;
                // Closed means paid: the invoice leaves the exposure.
                let total = order.total;
                let commit =
                    this.adjust_exposure(commit, &order.account_id, |e| e.open_invoices -= total)?;
                Ok((commit, Vec::new()))
            },
        )
    }

    pub fn create_return(
        &self,
        caller: &Caller,
        order_id: &str,
        line_no: u32,
        quantity: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::PlaceOrders,
            "CreateReturn",
            order_id,
            request_id,
            |_, commit, order| {
                let quantity = parse_decimal("quantity", quantity)?;
                fulfilment::check_return(order, &order.returns, line_no, quantity, reason)?;
                order.returns.push(Return {
                    id: format!("rma-{}", uuid::Uuid::now_v7().simple()),
                    line_no,
                    quantity,
                    reason: reason.trim().to_string(),
                    resolution: ReturnResolution::Pending,
                    created: now(),
                });
                Ok((commit, Vec::new()))
            },
        )
    }

    pub fn resolve_return(
        &self,
        caller: &Caller,
        order_id: &str,
        return_id: &str,
        resolution: ReturnResolution,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::FulfilOrders,
            "ResolveReturn",
            order_id,
            request_id,
            |_, commit, order| {
                if resolution == ReturnResolution::Pending {
                    return Err(DomainError::invalid(
                        "INVALID_RESOLUTION",
                        "resolution",
                        "decide it: refund, replacement, credit note or refused",
                    )
                    .into());
                }
                let rma = order
                    .returns
                    .iter_mut()
                    .find(|r| r.id == return_id)
                    .ok_or_else(|| DomainError::NotFound {
                        resource: "return",
                        id: return_id.to_string(),
                    })?;
                if rma.resolution != ReturnResolution::Pending {
                    return Err(DomainError::precondition(
                        "RETURN_DECIDED",
                        format!("return {return_id} is already decided"),
                    )
                    .into());
                }
                rma.resolution = resolution;
                Ok((commit, Vec::new()))
            },
        )
    }

    /// Captures the card's share of what has shipped so far. The goods
    /// have left either way: a failed capture is noted on the order for
    /// finance to chase, not a reason to deny the shipment.
    fn capture_shipped(&self, order: &mut Order, by: &str) {
        let share = shipped_share(&order.lines);
        let Some(card) = order.payment.as_mut().and_then(Payment::card_mut) else {
            return;
        };
        let amount = capture_for_shipment(card, share);
        if amount <= Decimal::ZERO {
            return;
        }
        let failure = match self.gateway.capture(&card.authorization_id, amount) {
            Ok(_) => card.record_capture(amount).err().map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(failure) = failure {
            order.history.push(StatusChange {
                at: now(),
                to: order.status,
                by: by.to_string(),
                note: format!("capturing {} failed: {failure}", amount.normalize()),
            });
        }
    }

    /// Raises the late alert on shipments that passed their promised day
    /// undelivered since anyone last looked; returns how many orders
    /// changed. Runs periodically.
    pub fn sweep_late(&self, system: &Caller) -> Result<usize> {
        let mut changed = 0;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let range = match &after {
                Some(a) => crate::store::KeyRange::prefix_after(keys::ALL.as_bytes(), a),
                None => crate::store::KeyRange::prefix(keys::ALL.as_bytes()),
            };
            let page = self.store.scan(range, 512)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (key, _) in &page {
                let id = String::from_utf8_lossy(
                    &key[key.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1)..],
                )
                .into_owned();
                let Some(order) = get_value::<Order>(self.store(), &keys::order(&id))? else {
                    continue;
                };
                let newly_late = order
                    .shipments
                    .iter()
                    .any(|s| s.is_late(today()) && !s.late_alerted);
                if newly_late {
                    self.change(
                        system,
                        Action::ReadOrders,
                        "SweepLate",
                        &id,
                        "",
                        |_, commit, order| {
                            flag_late(order, today());
                            Ok((commit, Vec::new()))
                        },
                    )?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}
