//! Sync reports and status as the app sees them: counts as `u64`, times as
//! timestamps.

use std::time::SystemTime;

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

/// What one full sync did.
#[derive(Debug, uniffi::Record)]
pub struct SyncReport {
    pub pull: PullReport,
    pub outbox: FlushReport,
}

impl From<tradeport_mobile::SyncReport> for SyncReport {
    fn from(r: tradeport_mobile::SyncReport) -> Self {
        Self {
            pull: r.pull.into(),
            outbox: r.outbox.into(),
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
    pub last_error: Option<String>,
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
            last_error: s.last_error,
        }
    }
}

/// What signing out did.
#[derive(Debug, uniffi::Record)]
pub struct SignOutReport {
    /// The server ended the session; false when it could not be reached.
    pub logged_out_on_server: bool,
    /// Outbox actions deleted before the server saw them.
    pub discarded_actions: u64,
}

impl From<tradeport_mobile::SignOutReport> for SignOutReport {
    fn from(r: tradeport_mobile::SignOutReport) -> Self {
        Self {
            logged_out_on_server: r.logged_out_on_server,
            discarded_actions: r.discarded_actions as u64,
        }
    }
}
