//! The background sync loop: [`Device::sync_now`] again and again while
//! the app runs, backing off after failures, stopped by dropping its
//! handle or by signing out. Apart from `sync` because it owns a task and
//! its lifetime, not a step of syncing.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use rand::Rng;

use super::watch::BackgroundState;
use super::{Device, Inner, lock};

impl Device {
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
                inner.show_background(BackgroundState::Syncing);
                let result = inner.sync_now().await;
                let (wait, state): (Duration, fn(SystemTime, u32) -> BackgroundState) = match result
                {
                    Ok(_) => {
                        failures = 0;
                        (interval, |next_at, _| BackgroundState::Idle { next_at })
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let ceiling = policy.backoff_ceiling(failures).min(interval);
                        tracing::debug!(%error, failures, "background sync failed");
                        let wait = rand::rng().random_range(ceiling / 2..=ceiling);
                        if error.is_offline() {
                            (wait, |retry_at, _| BackgroundState::Offline { retry_at })
                        } else {
                            (wait, |until, failures| BackgroundState::BackingOff {
                                until,
                                failures,
                            })
                        }
                    }
                };
                inner.show_background(state(SystemTime::now() + wait, failures));
                drop(inner);
                tokio::time::sleep(wait).await;
            }
        });
        let mut running = lock(&self.inner.background);
        running.retain(|h| !h.is_finished());
        running.push(task.abort_handle());
        BackgroundSync {
            task,
            device: Arc::downgrade(&self.inner),
        }
    }
}

impl Inner {
    fn show_background(&self, state: BackgroundState) {
        lock(&self.progress).background = state;
        self.bump();
    }
}

/// The background sync loop; dropping it stops the loop.
#[derive(Debug)]
pub struct BackgroundSync {
    task: tokio::task::JoinHandle<()>,
    device: Weak<Inner>,
}

impl BackgroundSync {
    /// Whether the loop still runs: it stops by itself once the device is
    /// signed out or dropped.
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(inner) = self.device.upgrade() {
            inner.show_background(BackgroundState::Stopped);
        }
    }
}
