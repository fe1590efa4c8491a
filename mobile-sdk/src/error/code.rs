//! [`ErrorCode`]: one plain value per kind of failure, for an app (or a
//! binding in another language) to match on instead of the error's text.

use tonic::Code;

use super::Error;
use crate::passkey::AuthenticatorError;

/// What kind of failure an [`Error`] is. Stable: new codes may be added,
/// existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No network, or the server unreachable or not answering.
    Offline,
    /// The server is restarting, overloaded, rate limiting, or lost a
    /// race: try again later.
    ServerBusy,
    /// The server's certificate is expired or not yet valid by this
    /// device's clock: the clock is most likely wrong.
    DeviceClock,
    /// The server's certificate is not trusted (wrong name, unknown CA).
    ServerCertificate,
    /// Sign in (again): no session, or it expired.
    NotSignedIn,
    /// This device was signed out; its local data is gone.
    SignedOut,
    /// The server says the caller may not do this.
    PermissionDenied,
    /// The server or the device has no such thing (or may not show it).
    NotFound,
    /// An argument is not acceptable, to this SDK or the server; see
    /// [`Error::field`].
    InvalidArgument,
    /// The server refused for a rule of the portal (a price that moved, a
    /// state that does not allow it); see [`Error::reason`].
    FailedPrecondition,
    /// It exists already.
    AlreadyExists,
    /// The draft line edited was removed, possibly on another device.
    LineRemoved,
    /// The passkey prompt was cancelled or timed out.
    PasskeyCancelled,
    /// The platform's passkey support failed or holds no passkey.
    Passkey,
    /// The device's storage failed (disk full, I/O).
    LocalStorage,
    /// Something stored or received cannot be read.
    Corrupt,
    /// The SDK is set up wrong (server address, TLS settings).
    Configuration,
    /// A draft sync did not settle; the next sync carries on.
    SyncUnsettled,
    /// The server failed, or answered something this SDK cannot use.
    ServerError,
}

impl ErrorCode {
    pub(super) fn of(error: &Error) -> Self {
        match error {
            Error::InvalidAddress { .. } | Error::Tls(_) => ErrorCode::Configuration,
            Error::Json { .. } => ErrorCode::ServerError,
            Error::Offline { .. } => ErrorCode::Offline,
            Error::ServerCertificate {
                clock_suspect: true,
                ..
            } => ErrorCode::DeviceClock,
            Error::ServerCertificate { .. } => ErrorCode::ServerCertificate,
            Error::Status(status) => match status.code() {
                _ if error.is_transient() => ErrorCode::ServerBusy,
                Code::Unauthenticated => ErrorCode::NotSignedIn,
                Code::PermissionDenied => ErrorCode::PermissionDenied,
                Code::NotFound => ErrorCode::NotFound,
                Code::InvalidArgument | Code::OutOfRange => ErrorCode::InvalidArgument,
                Code::FailedPrecondition | Code::ResourceExhausted => ErrorCode::FailedPrecondition,
                Code::AlreadyExists => ErrorCode::AlreadyExists,
                _ => ErrorCode::ServerError,
            },
            Error::Authenticator(AuthenticatorError::Cancelled) => ErrorCode::PasskeyCancelled,
            Error::Authenticator(_) => ErrorCode::Passkey,
            Error::NotSignedIn => ErrorCode::NotSignedIn,
            Error::IncompleteAnswer { .. } => ErrorCode::ServerError,
            Error::Local(_) | Error::Io(_) | Error::SessionStore(_) => ErrorCode::LocalStorage,
            Error::Corrupt { .. } => ErrorCode::Corrupt,
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::LineRemoved { .. } => ErrorCode::LineRemoved,
            Error::SignedOut => ErrorCode::SignedOut,
            Error::SyncUnsettled { .. } => ErrorCode::SyncUnsettled,
        }
    }

    /// The code as a stable upper-case name, e.g. `OFFLINE`, for logs and
    /// for bindings that carry codes as strings.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Offline => "OFFLINE",
            ErrorCode::ServerBusy => "SERVER_BUSY",
            ErrorCode::DeviceClock => "DEVICE_CLOCK",
            ErrorCode::ServerCertificate => "SERVER_CERTIFICATE",
            ErrorCode::NotSignedIn => "NOT_SIGNED_IN",
            ErrorCode::SignedOut => "SIGNED_OUT",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::LineRemoved => "LINE_REMOVED",
            ErrorCode::PasskeyCancelled => "PASSKEY_CANCELLED",
            ErrorCode::Passkey => "PASSKEY",
            ErrorCode::LocalStorage => "LOCAL_STORAGE",
            ErrorCode::Corrupt => "CORRUPT",
            ErrorCode::Configuration => "CONFIGURATION",
            ErrorCode::SyncUnsettled => "SYNC_UNSETTLED",
            ErrorCode::ServerError => "SERVER_ERROR",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
