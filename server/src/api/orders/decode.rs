//! Orders on the wire, inbound: what a caller sends, read into the order
//! use cases' inputs. An enum value the server does not know names its
//! field; everything else is the use cases' to check.

use tonic::Status;
use tradeport_proto::orders as pb;

use super::super::errors::Failure;
use super::super::identity::millis;
use super::encode::{method_to, status_to};
use crate::service::orders::{LineInput, OrderFilter, Submission};
use tradeport_domain::orders::OrderStatus;
use tradeport_domain::orders::fulfilment::{ReturnResolution, TrackingStatus};
use tradeport_domain::payments::{PaymentMethodKind, PaymentRequest};

pub fn submission(r: pb::SubmitOrderRequest) -> Result<Submission, Status> {
    Ok(Submission {
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
        payment: payment(r.payment.unwrap_or_default())?,
    })
}

fn payment(p: pb::PaymentInput) -> Result<PaymentRequest, Status> {
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

pub fn filter(r: pb::ListOrdersRequest) -> Result<OrderFilter, Status> {
    let statuses = r
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| status(i, *s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OrderFilter {
        account_id: r.account_id,
        statuses,
        placed_after: r.placed_after.as_ref().map(millis),
        placed_before: r.placed_before.as_ref().map(millis),
        po_number: r.po_number,
        sku: r.sku,
        page_size: r.page_size,
        page_token: r.page_token,
    })
}

fn status(i: usize, raw: i32) -> Result<OrderStatus, Status> {
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

pub fn tracking_status(raw: i32) -> Result<TrackingStatus, Status> {
    match pb::TrackingStatus::try_from(raw) {
        Ok(pb::TrackingStatus::InTransit) => Ok(TrackingStatus::InTransit),
        Ok(pb::TrackingStatus::OutForDelivery) => Ok(TrackingStatus::OutForDelivery),
        Ok(pb::TrackingStatus::Delivered) => Ok(TrackingStatus::Delivered),
        Ok(pb::TrackingStatus::Exception) => Ok(TrackingStatus::Exception),
        _ => Err(invalid(
            "INVALID_TRACKING_STATUS",
            "status",
            "give IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED or EXCEPTION",
        )),
    }
}

pub fn resolution(raw: i32) -> Result<ReturnResolution, Status> {
    match pb::ReturnResolution::try_from(raw) {
        Ok(pb::ReturnResolution::Refund) => Ok(ReturnResolution::Refund),
        Ok(pb::ReturnResolution::Replacement) => Ok(ReturnResolution::Replacement),
        Ok(pb::ReturnResolution::CreditNote) => Ok(ReturnResolution::CreditNote),
        Ok(pb::ReturnResolution::Refused) => Ok(ReturnResolution::Refused),
        _ => Err(invalid(
            "INVALID_RESOLUTION",
            "resolution",
            "give REFUND, REPLACEMENT, CREDIT_NOTE or REFUSED",
        )),
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
