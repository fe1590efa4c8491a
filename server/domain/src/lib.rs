//! The rules of Tradeport: plain Rust, no I/O, no tonic, no storage engine,
//! no cryptography and no operating-system randomness — this crate's
//! dependency list makes that a compile error, not a convention. Every
//! decision the portal makes is taken here and unit-tested here; the
//! server's use cases load, ask these rules and commit, and its api layer
//! only translates to and from the wire.

pub mod bulk;
pub mod catalog;
pub mod decimal;
pub mod documents;
pub mod feed;
pub mod identity;
pub mod inventory;
pub mod mask;
pub mod orders;
pub mod paging;
pub mod payments;
pub mod pricing;
pub mod tax;
pub mod text;

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;

#[cfg(test)]
mod fuzz_tests;

/// One input field that failed validation, named by its path in the request
/// (e.g. `filters[2].min`), so a client can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// What a rule can answer besides success. `reason` strings are stable API:
/// clients branch on them, so they are never reworded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{reason}: {}", describe(.violations))]
    InvalidArgument {
        reason: &'static str,
        violations: Vec<FieldViolation>,
    },
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    /// It exists, but not for this caller: answered exactly as `NotFound`,
    /// and recorded as a denied attempt.
    #[error("{resource} {id} not found")]
    Hidden { resource: &'static str, id: String },
    #[error("{resource} {id} already exists")]
    AlreadyExists { resource: &'static str, id: String },
    #[error("not allowed: {action}")]
    PermissionDenied { action: String },
    #[error("{description}")]
    Unauthenticated {
        reason: &'static str,
        description: String,
    },
    #[error("{description}")]
    FailedPrecondition {
        reason: &'static str,
        description: String,
    },
    /// Several things are not as the caller expected (prices that moved):
    /// each named like a field violation.
    #[error("{reason}: {}", describe(.violations))]
    PreconditionFailed {
        reason: &'static str,
        violations: Vec<FieldViolation>,
    },
    #[error("too many attempts for {subject}; retry in {} ms", .retry_after.as_millis())]
    RateLimited {
        subject: &'static str,
        retry_after: std::time::Duration,
    },
}

impl DomainError {
    pub fn invalid(
        reason: &'static str,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            reason,
            violations: vec![FieldViolation::new(field, description)],
        }
    }
}

impl DomainError {
    pub fn unauthenticated(reason: &'static str, description: impl Into<String>) -> Self {
        Self::Unauthenticated {
            reason,
            description: description.into(),
        }
    }

    pub fn precondition(reason: &'static str, description: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            description: description.into(),
        }
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}
