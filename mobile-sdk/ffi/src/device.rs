//! [`Device`]: one signed-in person's offline state on this device — the
//! reference-data pull, a full sync, status, background sync and signing
//! out. Local reads, drafts, the outbox and events are in their own
//! modules, as further methods of the same object.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::error::TradeportError;
use crate::runtime;
use crate::status::{PullReport, SignOutReport, SyncReport, SyncStatus};

/// The SDK's offline state for one signed-in person on one device, from
/// [`crate::Client::open_device`]. After [`Device::sign_out`] every call
/// fails with [`TradeportError::SignedOut`].
#[derive(uniffi::Object)]
pub struct Device {
    /// Shared with the calls in flight; signing out takes it back once
    /// they have ended.
    inner: RwLock<Option<Arc<tradeport_mobile::Device>>>,
}

impl Device {
    pub(crate) fn new(device: tradeport_mobile::Device) -> Self {
        Self {
            inner: RwLock::new(Some(Arc::new(device))),
        }
    }

    /// The SDK's device, unless signed out.
    pub(crate) fn sdk(&self) -> Result<Arc<tradeport_mobile::Device>, TradeportError> {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(TradeportError::SignedOut)
    }
}

#[uniffi::export]
impl Device {
    /// Pulls what changed in the reference data (catalog at the person's
    /// prices, stock, orders) since the last pull.
    pub async fn pull(&self) -> Result<PullReport, TradeportError> {
        let device = self.sdk()?;
        runtime::run(async move { Ok(device.pull_reference_data().await?.into()) }).await
    }

    /// One full sync: drafts, the outbox, then the reference data.
    pub async fn sync_now(&self) -> Result<SyncReport, TradeportError> {
        let device = self.sdk()?;
        runtime::run(async move { Ok(device.sync_now().await?.into()) }).await
    }

    /// What is waiting to be synced, and how the last sync went.
    pub fn status(&self) -> Result<SyncStatus, TradeportError> {
        Ok(self.sdk()?.status()?.into())
    }

    /// Syncs every `interval_ms` until the returned handle is stopped or
    /// dropped, backing off after failures.
    pub fn start_background_sync(
        &self,
        interval_ms: u64,
    ) -> Result<Arc<BackgroundSync>, TradeportError> {
        let device = self.sdk()?;
        let _runtime = runtime::enter();
        let running = device.spawn_background(Duration::from_millis(interval_ms));
        Ok(Arc::new(BackgroundSync {
            running: Mutex::new(Some(running)),
        }))
    }

    /// Signs the person out: ends the session on the server (offline, the
    /// tokens are forgotten all the same), stops background sync and
    /// deletes the local database with everything in it.
    pub async fn sign_out(&self) -> Result<SignOutReport, TradeportError> {
        let taken = self
            .inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or(TradeportError::SignedOut)?;
        runtime::run(async move {
            // Calls still in flight hold the device; they end on their own.
            let mut shared = taken;
            let device = loop {
                match Arc::try_unwrap(shared) {
                    Ok(device) => break device,
                    Err(still_shared) => {
                        shared = still_shared;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            };
            Ok(device.sign_out().await?.into())
        })
        .await
    }
}

/// Background sync started by [`Device::start_background_sync`].
#[derive(uniffi::Object)]
pub struct BackgroundSync {
    running: Mutex<Option<tradeport_mobile::BackgroundSync>>,
}

#[uniffi::export]
impl BackgroundSync {
    /// Stops syncing in the background.
    pub fn stop(&self) {
        let _runtime = runtime::enter();
        drop(
            self.running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// Whether the loop is still running.
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(tradeport_mobile::BackgroundSync::is_running)
    }
}
