//! The one error every use case answers with. The api layer maps it to a
//! gRPC status, with its details, in one place (`api::errors`); nothing
//! between a use case and that mapping converts or rewords it, so the same
//! failure reaches every caller the same way whichever use case met it.

use tradeport_domain::DomainError;

use crate::adapters::payments::GatewayError;
use crate::adapters::search::text::TextIndexError;
use crate::service::identity::secrets::RandomFailure;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A rule said no: the caller's to fix (or to see as not found).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store failed or another write got there first.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomFailure),
    /// The payment gateway could not answer: the caller may retry.
    #[error("payment gateway unavailable: {0}")]
    GatewayUnavailable(String),
    /// The payment gateway refused a request of ours: our fault.
    #[error("payment gateway refused: {0}")]
    Gateway(String),
    /// Our own fault, never the caller's: stored data that cannot form a
    /// catalog, an index that failed to update, a library that failed.
    /// The detail is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, ServiceError>;

impl ServiceError {
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }
}

impl From<TextIndexError> for ServiceError {
    fn from(e: TextIndexError) -> Self {
        Self::Internal(format!("text index: {e}"))
    }
}

impl From<GatewayError> for ServiceError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Declined { code, message } => {
                Self::Domain(tradeport_domain::payments::card_declined(&code, &message))
            }
            GatewayError::Unavailable { message } => Self::GatewayUnavailable(message),
            rejected @ GatewayError::Rejected { .. } => Self::Gateway(rejected.to_string()),
        }
    }
}
