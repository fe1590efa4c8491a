//! Signing out of a device: ending the session, stopping background sync
//! and deleting the local database, so nothing of one person is left for
//! the next user of the device.
//!
//! Offline, the session cannot be ended on the server at once: its Logout
//! is kept with the client's credentials (in the app's `SessionStore` when
//! there is one), outside the database this deletes, and sent again when
//! the device is next online (see `IdentityClient::retry_logouts`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Device, joined, lock};
use crate::drafts::UnsyncedDraft;
use crate::{Error, OutboxEntry};

/// What signing out did, and what it deleted that the server never got.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignOutReport {
    /// The server ended the session.
    pub logged_out_on_server: bool,
    /// The server could not be reached: the session's Logout is kept and
    /// sent again when the client is next online (next sync or sign-in, or
    /// `client.identity().retry_logouts()`). The tokens are forgotten as
    /// the current session all the same.
    pub logout_pending: bool,
    /// Outbox actions deleted before the server answered them.
    pub discarded_actions: Vec<OutboxEntry>,
    /// Drafts deleted with changes the server did not hold yet.
    pub discarded_drafts: Vec<UnsyncedDraft>,
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
            // What cannot be read is deleted all the same: the person asked.
            discarded_actions: inner
                .outbox
                .entries()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| matches!(e.state, crate::ActionState::Pending { .. }))
                .collect(),
            discarded_drafts: inner.drafts.unsynced().unwrap_or_default(),
            ..Default::default()
        };
        let credentials = &inner.client.credentials;
        // Kept before it is sent, so neither a failure nor the app dying
        // meanwhile loses the revocation.
        let queued = credentials.queue_logout().unwrap_or_else(|error| {
            tracing::warn!(%error, "the pending sign-out could not be saved");
            None
        });
        if let Some(tokens) = queued {
            if let Err(error) = inner.client.identity().retry_logouts().await {
                tracing::warn!(%error, "the sign-out could not be sent");
            }
            report.logout_pending = credentials
                .pending_logouts()
                .iter()
                .any(|t| t.device_id == tokens.device_id);
            report.logged_out_on_server = !report.logout_pending;
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
