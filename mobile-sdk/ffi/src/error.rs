//! The one error every call of the bindings throws, classified by what the
//! app should do about it: wait for the network, sign in again, show the
//! server's refusal, fix the input, or report a fault.
//!
//! The classification of a status is the SDK's business; until the SDK
//! classifies its own errors it is read here from the status code alone,
//! in [`classify`], and nowhere else.

use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use tradeport_mobile::{AuthenticatorError, Error};

/// Why a call failed. Every variant's message can be shown as it is.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TradeportError {
    /// The server could not be reached, or did not answer in time. Nothing
    /// was lost: local changes stay queued, retry when online.
    #[error("offline: {detail}")]
    Offline { detail: String },
    /// The server is there but could not act now (overloaded, rate limited,
    /// a conflict it lost): retry later.
    #[error("the server is busy: {detail}")]
    Busy { detail: String },
    /// No session, or it expired or was revoked: sign in again.
    #[error("sign-in needed: {detail}")]
    SignInNeeded { detail: String },
    /// The server refused for good. `code` is the gRPC code's name,
    /// `reason` the stable reason (e.g. `PRICE_CHANGED`), `field` the field
    /// it names, if any.
    #[error("refused by the server ({code}): {detail}")]
    Refused {
        code: String,
        reason: String,
        field: String,
        detail: String,
    },
    /// An argument the app passed is not acceptable; `field` names it.
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The person dismissed the passkey prompt, or it timed out.
    #[error("the passkey prompt was cancelled")]
    PasskeyCancelled,
    /// No passkey on this device for the relying party.
    #[error("no passkey for {rp_id} on this device")]
    NoPasskey { rp_id: String },
    /// The platform's passkey API failed.
    #[error("the passkey failed: {detail}")]
    PasskeyFailed { detail: String },
    /// The device was signed out; its local data is gone.
    #[error("this device is signed out")]
    SignedOut,
    /// The server's TLS certificate is refused. Permanent: not retried.
    /// `clock_suspect` when it is expired or not yet valid by this
    /// device's clock — ask the person to check the date and time.
    #[error("the server's certificate is refused: {detail}")]
    ServerCertificate { clock_suspect: bool, detail: String },
    /// The draft line edited is gone, possibly removed on another device:
    /// reload the draft.
    #[error("line {line_id} is not in the draft any more")]
    LineRemoved { line_id: String },
    /// The device's own storage failed (disk full, unreadable data).
    #[error("local storage: {detail}")]
    Local { detail: String },
    /// A fault: the server's, the SDK's or these bindings'. Report it.
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

impl From<Error> for TradeportError {
    fn from(error: Error) -> Self {
        let detail = error.to_string();
        match error {
            Error::Status(status) => classify(&status),
            Error::Offline { reason } => Self::Offline { detail: reason },
            Error::ServerCertificate {
                reason,
                clock_suspect,
            } => Self::ServerCertificate {
                clock_suspect,
                detail: reason,
            },
            Error::LineRemoved { line_id } => Self::LineRemoved { line_id },
            Error::Authenticator(e) => e.into(),
            Error::NotSignedIn => Self::SignInNeeded { detail },
            Error::InvalidArgument { field, reason } => Self::InvalidInput {
                field: field.to_owned(),
                reason,
            },
            Error::InvalidAddress { .. } => Self::InvalidInput {
                field: "address".to_owned(),
                reason: detail,
            },
            Error::SignedOut => Self::SignedOut,
            Error::Local(_) | Error::Io(_) | Error::Corrupt { .. } | Error::SessionStore(_) => {
                Self::Local { detail }
            }
            // A sync cut short keeps what it got and carries on next time.
            Error::SyncUnsettled { .. } => Self::Busy { detail },
            _ => Self::Internal { detail },
        }
    }
}

impl From<AuthenticatorError> for TradeportError {
    fn from(error: AuthenticatorError) -> Self {
        match error {
            AuthenticatorError::Cancelled => Self::PasskeyCancelled,
            AuthenticatorError::NoCredential { rp_id } => Self::NoPasskey { rp_id },
            AuthenticatorError::Failed(detail) => Self::PasskeyFailed { detail },
        }
    }
}

/// What a failed call's status means for the app.
fn classify(status: &Status) -> TradeportError {
    let detail = status.message().to_owned();
    // A status made on this side of the wire (the connection dropped, a
    // local timeout) carries its cause; one decoded from an answer does not.
    let local = std::error::Error::source(status).is_some();
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded => TradeportError::Offline { detail },
        Code::Unknown | Code::Cancelled | Code::Internal if local => {
            TradeportError::Offline { detail }
        }
        Code::Aborted | Code::ResourceExhausted => TradeportError::Busy { detail },
        Code::Unauthenticated => TradeportError::SignInNeeded { detail },
        Code::Internal | Code::Unknown | Code::DataLoss | Code::Unimplemented => {
            TradeportError::Internal { detail }
        }
        code => {
            let details = status.get_error_details();
            let reason = details
                .error_info()
                .map(|i| i.reason.clone())
                .unwrap_or_default();
            let field = details
                .bad_request()
                .and_then(|b| b.field_violations.first())
                .map(|v| v.field.clone())
                .or_else(|| {
                    details
                        .precondition_failure()
                        .and_then(|p| p.violations.first())
                        .map(|v| v.subject.clone())
                })
                .unwrap_or_default();
            TradeportError::Refused {
                code: format!("{code:?}"),
                reason,
                field,
                detail,
            }
        }
    }
}

/// A quantity the app passed, as the SDK takes it.
pub(crate) fn quantity(text: &str) -> Result<tradeport_mobile::Decimal, TradeportError> {
    text.trim()
        .parse()
        .map_err(|e| TradeportError::InvalidInput {
            field: "quantity".to_owned(),
            reason: format!("{text:?} is not a decimal number: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{ErrorDetails, StatusExt as _};

    use super::*;

    #[test]
    fn no_answer_from_the_server_is_offline() {
        let unreachable = Status::unavailable("tcp connect error");
        assert!(matches!(
            classify(&unreachable),
            TradeportError::Offline { .. }
        ));
        // A dropped connection is Unknown with its cause on this side.
        let dropped = Status::from_error(Box::new(std::io::Error::other("connection reset")));
        assert!(matches!(classify(&dropped), TradeportError::Offline { .. }));
        // The same code decoded from the server's answer is its fault.
        let answered = Status::unknown("the handler panicked");
        assert!(matches!(
            classify(&answered),
            TradeportError::Internal { .. }
        ));
    }

    #[test]
    fn a_refusal_keeps_the_servers_reason_and_field() {
        let mut details = ErrorDetails::with_error_info(
            "QUANTITY_RULE",
            "tradeport.example",
            HashMap::<String, String>::new(),
        );
        details.add_bad_request_violation("lines[0].quantity", "must be a multiple of 5");
        let status =
            Status::with_error_details(Code::InvalidArgument, "lines[0].quantity: …", details);
        match classify(&status) {
            TradeportError::Refused {
                code,
                reason,
                field,
                ..
            } => {
                assert_eq!(code, "InvalidArgument");
                assert_eq!(reason, "QUANTITY_RULE");
                assert_eq!(field, "lines[0].quantity");
            }
            other => panic!("not a refusal: {other:?}"),
        }
        assert!(matches!(
            classify(&Status::unauthenticated("expired")),
            TradeportError::SignInNeeded { .. }
        ));
    }

    #[test]
    fn a_quantity_that_is_not_a_number_names_the_field() {
        assert!(matches!(
            quantity("two"),
            Err(TradeportError::InvalidInput { field, .. }) if field == "quantity"
        ));
        assert_eq!(
            quantity(" 2.50 ").ok().map(|q| q.to_string()),
            Some("2.50".into())
        );
    }
}
