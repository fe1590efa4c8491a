//! tradeport-mobile: the Rust client SDK a Tradeport mobile app embeds.
//!
//! Today it holds the typed online client: connect over TLS (the system's
//! web PKI roots, or a given CA for private and development servers), a
//! deadline on every call, and retries with jittered backoff when the server
//! is UNAVAILABLE (restarting, or the network dropped). It never retries a
//! call that may have taken effect or consumed single-use state: only reads,
//! which are idempotent, and the Start of a passkey ceremony.
//!
//! Sign-in is with passkeys: the app implements [`Authenticator`] over the
//! platform's passkey APIs, and [`IdentityClient`] runs enrolment, sign-in
//! and refresh, keeping the session's tokens in the [`Client`], which then
//! sends the access token on every call. [`SoftwarePasskey`] stands in for
//! the platform in development and tests only.
//!
//! The offline store, outbox and draft sync come with the sync work.

mod client;
mod identity;
pub mod passkey;
mod retry;

pub use client::{
    AuthInterceptor, AuthorizedChannel, CatalogClient, Client, ClientConfig, Error,
    ON_BEHALF_OF_METADATA,
};
pub use identity::IdentityClient;
pub use passkey::{Authenticator, AuthenticatorError, SoftwarePasskey};
pub use retry::RetryPolicy;
pub use tradeport_proto as proto;
pub use url::Url;
