//! [`Device`]: what an app holds for one signed-in person on one device —
//! the local database, the read-only reference data with offline search and
//! prices, the outbox, sync status, the background sync loop and signing
//! out. Outcomes reach the app as [`DeviceEvent`]s.
//!
//! This module holds the device itself and what it answers from the local
//! copy alone; each way it talks to the server has its own module: `pull`
//! (the reference-data feed), `replay` (queueing actions and replaying the
//! outbox), `sync` (one full sync and its status), `background` (the loop
//! that syncs on its own) and `sign_out`.
//!
//! It must never show a server decision it did not receive (prices are the
//! server's, taken from the feed; an order exists once the server says so),
//! and never leave one person's data for the next user of the device:
//! [`Device::sign_out`] deletes the local database.

mod background;
mod pull;
mod replay;
mod sign_out;
mod sync;
mod watch;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rust_decimal::Decimal;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tonic::Status;
use tradeport_proto::catalog::StockLevel;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{Order, OrderLineInput};
use tradeport_proto::sync::ProductEntry;
use tradeport_proto::sync::sync_service_client::SyncServiceClient;

pub use background::BackgroundSync;
pub use pull::PullReport;
pub use replay::FlushReport;
pub use sign_out::SignOutReport;
pub use sync::{SyncReport, SyncStatus};
pub use watch::{BackgroundState, PullProgress, StatusWatch};

use crate::client::AuthorizedChannel;
use crate::drafts::Drafts;
pub(crate) use crate::events::EVENT_BUFFER;
use crate::events::{DeviceEvent, DeviceEvents};
use crate::local_db::{DRAFT_CHANGES_TREE, DRAFT_SYNC_TREE, DRAFTS_TREE, LocalDb, META_TREE};
use crate::outbox::Outbox;
use crate::pricing::{Price, price_at};
use crate::reference::{LocalCategory, ReferenceData};
use crate::search::SearchHit;
use crate::{Client, Error};
use sync::Progress;

/// Fields drop in order: the trees before the database that holds them.
struct Inner {
    drafts: Drafts,
    reference: ReferenceData,
    outbox: Outbox,
    meta: sled::Tree,
    local: LocalDb,
    client: Client,
    orders: OrderServiceClient<AuthorizedChannel>,
    sync: SyncServiceClient<AuthorizedChannel>,
    events: broadcast::Sender<DeviceEvent>,
    /// One pull at a time: two would read the same cursor.
    pulling: tokio::sync::Mutex<()>,
    /// One replay at a time, so actions go out one by one, in order.
    replaying: tokio::sync::Mutex<()>,
    signed_out: AtomicBool,
    background: Mutex<Vec<AbortHandle>>,
    progress: Mutex<Progress>,
    /// Bumped whenever something the status shows may have changed; status
    /// watchers wait on it (see `watch`).
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

/// The SDK's offline state for one signed-in person on one device. Not
/// `Clone`: share it behind an `Arc`; signing out takes it back.
///
/// # Example
///
/// The offline flow: pull the reference data while online, then search,
/// price and build a draft with no network, queue the order, and sync
/// when the network is back.
///
/// ```no_run
/// use std::path::Path;
///
/// use tradeport_mobile::proto::identity::SessionTokens;
/// use tradeport_mobile::{
///     ActionState, Client, ClientConfig, Decimal, Device, DraftOutcome, Error,
/// };
///
/// async fn offline_order(
///     data_dir: &Path,
///     tokens: SessionTokens,
///     account_id: &str,
/// ) -> Result<(), Error> {
///     // Connects lazily: opening works offline. The tokens are those kept
///     // in the platform keystore since the last sign-in.
///     let client = Client::connect_lazy(ClientConfig::new("https://portal.example.com"))?;
///     client.set_tokens(tokens);
///     // Blocking: with a large local catalog, open it in `spawn_blocking`.
///     let device = Device::open(data_dir.join("tradeport"), client)?;
///
///     // Online: the catalog at this person's prices, stock and orders.
///     let pulled = device.pull_reference_data().await?;
///     println!("{} changes in {} pages", pulled.changes, pulled.pages);
///
///     // Offline from here: search and price from the local copy.
///     let hits = device.search("cable 3m", 20);
///     let Some(hit) = hits.first() else {
///         return Ok(());
///     };
///     let quantity = Decimal::from(4);
///     if let Some(price) = device.price(&hit.sku, quantity)? {
///         println!(
///             "{} x {} at {} = {} {}",
///             price.quantity, hit.name, price.unit_price, price.line_total, price.currency_code
///         );
///     }
///
///     // A draft, saved on the device before each call returns.
///     let draft_id = device.drafts().create(account_id)?;
///     device
///         .drafts()
///         .edit(&draft_id, |draft| draft.add_line(&hit.sku, "4"))?;
///     // The person confirms: the order waits in the outbox until online.
///     let request_id = device.queue_submit_draft(&draft_id)?;
///
///     // Back online: drafts up, the outbox replayed, reference data down.
///     match device.sync_now().await {
///         Ok(report) => {
///             for refused in report.refused() {
///                 if let DraftOutcome::Refused(refusal) = &refused.outcome {
///                     println!("draft {} refused: {refusal}", refused.document_id);
///                 }
///             }
///             println!(
///                 "{} actions done, {} refused; {} reference changes",
///                 report.outbox.succeeded, report.outbox.failed, report.pull.changes
///             );
///             // The queued order's own outcome (also sent as a DeviceEvent).
///             let outbox = device.outbox()?;
///             if let Some(entry) = outbox.iter().find(|e| e.request_id == request_id) {
///                 match &entry.state {
///                     ActionState::Succeeded(order) => println!("ordered: {}", order.number),
///                     ActionState::Failed(failure) => println!("refused: {}", failure.reason),
///                     ActionState::Pending { .. } => println!("waiting for the server"),
///                 }
///             }
///         }
///         // Still offline: the draft and the queued order wait on the
///         // device; the next sync carries on.
///         Err(error) if error.is_offline() => {}
///         Err(error) => return Err(error),
///     }
///     Ok(())
/// }
/// ```
pub struct Device {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("dir", &self.inner.local.dir())
            .field("reference", &self.inner.reference)
            .finish_non_exhaustive()
    }
}

const PEER_ID: &[u8] = b"peer_id";

/// This device's name for its copies of documents, made once.
fn peer_id(meta: &sled::Tree) -> Result<String, Error> {
    if let Some(id) = meta.get(PEER_ID)? {
        return Ok(String::from_utf8_lossy(&id).into_owned());
    }
    let id = format!("device-{}", uuid::Uuid::new_v4().simple());
    meta.insert(PEER_ID, id.as_bytes())?;
    tradeport_sled_writes::flush(meta)?;
    Ok(id)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every guarded value here is written whole; a panic cannot half-set it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn joined<T>(r: Result<Result<T, Error>, tokio::task::JoinError>) -> Result<T, Error> {
    r.map_err(|e| Error::from(std::io::Error::other(format!("a local task failed: {e}"))))?
}

impl Device {
    /// Opens (or creates) the device's local database in `dir` and builds
    /// the search index from it. `dir` belongs to the device: signing out
    /// deletes it with everything in it. Blocking: with a large local
    /// catalog, call it from `spawn_blocking`.
    pub fn open(dir: impl AsRef<Path>, client: Client) -> Result<Self, Error> {
        let local = LocalDb::open(dir.as_ref())?;
        let reference = ReferenceData::open(&local)?;
        let outbox = Outbox::open(&local)?;
        let meta = local.tree(META_TREE)?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let changes = Arc::new(tokio::sync::watch::Sender::new(0));
        let drafts = Drafts::new(
            local.tree(DRAFTS_TREE)?,
            local.tree(DRAFT_CHANGES_TREE)?,
            local.tree(DRAFT_SYNC_TREE)?,
            peer_id(&meta)?,
            events.clone(),
        )
        .with_changes(Arc::clone(&changes));
        Ok(Self {
            inner: Arc::new(Inner {
                drafts,
                reference,
                outbox,
                meta,
                local,
                orders: OrderServiceClient::new(client.authorized_channel()),
                sync: SyncServiceClient::new(client.authorized_channel()),
                client,
                events,
                pulling: tokio::sync::Mutex::new(()),
                replaying: tokio::sync::Mutex::new(()),
                signed_out: AtomicBool::new(false),
                background: Mutex::new(Vec::new()),
                progress: Mutex::new(Progress::default()),
                changes,
            }),
        })
    }

    /// The client this device calls the server with: its session is the
    /// device's, so sign-in, refresh and sign-out go through it.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Everything that happens from now on, in one stream: drafts changed
    /// or refused, outbox actions answered, reference data updated.
    pub fn events(&self) -> DeviceEvents {
        self.inner.events.subscribe()
    }

    // --- from the local copy ----------------------------------------------

    /// Searches the local catalog: exact SKU or barcode first, then SKU
    /// prefixes, then products whose words start with every query word.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        self.inner.reference.search(query, limit)
    }

    /// A product of the local catalog by its id or SKU, with the caller's
    /// price breaks.
    pub fn product(&self, id_or_sku: &str) -> Result<Option<ProductEntry>, Error> {
        self.inner.reference.product(id_or_sku)
    }

    /// The caller's price for `quantity` of `sku` from the local price
    /// breaks; `None` when the local copy holds no price for it.
    pub fn price(&self, sku: &str, quantity: Decimal) -> Result<Option<Price>, Error> {
        match self.inner.reference.product(sku)? {
            Some(entry) => price_at(&entry, quantity),
            None => Ok(None),
        }
    }

    /// A line to submit with the unit price the device shows now as the
    /// expected price, so the server refuses the order if it moved.
    pub fn order_line(&self, sku: &str, quantity: Decimal) -> Result<OrderLineInput, Error> {
        let price = self
            .price(sku, quantity)?
            .ok_or_else(|| Error::InvalidArgument {
                field: "sku",
                reason: format!("no local price for {sku} at quantity {quantity}"),
            })?;
        Ok(OrderLineInput {
            sku: price.sku,
            quantity: quantity.normalize().to_string(),
            expected_unit_price: price.unit_price.normalize().to_string(),
        })
    }

    /// The categories under `parent` (the roots for `None`), as the server
    /// last listed them, each with how many local products sit in it or
    /// below it: browsing the catalog offline.
    pub fn categories(&self, parent: Option<&str>) -> Result<Vec<LocalCategory>, Error> {
        self.inner.reference.categories(parent)
    }

    /// The local products in category `category_id` or below it, by name,
    /// `limit` of them from `offset`, with the caller's price breaks.
    pub fn products_in_category(
        &self,
        category_id: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ProductEntry>, Error> {
        self.inner
            .reference
            .products_in_category(category_id, offset, limit)
    }

    /// The SKU's stock in each warehouse, as last synced.
    pub fn stock(&self, sku: &str) -> Result<Vec<StockLevel>, Error> {
        self.inner.reference.stock(sku)
    }

    /// The caller's orders as last synced, newest first.
    pub fn orders(&self) -> Result<Vec<Order>, Error> {
        self.inner.reference.orders()
    }

    /// One of the caller's orders by id, as last synced; `None` when the
    /// local copy does not hold it (yet: an order made from the outbox
    /// arrives with the next pull).
    pub fn order(&self, id: &str) -> Result<Option<Order>, Error> {
        self.inner.reference.order(id)
    }

    // --- drafts -----------------------------------------------------------

    /// The documents on this device: create and edit drafts offline; they
    /// sync with every [`Device::sync_now`] (or [`Drafts::live`]).
    pub fn drafts(&self) -> &Drafts {
        &self.inner.drafts
    }
}

impl Inner {
    fn check_open(&self) -> Result<(), Error> {
        if self.signed_out.load(Ordering::SeqCst) {
            return Err(Error::SignedOut);
        }
        Ok(())
    }

    fn announce(&self, event: DeviceEvent) {
        // No listener is fine: the outbox listing keeps outcomes.
        let _ = self.events.send(event);
        self.bump();
    }

    /// A call with the session; on UNAUTHENTICATED, refreshes the session
    /// once (when there is one) and tries again.
    async fn authorized<T, F, Fut>(&self, call: F) -> Result<T, Status>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        match call().await {
            Err(status)
                if status.code() == tonic::Code::Unauthenticated
                    && self.client.tokens().is_some() =>
            {
                match self.client.identity().refresh().await {
                    Ok(_) => call().await,
                    Err(error) => {
                        tracing::info!(%error, "the session could not be refreshed");
                        Err(status)
                    }
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
#[path = "device_tests.rs"]
mod tests;
