//! Sync reports and status as the app sees them: counts as `u64`, times as
//! timestamps.

use std::time::SystemTime;

use crate::drafts::Refusal;

/// What one reference-data pull did.
#[derive(Debug, uniffi::Record)]
pub struct PullReport {
    pub pages: u32,
    pub changes: u64,
    /// Changes of kinds this SDK version does not know, skipped.
    pub skipped: u64,
    pub bytes: u64,
    /// The server sent a fresh snapshot; the local copy was replaced.
    pub reset: bool,
}

impl From<tradeport_mobile::PullReport> for PullReport {
    fn from(r: tradeport_mobile::PullReport) -> Self {
        Self {
            pages: r.pages,
            changes: r.changes,
            skipped: r.skipped,
            bytes: r.bytes,
            reset: r.reset,
        }
    }
}

/// What one outbox replay did.
#[derive(Debug, uniffi::Record)]
pub struct FlushReport {
    pub succeeded: u64,
    pub failed: u64,
}

impl From<tradeport_mobile::FlushReport> for FlushReport {
    fn from(r: tradeport_mobile::FlushReport) -> Self {
        Self {
            succeeded: r.succeeded as u64,
            failed: r.failed as u64,
        }
    }
}

/// Where one draft stands after a sync.
#[derive(Debug, uniffi::Enum)]
pub enum DraftOutcome {
    /// The server and this device hold the same draft.
    Synced,
    /// Refused: it stays on the device and is not sent until changed.
    Refused { refusal: Refusal },
    /// Changes still to exchange; the next sync carries on.
    Waiting,
}

/// One draft's outcome in a sync.
#[derive(Debug, uniffi::Record)]
pub struct DraftStatus {
    pub draft_id: String,
    pub outcome: DraftOutcome,
}

impl From<tradeport_mobile::DraftStatus> for DraftStatus {
    fn from(s: tradeport_mobile::DraftStatus) -> Self {
        Self {
            draft_id: s.document_id,
            outcome: match s.outcome {
                tradeport_mobile::DraftOutcome::Synced => DraftOutcome::Synced,
                tradeport_mobile::DraftOutcome::Refused(refusal) => DraftOutcome::Refused {
                    refusal: refusal.into(),
                },
                tradeport_mobile::DraftOutcome::Waiting => DraftOutcome::Waiting,
            },
        }
    }
}

/// What one full sync did.
#[derive(Debug, uniffi::Record)]
pub struct SyncReport {
    pub pull: PullReport,
    pub outbox: FlushReport,
    /// Every draft's outcome: a refused draft is refused alone.
    pub drafts: Vec<DraftStatus>,
}

impl From<tradeport_mobile::SyncReport> for SyncReport {
    fn from(r: tradeport_mobile::SyncReport) -> Self {
        Self {
            pull: r.pull.into(),
            outbox: r.outbox.into(),
            drafts: r.drafts.into_iter().map(Into::into).collect(),
        }
    }
}

/// How far the running pull is; `pages_total` is known on a first pull.
#[derive(Debug, uniffi::Record)]
pub struct PullProgress {
    pub pages_done: u32,
    pub pages_total: Option<u32>,
    pub changes: u64,
    pub bytes: u64,
}

/// What the background sync loop is doing.
#[derive(Debug, uniffi::Enum)]
pub enum BackgroundState {
    Stopped,
    Idle { next_at: SystemTime },
    Syncing,
    Offline { retry_at: SystemTime },
    BackingOff { until: SystemTime, failures: u32 },
}

impl From<tradeport_mobile::BackgroundState> for BackgroundState {
    fn from(s: tradeport_mobile::BackgroundState) -> Self {
        use tradeport_mobile::BackgroundState as B;
        match s {
            B::Stopped => Self::Stopped,
            B::Idle { next_at } => Self::Idle { next_at },
            B::Syncing => Self::Syncing,
            B::Offline { retry_at } => Self::Offline { retry_at },
            B::BackingOff { until, failures } => Self::BackingOff { until, failures },
        }
    }
}

/// Where the device's sync stands.
#[derive(Debug, uniffi::Record)]
pub struct SyncStatus {
    pub pending_actions: u64,
    pub pending_draft_changes: u64,
    pub pending_draft_bytes: u64,
    pub last_synced: Option<SystemTime>,
    pub last_pull: Option<PullReport>,
    /// Products in the local catalog.
    pub products: u64,
    pub syncing: bool,
    /// Drafts refused now (see [`crate::drafts::Drafts::refusal`]).
    pub refused_drafts: u64,
    pub pull: Option<PullProgress>,
    pub background: BackgroundState,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
    /// Its stable code (`OFFLINE`, `DEVICE_CLOCK`, ...), to act on.
    pub last_error_code: Option<String>,
}

impl From<tradeport_mobile::SyncStatus> for SyncStatus {
    fn from(s: tradeport_mobile::SyncStatus) -> Self {
        Self {
            pending_actions: s.pending_actions as u64,
            pending_draft_changes: s.pending_draft_changes as u64,
            pending_draft_bytes: s.pending_draft_bytes,
            last_synced: s.last_synced,
            last_pull: s.last_pull.map(Into::into),
            products: s.products as u64,
            syncing: s.syncing,
            refused_drafts: s.refused_drafts as u64,
            pull: s.pull.map(|p| PullProgress {
                pages_done: p.pages_done,
                pages_total: p.pages_total,
                changes: p.changes,
                bytes: p.bytes,
            }),
            background: s.background.into(),
            last_error_code: s.last_error.as_ref().map(|e| e.code().as_str().to_owned()),
            last_error: s.last_error.map(|e| e.to_string()),
        }
    }
}

/// What signing out did.
#[derive(Debug, uniffi::Record)]
pub struct SignOutReport {
    /// The server ended the session; false when it could not be reached.
    pub logged_out_on_server: bool,
    /// The sign-out waits to reach the server; the SDK retries it when
    /// online.
    pub logout_pending: bool,
    /// Outbox actions deleted before the server saw them.
    pub discarded_actions: u64,
    /// Ids of the drafts deleted with changes the server never had.
    pub discarded_drafts: Vec<String>,
}

impl From<tradeport_mobile::SignOutReport> for SignOutReport {
    fn from(r: tradeport_mobile::SignOutReport) -> Self {
        Self {
            logged_out_on_server: r.logged_out_on_server,
            logout_pending: r.logout_pending,
            discarded_actions: r.discarded_actions.len() as u64,
            discarded_drafts: r.discarded_drafts.into_iter().map(|d| d.draft_id).collect(),
        }
    }
}
