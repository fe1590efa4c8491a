//! Identity: customer accounts and their organisation, users and roles,
//! applications for an account, invitations, passkeys, sessions, API keys
//! and the audit trail — the records, and the rules over them. No I/O: the
//! identity use cases load and store these records around the rules.

pub mod applications;
pub mod audit;
pub mod erasure;
pub mod input;
pub mod passkeys;
pub mod people;
pub mod permissions;
pub mod principal;
pub mod privacy;
pub mod profile;
pub mod records;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod units;

pub use permissions::{Action, Role};
pub use principal::{Caller, CallerKind, Principal};
pub use records::*;
