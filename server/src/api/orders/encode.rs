//! Orders on the wire, outbound: an order with its lines, taxes, history,
//! shipments, returns and payment, and the notifications about orders.

use rust_decimal::Decimal;
use tradeport_proto::orders as pb;

use super::super::identity::ts;
use super::super::product::money_to;
use crate::api::dates::date_to;
use tradeport_domain::orders::fulfilment::{ReturnResolution, TrackingStatus};
use tradeport_domain::orders::notifications::{Notification, NotificationKind};
use tradeport_domain::orders::{CreditWarning, Order, OrderStatus};
use tradeport_domain::payments::{CardState, Payment, PaymentMethodKind};

pub fn status_to(s: OrderStatus) -> pb::OrderStatus {
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

pub fn order_to(o: &Order) -> pb::Order {
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
            .pending_steps()
            .iter()
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

pub fn method_to(kind: PaymentMethodKind) -> pb::PaymentMethod {
    match kind {
        PaymentMethodKind::OnAccount => pb::PaymentMethod::OnAccount,
        PaymentMethodKind::BankTransfer => pb::PaymentMethod::BankTransfer,
        PaymentMethodKind::Card => pb::PaymentMethod::Card,
        PaymentMethodKind::DigitalCurrency => pb::PaymentMethod::DigitalCurrency,
    }
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

pub fn tracking_to(s: TrackingStatus) -> pb::TrackingStatus {
    match s {
        TrackingStatus::InTransit => pb::TrackingStatus::InTransit,
        TrackingStatus::OutForDelivery => pb::TrackingStatus::OutForDelivery,
        TrackingStatus::Delivered => pb::TrackingStatus::Delivered,
        TrackingStatus::Exception => pb::TrackingStatus::Exception,
    }
}

pub fn resolution_to(r: ReturnResolution) -> pb::ReturnResolution {
    match r {
        ReturnResolution::Pending => pb::ReturnResolution::Pending,
        ReturnResolution::Refund => pb::ReturnResolution::Refund,
        ReturnResolution::Replacement => pb::ReturnResolution::Replacement,
        ReturnResolution::CreditNote => pb::ReturnResolution::CreditNote,
        ReturnResolution::Refused => pb::ReturnResolution::Refused,
    }
}

pub fn notification_to(n: Notification) -> pb::Notification {
    pb::Notification {
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
    }
}
