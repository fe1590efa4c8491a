//! One full sync — drafts, then the outbox, then reference data — and the
//! status the app shows about syncing: what waits to go up, when a sync
//! last completed, whether one runs now and why the last one failed.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::pull::PullReport;
use super::replay::FlushReport;
use super::watch::{BackgroundState, PullProgress};
use super::{Device, Inner, lock};
use crate::Error;
use crate::clock::{now_ms, time_of};
use crate::drafts::{DraftOutcome, DraftStatus, ToSend};

const LAST_SYNCED: &[u8] = b"last_synced_ms";

/// What one full sync did. A sync that reached the server returns its
/// report even when some drafts were refused: those are named in
/// `drafts` with why, and every other draft synced — check
/// [`SyncReport::all_synced`] (or [`SyncReport::refused`]) before telling
/// the person everything is up to date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// What the reference-data pull brought.
    pub pull: PullReport,
    /// What the outbox replay sent: actions done and actions refused.
    pub outbox: FlushReport,
    /// Every draft's outcome, in id order.
    pub drafts: Vec<DraftStatus>,
}

impl SyncReport {
    /// The drafts refused (by the server, or here), each with why.
    pub fn refused(&self) -> Vec<DraftStatus> {
        self.drafts
            .iter()
            .filter(|d| matches!(d.outcome, DraftOutcome::Refused(_)))
            .cloned()
            .collect()
    }

    /// Every draft synced (none refused, none waiting) and no outbox
    /// action failed.
    pub fn all_synced(&self) -> bool {
        self.outbox.failed == 0
            && self
                .drafts
                .iter()
                .all(|d| d.outcome == DraftOutcome::Synced)
    }
}

/// What the app shows about sync.
#[derive(Debug, Clone, Default)]
pub struct SyncStatus {
    /// Outbox actions not yet answered by the server.
    pub pending_actions: usize,
    /// Local draft changes the server does not hold yet.
    pub pending_draft_changes: usize,
    /// Drafts refused (see [`Drafts::refusal`](crate::Drafts::refusal)):
    /// they do not sync until the person changes them.
    pub refused_drafts: usize,
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
    /// How far the running pull of reference data is, while one runs.
    pub pull: Option<PullProgress>,
    /// What the background sync loop is doing.
    pub background: BackgroundState,
    /// Why the last sync failed, if it did.
    pub last_error: Option<Error>,
}

impl PartialEq for SyncStatus {
    /// Errors compare by code and text: two failures that read the same
    /// are the same status to show.
    fn eq(&self, other: &Self) -> bool {
        let error = |s: &Self| s.last_error.as_ref().map(|e| (e.code(), e.to_string()));
        self.pending_actions == other.pending_actions
            && self.pending_draft_changes == other.pending_draft_changes
            && self.refused_drafts == other.refused_drafts
            && self.pending_draft_bytes == other.pending_draft_bytes
            && self.last_synced == other.last_synced
            && self.last_pull == other.last_pull
            && self.products == other.products
            && self.syncing == other.syncing
            && self.pull == other.pull
            && self.background == other.background
            && error(self) == error(other)
    }
}

impl Eq for SyncStatus {}

/// Whether syncs run now, and how the last one ended.
#[derive(Debug, Default)]
pub(super) struct Progress {
    running: usize,
    last_error: Option<Error>,
    pub(super) pull: Option<PullProgress>,
    pub(super) background: BackgroundState,
}

/// Bumps the status watchers when dropped: after the status is settled.
struct Bump<'a>(&'a Inner);

impl Drop for Bump<'_> {
    fn drop(&mut self) {
        self.0.bump();
    }
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

impl Device {
    /// What the app shows about sync, from the local database and what
    /// runs now. [`Device::watch_status`] yields it as it changes.
    pub fn status(&self) -> Result<SyncStatus, Error> {
        self.inner.status()
    }

    /// One full sync: drafts, then the outbox, then reference data (which
    /// then brings the orders the outbox made). Every step runs even when
    /// an earlier one failed; the first error is returned. A draft refused
    /// is not an error of the sync: it is named in the report's `drafts`
    /// with why, and every other draft syncs.
    pub async fn sync_now(&self) -> Result<SyncReport, Error> {
        self.inner.sync_now().await
    }
}

impl Inner {
    pub(super) fn status(&self) -> Result<SyncStatus, Error> {
        let inner = self;
        let last_synced = inner
            .meta
            .get(LAST_SYNCED)?
            .and_then(|raw| <[u8; 8]>::try_from(raw.as_ref()).ok())
            .map(|b| time_of(u64::from_be_bytes(b)));
        let last_pull = inner.last_pull()?;
        let to_send = inner.pending_draft_changes()?;
        let progress = lock(&inner.progress);
        Ok(SyncStatus {
            pending_actions: inner.outbox.pending_count()?,
            pending_draft_changes: to_send.documents,
            refused_drafts: inner.drafts.refused_count()?,
            pending_draft_bytes: to_send.bytes,
            last_synced,
            last_pull,
            products: inner.reference.product_count(),
            syncing: progress.running > 0,
            pull: progress.pull,
            background: progress.background,
            last_error: progress.last_error.clone(),
        })
    }

    /// Local draft changes the server does not hold yet.
    fn pending_draft_changes(&self) -> Result<ToSend, Error> {
        self.drafts.to_send()
    }

    /// Fetches the account's drafts this device does not hold and
    /// exchanges every draft with the server; runs first in
    /// [`Inner::sync_now`], so a submission queued from a draft finds the
    /// draft on the server.
    async fn sync_drafts(self: &Arc<Self>) -> Result<Vec<DraftStatus>, Error> {
        self.drafts.discover(&self.client).await?;
        Ok(self.drafts.sync(&self.client).await?.outcomes)
    }

    pub(super) async fn sync_now(self: &Arc<Self>) -> Result<SyncReport, Error> {
        self.check_open()?;
        let running = Running::start(&self.progress);
        self.bump();
        // An earlier offline sign-out on this client is sent first.
        if self.client.pending_logouts() > 0
            && let Err(error) = self.client.identity().retry_logouts().await
        {
            tracing::warn!(%error, "pending sign-outs could not be sent");
        }
        let drafts = self.sync_drafts().await;
        let outbox = self.flush_outbox().await;
        let pull = self.pull().await;
        drop(running);
        // Whatever the outcome, watchers see the sync end.
        let _ended = Bump(self);
        let mut progress = lock(&self.progress);
        let result = match (drafts, outbox, pull) {
            (Ok(drafts), Ok(outbox), Ok(pull)) => Ok(SyncReport {
                pull,
                outbox,
                drafts,
            }),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        };
        match &result {
            Ok(_) => {
                progress.last_error = None;
                drop(progress);
                self.meta.insert(LAST_SYNCED, &now_ms().to_be_bytes())?;
            }
            Err(e) => progress.last_error = Some(e.clone()),
        }
        result
    }
}
