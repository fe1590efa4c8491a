//! Fulfilment: shipments of some or all of an order's lines, their
//! tracking events, lateness against the promised date, and returns.
//! Shipping consumes the stock reserved for the order, warehouse by
//! warehouse in the order it was reserved.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{Millis, Order, OrderEvent};
use crate::inventory::Reservation;
use crate::{DomainError, FieldViolation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackingStatus {
    InTransit,
    OutForDelivery,
    Delivered,
    /// Held up: customs, a failed delivery attempt, damage.
    Exception,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    pub at: Millis,
    pub status: TrackingStatus,
    pub location: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: String,
    /// (line number, quantity shipped).
    pub lines: Vec<(u32, Decimal)>,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: Millis,
    /// The day the customer was promised delivery.
    pub promised_date: Option<Date>,
    pub events: Vec<TrackingEvent>,
    /// Whether the late alert has been raised (once per shipment).
    #[serde(default)]
    pub late_alerted: bool,
}

impl Shipment {
    pub fn delivered(&self) -> bool {
        self.events
            .iter()
            .any(|e| e.status == TrackingStatus::Delivered)
    }

    /// Late: not delivered and past its promised day.
    pub fn is_late(&self, today: Date) -> bool {
        !self.delivered() && self.promised_date.is_some_and(|p| today > p)
    }
}

/// Why a return is made and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnResolution {
    Pending,
    Refund,
    Replacement,
    CreditNote,
    Refused,
}

/// A return merchandise authorisation for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    pub id: String,
    pub line_no: u32,
    pub quantity: Decimal,
    pub reason: String,
    pub resolution: ReturnResolution,
    pub created: Millis,
}

/// The refusal of a request whose every field is well formed but that asks
/// for more than the order's state allows: FAILED_PRECONDITION, not
/// INVALID_ARGUMENT, as the same request may succeed on another order.
fn refused(
    invalid: Vec<FieldViolation>,
    beyond_state: Vec<FieldViolation>,
    invalid_reason: &'static str,
    state_reason: &'static str,
) -> Result<(), DomainError> {
    if !invalid.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: invalid_reason,
            violations: invalid,
        });
    }
    if !beyond_state.is_empty() {
        return Err(DomainError::PreconditionFailed {
            reason: state_reason,
            violations: beyond_state,
        });
    }
    Ok(())
}

/// Checks a shipment of `lines` against what is left to ship, records the
/// shipped quantities on the order and returns the event it is: a part or
/// the rest.
pub fn ship(order: &mut Order, lines: &[(u32, Decimal)]) -> Result<OrderEvent, DomainError> {
    let mut v = Vec::new();
    let mut beyond = Vec::new();
    if lines.is_empty() {
        v.push(FieldViolation::new("lines", "ship at least one line"));
    }
    let mut seen = Vec::new();
    for (i, (line_no, quantity)) in lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        if seen.contains(line_no) {
            v.push(FieldViolation::new(&field, "the line appears twice"));
            continue;
        }
        seen.push(*line_no);
        match order.lines.iter().find(|l| l.line_no == *line_no) {
            None => v.push(FieldViolation::new(
                format!("{field}.line_number"),
                format!("the order has no line {line_no}"),
            )),
            Some(line) if *quantity <= Decimal::ZERO => v.push(FieldViolation::new(
                format!("{field}.quantity"),
                format!("must be greater than zero (line {})", line.line_no),
            )),
            Some(line)
                if line
                    .shipped
                    .checked_add(*quantity)
                    .is_none_or(|total| total > line.quantity) =>
            {
                beyond.push(FieldViolation::new(
                    format!("{field}.quantity"),
                    format!(
                        "only {} of line {} is left to ship",
                        (line.quantity - line.shipped).normalize(),
                        line.line_no
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    refused(v, beyond, "INVALID_SHIPMENT", "MORE_THAN_LEFT_TO_SHIP")?;
    for (line_no, quantity) in lines {
        if let Some(line) = order.lines.iter_mut().find(|l| l.line_no == *line_no) {
            line.shipped += quantity;
        }
    }
    Ok(if order.lines.iter().all(|l| l.shipped >= l.quantity) {
        OrderEvent::ShipAll
    } else {
        OrderEvent::ShipPart
    })
}

/// Takes `quantity` of `sku` out of `reservations` in reservation order:
/// what comes back is consumed by the shipment; what is left stays held.
/// A quantity beyond what was reserved (backordered stock arriving later)
/// takes nothing more.
pub fn take_reservations(
    reservations: &mut Vec<Reservation>,
    sku: &str,
    quantity: Decimal,
) -> Vec<Reservation> {
    let mut left = quantity;
    let mut taken = Vec::new();
    for (r_sku, warehouse, held) in reservations.iter_mut() {
        if left <= Decimal::ZERO {
            break;
        }
        if r_sku != sku || *held <= Decimal::ZERO {
            continue;
        }
        let take = (*held).min(left);
        *held -= take;
        left -= take;
        taken.push((r_sku.clone(), warehouse.clone(), take));
    }
    reservations.retain(|(_, _, held)| *held > Decimal::ZERO);
    taken
}

/// Checks a return of `quantity` of line `line_no`: only shipped goods come
/// back, and never more than were shipped less what is already returned.
pub fn check_return(
    order: &Order,
    returns: &[Return],
    line_no: u32,
    quantity: Decimal,
    reason: &str,
) -> Result<(), DomainError> {
    let mut v = Vec::new();
    let mut beyond = Vec::new();
    match order.lines.iter().find(|l| l.line_no == line_no) {
        None => v.push(FieldViolation::new(
            "line_number",
            format!("the order has no line {line_no}"),
        )),
        Some(line) => {
            let returned: Decimal = returns
                .iter()
                .filter(|r| r.line_no == line_no && r.resolution != ReturnResolution::Refused)
                .map(|r| r.quantity)
                .sum();
            if quantity <= Decimal::ZERO {
                v.push(FieldViolation::new("quantity", "must be greater than zero"));
            } else if returned
                .checked_add(quantity)
                .is_none_or(|total| total > line.shipped)
            {
                beyond.push(FieldViolation::new(
                    "quantity",
                    format!(
                        "{} of line {line_no} was shipped and {} already returned",
                        line.shipped.normalize(),
                        returned.normalize()
                    ),
                ));
            }
        }
    }
    if reason.trim().is_empty() {
        v.push(FieldViolation::new("reason", "say why it comes back"));
    }
    refused(v, beyond, "INVALID_RETURN", "MORE_THAN_SHIPPED")
}

#[cfg(test)]
#[path = "fulfilment_tests.rs"]
mod tests;
