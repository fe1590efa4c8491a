//! What the use cases reach outside the store through: the payment
//! gateway and the full-text search engine. Each is behind a narrow type
//! of ours, so a use case never names the engine or the provider.

pub mod payments;
pub mod search;
