//! AIP-155 request ids for identity mutations: see
//! [`crate::store::idempotency`], which every service shares.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Identity, Result};
use crate::store::Commit;
use crate::store::idempotency;

impl Identity {
    /// Runs `act` at most once per (`actor`, `rpc`, `request_id`).
    pub(super) fn once<T, F>(&self, actor: &str, rpc: &str, request_id: &str, act: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Commit) -> Result<(Commit, T)>,
    {
        idempotency::once(self.store(), actor, rpc, request_id, act)
    }
}
