//! Card payment gateways. The order use cases talk to a
//! [`PaymentGateway`]: authorise an order's total against a card token at
//! submission, capture as the goods ship, void what is left when an order
//! is cancelled. The rules of when and how much are in
//! [`tradeport_domain::payments`]; this module only reaches the gateway.
//!
//! [`TestGateway`] is the in-memory implementation for tests and
//! development. A real gateway adapter (Stripe, Adyen, …) implements the
//! same trait over the provider's API and maps its errors the same way:
//! a refused card is [`GatewayError::Declined`], a gateway that cannot be
//! reached or answers 5xx is [`GatewayError::Unavailable`], and a request
//! the gateway refuses as wrong (unknown or voided authorisation, capture
//! beyond the authorisation) is [`GatewayError::Rejected`].
//!
//! The calls are blocking, like the store: order use cases run on blocking
//! threads (`spawn_blocking`), and an HTTP adapter does the same.
//!
//! Idempotency: `authorize` is keyed by the order id, so retrying it after
//! [`GatewayError::Unavailable`] must not hold the money twice — a real
//! adapter passes the order id as the provider's idempotency key. Captures
//! accumulate, so a capture retried after a timeout may charge twice up to
//! the authorised amount; the gateway never captures beyond it.

mod test_gateway;

use rust_decimal::Decimal;

pub use test_gateway::{TestAuthorization, TestGateway};

/// An amount held on a card for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The gateway's id, used to capture or void it.
    pub id: String,
    pub amount: Decimal,
    /// ISO 4217.
    pub currency: String,
}

/// One capture against an authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The gateway's id of this capture.
    pub id: String,
    pub authorization_id: String,
    /// Captured by this call.
    pub amount: Decimal,
    /// Captured by every call so far, this one included.
    pub captured_total: Decimal,
    /// Still authorised and not captured.
    pub remaining: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The card's fault: the buyer should use another card. `code` is the
    /// gateway's stable decline code ("card_declined", "insufficient_funds").
    #[error("card declined ({code}): {message}")]
    Declined { code: String, message: String },
    /// The gateway could not answer; retry later.
    #[error("payment gateway unavailable: {message}")]
    Unavailable { message: String },
    /// The request is wrong (our fault, not the card's): an unknown or
    /// voided authorisation, a capture beyond what is authorised, an
    /// invalid amount or currency. Retrying will not help.
    #[error("payment gateway refused the request ({code}): {message}")]
    Rejected { code: String, message: String },
}

impl GatewayError {
    pub fn declined(code: &str, message: impl Into<String>) -> Self {
        Self::Declined {
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn rejected(code: &str, message: impl Into<String>) -> Self {
        Self::Rejected {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// Whether retrying later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// A card payment gateway.
pub trait PaymentGateway: Send + Sync {
    /// Holds `amount` of `currency` on the card behind `card_token` for
    /// order `order_id`. Idempotent per order: the same order, amount,
    /// currency and token get the same standing authorisation back.
    fn authorize(
        &self,
        order_id: &str,
        amount: Decimal,
        currency: &str,
        card_token: &str,
    ) -> Result<Authorization, GatewayError>;

    /// Takes `amount` of an authorisation. Partial captures accumulate
    /// until the authorised amount; never beyond it.
    fn capture(&self, authorization_id: &str, amount: Decimal) -> Result<Capture, GatewayError>;

    /// Releases what is left of an authorisation; what was captured stays
    /// captured. Voiding a voided authorisation succeeds again.
    fn void(&self, authorization_id: &str) -> Result<(), GatewayError>;
}
