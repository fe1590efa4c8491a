//! The reference-data feed's durable log. Keys: `feed/<seq, 16 hex>` one
//! entry each; `feedmeta/high`, the highest sequence ever handed out (or
//! more); `feedmeta/floor`, the highest sequence trimmed away.
//!
//! A writer stages its entries into the very commit that makes the change
//! ([`FeedLog::stage`]), so a committed change always has its entry and a
//! refused one has none. Sequences come from an in-memory counter; the
//! commit carries a ticket for them, released when the store is done with
//! the commit (applied or refused). Writers commit out of sequence order,
//! so a reader reads only up to [`FeedLog::watermark`]: every sequence at
//! or below it has committed or been abandoned for good (a harmless gap).
//!
//! The counter never hands out a sequence above `feedmeta/high` without
//! first raising it durably, and starts above it after a restart: a cursor
//! a device holds can never point past a sequence the log will use later,
//! even if the entries around it were lost in a crash.
//!
//! Nothing here knows what an entry means: that is `domain::feed`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Commit, KeyRange, Store, StoreError, decode, encode};
use tradeport_domain::feed::FeedEntry;

const ENTRY_PREFIX: &[u8] = b"feed/";
const HIGH_KEY: &[u8] = b"feedmeta/high";
const FLOOR_KEY: &[u8] = b"feedmeta/floor";
/// Sequences reserved durably at a time beyond what is handed out: one
/// small commit per this many entries, and a jump of at most this much
/// at a restart.
const BLOCK: u64 = 1 << 16;

fn entry_key(seq: u64) -> Vec<u8> {
    format!("feed/{seq:016x}").into_bytes()
}

fn seq_of(key: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(&key[ENTRY_PREFIX.len().min(key.len())..])
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: "not a feed entry key".into(),
        })
}

fn read_u64(store: &dyn Store, key: &[u8]) -> Result<u64, StoreError> {
    match store.get(key)? {
        None => Ok(0),
        Some(raw) => <[u8; 8]>::try_from(raw.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Corrupt {
                key: String::from_utf8_lossy(key).into_owned(),
                reason: format!("expected 8 bytes, found {}", raw.len()),
            }),
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section below leaves its data whole at each step.
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Reserved sequence ranges whose commit is not decided yet: first → count.
type Pending = Mutex<BTreeMap<u64, u64>>;

pub struct FeedLog {
    store: Arc<dyn Store>,
    /// The next sequence to hand out.
    next: AtomicU64,
    /// The durable `feedmeta/high`; held while a sequence is handed out.
    high: Mutex<u64>,
    pending: Arc<Pending>,
}

/// The sequences of one staged commit. While any clone lives, readers stop
/// below them; the commit holds one, so they are released once the store
/// has decided the commit, whatever it decided.
#[derive(Clone, Default)]
pub struct Ticket {
    _held: Option<Arc<Reservation>>,
}

struct Reservation {
    first: u64,
    pending: Arc<Pending>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        locked(&self.pending).remove(&self.first);
    }
}

impl FeedLog {
    /// The log in `store`, its counter past everything handed out before.
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let high = read_u64(store.as_ref(), HIGH_KEY)?;
        Ok(Self {
            store,
            next: AtomicU64::new(high + 1),
            high: Mutex::new(high),
            pending: Arc::default(),
        })
    }

    /// Adds `entries` to `commit` under fresh sequences, in order. The
    /// returned ticket may be kept to hold readers back after the commit
    /// too (until the change is visible in memory as well); dropping it
    /// leaves only the commit's own.
    pub fn stage(
        &self,
        commit: Commit,
        entries: impl IntoIterator<Item = FeedEntry>,
    ) -> Result<(Commit, Ticket), StoreError> {
        let entries: Vec<FeedEntry> = entries.into_iter().collect();
        if entries.is_empty() {
            return Ok((commit, Ticket::default()));
        }
        let reservation = Arc::new(self.reserve(entries.len() as u64)?);
        let mut commit = commit.hold(reservation.clone());
        for (seq, entry) in (reservation.first..).zip(&entries) {
            let key = entry_key(seq);
            let bytes = encode(&key, entry)?;
            commit = commit.put(key, bytes);
        }
        Ok((
            commit,
            Ticket {
                _held: Some(reservation),
            },
        ))
    }

    fn reserve(&self, count: u64) -> Result<Reservation, StoreError> {
        let mut high = locked(&self.high);
        let first = self.next.load(Ordering::SeqCst);
        let last = first + count - 1;
        if last > *high {
            let raised = last + BLOCK;
            self.store
                .commit(Commit::new().put(HIGH_KEY, raised.to_be_bytes().to_vec()))?;
            *high = raised;
        }
        // Pending before the counter moves: a reader that sees the new
        // counter sees these sequences pending too.
        locked(&self.pending).insert(first, count);
        self.next.store(last + 1, Ordering::SeqCst);
        Ok(Reservation {
            first,
            pending: Arc::clone(&self.pending),
        })
    }

    /// The highest position a reader may read up to: every sequence at or
    /// below it is committed or abandoned.
    pub fn watermark(&self) -> u64 {
        let next = self.next.load(Ordering::SeqCst);
        match locked(&self.pending).keys().next() {
            Some(&first) => first - 1,
            None => next - 1,
        }
    }

    /// The highest position trimmed away: a cursor below it is too old.
    pub fn floor(&self) -> Result<u64, StoreError> {
        read_u64(self.store.as_ref(), FLOOR_KEY)
    }

    /// Up to `limit` entries after position `after` and at most `upto`.
    pub fn read(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, FeedEntry)>, StoreError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let range = KeyRange {
            start: std::ops::Bound::Excluded(entry_key(after)),
            end: std::ops::Bound::Included(entry_key(upto)),
        };
        self.store
            .scan(range, limit)?
            .into_iter()
            .map(|(key, value)| Ok((seq_of(&key)?, decode(&key, &value)?)))
            .collect()
    }

    /// Makes everything read so far durable: what a device is told must
    /// survive a crash of the server.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }

    /// Drops entries at or below `upto` (never past the watermark), a
    /// chunk per commit, and records the new floor first: cursors older
    /// than it start over. Returns how many entries went.
    pub fn trim(&self, upto: u64) -> Result<usize, StoreError> {
        let upto = upto.min(self.watermark());
        let floor = self.floor()?;
        if upto <= floor {
            return Ok(0);
        }
        self.store
            .commit(Commit::new().put(FLOOR_KEY, upto.to_be_bytes().to_vec()))?;
        let mut removed = 0;
        loop {
            let range = KeyRange {
                start: std::ops::Bound::Included(ENTRY_PREFIX.to_vec()),
                end: std::ops::Bound::Included(entry_key(upto)),
            };
            let keys = self.store.scan(range, 1000)?;
            if keys.is_empty() {
                return Ok(removed);
            }
            removed += keys.len();
            let commit = keys
                .into_iter()
                .fold(Commit::new(), |commit, (key, _)| commit.delete(key));
            self.store.commit(commit)?;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "feed_tests.rs"]
mod tests;
