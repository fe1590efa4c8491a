//! tradeport-mobile: the Rust client SDK a Tradeport mobile app embeds.
//!
//! Today it holds the typed online client: connect over TLS (the system's
//! web PKI roots, or a given CA for private and development servers), a
//! deadline on every call, and retries with jittered backoff when the server
//! is UNAVAILABLE (restarting, or the network dropped). It never retries a
//! call that may have taken effect: only reads, which are idempotent.
//! The offline store, outbox and draft sync come with the sync work.

mod client;
mod retry;

pub use client::{CatalogClient, Client, ClientConfig, Error};
pub use retry::RetryPolicy;
pub use tradeport_proto as proto;
