//! The store: an ordered key-value engine behind a narrow trait, and typed
//! repositories over it. Nothing above this module names the engine; nothing
//! in it knows a business rule.
//!
//! The trait is what a second engine (PostgreSQL, a distributed KV) must
//! offer: point reads, bounded ordered scans, and atomic multi-key commits
//! whose preconditions make concurrent read-modify-write safe (optimistic
//! concurrency: a commit names the values it read, and fails with
//! [`StoreError::Conflict`] if any of them changed).

pub mod catalog;
mod codec;
mod disk_sync;
pub mod feed;
mod group_flush;
pub mod idempotency;
mod journal;
mod off_workers;
pub mod pricing;
mod sled_store;
mod unflushed;
pub mod versioned;

pub use off_workers::off_workers;

use std::ops::Bound;

pub use codec::{decode, encode};
pub use sled_store::SledStore;

/// The schema version this build writes. A store carrying a higher one was
/// written by a newer Tradeport and is refused rather than misread.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the schema version lives. The leading NUL keeps it ahead of every
/// record key so scans of record prefixes never meet it.
pub const SCHEMA_KEY: &[u8] = b"\0meta\0schema_version";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("commit conflicted with a concurrent write to key {key}")]
    Conflict { key: String },
    #[error(
        "the store at {path} has schema version {found}, newer than the {supported} this build understands; run a newer Tradeport or point it at another data directory"
    )]
    SchemaTooNew {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("record under {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("storage engine failure: {0}")]
    Engine(String),
    #[error("the store's flush has not returned for {running_secs} s")]
    Stalled { running_secs: u64 },
}

/// A range of keys, as bounds on the raw key bytes.
#[derive(Debug, Clone)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        Self {
            start: Bound::Included(prefix.to_vec()),
            end: prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    /// Keys with `prefix` that sort strictly after `after`: the next page of a
    /// prefix scan that ended at `after`.
    pub fn prefix_after(prefix: &[u8], after: &[u8]) -> Self {
        Self {
            start: Bound::Excluded(after.to_vec()),
            ..Self::prefix(prefix)
        }
    }
}

/// The first key after every key starting with `prefix`, if there is one.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A key and its value, as scans return them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An atomic unit of writes with the preconditions it depends on.
#[derive(Debug, Default, Clone)]
pub struct Commit {
    /// (key, value expected now; `None` = expected absent)
    pub expect: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// (key, new value; `None` = delete)
    pub write: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// What must stay alive until the store is done with this commit
    /// (applied or refused): the feed's sequence tickets, so readers of the
    /// feed wait for this commit before reading past its entries. An engine
    /// drops the commit only after its outcome is decided.
    holds: Holds,
}

/// Values a commit keeps alive; see [`Commit::hold`].
#[derive(Default, Clone)]
struct Holds(Vec<std::sync::Arc<dyn std::any::Any + Send + Sync>>);

impl std::fmt::Debug for Holds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} held", self.0.len())
    }
}

impl Commit {
    pub fn new() -> Self {
        Self::default()
    }
    /// Fails the commit unless `key` still holds `value` (absent for `None`).
    pub fn expect(mut self, key: impl Into<Vec<u8>>, value: Option<Vec<u8>>) -> Self {
        self.expect.push((key.into(), value));
        self
    }
    pub fn put(mut self, key: impl Into<Vec<u8>>, value: Vec<u8>) -> Self {
        self.write.push((key.into(), Some(value)));
        self
    }
    pub fn delete(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.write.push((key.into(), None));
        self
    }
    /// Keeps `value` alive until the commit is dropped, which the store
    /// does only once the commit has been applied or refused.
    pub fn hold(mut self, value: std::sync::Arc<dyn std::any::Any + Send + Sync>) -> Self {
        self.holds.0.push(value);
        self
    }
}

/// The engine contract. Every method is synchronous. An engine moves its
/// own disk waits (a flush, a large commit written in steps) off the async
/// workers (`off_workers`), so a use case may call it from an async
/// handler without stalling the calls that share the worker; reads are
/// served from the engine's cache and take no such care.
pub trait Store: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` entries of `range`, in key order.
    fn scan(&self, range: KeyRange, limit: usize) -> Result<Vec<Entry>, StoreError>;

    /// Applies every write of `commit` atomically if every expectation holds,
    /// and returns only once the writes are durable on disk. Atomic means:
    /// after a crash, all of the writes are there or none; no other commit
    /// lands between them. A reader may see part of a very large commit
    /// (an import) before all of it; only the committer acts on the
    /// outcome.
    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.apply(commit)?;
        self.flush()
    }

    /// [`Store::commit`] without waiting for the disk: readers see the
    /// writes at once, and the caller must [`Store::flush`] before it
    /// acknowledges anything. Lets a writer holding a lock release it
    /// before the flush, so concurrent writers share one flush.
    fn apply(&self, commit: Commit) -> Result<(), StoreError>;

    /// Makes everything written so far durable (used at shutdown).
    fn flush(&self) -> Result<(), StoreError>;

    /// Whether a reader may now see a write that is not durable yet: a
    /// commit applied and not yet flushed. Cheap; no disk.
    fn unsettled(&self) -> bool;

    /// Returns once every write a reader could have seen so far is
    /// durable, flushing if need be. Whatever was read before this call
    /// may then be shown: nothing an answer shows can vanish in a crash.
    fn settle(&self) -> Result<(), StoreError> {
        self.flush()
    }

    /// How long the flush now running has run, once that is long enough
    /// to count as stalled: the engine is not writing, and the server is
    /// not fit to take writes.
    fn stalled_flush(&self) -> Option<std::time::Duration>;
}

/// Reads every entry under `prefix`, page by page, so no engine has to hold
/// an iterator open across calls.
pub fn scan_all(store: &dyn Store, prefix: &[u8], page: usize) -> Result<Vec<Entry>, StoreError> {
    let mut out = Vec::new();
    let mut range = KeyRange::prefix(prefix);
    loop {
        let batch = store.scan(range.clone(), page)?;
        let done = batch.len() < page;
        if let Some((last, _)) = batch.last() {
            range = KeyRange::prefix_after(prefix, last);
        }
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_carries_over_max_bytes() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[b'a', 0xff]), Some(b"b".to_vec()));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
