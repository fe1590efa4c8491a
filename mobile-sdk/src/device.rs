//! [`Device`]: what an app holds for one signed-in person on one device —
//! the local database, the read-only reference data with offline search and
//! prices, the outbox, sync status, the background sync loop and signing
//! out. Outcomes reach the app as [`DeviceEvent`]s.
//!
//! It must never show a server decision it did not receive (prices are the
//! server's, taken from the feed; an order exists once the server says so),
//! and never leave one person's data for the next user of the device:
//! [`Device::sign_out`] deletes the local database.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use prost::Message;
use rand::Rng;
use rust_decimal::Decimal;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tonic::Status;
use tradeport_proto::catalog::StockLevel;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{
    ApproveOrderRequest, Order, OrderLineInput, RejectOrderRequest, SubmitOrderRequest,
};
use tradeport_proto::sync::sync_service_client::SyncServiceClient;
use tradeport_proto::sync::{ProductEntry, PullReferenceDataRequest, PullReferenceDataResponse};

use crate::client::{AuthorizedChannel, Retry};
use crate::clock::{now_ms, time_of};
use crate::drafts::Drafts;
use crate::local_db::{DRAFT_SYNC_TREE, DRAFTS_TREE, LocalDb, META_TREE};
use crate::outbox::{ActionFailure, Outbox, OutboxEntry, StoredRequest, is_transient};
use crate::pricing::{Price, price_at};
use crate::reference::ReferenceData;
use crate::search::SearchHit;
use crate::{Client, Error};

/// Events not yet received by a slow listener beyond this are dropped for
/// it (it sees `RecvError::Lagged`); the outbox listing still holds them.
const EVENT_BUFFER: usize = 256;

const LAST_SYNCED: &[u8] = b"last_synced_ms";
const LAST_PULL: &[u8] = b"last_pull";

/// What happened, for the app to show. More kinds may come (draft sync):
/// match with a wildcard arm.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeviceEvent {
    /// The server accepted a queued action; `order` is its answer.
    ActionSucceeded {
        request_id: String,
        order: Box<Order>,
    },
    /// The server refused a queued action for good; it left the queue.
    ActionFailed {
        request_id: String,
        failure: ActionFailure,
    },
    /// A page of reference data was applied (the catalog, prices, stock
    /// or orders shown may have changed).
    ReferenceDataUpdated { changes: u64, reset: bool },
}

/// What one pull of the reference-data feed brought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullReport {
    pub pages: u32,
    pub changes: u64,
    /// Changes of kinds this SDK does not know, skipped.
    pub skipped: u64,
    /// Encoded size of the pages received.
    pub bytes: u64,
    /// The local copy was dropped and replaced by a new snapshot.
    pub reset: bool,
}

/// What one replay of the outbox did. Outcomes also come as events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub succeeded: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pull: PullReport,
    pub outbox: FlushReport,
}

/// What the app shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Outbox actions not yet answered by the server.
    pub pending_actions: usize,
    /// Local draft changes the server does not hold yet.
    pub pending_draft_changes: usize,
    /// At most this many bytes of those drafts go up with the next sync.
    pub pending_draft_bytes: u64,
    /// When a sync last completed without an error.
    pub last_synced: Option<SystemTime>,
    /// The last completed pull of reference data.
    pub last_pull: Option<PullReport>,
    /// Products in the local catalog.
    pub products: usize,
    /// A sync is running now.
    pub syncing: bool,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
}

/// What signing out did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOutReport {
    /// The server ended the session; false when it could not be reached
    /// (the tokens are forgotten locally all the same).
    pub logged_out_on_server: bool,
    /// Outbox actions deleted before the server saw them.
    pub discarded_actions: usize,
}

// The last pull's figures as stored in the meta tree.
#[derive(Clone, PartialEq, prost::Message)]
struct StoredPull {
    #[prost(uint32, tag = "1")]
    pages: u32,
    #[prost(uint64, tag = "2")]
    changes: u64,
    #[prost(uint64, tag = "3")]
    skipped: u64,
    #[prost(uint64, tag = "4")]
    bytes: u64,
    #[prost(bool, tag = "5")]
    reset: bool,
}

#[derive(Debug, Default)]
struct Progress {
    running: usize,
    last_error: Option<String>,
}

/// Counts a sync as running until dropped, also when its task is aborted.
struct Running<'a>(&'a Mutex<Progress>);

impl<'a> Running<'a> {
    fn start(progress: &'a Mutex<Progress>) -> Self {
        lock(progress).running += 1;
        Self(progress)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut progress = lock(self.0);
        progress.running = progress.running.saturating_sub(1);
    }
}

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
}

/// The SDK's offline state for one signed-in person on one device. Not
/// `Clone`: share it behind an `Arc`; signing out takes it back.
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
    r.map_err(|e| Error::Io(std::io::Error::other(format!("a local task failed: {e}"))))?
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
        let drafts = Drafts::new(
            local.tree(DRAFTS_TREE)?,
            local.tree(DRAFT_SYNC_TREE)?,
            peer_id(&meta)?,
        );
        let (events, _) = broadcast::channel(EVENT_BUFFER);
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
            }),
        })
    }

    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Outcomes of queued actions and reference-data updates from now on.
    pub fn events(&self) -> broadcast::Receiver<DeviceEvent> {
        self.inner.events.subscribe()
    }

    // --- reference data ---------------------------------------------------

    /// Pulls the reference-data feed from the stored cursor until the
    /// server says the copy is up to date, applying each page with its
    /// cursor atomically. Safe to interrupt at any point.
    pub async fn pull_reference_data(&self) -> Result<PullReport, Error> {
        self.inner.pull().await
    }

    /// Applies one page as the pull loop does. For tools and benchmarks
    /// that feed pages from elsewhere; apps use
    /// [`Device::pull_reference_data`].
    #[doc(hidden)]
    pub fn apply_reference_page(&self, page: &PullReferenceDataResponse) -> Result<u64, Error> {
        self.inner.check_open()?;
        let applied = self.inner.reference.apply_page(&self.inner.local, page)?;
        Ok(applied.changes)
    }

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

    /// The SKU's stock in each warehouse, as last synced.
    pub fn stock(&self, sku: &str) -> Result<Vec<StockLevel>, Error> {
        self.inner.reference.stock(sku)
    }

    /// The caller's orders as last synced, newest first.
    pub fn orders(&self) -> Result<Vec<Order>, Error> {
        self.inner.reference.orders()
    }

    pub fn order(&self, id: &str) -> Result<Option<Order>, Error> {
        self.inner.reference.order(id)
    }

    // --- drafts -----------------------------------------------------------

    /// The documents on this device: create and edit drafts offline; they
    /// sync with every [`Device::sync_now`] (or [`Drafts::live`]).
    pub fn drafts(&self) -> &Drafts {
        &self.inner.drafts
    }

    /// Queues the submission of a draft as an order. The lines go with the
    /// prices this device shows for them, so the server refuses (as an
    /// [`DeviceEvent::ActionFailed`]) if the draft or a price changed since
    /// the person confirmed it; the server orders its own copy of the
    /// draft, which by then holds every device's changes.
    pub fn queue_submit_draft(&self, draft_id: &str) -> Result<String, Error> {
        let draft = self.inner.drafts.open(draft_id)?;
        let lines = draft.lines().map_err(|e| Error::InvalidArgument {
            field: "draft_id",
            reason: e.to_string(),
        })?;
        let lines = lines
            .into_iter()
            .map(|line| {
                // A product the local copy cannot price goes without an
                // expectation; the server prices it anyway.
                self.order_line(&line.sku, line.quantity).or_else(|_| {
                    Ok::<_, Error>(OrderLineInput {
                        sku: line.sku,
                        quantity: line.quantity.normalize().to_string(),
                        expected_unit_price: String::new(),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.queue_submit_order(SubmitOrderRequest {
            draft_id: draft_id.to_owned(),
            lines,
            ..Default::default()
        })
    }

    // --- outbox -----------------------------------------------------------

    /// Queues an order submission, durably, and returns its request id: the
    /// one in `request` if set (e.g. derived from a draft, so that two
    /// devices submitting one draft make one order), otherwise a new UUID.
    /// Set `expected_unit_price` on the lines (see [`Device::order_line`])
    /// and `expected_total` to what the person saw.
    pub fn queue_submit_order(&self, mut request: SubmitOrderRequest) -> Result<String, Error> {
        if request.lines.is_empty() && request.lines_text.trim().is_empty() {
            return Err(Error::InvalidArgument {
                field: "lines",
                reason: "an order needs lines or lines_text".into(),
            });
        }
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::SubmitOrder(request))
    }

    /// Queues the approval of an order's current step.
    pub fn queue_approve_order(&self, order_id: &str, comment: &str) -> Result<String, Error> {
        let mut request = ApproveOrderRequest {
            id: non_empty("order_id", order_id)?,
            comment: comment.to_string(),
            request_id: String::new(),
        };
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::ApproveOrder(request))
    }

    /// Queues the rejection of an order; the reason is required.
    pub fn queue_reject_order(&self, order_id: &str, comment: &str) -> Result<String, Error> {
        let mut request = RejectOrderRequest {
            id: non_empty("order_id", order_id)?,
            comment: non_empty("comment", comment)?,
            request_id: String::new(),
        };
        fill_request_id(&mut request.request_id);
        self.inner.enqueue(StoredRequest::RejectOrder(request))
    }

    /// Sends the pending actions in order, one at a time. An action the
    /// server answers leaves the queue (with an event); a failure that says
    /// nothing about the action (offline, server restarting, session
    /// expired) stops the replay with that error and keeps the action and
    /// those after it for next time.
    pub async fn flush_outbox(&self) -> Result<FlushReport, Error> {
        self.inner.flush_outbox().await
    }

    /// Every action kept: pending ones and the last finished ones with
    /// their outcome, in queue order. Survives restarts.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.outbox.entries()
    }

    // --- sync -------------------------------------------------------------

    pub fn status(&self) -> Result<SyncStatus, Error> {
        let inner = &self.inner;
        let last_synced = inner
            .meta
            .get(LAST_SYNCED)?
            .and_then(|raw| <[u8; 8]>::try_from(raw.as_ref()).ok())
            .map(|b| time_of(u64::from_be_bytes(b)));
        let last_pull = match inner.meta.get(LAST_PULL)? {
            Some(raw) => {
                let p = StoredPull::decode(raw.as_ref()).map_err(|e| Error::Corrupt {
                    what: "the last pull's figures".into(),
                    reason: e.to_string(),
                })?;
                Some(PullReport {
                    pages: p.pages,
                    changes: p.changes,
                    skipped: p.skipped,
                    bytes: p.bytes,
                    reset: p.reset,
                })
            }
            None => None,
        };
        let to_send = inner.pending_draft_changes()?;
        let progress = lock(&inner.progress);
        Ok(SyncStatus {
            pending_actions: inner.outbox.pending_count()?,
            pending_draft_changes: to_send.documents,
            pending_draft_bytes: to_send.bytes,
            last_synced,
            last_pull,
            products: inner.reference.product_count(),
            syncing: progress.running > 0,
            last_error: progress.last_error.clone(),
        })
    }

    /// One full sync: drafts, then the outbox, then reference data (which
    /// then brings the orders the outbox made). Every step runs even when
    /// an earlier one failed; the first error is returned.
    pub async fn sync_now(&self) -> Result<SyncReport, Error> {
        self.inner.sync_now().await
    }

    /// Runs [`Device::sync_now`] every `interval` until the returned handle
    /// is dropped; after a failure it waits with the client's retry
    /// backoff instead (jittered, doubling, at most the interval).
    /// Call it inside a Tokio runtime.
    pub fn spawn_background(&self, interval: Duration) -> BackgroundSync {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let policy = self.inner.client.config.retry.clone();
        let task = tokio::spawn(async move {
            let mut failures: u32 = 0;
            loop {
                let Some(inner) = weak.upgrade() else { break };
                if inner.signed_out.load(Ordering::SeqCst) {
                    break;
                }
                let result = inner.sync_now().await;
                drop(inner);
                let wait = match result {
                    Ok(_) => {
                        failures = 0;
                        interval
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let ceiling = policy.backoff_ceiling(failures).min(interval);
                        tracing::debug!(%error, failures, "background sync failed");
                        rand::rng().random_range(ceiling / 2..=ceiling)
                    }
                };
                tokio::time::sleep(wait).await;
            }
        });
        let mut running = lock(&self.inner.background);
        running.retain(|h| !h.is_finished());
        running.push(task.abort_handle());
        BackgroundSync { task }
    }

    // --- sign-out ---------------------------------------------------------

    /// Signs the person out of this device: ends the session on the server
    /// (best effort: offline, the tokens are forgotten all the same),
    /// forgets the tokens, stops background sync and deletes the local
    /// database directory with everything in it — pending outbox actions
    /// included (see [`SyncStatus::pending_actions`] to warn first).
    pub async fn sign_out(self) -> Result<SignOutReport, Error> {
        let inner = self.inner;
        inner.signed_out.store(true, Ordering::SeqCst);
        for task in lock(&inner.background).drain(..) {
            task.abort();
        }
        let mut report = SignOutReport {
            discarded_actions: inner.outbox.pending_count().unwrap_or(0),
            ..Default::default()
        };
        if inner.client.tokens().is_some() {
            match inner.client.identity().logout().await {
                Ok(()) => report.logged_out_on_server = true,
                Err(status) => tracing::info!(%status, "logout not confirmed by the server"),
            }
        }
        inner.client.clear_tokens();

        // Aborted background runs and blocking writes let go shortly.
        let mut inner = inner;
        let inner = loop {
            match Arc::try_unwrap(inner) {
                Ok(inner) => break inner,
                Err(shared) => {
                    inner = shared;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        let dir = inner.local.dir().to_path_buf();
        joined(
            tokio::task::spawn_blocking(move || {
                // Closes the database (flushing it) before its files go.
                drop(inner);
                remove_dir(&dir)
            })
            .await,
        )?;
        Ok(report)
    }
}

/// Deletes `dir`, again if a closing thread of sled's wrote into it late.
fn remove_dir(dir: &Path) -> Result<(), Error> {
    for _ in 0..20 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Io(e)),
        }
        std::thread::sleep(Duration::from_millis(20));
        if !dir.exists() {
            return Ok(());
        }
    }
    Err(Error::Io(std::io::Error::other(format!(
        "{} keeps reappearing",
        dir.display()
    ))))
}

fn fill_request_id(request_id: &mut String) {
    if request_id.trim().is_empty() {
        *request_id = uuid::Uuid::new_v4().to_string();
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument {
            field,
            reason: "required".into(),
        });
    }
    Ok(value.to_string())
}

/// The background sync loop; dropping it stops the loop.
#[derive(Debug)]
pub struct BackgroundSync {
    task: tokio::task::JoinHandle<()>,
}

impl BackgroundSync {
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Inner {
    fn check_open(&self) -> Result<(), Error> {
        if self.signed_out.load(Ordering::SeqCst) {
            return Err(Error::SignedOut);
        }
        Ok(())
    }

    fn enqueue(&self, request: StoredRequest) -> Result<String, Error> {
        self.check_open()?;
        let request_id = request.request_id().to_string();
        self.outbox.enqueue(&self.local, request)?;
        Ok(request_id)
    }

    fn announce(&self, event: DeviceEvent) {
        // No listener is fine: the outbox listing keeps outcomes.
        let _ = self.events.send(event);
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

    async fn pull(self: &Arc<Self>) -> Result<PullReport, Error> {
        self.check_open()?;
        let _one = self.pulling.lock().await;
        let mut report = PullReport::default();
        loop {
            let cursor = self.reference.cursor()?;
            let request = PullReferenceDataRequest {
                cursor: cursor.clone(),
                page_size: 0,
            };
            let page = self
                .authorized(|| {
                    self.client.config.call(
                        Retry::Safe,
                        &self.sync,
                        request.clone(),
                        |mut c, r| async move { c.pull_reference_data(r).await },
                    )
                })
                .await?;
            self.check_open()?;
            report.pages += 1;
            report.bytes += page.encoded_len() as u64;
            report.reset |= page.reset;
            let done = page.up_to_date;
            let stuck = page.changes.is_empty() && !page.reset && page.next_cursor == cursor;
            let me = Arc::clone(self);
            let (applied, reset) = joined(
                tokio::task::spawn_blocking(move || {
                    me.reference
                        .apply_page(&me.local, &page)
                        .map(|a| (a, page.reset))
                })
                .await,
            )?;
            report.changes += applied.changes;
            report.skipped += applied.skipped;
            if applied.changes > 0 || reset {
                self.announce(DeviceEvent::ReferenceDataUpdated {
                    changes: applied.changes,
                    reset,
                });
            }
            // An empty page that does not move the cursor would repeat
            // for ever: take it as the end for now.
            if done || stuck {
                break;
            }
        }
        let stored = StoredPull {
            pages: report.pages,
            changes: report.changes,
            skipped: report.skipped,
            bytes: report.bytes,
            reset: report.reset,
        };
        self.meta.insert(LAST_PULL, stored.encode_to_vec())?;
        Ok(report)
    }

    async fn send(&self, request: &StoredRequest) -> Result<Order, Status> {
        let config = &self.client.config;
        let order = match request {
            StoredRequest::SubmitOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.submit_order(r).await },
                    )
                    .await?
                    .order
            }
            StoredRequest::ApproveOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.approve_order(r).await },
                    )
                    .await?
                    .order
            }
            StoredRequest::RejectOrder(r) => {
                config
                    .call(
                        Retry::Never,
                        &self.orders,
                        r.clone(),
                        |mut c, r| async move { c.reject_order(r).await },
                    )
                    .await?
                    .order
            }
        };
        order.ok_or_else(|| Status::internal("the server answered without the order"))
    }

    async fn flush_outbox(&self) -> Result<FlushReport, Error> {
        self.check_open()?;
        let _one = self.replaying.lock().await;
        let mut report = FlushReport::default();
        while let Some((seq, mut action)) = self.outbox.next_pending()? {
            self.check_open()?;
            let Some(request) = action.request.clone() else {
                let failure = self.outbox.fail_unsendable(&self.local, seq, action)?;
                report.failed += 1;
                self.announce(DeviceEvent::ActionFailed {
                    request_id: String::new(),
                    failure,
                });
                continue;
            };
            let request_id = request.request_id().to_string();
            self.outbox.count_attempt(seq, &mut action)?;
            match self.authorized(|| self.send(&request)).await {
                Ok(order) => {
                    self.outbox
                        .succeed(&self.local, seq, action, order.clone())?;
                    self.reference.remember_order(&order)?;
                    report.succeeded += 1;
                    self.announce(DeviceEvent::ActionSucceeded {
                        request_id,
                        order: Box::new(order),
                    });
                }
                Err(status) if is_transient(&status) => {
                    tracing::debug!(%status, request_id, "outbox replay stopped; the action stays");
                    return Err(Error::Status(status));
                }
                Err(status) => {
                    let failure = self.outbox.fail(&self.local, seq, action, &status)?;
                    report.failed += 1;
                    self.announce(DeviceEvent::ActionFailed {
                        request_id,
                        failure,
                    });
                }
            }
        }
        Ok(report)
    }

    // --- draft sync hooks (drafts.rs fills these) -------------------------

    /// Local draft changes the server does not hold yet.
    fn pending_draft_changes(&self) -> Result<crate::drafts::ToSend, Error> {
        self.drafts.to_send()
    }

    /// Fetches the account's drafts this device does not hold and
    /// exchanges every draft with the server; runs first in
    /// [`Inner::sync_now`], so a submission queued from a draft finds the
    /// draft on the server.
    async fn sync_drafts(self: &Arc<Self>) -> Result<(), Error> {
        self.drafts.discover(&self.client).await?;
        self.drafts.sync(&self.client).await?;
        Ok(())
    }

    async fn sync_now(self: &Arc<Self>) -> Result<SyncReport, Error> {
        self.check_open()?;
        let running = Running::start(&self.progress);
        let drafts = self.sync_drafts().await;
        let outbox = self.flush_outbox().await;
        let pull = self.pull().await;
        drop(running);
        let mut progress = lock(&self.progress);
        let result = match (drafts, outbox, pull) {
            (Ok(()), Ok(outbox), Ok(pull)) => Ok(SyncReport { pull, outbox }),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        };
        match &result {
            Ok(_) => {
                progress.last_error = None;
                drop(progress);
                self.meta.insert(LAST_SYNCED, &now_ms().to_be_bytes())?;
            }
            Err(e) => progress.last_error = Some(e.to_string()),
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ClientConfig;
    use crate::outbox::ActionState;
    use std::str::FromStr;
    use tradeport_proto::catalog::Product;
    use tradeport_proto::common::Money;
    use tradeport_proto::identity::SessionTokens;
    use tradeport_proto::sync::{PriceBreak, ReferenceChange, reference_change};

    /// A client for a server that is not there: every call fails as it
    /// does offline.
    fn offline() -> Client {
        let mut config = ClientConfig::new("http://127.0.0.1:9");
        config.connect_timeout = Duration::from_millis(200);
        config.retry.max_attempts = 1;
        Client::connect_lazy(config).unwrap()
    }

    fn catalog_page() -> PullReferenceDataResponse {
        let product = |id: &str, sku: &str, name: &str| ReferenceChange {
            change: Some(reference_change::Change::Product(ProductEntry {
                product: Some(Product {
                    id: id.into(),
                    sku: sku.into(),
                    name: name.into(),
                    ..Default::default()
                }),
                price_breaks: [("1", "10.00"), ("10", "9.50")]
                    .iter()
                    .map(|(min, amount)| PriceBreak {
                        min_quantity: (*min).into(),
                        unit_price: Some(Money {
                            currency_code: "EUR".into(),
                            amount: (*amount).into(),
                        }),
                    })
                    .collect(),
            })),
        };
        PullReferenceDataResponse {
            changes: vec![
                product("p1", "TP-1", "Brass valve"),
                product("p2", "TP-2", "Brass fitting"),
            ],
            next_cursor: "c1".into(),
            up_to_date: true,
            reset: false,
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[tokio::test]
    async fn search_price_and_lines_come_from_the_local_copy() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path(), offline()).unwrap();
        device.apply_reference_page(&catalog_page()).unwrap();
        let hits: Vec<String> = device
            .search("brass", 10)
            .into_iter()
            .map(|h| h.sku)
            .collect();
        assert_eq!(hits, ["TP-2", "TP-1"]);
        assert_eq!(
            device.price("TP-1", d("12")).unwrap().unwrap().line_total,
            d("114.00")
        );
        assert_eq!(device.price("NOPE", d("1")).unwrap(), None);
        let line = device.order_line("tp-1", d("10")).unwrap();
        assert_eq!(
            (
                line.sku.as_str(),
                line.quantity.as_str(),
                line.expected_unit_price.as_str()
            ),
            ("TP-1", "10", "9.5")
        );
        assert!(matches!(
            device.order_line("NOPE", d("1")),
            Err(Error::InvalidArgument { field: "sku", .. })
        ));
        assert_eq!(device.status().unwrap().products, 2);
    }

    #[tokio::test]
    async fn queued_actions_stay_pending_in_order_offline_and_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let ids = {
            let device = Device::open(dir.path(), offline()).unwrap();
            let submit = device
                .queue_submit_order(SubmitOrderRequest {
                    lines: vec![OrderLineInput {
                        sku: "TP-1".into(),
                        quantity: "1".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .unwrap();
            let approve = device.queue_approve_order("ord-1", "fine").unwrap();
            let reject = device.queue_reject_order("ord-2", "too much").unwrap();
            assert!(uuid::Uuid::parse_str(&submit).is_ok(), "{submit}");
            assert!(matches!(
                device.queue_reject_order("ord-2", " "),
                Err(Error::InvalidArgument {
                    field: "comment",
                    ..
                })
            ));
            assert!(matches!(
                device.queue_submit_order(SubmitOrderRequest::default()),
                Err(Error::InvalidArgument { field: "lines", .. })
            ));

            let err = device.flush_outbox().await.unwrap_err();
            assert!(
                matches!(&err, Error::Status(s) if s.code() == tonic::Code::Unavailable),
                "{err:?}"
            );
            let status = device.status().unwrap();
            assert_eq!(status.pending_actions, 3);
            let err = device.sync_now().await.unwrap_err();
            assert!(matches!(err, Error::Status(_)), "{err:?}");
            assert!(device.status().unwrap().last_error.is_some());
            vec![submit, approve, reject]
        };
        let device = Device::open(dir.path(), offline()).unwrap();
        let entries = device.outbox().unwrap();
        let listed: Vec<String> = entries.iter().map(|e| e.request_id.clone()).collect();
        assert_eq!(listed, ids);
        // Only the first was tried: the replay stops at the first failure.
        assert_eq!(entries[0].state, ActionState::Pending { attempts: 2 });
        assert_eq!(entries[1].state, ActionState::Pending { attempts: 0 });
        assert!(matches!(&entries[1].action, crate::Action::ApproveOrder(r) if r.id == "ord-1"));
        assert_eq!(device.status().unwrap().last_synced, None);
    }

    #[tokio::test]
    async fn a_request_id_given_by_the_app_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path(), offline()).unwrap();
        let id = device
            .queue_submit_order(SubmitOrderRequest {
                request_id: "draft-42-submit".into(),
                lines_text: "TP-1;2".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(id, "draft-42-submit");
    }

    #[tokio::test]
    async fn signing_out_deletes_the_local_database_and_forgets_the_tokens() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("device");
        let client = offline();
        client.set_tokens(SessionTokens {
            access_token: "tpa_x".into(),
            refresh_token: "tpr_x".into(),
            ..Default::default()
        });
        let device = Device::open(&dir, client.clone()).unwrap();
        device.apply_reference_page(&catalog_page()).unwrap();
        device.queue_approve_order("ord-1", "").unwrap();
        let background = device.spawn_background(Duration::from_millis(5));
        assert!(std::fs::read_dir(&dir).unwrap().count() > 0);

        let report = device.sign_out().await.unwrap();
        assert!(!report.logged_out_on_server, "the server is unreachable");
        assert_eq!(report.discarded_actions, 1);
        assert!(!dir.exists(), "the database directory is gone");
        assert_eq!(client.tokens(), None);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!background.is_running(), "background sync stopped");
        assert!(!dir.exists(), "nothing wrote it back");

        let again = Device::open(&dir, offline()).unwrap();
        assert!(again.search("brass", 10).is_empty());
        assert_eq!(again.product("TP-1").unwrap(), None);
        assert!(again.outbox().unwrap().is_empty());
        assert_eq!(again.status().unwrap(), SyncStatus::default());
    }

    #[tokio::test]
    async fn background_sync_backs_off_and_stops_when_its_handle_drops() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path(), offline()).unwrap();
        let background = device.spawn_background(Duration::from_millis(20));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(device.status().unwrap().last_error.is_some());
        assert!(background.is_running());
        drop(background);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let status = device.status().unwrap();
        assert!(!status.syncing, "{status:?}");
    }
}
