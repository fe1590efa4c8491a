//! AIP-155 request ids: a mutating call repeated with the same `request_id`
//! by the same caller returns the first call's result instead of acting
//! again — what a device replaying its outbox after a lost answer relies on.
//! The remembered result is written in the same commit as the action, so a
//! crash can never leave an action done but not remembered (or the reverse).
//! Results are kept for seven days.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Identity, Result, now};
use crate::domain::DomainError;
use crate::domain::identity::records::Millis;
use crate::store::records::get;
use crate::store::{Commit, StoreError};

const KEEP_MS: Millis = 7 * 24 * 60 * 60 * 1000;
const MAX_REQUEST_ID: usize = 128;

#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered<T> {
    created: Millis,
    result: T,
}

impl Identity {
    /// Runs `act` — which adds its writes to the commit it is given and
    /// returns the result — at most once per (`actor`, `rpc`, `request_id`).
    /// An empty `request_id` opts out.
    pub(super) fn once<T, F>(&self, actor: &str, rpc: &str, request_id: &str, act: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Commit) -> Result<(Commit, T)>,
    {
        if request_id.is_empty() {
            let (commit, result) = act(Commit::new())?;
            self.store.commit(commit)?;
            return Ok(result);
        }
        if request_id.len() > MAX_REQUEST_ID
            || request_id.chars().any(|c| c.is_control() || c == '/')
        {
            return Err(DomainError::invalid(
                "INVALID_REQUEST_ID",
                "request_id",
                format!(
                    "must be at most {MAX_REQUEST_ID} printable characters without '/', e.g. a UUID"
                ),
            )
            .into());
        }
        let key = format!("idem/{actor}/{rpc}/{request_id}");
        let seen = get::<Remembered<T>>(self.store(), &key)?;
        let now = now();
        let expect = match seen {
            Some(seen) if now - seen.value.created < KEEP_MS => return Ok(seen.value.result),
            Some(expired) => Some(expired.raw),
            None => None,
        };
        let (commit, result) = act(Commit::new())?;
        let remembered = Remembered {
            created: now,
            result,
        };
        let commit = commit
            .expect(key.clone(), expect)
            .put_record(&key, &remembered)?;
        match self.store.commit(commit) {
            // A twin of this request committed first: answer as it did.
            Err(StoreError::Conflict { key: conflicted }) if conflicted == key => {
                get::<Remembered<T>>(self.store(), &key)?
                    .map(|r| r.value.result)
                    .ok_or_else(|| StoreError::Conflict { key }.into())
            }
            other => {
                other?;
                Ok(remembered.result)
            }
        }
    }
}
