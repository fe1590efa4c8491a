//! Watching the sync status: [`StatusWatch`] yields the status each time
//! it changes, and the live parts of it no database holds — the background
//! loop's state ([`BackgroundState`]) and a running pull's progress
//! ([`PullProgress`]). Whatever changes something the status shows bumps
//! one counter (`Inner::bump`, and the drafts when they write); a watcher
//! wakes on it, reads the status afresh and yields it only if it differs
//! from the last one it yielded.

use std::sync::Weak;
use std::time::SystemTime;

use tokio::sync::watch;

use super::{Device, Inner, SyncStatus};
use crate::Error;

/// What the background sync loop is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackgroundState {
    /// No loop runs (none started, or its handle was dropped).
    #[default]
    Stopped,
    /// Waiting for the next sync, due at `next_at`.
    Idle {
        /// When the next sync starts, by this device's clock.
        next_at: SystemTime,
    },
    /// Syncing now.
    Syncing,
    /// The server could not be reached; the next try is at `retry_at`.
    Offline {
        /// When the next try starts, by this device's clock.
        retry_at: SystemTime,
    },
    /// The last sync failed otherwise (the server busy, a refused
    /// certificate, a session to renew — see `SyncStatus::last_error`);
    /// after `failures` failures in a row, the next try is at `until`.
    BackingOff {
        /// When the next try starts, by this device's clock.
        until: SystemTime,
        /// Syncs failed in a row; the wait grows with it.
        failures: u32,
    },
}

/// How far the running pull of reference data is: on a first pull (a
/// snapshot) `pages_total` is what the server said the snapshot takes, so
/// an app can show a percentage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullProgress {
    /// Pages received and applied so far in this pull.
    pub pages_done: u32,
    /// The snapshot's pages in all, when the server told; `None` for a
    /// pull of changes since the last one.
    pub pages_total: Option<u32>,
    /// Changes applied so far.
    pub changes: u64,
    /// Encoded size of the pages received so far, in bytes.
    pub bytes: u64,
}

impl PullProgress {
    /// Pages done out of the total, 0.0 to 1.0, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.pages_total.filter(|t| *t > 0)?;
        Some((f64::from(self.pages_done) / f64::from(total)).min(1.0))
    }
}

/// The sync status as it changes: see [`Device::watch_status`]. Holds
/// no device: once the device is signed out (or dropped) it ends with
/// [`Error::SignedOut`].
#[derive(Debug)]
pub struct StatusWatch {
    inner: Weak<Inner>,
    changes: watch::Receiver<u64>,
    last: Option<SyncStatus>,
}

impl StatusWatch {
    /// The status now if it differs from the one last returned (the first
    /// call returns it at once), otherwise the next one that does.
    pub async fn changed(&mut self) -> Result<SyncStatus, Error> {
        loop {
            // Marked seen before the read: a change after it wakes us.
            self.changes.borrow_and_update();
            let status = {
                let inner = self.inner.upgrade().ok_or(Error::SignedOut)?;
                inner.check_open()?;
                inner.status()?
            };
            if self.last.as_ref() != Some(&status) {
                self.last = Some(status.clone());
                return Ok(status);
            }
            self.changes.changed().await.map_err(|_| Error::SignedOut)?;
        }
    }
}

impl Device {
    /// The sync status each time it changes (pending work, a sync
    /// starting or ending, pull progress, the background loop's state, the
    /// last error): call [`StatusWatch::changed`] in a loop.
    pub fn watch_status(&self) -> StatusWatch {
        StatusWatch {
            inner: std::sync::Arc::downgrade(&self.inner),
            changes: self.inner.changes.subscribe(),
            last: None,
        }
    }
}

impl Inner {
    /// Tells status watchers that something they show may have changed.
    pub(super) fn bump(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }
}
