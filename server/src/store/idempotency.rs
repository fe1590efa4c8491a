//! AIP-155 request ids: a mutating call repeated with the same `request_id`
//! by the same caller returns the first call's result instead of acting
//! again — what a device replaying its outbox after a lost answer relies on.
//! The remembered result is written in the same commit as the action, so a
//! crash can never leave an action done but not remembered (or the reverse).
//! Results are kept for seven days. Keys: `idem/<owner>/<rpc>/<request_id>`,
//! the owner being the acting principal and, when it acts for a customer
//! account not its own, that account too ([`owner`]): a rep's request id
//! used for one account never answers for another.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::versioned::get;
use super::{Commit, Store, StoreError};
use tradeport_domain::DomainError;
use tradeport_domain::identity::Caller;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// How long a result is remembered.
pub const KEEP_MS: Millis = 7 * 24 * 60 * 60 * 1000;
const MAX_REQUEST_ID: usize = 128;
/// Where remembered results live.
pub const PREFIX: &str = "idem/";

#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered<T> {
    created: Millis,
    result: T,
}

fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

/// Whose request ids a call uses: the principal, and the account it acts
/// for when that is not its own (a rep acting on behalf of a customer).
/// A customer's own people and API keys act for their one account, so
/// their key is the principal alone, as it always was: results remembered
/// before stay found.
pub fn owner(caller: &Caller) -> String {
    match caller.on_behalf_of.as_deref() {
        Some(account) if caller.account_id.as_deref() != Some(account) => {
            format!("{}+{account}", caller.id)
        }
        _ => caller.id.clone(),
    }
}

fn check_request_id(request_id: &str) -> Result<(), DomainError> {
    if request_id.len() > MAX_REQUEST_ID || request_id.chars().any(|c| c.is_control() || c == '/') {
        return Err(DomainError::invalid(
            "INVALID_REQUEST_ID",
            "request_id",
            format!(
                "must be at most {MAX_REQUEST_ID} printable characters without '/', e.g. a UUID"
            ),
        ));
    }
    Ok(())
}

/// The remembered result of (`actor`, `rpc`, `request_id`), if the call
/// was made within the keeping time: lets a long call (an import reading
/// a whole upload) answer a replay before doing any work.
pub fn recall<T, E>(
    store: &dyn Store,
    actor: &str,
    rpc: &str,
    request_id: &str,
) -> Result<Option<T>, E>
where
    T: DeserializeOwned,
    E: From<DomainError> + From<StoreError>,
{
    if request_id.is_empty() {
        return Ok(None);
    }
    check_request_id(request_id)?;
    let key = format!("{PREFIX}{actor}/{rpc}/{request_id}");
    let seen = get::<Remembered<T>>(store, &key)?
        .filter(|seen| now() - seen.value.created < KEEP_MS)
        .map(|seen| seen.value.result);
    if seen.is_some() {
        // A twin may have applied it a moment ago without flushing yet:
        // never answer with something the disk does not hold.
        store.flush()?;
    }
    Ok(seen)
}

/// Runs `act` — which adds its writes to the commit it is given and returns
/// the result — at most once per (`actor`, `rpc`, `request_id`). An empty
/// `request_id` opts out.
pub fn once<T, E, F>(
    store: &dyn Store,
    actor: &str,
    rpc: &str,
    request_id: &str,
    act: F,
) -> Result<T, E>
where
    T: Serialize + DeserializeOwned,
    E: From<DomainError> + From<StoreError>,
    F: FnOnce(Commit) -> Result<(Commit, T), E>,
{
    let result = once_unflushed(store, actor, rpc, request_id, act)?;
    store.flush()?;
    Ok(result)
}

/// [`once`] that applies without waiting for the disk: the caller must
/// flush before it answers (see [`Store::apply`]).
pub fn once_unflushed<T, E, F>(
    store: &dyn Store,
    actor: &str,
    rpc: &str,
    request_id: &str,
    act: F,
) -> Result<T, E>
where
    T: Serialize + DeserializeOwned,
    E: From<DomainError> + From<StoreError>,
    F: FnOnce(Commit) -> Result<(Commit, T), E>,
{
    if request_id.is_empty() {
        let (commit, result) = act(Commit::new())?;
        store.apply(commit)?;
        return Ok(result);
    }
    check_request_id(request_id)?;
    let key = format!("{PREFIX}{actor}/{rpc}/{request_id}");
    let seen = get::<Remembered<T>>(store, &key)?;
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
    match store.apply(commit) {
        // A twin of this request committed first: answer as it did.
        Err(StoreError::Conflict { key: conflicted }) if conflicted == key => {
            get::<Remembered<T>>(store, &key)?
                .map(|r| r.value.result)
                .ok_or_else(|| StoreError::Conflict { key }.into())
        }
        other => {
            other?;
            Ok(remembered.result)
        }
    }
}
