//! The one mapping from Tradeport's errors to gRPC statuses. Every status
//! carries google.rpc details: an ErrorInfo with a stable `reason` (clients
//! branch on it, never on the message), BadRequest field violations naming
//! each bad field, ResourceInfo for a missing resource.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::DomainError;
use crate::store::StoreError;

/// `ErrorInfo.domain` for every Tradeport error.
pub const ERROR_DOMAIN: &str = "tradeport";

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] crate::domain::identity::secrets::RandomFailure),
    /// A request message over the configured size, found by the transport
    /// before it was decoded.
    #[error("request message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge { size: usize, limit: usize },
    /// Our own fault, not the caller's (an index that failed to update);
    /// the detail is logged, not sent.
    #[error("internal failure: {0}")]
    Internal(String),
    /// Something we depend on is down; the call may be retried.
    #[error("{message}")]
    Unavailable {
        reason: &'static str,
        message: String,
    },
}

fn info(details: &mut ErrorDetails, reason: &str, metadata: &[(&str, String)]) {
    let metadata: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
}

impl From<crate::identity::IdentityError> for Failure {
    fn from(e: crate::identity::IdentityError) -> Self {
        match e {
            crate::identity::IdentityError::Domain(d) => Failure::Domain(d),
            crate::identity::IdentityError::Store(s) => Failure::Store(s),
            crate::identity::IdentityError::Random(r) => Failure::Random(r),
        }
    }
}

impl From<crate::inventory::InventoryError> for Status {
    fn from(e: crate::inventory::InventoryError) -> Self {
        match e {
            crate::inventory::InventoryError::Domain(d) => Failure::Domain(d).into(),
            crate::inventory::InventoryError::Store(s) => Failure::Store(s).into(),
        }
    }
}

impl From<crate::catalog::CatalogError> for Status {
    fn from(e: crate::catalog::CatalogError) -> Self {
        use crate::catalog::CatalogError;
        match e {
            CatalogError::Domain(d) => Failure::Domain(d).into(),
            CatalogError::Store(s) => Failure::Store(s).into(),
            other => Failure::Internal(other.to_string()).into(),
        }
    }
}

impl From<crate::identity::IdentityError> for Status {
    fn from(e: crate::identity::IdentityError) -> Self {
        Failure::from(e).into()
    }
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Self {
        let mut details = ErrorDetails::new();
        let message = failure.to_string();
        if let Failure::Domain(DomainError::Hidden { resource, id }) = &failure {
            // Answered as NOT_FOUND below; recorded once the call is over.
            crate::identity::denied::note(resource, id);
        }
        let code = match failure {
            Failure::Domain(DomainError::InvalidArgument { reason, violations }) => {
                info(&mut details, reason, &[]);
                for v in violations {
                    details.add_bad_request_violation(v.field, v.description);
                }
                Code::InvalidArgument
            }
            Failure::Domain(
                DomainError::NotFound { resource, id } | DomainError::Hidden { resource, id },
            ) => {
                info(
                    &mut details,
                    "NOT_FOUND",
                    &[("resource_type", resource.into()), ("id", id.clone())],
                );
                details.set_resource_info(
                    resource,
                    id,
                    "",
                    "does not exist or is not visible to the caller",
                );
                Code::NotFound
            }
            Failure::Domain(DomainError::AlreadyExists { resource, id }) => {
                info(
                    &mut details,
                    "ALREADY_EXISTS",
                    &[("resource_type", resource.into()), ("id", id.clone())],
                );
                details.set_resource_info(resource, id, "", "already exists");
                Code::AlreadyExists
            }
            Failure::Domain(DomainError::PermissionDenied { action }) => {
                info(&mut details, "PERMISSION_DENIED", &[("action", action)]);
                Code::PermissionDenied
            }
            Failure::Domain(DomainError::Unauthenticated { reason, .. }) => {
                info(&mut details, reason, &[]);
                Code::Unauthenticated
            }
            Failure::Domain(DomainError::FailedPrecondition {
                reason,
                ref description,
            }) => {
                info(&mut details, reason, &[]);
                details.add_precondition_failure_violation(reason, "", description.clone());
                Code::FailedPrecondition
            }
            Failure::Domain(DomainError::PreconditionFailed {
                reason,
                ref violations,
            }) => {
                info(&mut details, reason, &[]);
                for v in violations {
                    details.add_precondition_failure_violation(
                        reason,
                        v.field.clone(),
                        v.description.clone(),
                    );
                }
                Code::FailedPrecondition
            }
            Failure::Domain(DomainError::RateLimited {
                subject,
                retry_after,
            }) => {
                info(
                    &mut details,
                    "RATE_LIMITED",
                    &[("subject", subject.to_string())],
                );
                details.set_retry_info(Some(retry_after));
                details.add_quota_failure_violation(
                    subject,
                    "too many attempts in the current window",
                );
                Code::ResourceExhausted
            }
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
            Failure::Store(StoreError::Conflict { .. }) => {
                info(&mut details, "CONCURRENT_UPDATE", &[]);
                Code::Aborted
            }
            Failure::Store(StoreError::Stalled { running_secs }) => {
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
            Failure::Random(_) | Failure::Store(_) => {
                let e = &failure;
                // Engine details stay in the log; the caller learns only that
                // the failure is ours and worth a retry later.
                tracing::error!(error = %e, "store failure");
                info(&mut details, "STORAGE_FAILURE", &[]);
                return Status::with_error_details(Code::Internal, "storage failure", details);
            }
            Failure::Unavailable { reason, .. } => {
                info(&mut details, reason, &[]);
                details.set_retry_info(Some(std::time::Duration::from_secs(5)));
                Code::Unavailable
            }
            Failure::Internal(ref detail) => {
                tracing::error!(%detail, "internal failure");
                info(&mut details, "INTERNAL", &[]);
                return Status::with_error_details(Code::Internal, "internal failure", details);
            }
        };
        Status::with_error_details(code, message, details)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
