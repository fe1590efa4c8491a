//! tradeport-mobile-ffi: the mobile SDK (`tradeport-mobile`) for Kotlin and
//! Swift apps, through UniFFI's proc-macros. `uniffi-bindgen generate
//! --library` reads this crate's library and writes the bindings.
//!
//! This layer converts and nothing else: every rule (what a price is, what
//! is retried, what a sync sends) stays in the SDK, so an app in Kotlin or
//! Swift behaves exactly as a Rust one. Each concept has its own module —
//! the connection and sign-in (`client`), the passkey callback the app
//! implements (`authenticator`), the device and its local reads (`device`,
//! `catalog`, `orders`), drafts, the outbox, sync reports and status
//! (`status`), the event stream (`events`) and errors (`error`) — so each
//! can follow the SDK's API as it changes.
//!
//! Async functions are `suspend` in Kotlin and `async` in Swift. They run
//! on one multi-threaded Tokio runtime the layer owns (`runtime`), not on
//! the caller's thread: the SDK's passkey flows block a worker while the
//! prompt is up, and its background sync outlives any single call.

mod authenticator;
mod catalog;
mod client;
mod device;
mod drafts;
mod error;
mod events;
mod orders;
mod outbox;
mod runtime;
mod status;

pub use authenticator::{Authenticator, AuthenticatorFailure};
pub use catalog::{MatchKind, Money, Price, PriceBreak, Product, SearchHit, StockLevel};
pub use client::{Caller, Client};
pub use device::{BackgroundSync, Device};
pub use drafts::{Draft, DraftLine, Drafts};
pub use error::TradeportError;
pub use events::{Event, EventStream};
pub use orders::{Order, OrderLine, OrderLineInput};
pub use outbox::{ActionFailure, ActionKind, ActionState, ChangedLine, OutboxEntry, Violation};
pub use status::{FlushReport, PullReport, SignOutReport, SyncReport, SyncStatus};

uniffi::setup_scaffolding!();
