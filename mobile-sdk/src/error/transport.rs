//! Telling a status made on this side of the wire from the server's
//! answer, and what it means. tonic turns every transport failure into a
//! status with the failure as its source — `Unavailable` "tcp connect
//! error", `Unknown` "transport error", `Cancelled` "Timeout expired",
//! depending on where the call broke — while a status decoded from the
//! server's answer has no source. Among local failures, a TLS certificate
//! rustls refused is found in the source chain (inside an `io::Error`,
//! which `source()` alone would skip).

use std::error::Error as StdError;

use rustls::CertificateError;
use tonic::Status;

use super::Error;

/// The error a status is: the server's answer, offline, or a refused
/// certificate.
pub(super) fn classify(status: Status) -> Error {
    if let Some(certificate) = certificate_problem(&status) {
        return certificate;
    }
    if status.source().is_some() {
        return Error::Offline {
            reason: status.message().to_owned(),
        };
    }
    Error::Status(status)
}

/// Whether retrying a failed call is pointless: the server's certificate
/// was refused, which no retry changes.
pub(crate) fn is_permanent(status: &Status) -> bool {
    certificate_problem(status).is_some()
}

fn certificate_problem(status: &Status) -> Option<Error> {
    let mut found = None;
    visit(status.source()?, &mut |error| {
        if let Some(rustls::Error::InvalidCertificate(problem)) =
            error.downcast_ref::<rustls::Error>()
        {
            let clock_suspect = matches!(
                problem,
                CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. }
            );
            found = Some(Error::ServerCertificate {
                reason: if clock_suspect {
                    format!("{problem} by this device's clock: check its date and time")
                } else {
                    problem.to_string()
                },
                clock_suspect,
            });
            return true;
        }
        false
    });
    found
}

/// Calls `found` on `error` and every error under it until it says true.
fn visit(
    error: &(dyn StdError + 'static),
    found: &mut dyn FnMut(&(dyn StdError + 'static)) -> bool,
) -> bool {
    if found(error) {
        return true;
    }
    // An io::Error wrapping another error reports that error's source as
    // its own, skipping the wrapped error itself.
    if let Some(io) = error.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && visit(inner, found)
    {
        return true;
    }
    match error.source() {
        Some(source) => visit(source, found),
        None => false,
    }
}
