//! Signing out of a device: ending the session, stopping background sync
//! and deleting the local database, so nothing of one person is left for
//! the next user of the device.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Device, joined, lock};
use crate::Error;

/// What signing out did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOutReport {
    /// The server ended the session; false when it could not be reached
    /// (the tokens are forgotten locally all the same).
    pub logged_out_on_server: bool,
    /// Outbox actions deleted before the server saw them.
    pub discarded_actions: usize,
}

impl Device {
    /// Signs the person out of this device: ends the session on the server
    /// (best effort: offline, the tokens are forgotten all the same),
    /// forgets the tokens, stops background sync and deletes the local
    /// database directory with everything in it — pending outbox actions
    /// included (see
    /// [`SyncStatus::pending_actions`](crate::SyncStatus::pending_actions)
    /// to warn first).
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
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(Duration::from_millis(20));
        if !dir.exists() {
            return Ok(());
        }
    }
    Err(std::io::Error::other(format!("{} keeps reappearing", dir.display())).into())
}
