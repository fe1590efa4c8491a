//! The embedded engine: sled. Every commit of this process runs under one
//! lock ([`writing`]), and only one process opens a store (sled locks its
//! files): so expectations read under that lock still hold when the
//! commit's writes land, as one atomic sled batch, and two commits that
//! read the same value cannot both write over it. A sled transaction would
//! check the same thing again at several times the cost (about 0.65 ms
//! for an order's 26 keys on a store of 100,000 products). Every commit is
//! flushed before it is acknowledged: an acknowledged write survives a
//! crash.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::group_flush::GroupFlush;
use super::journal;
use super::{Commit, KeyRange, SCHEMA_KEY, SCHEMA_VERSION, Store, StoreError};

/// The page cache sled may hold in memory.
const CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// Transactions, flushes and closes never overlap another sled write in
/// this process: see `tradeport_sled_writes`.
use tradeport_sled_writes::writing;

pub struct SledStore {
    /// Always `Some` until the store is dropped: see `Drop`.
    db: Option<sled::Db>,
    /// Commits applied (or being applied) so far; counted under
    /// [`writing`], so a flush, which waits for it, covers all of them.
    applied: AtomicU64,
    group: GroupFlush,
    /// Whether opening found a large commit that a crash cut short, and
    /// rolled it back.
    rolled_back: bool,
}

impl SledStore {
    /// Opens (or creates) the store in `dir`, refusing one written by a
    /// newer schema.
    /// Waits up to `within` for the store in `dir` to be closed by
    /// whoever has it open; returns whether it was. Its directory must
    /// outlive it (see `tradeport_sled_writes::wait_closed`).
    pub fn wait_closed(dir: &Path, within: std::time::Duration) -> bool {
        tradeport_sled_writes::wait_closed(dir, within)
    }

    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = tradeport_sled_writes::open(
            sled::Config::new()
                .path(dir)
                .mode(sled::Mode::HighThroughput)
                // sled would cache up to 1 GiB; the server keeps its hot
                // data (catalog, prices) in memory itself, so the store's
                // cache is held to what keeps its own tree pages warm.
                .cache_capacity(CACHE_BYTES),
        )
        .map_err(engine)?;
        let mut store = Self {
            db: Some(db),
            applied: AtomicU64::new(0),
            group: GroupFlush::default(),
            rolled_back: false,
        };
        store.rolled_back = store.roll_back_unfinished()?;
        store.check_schema(dir)?;
        Ok(store)
    }

    fn db(&self) -> Result<&sled::Db, StoreError> {
        self.db
            .as_ref()
            .ok_or_else(|| StoreError::Engine("the store is closed".into()))
    }

    /// Whether opening rolled back a large commit that a crash cut short
    /// (an operator sees it logged as a warning too).
    pub fn rolled_back_at_open(&self) -> bool {
        self.rolled_back
    }

    /// Undoes a large commit that a crash cut short (see `journal`), and
    /// tells whether there was one.
    fn roll_back_unfinished(&self) -> Result<bool, StoreError> {
        let db = self.db()?;
        let rolled_back = {
            let _writing = writing();
            journal::roll_back(db)?
        };
        if rolled_back {
            tracing::warn!("rolled back a large commit that the last run left unfinished");
            self.flush()?;
        }
        Ok(rolled_back)
    }

    fn check_schema(&self, dir: &Path) -> Result<(), StoreError> {
        match self.db()?.get(SCHEMA_KEY).map_err(engine)? {
            Some(raw) => {
                let found = <[u8; 4]>::try_from(raw.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        key: "schema_version".into(),
                        reason: format!("expected 4 bytes, found {}", raw.len()),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::SchemaTooNew {
                        path: dir.display().to_string(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                // Older versions would be migrated here; version 1 is the first.
                Ok(())
            }
            None => self.commit(
                Commit::new()
                    .expect(SCHEMA_KEY, None)
                    .put(SCHEMA_KEY, SCHEMA_VERSION.to_be_bytes().to_vec()),
            ),
        }
    }
}

pub(super) fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

/// `writes` as one sled batch (`None` removes the key).
pub(super) fn batch_of(writes: &[(Vec<u8>, Option<Vec<u8>>)]) -> sled::Batch {
    let mut batch = sled::Batch::default();
    for (key, value) in writes {
        match value {
            Some(value) => batch.insert(key.as_slice(), value.as_slice()),
            None => batch.remove(key.as_slice()),
        }
    }
    batch
}

impl Drop for SledStore {
    fn drop(&mut self) {
        if let Some(Err(error)) = self.db.take().map(tradeport_sled_writes::close) {
            tracing::warn!(%error, "flushing the store at close failed");
        }
    }
}

impl Store for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db()?.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn scan(&self, range: KeyRange, limit: usize) -> Result<Vec<super::Entry>, StoreError> {
        self.db()?
            .range::<Vec<u8>, _>((range.start, range.end))
            .take(limit)
            .map(|entry| {
                let (k, v) = entry.map_err(engine)?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    fn apply(&self, commit: Commit) -> Result<(), StoreError> {
        let _writing = writing();
        // Counted before it lands: whoever reads this commit's writes and
        // then flushes waits for it too.
        self.applied.fetch_add(1, Ordering::SeqCst);
        let db = self.db()?;
        for (key, expected) in &commit.expect {
            let current = db.get(key).map_err(engine)?;
            if current.as_deref() != expected.as_deref() {
                return Err(StoreError::Conflict {
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
        }
        if commit.write.len() > journal::STEP_WRITES {
            return journal::apply_in_steps(db, &commit.write, journal::STEP_WRITES);
        }
        db.apply_batch(batch_of(&commit.write)).map_err(engine)?;
        Ok(())
    }

    /// Concurrent callers share one sled flush (see `group_flush`).
    fn flush(&self) -> Result<(), StoreError> {
        let written = self.applied.load(Ordering::SeqCst);
        self.group.until(written, &|| {
            // A commit counted by now holds or has held `writing` while it
            // lands, and the flush waits for `writing`: it covers them all.
            let covered = self.applied.load(Ordering::SeqCst);
            tradeport_sled_writes::flush(self.db()?).map_err(engine)?;
            Ok(covered)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn expectation_on_changed_value_conflicts_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store.commit(Commit::new().put("a", b"1".to_vec())).unwrap();
        let err = store
            .commit(
                Commit::new()
                    .expect("a", Some(b"0".to_vec()))
                    .put("a", b"2".to_vec())
                    .put("b", b"2".to_vec()),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { ref key } if key == "a"));
        assert_eq!(store.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get(b"b").unwrap(), None);
    }

    #[test]
    fn opening_waits_for_a_closing_holder_to_release_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path()).unwrap();
        first.commit(Commit::new().put("k", vec![7])).unwrap();
        // The first holder lets go a little later, as a stopping process does.
        let closer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        let second = SledStore::open(dir.path()).unwrap();
        assert_eq!(second.get(b"k").unwrap(), Some(vec![7]));
        closer.join().unwrap();
    }

    #[test]
    fn scans_respect_prefix_and_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut commit = Commit::new();
        for i in 0..10 {
            commit = commit.put(format!("p/{i}"), vec![i]);
        }
        store
            .commit(commit.put("q/0", vec![0]).put("o/9", vec![9]))
            .unwrap();
        let page = store.scan(KeyRange::prefix(b"p/"), 4).unwrap();
        assert_eq!(page.len(), 4);
        assert_eq!(page[0].0, b"p/0");
        let all = super::super::scan_all(&store, b"p/", 3).unwrap();
        assert_eq!(all.len(), 10);
        assert!(all.iter().all(|(k, _)| k.starts_with(b"p/")));
    }
}
