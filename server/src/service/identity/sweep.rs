//! Clearing out what has expired: token records past their expiry
//! (rotated refresh tokens are kept until then, so their reuse is still
//! caught), unfinished ceremonies, unused invitations, and remembered
//! request results older than their seven days; and the rate limiters'
//! callers whose budgets are full again. Nothing is swept that a rule
//! could still need.

use super::passkey_records::Ceremony;
use super::{Identity, Result, now};
use crate::store::Commit;
use crate::store::idempotency;
use crate::store::versioned::scan;
use tradeport_domain::identity::records::{Invitation, Millis, TokenRecord};

/// Records examined per batch: sweeping never holds a long transaction.
const BATCH: usize = 1000;

/// How many records one sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub tokens: usize,
    pub ceremonies: usize,
    pub invitations: usize,
    pub remembered_results: usize,
}

#[derive(serde::Deserialize)]
struct RememberedAt {
    created: Millis,
}

impl Identity {
    /// Deletes every expired record, in batches.
    pub fn sweep_expired(&self) -> Result<SweepReport> {
        // The limiters forget callers whose budgets are full again.
        self.limits.prune();
        self.denials.prune(std::time::Instant::now());
        let now = now();
        Ok(SweepReport {
            tokens: self.sweep::<TokenRecord>("tok/", |t| t.expires <= now)?,
            ceremonies: self.sweep::<Ceremony>("cer/", |c| c.expires <= now)?,
            invitations: self.sweep::<Invitation>("inv/", |i| i.expires <= now)?,
            remembered_results: self.sweep::<RememberedAt>(idempotency::PREFIX, |r| {
                now - r.created >= idempotency::KEEP_MS
            })?,
        })
    }

    fn sweep<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &str,
        expired: impl Fn(&T) -> bool,
    ) -> Result<usize> {
        let mut removed = 0;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let batch = scan::<T>(self.store(), prefix, after.as_deref(), BATCH)?;
            let done = batch.len() < BATCH;
            let mut commit = Commit::new();
            let mut doomed = 0;
            for (key, record) in &batch {
                if expired(record) {
                    // Deleted only if unchanged since read: a record renewed
                    // meanwhile is not ours to remove.
                    let raw = self.store.get(key)?;
                    commit = commit.expect(key.clone(), raw).delete(key.clone());
                    doomed += 1;
                }
            }
            if doomed > 0 {
                match self.store.commit(commit) {
                    Ok(()) => removed += doomed,
                    // Something changed under us; the next sweep retries.
                    Err(crate::store::StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            after = batch.last().map(|(k, _)| k.clone());
            if done || after.is_none() {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::service::identity::keys;
    use crate::store::{SledStore, Store};
    use tradeport_domain::identity::records::TokenKind;

    #[test]
    fn expired_records_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let config = Config::default();
        let identity = Identity::new(
            Arc::clone(&store),
            &config.webauthn,
            &config.rate_limits,
            config.lifetimes,
        )
        .unwrap();
        let now = now();
        let token = |expires| TokenRecord {
            session_id: "s".into(),
            kind: TokenKind::RotatedRefresh,
            expires,
        };
        let invitation = |expires| Invitation {
            user_id: "u".into(),
            expires,
        };
        let commit = Commit::new()
            .put_record(&keys::token("old"), &token(now - 1))
            .unwrap()
            .put_record(&keys::token("live"), &token(now + 60_000))
            .unwrap()
            .put_record(&keys::invitation("old"), &invitation(now - 1))
            .unwrap()
            .put_record(&keys::invitation("live"), &invitation(now + 60_000))
            .unwrap();
        store.commit(commit).unwrap();
        let report = identity.sweep_expired().unwrap();
        assert_eq!((report.tokens, report.invitations), (1, 1));
        assert!(store.get(keys::token("old").as_bytes()).unwrap().is_none());
        assert!(
            store.get(keys::token("live").as_bytes()).unwrap().is_some(),
            "a rotated refresh token stays until it expires"
        );
        assert!(
            store
                .get(keys::invitation("live").as_bytes())
                .unwrap()
                .is_some()
        );
        assert_eq!(identity.sweep_expired().unwrap(), SweepReport::default());
    }
}
