//! [`TestGateway`]: a deterministic, in-memory card gateway FOR TESTS AND
//! DEVELOPMENT ONLY. It moves no money and knows no real cards; a real
//! gateway adapter implements [`PaymentGateway`] the same way against the
//! provider's API.
//!
//! Card tokens it knows:
//!
//! | token                    | outcome                                   |
//! |--------------------------|-------------------------------------------|
//! | `tok_visa`               | authorised                                |
//! | `tok_mastercard`         | authorised                                |
//! | `tok_amex`               | authorised                                |
//! | `tok_declined`           | declined, `card_declined`                 |
//! | `tok_insufficient_funds` | declined, `insufficient_funds`            |
//! | `tok_expired_card`       | declined, `expired_card`                  |
//! | `tok_unavailable`        | [`GatewayError::Unavailable`]             |
//! | anything else            | declined, `invalid_token`                 |
//!
//! Ids are sequential (`auth_000001`, `cap_000001`), so a test knows them.
//! [`TestGateway::set_unavailable`] makes every call fail as unavailable,
//! to test retries.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rust_decimal::Decimal;

use super::{Authorization, Capture, GatewayError, PaymentGateway};
use tradeport_domain::pricing::minor_units;

/// Tokens that authorise.
const GOOD_TOKENS: [&str; 3] = ["tok_visa", "tok_mastercard", "tok_amex"];

/// An authorisation as the test gateway holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestAuthorization {
    pub order_id: String,
    pub card_token: String,
    pub amount: Decimal,
    pub currency: String,
    pub captured: Decimal,
    pub voided: bool,
}

#[derive(Debug, Default)]
struct State {
    authorizations: HashMap<String, TestAuthorization>,
    authorized: u64,
    captures: u64,
    unavailable: bool,
}

/// See the module notes: for tests and development only.
#[derive(Debug, Default)]
pub struct TestGateway {
    state: Mutex<State>,
}

impl TestGateway {
    pub fn new() -> Self {
        Self::default()
    }

    /// While `unavailable`, every call answers [`GatewayError::Unavailable`].
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// The authorisation `id` as the gateway holds it.
    pub fn authorization(&self, id: &str) -> Option<TestAuthorization> {
        self.lock().authorizations.get(id).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn available(state: &State) -> Result<(), GatewayError> {
        if state.unavailable {
            Err(GatewayError::Unavailable {
                message: "the test gateway is set unavailable".into(),
            })
        } else {
            Ok(())
        }
    }
}

fn check_amount(amount: Decimal, currency: &str) -> Result<(), GatewayError> {
    if amount <= Decimal::ZERO {
        return Err(GatewayError::rejected(
            "invalid_amount",
            format!("amount must be positive, not {amount}"),
        ));
    }
    if amount.normalize().scale() > minor_units(currency) {
        return Err(GatewayError::rejected(
            "invalid_amount",
            format!("{amount} has more decimals than {currency} has minor units"),
        ));
    }
    Ok(())
}

impl PaymentGateway for TestGateway {
    fn authorize(
        &self,
        order_id: &str,
        amount: Decimal,
        currency: &str,
        card_token: &str,
    ) -> Result<Authorization, GatewayError> {
        let mut state = self.lock();
        Self::available(&state)?;
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(GatewayError::rejected(
                "invalid_currency",
                format!("{currency:?} is not an ISO 4217 code"),
            ));
        }
        check_amount(amount, currency)?;
        match card_token {
            "tok_declined" => {
                return Err(GatewayError::declined(
                    "card_declined",
                    "the card was declined",
                ));
            }
            "tok_insufficient_funds" => {
                return Err(GatewayError::declined(
                    "insufficient_funds",
                    "the card has insufficient funds",
                ));
            }
            "tok_expired_card" => {
                return Err(GatewayError::declined("expired_card", "the card expired"));
            }
            "tok_unavailable" => {
                return Err(GatewayError::Unavailable {
                    message: "the card network timed out".into(),
                });
            }
            token if !GOOD_TOKENS.contains(&token) => {
                return Err(GatewayError::declined(
                    "invalid_token",
                    format!("no card for token {token:?}"),
                ));
            }
            _ => {}
        }
        // A retry of the same authorisation gets the standing one back.
        let same = state.authorizations.iter().find(|(_, a)| {
            a.order_id == order_id
                && a.card_token == card_token
                && a.amount == amount
                && a.currency == currency
                && !a.voided
        });
        if let Some((id, a)) = same {
            return Ok(Authorization {
                id: id.clone(),
                amount: a.amount,
                currency: a.currency.clone(),
            });
        }
        state.authorized += 1;
        let id = format!("auth_{:06}", state.authorized);
        state.authorizations.insert(
            id.clone(),
            TestAuthorization {
                order_id: order_id.to_string(),
                card_token: card_token.to_string(),
                amount,
                currency: currency.to_string(),
                captured: Decimal::ZERO,
                voided: false,
            },
        );
        Ok(Authorization {
            id,
            amount,
            currency: currency.to_string(),
        })
    }

    fn capture(&self, authorization_id: &str, amount: Decimal) -> Result<Capture, GatewayError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        Self::available(state)?;
        let Some(auth) = state.authorizations.get_mut(authorization_id) else {
            return Err(unknown(authorization_id));
        };
        if auth.voided {
            return Err(GatewayError::rejected(
                "authorization_voided",
                format!("{authorization_id} was voided"),
            ));
        }
        check_amount(amount, &auth.currency)?;
        let remaining = auth.amount - auth.captured;
        if amount > remaining {
            return Err(GatewayError::rejected(
                "amount_exceeds_authorization",
                format!(
                    "cannot capture {amount}: {remaining} of {} {} remains on {authorization_id}",
                    auth.amount, auth.currency
                ),
            ));
        }
        auth.captured += amount;
        state.captures += 1;
        Ok(Capture {
            id: format!("cap_{:06}", state.captures),
            authorization_id: authorization_id.to_string(),
            amount,
            captured_total: auth.captured,
            remaining: auth.amount - auth.captured,
        })
    }

    fn void(&self, authorization_id: &str) -> Result<(), GatewayError> {
        let mut state = self.lock();
        Self::available(&state)?;
        let Some(auth) = state.authorizations.get_mut(authorization_id) else {
            return Err(unknown(authorization_id));
        };
        if !auth.voided && auth.captured >= auth.amount {
            return Err(GatewayError::rejected(
                "already_captured",
                format!("{authorization_id} is fully captured; nothing to void"),
            ));
        }
        auth.voided = true;
        Ok(())
    }
}

fn unknown(authorization_id: &str) -> GatewayError {
    GatewayError::rejected(
        "unknown_authorization",
        format!("no authorisation {authorization_id}"),
    )
}

#[cfg(test)]
#[path = "test_gateway_tests.rs"]
mod tests;
