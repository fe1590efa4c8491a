//! The one mapping from Tradeport's errors to gRPC statuses: the use
//! cases' [`ServiceError`], and what the transport finds before a use case
//! runs. Every status
//! carries google.rpc details: an ErrorInfo with a stable `reason` (clients
//! branch on it, never on the message), BadRequest field violations naming
//! each bad field, ResourceInfo for a missing resource.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::service::ServiceError;
use crate::store::StoreError;
use tradeport_domain::DomainError;

/// `ErrorInfo.domain` for every Tradeport error.
pub const ERROR_DOMAIN: &str = "tradeport";
/// The most of any one echoed value (a run without spaces) a status holds.
pub const MAX_ECHO_CHARS: usize = 64;
/// The most of any one text (the message, a description) a status holds.
pub const MAX_TEXT_CHARS: usize = 512;
/// Field violations named at most; the rest are counted.
pub const MAX_VIOLATIONS: usize = 32;

/// `text` with every run of more than [`MAX_ECHO_CHARS`] non-space
/// characters cut to that many and an ellipsis, the whole cut to
/// [`MAX_TEXT_CHARS`].
pub fn bounded(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_CHARS + 4));
    let (mut run, mut total) = (0usize, 0usize);
    for c in text.chars() {
        if total == MAX_TEXT_CHARS {
            out.push('…');
            break;
        }
        run = if c.is_whitespace() { 0 } else { run + 1 };
        if run > MAX_ECHO_CHARS {
            if run == MAX_ECHO_CHARS + 1 {
                out.push('…');
                total += 1;
            }
            continue;
        }
        out.push(c);
        total += 1;
    }
    out
}

/// Adds `violations` as BadRequest field violations, bounded: at most
/// [`MAX_VIOLATIONS`], the last then saying how many more there were.
fn add_violations(details: &mut ErrorDetails, violations: &[tradeport_domain::FieldViolation]) {
    for (i, v) in violations.iter().enumerate() {
        if i + 1 == MAX_VIOLATIONS && violations.len() > MAX_VIOLATIONS {
            details.add_bad_request_violation(
                "request",
                format!(
                    "{} more problems not listed",
                    violations.len() - MAX_VIOLATIONS + 1
                ),
            );
            return;
        }
        details.add_bad_request_violation(bounded(&v.field), bounded(&v.description));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// What a use case answered.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A request message over the configured size, found by the transport
    /// before it was decoded.
    #[error("request message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge { size: usize, limit: usize },
    /// A request in a message format the server does not speak (JSON over
    /// gRPC-web), found by the transport before it was decoded.
    #[error(
        "this server speaks protobuf only: gRPC, and gRPC-web as application/grpc-web+proto or application/grpc-web-text; {content_type} is not supported"
    )]
    UnsupportedFormat { content_type: String },
    /// The request's bytes are not a message of the method called (not
    /// protobuf, invalid UTF-8 in a string); the detail is the decoder's.
    #[error("the request is not a valid message for this method")]
    Malformed(String),
    /// Something we depend on is down; the call may be retried.
    #[error("{message}")]
    Unavailable {
        reason: &'static str,
        message: String,
    },
}

impl Failure {
    /// Our own fault, not the caller's; the detail is logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Service(ServiceError::internal(detail))
    }
}

impl From<DomainError> for Failure {
    fn from(e: DomainError) -> Self {
        Self::Service(ServiceError::Domain(e))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Service(ServiceError::Store(e))
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Self {
        Failure::Service(e).into()
    }
}

fn info(details: &mut ErrorDetails, reason: &str, metadata: &[(&str, String)]) {
    let metadata: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), bounded(v)))
        .collect();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Self {
        let mut details = ErrorDetails::new();
        let message = failure.to_string();
        let code = match failure {
            Failure::Service(e) => return service_status(e),
            Failure::MessageTooLarge { size, limit } => {
                info(
                    &mut details,
                    "MESSAGE_TOO_LARGE",
                    &[
                        ("size_bytes", size.to_string()),
                        ("limit_bytes", limit.to_string()),
                    ],
                );
                details.add_bad_request_violation(
                    "request",
                    format!("message of {size} bytes exceeds the limit of {limit} bytes"),
                );
                Code::ResourceExhausted
            }
            Failure::UnsupportedFormat { ref content_type } => {
                info(
                    &mut details,
                    "UNSUPPORTED_FORMAT",
                    &[("content_type", content_type.clone())],
                );
                Code::Unimplemented
            }
            Failure::Malformed(ref detail) => {
                info(&mut details, "MALFORMED_REQUEST", &[]);
                details.add_bad_request_violation("request", bounded(detail));
                Code::InvalidArgument
            }
            Failure::Unavailable { reason, .. } => {
                info(&mut details, reason, &[]);
                details.set_retry_info(Some(std::time::Duration::from_secs(5)));
                Code::Unavailable
            }
        };
        Status::with_error_details(code, bounded(&message), details)
    }
}

/// The status of a use case's failure, with its details.
fn service_status(error: ServiceError) -> Status {
    let mut details = ErrorDetails::new();
    let message = error.to_string();
    if let ServiceError::Domain(DomainError::Hidden { resource, id }) = &error {
        // Answered as NOT_FOUND below; recorded once the call is over.
        crate::service::identity::denied::note(resource, id);
    }
    let code = match error {
        ServiceError::Domain(DomainError::InvalidArgument { reason, violations }) => {
            info(&mut details, reason, &[]);
            add_violations(&mut details, &violations);
            Code::InvalidArgument
        }
        ServiceError::Domain(
            DomainError::NotFound { resource, id } | DomainError::Hidden { resource, id },
        ) => {
            info(
                &mut details,
                "NOT_FOUND",
                &[("resource_type", resource.into()), ("id", id.clone())],
            );
            details.set_resource_info(
                resource,
                bounded(&id),
                "",
                "does not exist or is not visible to the caller",
            );
            Code::NotFound
        }
        ServiceError::Domain(DomainError::AlreadyExists { resource, id }) => {
            info(
                &mut details,
                "ALREADY_EXISTS",
                &[("resource_type", resource.into()), ("id", id.clone())],
            );
            details.set_resource_info(resource, bounded(&id), "", "already exists");
            Code::AlreadyExists
        }
        ServiceError::Domain(DomainError::PermissionDenied { action }) => {
            info(&mut details, "PERMISSION_DENIED", &[("action", action)]);
            Code::PermissionDenied
        }
        ServiceError::Domain(DomainError::Unauthenticated { reason, .. }) => {
            info(&mut details, reason, &[]);
            Code::Unauthenticated
        }
        ServiceError::Domain(DomainError::FailedPrecondition {
            reason,
            ref description,
        }) => {
            info(&mut details, reason, &[]);
            details.add_precondition_failure_violation(reason, "", bounded(description));
            Code::FailedPrecondition
        }
        ServiceError::Domain(DomainError::PreconditionFailed {
            reason,
            ref violations,
        }) => {
            info(&mut details, reason, &[]);
            for v in violations.iter().take(MAX_VIOLATIONS) {
                details.add_precondition_failure_violation(
                    reason,
                    bounded(&v.field),
                    bounded(&v.description),
                );
            }
            Code::FailedPrecondition
        }
        ServiceError::Domain(DomainError::RateLimited {
            subject,
            retry_after,
        }) => {
            info(
                &mut details,
                "RATE_LIMITED",
                &[("subject", subject.to_string())],
            );
            details.set_retry_info(Some(retry_after));
            details.add_quota_failure_violation(subject, "too many attempts in the current window");
            Code::ResourceExhausted
        }
        ServiceError::Store(StoreError::Conflict { .. }) => {
            info(&mut details, "CONCURRENT_UPDATE", &[]);
            Code::Aborted
        }
        ServiceError::Store(StoreError::Stalled { running_secs }) => {
            // The health watch logs the stall as an error, once; each
            // call it turns away is a warning, or a stall would flood
            // the log with one error per write.
            tracing::warn!(
                running_secs,
                "a store flush has stalled; refusing to wait on it"
            );
            info(&mut details, "STORAGE_STALLED", &[]);
            details.set_retry_info(Some(std::time::Duration::from_secs(5)));
            return Status::with_error_details(
                Code::Unavailable,
                "storage is not writing at the moment; retry later",
                details,
            );
        }
        ServiceError::Store(_) => {
            let e = &error;
            // Engine details stay in the log; the caller learns only that
            // the failure is ours and worth a retry later.
            tracing::error!(error = %e, "store failure");
            info(&mut details, "STORAGE_FAILURE", &[]);
            return Status::with_error_details(Code::Internal, "storage failure", details);
        }
        ServiceError::GatewayUnavailable(message) => {
            info(&mut details, "PAYMENT_GATEWAY_UNAVAILABLE", &[]);
            details.set_retry_info(Some(std::time::Duration::from_secs(5)));
            return Status::with_error_details(Code::Unavailable, bounded(&message), details);
        }
        // Ours, not the caller's: the random number generator, a gateway
        // that refused what we sent, an index or stored data gone wrong.
        ServiceError::Random(_) | ServiceError::Gateway(_) | ServiceError::Internal(_) => {
            let detail = &error;
            tracing::error!(%detail, "internal failure");
            info(&mut details, "INTERNAL", &[]);
            return Status::with_error_details(Code::Internal, "internal failure", details);
        }
    };
    Status::with_error_details(code, bounded(&message), details)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tradeport_domain::FieldViolation;

    #[test]
    fn invalid_argument_names_fields_and_reason() {
        let status = Status::from(Failure::from(DomainError::invalid(
            "INVALID_PAGE_SIZE",
            "page_size",
            "must not be negative",
        )));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, "INVALID_PAGE_SIZE");
        assert_eq!(
            details.bad_request().unwrap().field_violations[0].field,
            "page_size"
        );
    }

    #[test]
    fn echoed_values_are_cut_in_the_message_and_every_detail() {
        let sku = "X".repeat(100_000);
        let violations = (0..1000)
            .map(|i| FieldViolation::new(format!("lines[{i}].sku"), format!("unknown SKU {sku:?}")))
            .collect();
        let status = Status::from(Failure::from(DomainError::InvalidArgument {
            reason: "INVALID_CART",
            violations,
        }));
        assert!(status.message().chars().count() <= MAX_TEXT_CHARS + 1);
        let bad = status.get_error_details().bad_request().unwrap().clone();
        assert_eq!(bad.field_violations.len(), MAX_VIOLATIONS);
        let first = &bad.field_violations[0];
        assert_eq!(first.field, "lines[0].sku");
        assert!(first.description.starts_with("unknown SKU \"XXX"));
        assert!(first.description.chars().count() <= "unknown SKU ".len() + MAX_ECHO_CHARS + 1);
        assert_eq!(
            bad.field_violations[MAX_VIOLATIONS - 1].description,
            "969 more problems not listed"
        );
        let status = Status::from(Failure::from(DomainError::NotFound {
            resource: "order",
            id: sku.clone(),
        }));
        assert!(status.message().len() < 200);
        assert!(
            status.details().len() < 1000,
            "{} bytes",
            status.details().len()
        );
        assert_eq!(bounded("a short one stays"), "a short one stays");
    }

    #[test]
    fn a_hidden_resource_is_answered_exactly_as_a_missing_one() {
        let missing = Status::from(Failure::from(DomainError::NotFound {
            resource: "order",
            id: "o-1".into(),
        }));
        let hidden = Status::from(Failure::from(DomainError::Hidden {
            resource: "order",
            id: "o-1".into(),
        }));
        assert_eq!(hidden.code(), missing.code());
        assert_eq!(hidden.message(), missing.message());
        let (hidden, missing) = (hidden.get_error_details(), missing.get_error_details());
        // Field by field, as the detail types have no equality of their own.
        let info = |d: &ErrorDetails| {
            let (e, r) = (d.error_info().unwrap(), d.resource_info().unwrap());
            let resource = (&r.resource_type, &r.resource_name, &r.owner, &r.description);
            (
                e.reason.clone(),
                e.domain.clone(),
                e.metadata.clone(),
                format!("{resource:?}"),
            )
        };
        assert_eq!(info(&hidden), info(&missing));
    }

    #[test]
    fn a_stalled_store_is_unavailable_and_worth_a_retry() {
        let status = Status::from(Failure::from(StoreError::Stalled { running_secs: 31 }));
        assert_eq!(status.code(), Code::Unavailable);
        let details = status.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, "STORAGE_STALLED");
        assert!(details.retry_info().is_some());
    }

    #[test]
    fn store_failures_hide_engine_details() {
        let status = Status::from(Failure::from(StoreError::Engine("disk path /x".into())));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("/x"));
        assert_eq!(
            status.get_error_details().error_info().unwrap().reason,
            "STORAGE_FAILURE"
        );
    }
}
