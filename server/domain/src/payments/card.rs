//! Card payments: an authorisation taken when the order is submitted, and
//! captured as the goods ship — never before.
//!
//! Each shipment captures the shipped goods' share of the authorised
//! amount. The share is cumulative: after a shipment, the card should have
//! been charged `authorised × value shipped so far / order value`, rounded
//! to the currency's minor unit, and the shipment captures the difference
//! to what was already captured. Rounding therefore never accumulates —
//! three thirds of 100.00 capture 33.33, 33.34 and 33.33 — and the shipment
//! that completes the order captures exactly what remains. A capture is
//! never more than what remains authorised, nor negative.
//!
//! A line's value is what the buyer pays for it: its net total plus its
//! tax and duty. The value shipped of a line is that value times the part
//! of its quantity shipped.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::orders::OrderLine;
use crate::pricing::round_money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardState {
    /// Held on the card; may be partly captured already.
    Authorised,
    /// All of the authorised amount is captured.
    Captured,
    /// Released: nothing more will be captured (what was is kept).
    Voided,
    /// The gateway refused the card; `reason` is its decline code.
    Declined { reason: String },
}

/// A card payment on an order: what the gateway holds and what it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPayment {
    /// The gateway's authorisation id; empty when declined.
    pub authorization_id: String,
    /// ISO 4217.
    pub currency: String,
    pub authorised: Decimal,
    /// Captured so far, over all shipments.
    pub captured: Decimal,
    pub state: CardState,
}

impl CardPayment {
    /// A fresh authorisation of `amount`.
    pub fn authorised(
        authorization_id: impl Into<String>,
        amount: Decimal,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            authorization_id: authorization_id.into(),
            currency: currency.into(),
            authorised: amount,
            captured: Decimal::ZERO,
            state: CardState::Authorised,
        }
    }

    /// A card the gateway declined with `reason` (its decline code).
    pub fn declined(currency: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            authorization_id: String::new(),
            currency: currency.into(),
            authorised: Decimal::ZERO,
            captured: Decimal::ZERO,
            state: CardState::Declined {
                reason: reason.into(),
            },
        }
    }

    /// What may still be captured: zero unless the authorisation stands.
    pub fn remaining(&self) -> Decimal {
        match self.state {
            CardState::Authorised => (self.authorised - self.captured).max(Decimal::ZERO),
            _ => Decimal::ZERO,
        }
    }

    /// Records a capture the gateway made; capturing everything authorised
    /// makes the payment [`CardState::Captured`].
    pub fn record_capture(&mut self, amount: Decimal) -> Result<(), DomainError> {
        if self.state != CardState::Authorised {
            return Err(DomainError::precondition(
                "PAYMENT_NOT_CAPTURABLE",
                format!("the card payment is {:?}, not authorised", self.state),
            ));
        }
        if amount <= Decimal::ZERO || amount > self.remaining() {
            return Err(DomainError::precondition(
                "CAPTURE_EXCEEDS_AUTHORISATION",
                format!(
                    "cannot capture {}: {} of {} {} remains authorised",
                    amount.normalize(),
                    self.remaining().normalize(),
                    self.authorised.normalize(),
                    self.currency
                ),
            ));
        }
        self.captured += amount;
        if self.captured >= self.authorised {
            self.state = CardState::Captured;
        }
        Ok(())
    }

    /// Records that the gateway released the rest of the authorisation (an
    /// order cancelled, or closed short). Voiding twice is harmless.
    pub fn record_void(&mut self) -> Result<(), DomainError> {
        match self.state {
            CardState::Authorised | CardState::Voided => {
                self.state = CardState::Voided;
                Ok(())
            }
            _ => Err(DomainError::precondition(
                "PAYMENT_NOT_VOIDABLE",
                format!("the card payment is {:?}: nothing to void", self.state),
            )),
        }
    }
}

/// How much of an order has shipped, by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippedShare {
    /// The value of everything shipped so far.
    pub shipped: Decimal,
    /// The value of the whole order.
    pub total: Decimal,
}

impl ShippedShare {
    pub fn is_complete(&self) -> bool {
        self.shipped >= self.total
    }
}

/// An order's shipped share from its lines' `shipped` quantities: call it
/// with `&order.lines` once the shipment is recorded on them.
pub fn shipped_share(lines: &[OrderLine]) -> ShippedShare {
    let mut share = ShippedShare {
        shipped: Decimal::ZERO,
        total: Decimal::ZERO,
    };
    for line in lines {
        let value = line.line_total + line.tax + line.duty;
        share.total += value;
        if line.quantity <= Decimal::ZERO || line.shipped >= line.quantity {
            share.shipped += value;
        } else if line.shipped > Decimal::ZERO {
            share.shipped += value * line.shipped / line.quantity;
        }
    }
    share
}

/// The amount to capture for the shipment that brought the order to
/// `share`: see the module notes. Zero when the authorisation is voided,
/// declined or fully captured.
pub fn capture_for_shipment(card: &CardPayment, share: ShippedShare) -> Decimal {
    let remaining = card.remaining();
    if remaining <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let target = if share.total <= Decimal::ZERO || share.is_complete() {
        card.authorised
    } else {
        let shipped = share.shipped.max(Decimal::ZERO);
        round_money(card.authorised * shipped / share.total, &card.currency)
    };
    (target - card.captured).max(Decimal::ZERO).min(remaining)
}

#[cfg(test)]
#[path = "card_tests.rs"]
mod tests;
