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
//! Offline, a [`Device`] holds one person's local database on one device:
//! the reference data (catalog at their prices, stock, orders) pulled as a
//! resumable feed, searched and priced with no network; an outbox of
//! actions only the server decides, replayed in order with their request
//! ids; sync status, a background sync loop, and a sign-out that deletes
//! it all.
//!
//! Everything an app names is exported from here: the draft types
//! ([`OrderDraft`], [`LineId`], [`DraftError`]), the status codes of
//! server errors ([`Code`], [`Status`]), the event receivers
//! ([`EventReceiver`], [`RecvError`], [`TryRecvError`]), the wire messages
//! ([`proto`], [`Timestamp`]) and an async [`Runtime`] to run the SDK on,
//! so an app crate depends on `tradeport-mobile` alone (the
//! `tradeport-mobile-example` crate is one). A [`SessionStore`] the app
//! implements keeps the session in the platform keystore.

#![deny(missing_docs)]

mod client;
mod clock;
mod credentials;
mod device;
mod drafts;
mod error;
mod events;
mod identity;
mod local_db;
mod outbox;
pub mod passkey;
mod pricing;
mod reference;
mod retry;
mod search;
mod session_store;

pub use client::{
    AuthInterceptor, AuthorizedChannel, CatalogClient, Client, ClientConfig, ON_BEHALF_OF_METADATA,
};
pub use device::{
    BackgroundState, BackgroundSync, Device, FlushReport, PullProgress, PullReport, SignOutReport,
    StatusWatch, SyncReport, SyncStatus,
};
pub use drafts::{
    DraftOutcome, DraftStatus, DraftSyncReport, Drafts, Refusal, ToSend, UnsyncedDraft,
};
pub use error::{Error, ErrorCode};
pub use events::{DeviceEvent, DeviceEvents};
pub use identity::IdentityClient;
pub use outbox::{Action, ActionFailure, ActionState, ChangedLine, OutboxEntry, Violation};
pub use passkey::{Authenticator, AuthenticatorError, SoftwarePasskey};
pub use pricing::Price;
pub use prost_types::Timestamp;
pub use reference::LocalCategory;
pub use retry::RetryPolicy;
pub use rust_decimal::Decimal;
pub use search::{MatchKind, SearchHit};
pub use session_store::{MemorySessionStore, SessionStore, SessionStoreError};
/// The async runtime the SDK runs on, for an app without one of its own.
pub use tokio::runtime::Runtime;
/// Receives a stream of events ([`Device::events`], [`Drafts::events`]).
pub use tokio::sync::broadcast::Receiver as EventReceiver;
pub use tokio::sync::broadcast::error::{RecvError, TryRecvError};
pub use tonic::{Code, Status};
pub use tradeport_proto as proto;
pub use tradeport_proto::identity::SessionTokens;
pub use tradeport_sync::{DraftHeader, DraftLine, Error as DraftError, LineId, OrderDraft};
pub use url::Url;
