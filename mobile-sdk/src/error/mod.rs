//! [`Error`]: every way an SDK call fails, and what an app can do about
//! it. Each error is classified — offline, transient, needs sign-in,
//! refused by the server, permanent — and carries an [`ErrorCode`] to
//! match on, so an app never parses messages.
//!
//! A status made on this side of the wire (no answer came) is told apart
//! from the server's answer when it is converted (`transport`): the
//! network or the server being gone is [`Error::Offline`], whatever words
//! tonic used, and a server certificate this device refuses is
//! [`Error::ServerCertificate`], permanent — an expired or not yet valid
//! certificate usually means the device's clock is wrong, and retrying
//! cannot fix that.

mod code;
mod transport;

use std::sync::Arc;

use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::passkey::AuthenticatorError;
pub use code::ErrorCode;
pub(crate) use transport::is_permanent;

/// Every way an SDK call fails. Cheap to clone. More kinds may come:
/// match with a wildcard arm, or on [`Error::code`].
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`ClientConfig::address`](crate::ClientConfig::address) is not a
    /// usable server address: not a URI, or a scheme other than `https`
    /// (or `http`). A mistake in the app's configuration; nothing to retry.
    #[error("invalid server address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as configured.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// TLS could not be set up for the connection, most often because
    /// [`ClientConfig::ca_certificate_pem`](crate::ClientConfig::ca_certificate_pem)
    /// is not a PEM certificate. A configuration mistake; the text says
    /// what failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The server could not be reached, or the connection dropped before
    /// it answered: no network, the server down or unreachable, a call
    /// that timed out. Nothing was decided; try again when online.
    #[error("offline: {reason}")]
    Offline {
        /// How the call broke, for logs; not for matching on.
        reason: String,
    },
    /// This device refused the server's TLS certificate. Permanent: not
    /// retried. `clock_suspect` when the certificate is expired or not yet
    /// valid by this device's clock — usually the clock is wrong.
    #[error("the server's certificate is refused: {reason}")]
    ServerCertificate {
        /// What is wrong with the certificate, for logs and support.
        reason: String,
        /// The certificate is expired or not yet valid by this device's
        /// clock: ask the person to check the date and time.
        clock_suspect: bool,
    },
    /// The server's answer: it received the call and refused or failed it.
    /// Read it with [`Error::code`], [`Error::reason`] and
    /// [`Error::field`] rather than the status itself.
    #[error("call failed: {0}")]
    Status(Status),
    /// The app's [`Authenticator`](crate::Authenticator) produced no
    /// passkey credential: the person cancelled the prompt (show nothing,
    /// let them try again), or the platform has no passkey or failed.
    #[error("passkey: {0}")]
    Authenticator(#[from] AuthenticatorError),
    /// A passkey ceremony's WebAuthn data, from the server or the
    /// authenticator, could not be read or written as JSON: the two do not
    /// speak the same WebAuthn. Not retried; report it.
    #[error("could not convert {what} to or from JSON: {source}")]
    Json {
        /// Which data failed, e.g. `the passkey assertion`.
        what: &'static str,
        /// The JSON error.
        source: Arc<serde_json::Error>,
    },
    /// The call needs a session and this client holds none (never signed
    /// in, or the tokens were cleared): sign in with
    /// [`IdentityClient`](crate::IdentityClient) or restore kept tokens
    /// with [`Client::set_tokens`](crate::Client::set_tokens).
    #[error("not signed in: this client holds no session tokens")]
    NotSignedIn,
    /// The server's answer lacked something it always sends: a server
    /// this SDK version does not match, or a server bug. Report it.
    #[error("the server answered {rpc} without {field}")]
    IncompleteAnswer {
        /// The call, e.g. `FinishLogin`.
        rpc: &'static str,
        /// What was missing from its answer, e.g. `tokens`.
        field: &'static str,
    },
    /// The device's local database failed (disk full, I/O error).
    #[error("local database: {0}")]
    Local(#[from] sled::Error),
    /// The device's local files (the database directory) failed.
    #[error("local files: {0}")]
    Io(Arc<std::io::Error>),
    /// Something stored on the device, or sent by the server to be stored,
    /// cannot be read; `what` names it.
    #[error("{what} is unreadable: {reason}")]
    Corrupt {
        /// What cannot be read, e.g. `the last pull's figures`.
        what: String,
        /// Why, for logs and support.
        reason: String,
    },
    /// An argument the app passed is not acceptable; `field` names it
    /// (`quantity`, `sku`, `comment`, ...).
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// The argument at fault, to put the message next to.
        field: &'static str,
        /// What is wrong with it, for a person to read.
        reason: String,
    },
    /// The draft line edited is not in the draft: removed, possibly on
    /// another device whose changes were merged in (or never added).
    #[error("line {line_id} is not in the draft (removed, possibly on another device)")]
    LineRemoved {
        /// The line the edit named.
        line_id: String,
    },
    /// The device was signed out and its local data deleted.
    #[error("this device is signed out; its local data is gone")]
    SignedOut,
    /// A draft sync still had messages to trade after `rounds` rounds and
    /// was stopped. Everything received so far is saved and what was not
    /// confirmed stays pending, so the next sync carries on; `documents`
    /// are those still exchanging messages.
    #[error("the draft sync did not settle after {rounds} rounds; still exchanging {documents:?}")]
    SyncUnsettled {
        /// Rounds run before the sync stopped (one round: a message each
        /// way per document).
        rounds: u64,
        /// Ids of the drafts still exchanging messages.
        documents: Vec<String>,
    },
    /// The app's [`SessionStore`](crate::SessionStore) failed to load, save
    /// or clear the session.
    #[error(transparent)]
    SessionStore(#[from] crate::session_store::SessionStoreError),
}

impl From<Status> for Error {
    /// The server's answer stays a [`Error::Status`]; a status made on this
    /// side because no answer came becomes [`Error::Offline`] or
    /// [`Error::ServerCertificate`].
    fn from(status: Status) -> Self {
        transport::classify(status)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Io(Arc::new(error))
    }
}

impl Error {
    /// A draft edit's failure, keeping the field at fault and telling a
    /// line removed (on another device) apart.
    pub(crate) fn from_draft(error: tradeport_sync::Error) -> Self {
        match error {
            tradeport_sync::Error::InvalidField {
                field,
                value,
                reason,
            } => Error::InvalidArgument {
                field,
                reason: format!("{value:?}: {reason}"),
            },
            tradeport_sync::Error::UnknownLine(line_id) => Error::LineRemoved { line_id },
            other @ (tradeport_sync::Error::Decode(_)
            | tradeport_sync::Error::Malformed { .. }
            | tradeport_sync::Error::DifferentDraft { .. }) => Error::Corrupt {
                what: "the draft".into(),
                reason: other.to_string(),
            },
            other => Error::Corrupt {
                what: "a draft edit".into(),
                reason: other.to_string(),
            },
        }
    }

    pub(crate) fn json(what: &'static str, source: serde_json::Error) -> Self {
        Error::Json {
            what,
            source: Arc::new(source),
        }
    }

    /// What kind of failure this is, to match on.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::of(self)
    }

    /// The server could not be reached (or stopped answering): the app
    /// shows "offline" and tries again later.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Offline { .. })
    }

    /// Trying the same thing again later may succeed as it is: offline,
    /// the server restarting or overloaded, a sync that did not settle.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Offline { .. } | Error::SyncUnsettled { .. } => true,
            Error::Status(status) => match status.code() {
                Code::Unavailable | Code::DeadlineExceeded | Code::Aborted => true,
                Code::ResourceExhausted => self.reason().as_deref() == Some("RATE_LIMITED"),
                _ => false,
            },
            _ => false,
        }
    }

    /// Retrying cannot help until someone changes something (the input,
    /// the device's clock, the server's certificate, the sign-in).
    pub fn is_permanent(&self) -> bool {
        !self.is_transient()
    }

    /// The person has to sign in (again): no session, the session expired
    /// and could not be refreshed, or the device was signed out.
    pub fn needs_sign_in(&self) -> bool {
        match self {
            Error::NotSignedIn | Error::SignedOut => true,
            Error::Status(status) => status.code() == Code::Unauthenticated,
            _ => false,
        }
    }

    /// The server answered and refused: bad input, not allowed, not found,
    /// a precondition (a price that moved)… See [`Error::reason`].
    pub fn refused_by_server(&self) -> bool {
        match self {
            Error::Status(status) => {
                !self.is_transient()
                    && !matches!(
                        status.code(),
                        Code::Ok
                            | Code::Unauthenticated
                            | Code::Unknown
                            | Code::Internal
                            | Code::DataLoss
                            | Code::Unimplemented
                            | Code::Cancelled
                    )
            }
            _ => false,
        }
    }

    /// The server's stable reason (google.rpc.ErrorInfo), e.g.
    /// `PRICE_CHANGED`; `None` when the error is not the server's or it
    /// gave none.
    pub fn reason(&self) -> Option<String> {
        match self {
            Error::Status(status) => status
                .get_error_details()
                .error_info()
                .map(|info| info.reason.clone())
                .filter(|reason| !reason.is_empty()),
            _ => None,
        }
    }

    /// The field at fault: the argument this SDK refused, or the first
    /// field the server named (google.rpc.BadRequest).
    pub fn field(&self) -> Option<String> {
        match self {
            Error::InvalidArgument { field, .. } => Some((*field).to_owned()),
            Error::Status(status) => status
                .get_error_details()
                .bad_request()
                .and_then(|b| b.field_violations.first())
                .map(|v| v.field.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
