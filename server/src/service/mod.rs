//! The use cases: each public method loads what it needs through the
//! store, checks that the caller may do it, asks the domain's rules, and
//! commits everything it changed (with its feed entry) in one atomic step.
//! Nothing here decides a rule (that is `tradeport_domain`), and nothing
//! here knows the wire (that is `api`).

pub mod catalog;
pub mod clock;
pub mod documents;
pub mod error;
pub mod feed;
pub mod identity;
pub mod inventory;
pub mod orders;

pub use error::{Result, ServiceError};
