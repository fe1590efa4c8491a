//! The embedded engine: sled. Every commit of a store checks its
//! expectations and stages its writes under one lock (see `unflushed`),
//! and only one process opens a store (sled locks its files): so
//! expectations read under that lock still hold when the commit's writes
//! land, and two commits that read the same value cannot both write over
//! it. A sled transaction would check the same thing again at several
//! times the cost (about 0.65 ms for an order's 26 keys on a store of
//! 100,000 products). Staged commits reach sled together, as one atomic
//! batch, at the next flush; every commit is flushed before it is
//! acknowledged: an acknowledged write survives a crash.

use std::path::Path;

use super::disk_sync::DiskSync;
use super::group_flush::GroupFlush;
use super::journal;
use super::unflushed::{Unflushed, Writes, merge};
use super::{Commit, KeyRange, SCHEMA_KEY, SCHEMA_VERSION, Store, StoreError};

/// The page cache sled may hold in memory.
const CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// Transactions, flushes and closes never overlap another sled write in
/// this process: see `tradeport_sled_writes`.
use tradeport_sled_writes::writing;

use super::off_workers;

pub struct SledStore {
    /// Always `Some` until the store is dropped: see `Drop`.
    db: Option<sled::Db>,
    /// Applied commits that sled does not have yet.
    unflushed: Unflushed,
    group: GroupFlush,
    /// What makes a flush durable: sled's own stops short of the disk.
    disk: DiskSync,
    /// Whether opening found a large commit that a crash cut short, and
    /// rolled it back.
    rolled_back: bool,
}

impl SledStore {
    /// Waits up to `within` for the store in `dir` to be closed by
    /// whoever has it open; returns whether it was. Its directory must
    /// outlive it (see `tradeport_sled_writes::wait_closed`).
    pub fn wait_closed(dir: &Path, within: std::time::Duration) -> bool {
        tradeport_sled_writes::wait_closed(dir, within)
    }

    /// Waits (leading or following a group flush) until the first
    /// `written` writes are durable; see `group_flush`.
    fn flush_until(&self, written: u64) -> Result<(), StoreError> {
        self.group.until(written, &|| {
            let db = self.db()?;
            let covered = {
                let _writing = writing();
                let covered = self.land_staged(db)?;
                db.flush().map_err(engine)?;
                covered
            };
            // Outside the process's sled lock: the disk's own flush is
            // the slow part, and other databases need not wait for it.
            self.disk.sync()?;
            Ok(covered)
        })
    }

    /// Opens (or creates) the store in `dir`, refusing one written by a
    /// newer schema.
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
            unflushed: Unflushed::default(),
            group: GroupFlush::default(),
            disk: DiskSync::open(dir)?,
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

impl SledStore {
    /// Hands every staged commit to sled, oldest first, and returns the
    /// number of the last commit sled now holds. The caller holds
    /// [`writing`] (sled batches never overlap), taken before staging, the
    /// order every path takes the two in.
    fn land_staged(&self, db: &sled::Db) -> Result<u64, StoreError> {
        let (commits, upto) = self.unflushed.staging().take();
        self.land(db, commits, upto).map_err(|(error, unlanded)| {
            self.unflushed.staging().put_back(unlanded);
            error
        })?;
        Ok(upto)
    }

    /// Writes `commits` (taken from staging, up to commit number `upto`)
    /// into sled; on failure, returns those it could not write.
    fn land(
        &self,
        db: &sled::Db,
        commits: Vec<Writes>,
        upto: u64,
    ) -> Result<(), (StoreError, Vec<Writes>)> {
        // Whole commits per batch, each batch atomic, so a crash keeps a
        // prefix of the commits, each whole; batches stay near the size the
        // journal steps large commits at, which bounds sled's copies.
        let mut start = 0;
        while start < commits.len() {
            let mut end = start + 1;
            let mut writes = commits[start].len();
            while end < commits.len() && writes + commits[end].len() <= journal::STEP_WRITES {
                writes += commits[end].len();
                end += 1;
            }
            if let Err(error) = db.apply_batch(batch_of(commits[start..end].iter().flatten())) {
                self.unflushed.landed(&commits[..start], upto);
                return Err((engine(error), commits[start..].to_vec()));
            }
            start = end;
        }
        self.unflushed.landed(&commits, upto);
        Ok(())
    }
}

pub(super) fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

/// `writes` as one sled batch (`None` removes the key; a later write of a
/// key replaces an earlier one).
pub(super) fn batch_of<'a>(
    writes: impl IntoIterator<Item = &'a (Vec<u8>, Option<Vec<u8>>)>,
) -> sled::Batch {
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
    /// Every acknowledged commit is durable already; what is left is any
    /// commit applied and never flushed, which a graceful close still
    /// keeps. Both waits are bounded: a flush by the group's patience, the
    /// close by `tradeport_sled_writes::CLOSE_PATIENCE`.
    fn drop(&mut self) {
        if self.db.is_some()
            && let Err(error) = self.flush()
        {
            tracing::warn!(%error, "flushing the store at close failed");
        }
        match self.db.take().map(tradeport_sled_writes::close) {
            Some(Err(stuck @ tradeport_sled_writes::CloseError::Stuck { .. })) => {
                tracing::error!(error = %stuck, "the store did not close");
                // Loudly, where it happened: a stuck close left alone would
                // stall every later sled write of this process.
                if !std::thread::panicking() {
                    panic!("the store did not close: {stuck}");
                }
            }
            Some(Err(error)) => tracing::warn!(%error, "closing the store failed"),
            Some(Ok(())) | None => {}
        }
    }
}

impl Store for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(staged) = self.unflushed.get(key) {
            return Ok(staged);
        }
        Ok(self.db()?.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn scan(&self, range: KeyRange, limit: usize) -> Result<Vec<super::Entry>, StoreError> {
        // Staged first: a commit landing in between is then read from sled
        // or from its staged copy, never missed.
        let staged = self.unflushed.range(&range);
        let engine_entries = self
            .db()?
            .range::<Vec<u8>, _>((range.start, range.end))
            .map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec())));
        merge(engine_entries, staged, limit).map_err(engine)
    }

    fn apply(&self, mut commit: Commit) -> Result<(), StoreError> {
        let db = self.db()?;
        let stepped = commit.write.len() > journal::STEP_WRITES;
        // A stepped commit goes to sled directly, after everything staged
        // before it, so it takes `writing` first: the order the flush takes
        // the two locks in.
        let _writing = stepped.then(writing);
        let mut staged = self.unflushed.staging();
        for (key, expected) in &commit.expect {
            let current = self.get(key)?;
            if current.as_deref() != expected.as_deref() {
                return Err(StoreError::Conflict {
                    key: String::from_utf8_lossy(key).into_owned(),
                });
            }
        }
        if stepped {
            // Written to disk in steps as it goes: the caller waits on the
            // disk here, not in a flush.
            return off_workers(|| {
                let (commits, upto) = staged.take();
                if let Err((error, unlanded)) = self.land(db, commits, upto) {
                    staged.put_back(unlanded);
                    return Err(error);
                }
                staged.count_direct();
                journal::apply_in_steps(db, &commit.write, journal::STEP_WRITES)
            });
        }
        self.unflushed
            .stage(&mut staged, std::mem::take(&mut commit.write));
        Ok(())
    }

    /// Concurrent callers share one hand-over to sled and one sled flush
    /// (see `group_flush`).
    fn flush(&self) -> Result<(), StoreError> {
        let written = self.unflushed.staging().applied();
        off_workers(|| self.flush_until(written))
    }

    fn unsettled(&self) -> bool {
        self.unflushed.staging().applied() > self.group.durable()
    }

    fn stalled_flush(&self) -> Option<std::time::Duration> {
        self.group.stalled()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A commit waiting for the disk must not hold up the other calls
    /// queued on its async worker: with one worker, a call made while a
    /// flush waits still runs at once.
    #[test]
    fn a_flush_waiting_for_the_disk_leaves_its_worker_to_other_calls() {
        use std::time::{Duration, Instant};

        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        // Sled's write lock, held for a while: the flush waits on it as it
        // would on a slow disk.
        let (held, is_held) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let _writing = writing();
            held.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(800));
        });
        is_held.recv().unwrap();
        runtime.block_on(async {
            let (started, has_started) = tokio::sync::oneshot::channel();
            let committer = std::sync::Arc::clone(&store);
            let commit = tokio::spawn(async move {
                started.send(()).unwrap();
                committer.commit(Commit::new().put("k", b"v".to_vec()))
            });
            has_started.await.unwrap();
            // Not tokio's sleep: its timer is driven by the worker.
            std::thread::sleep(Duration::from_millis(100));
            let asked = Instant::now();
            let answered = tokio::spawn(async { Instant::now() }).await.unwrap();
            assert!(
                answered.duration_since(asked) < Duration::from_millis(400),
                "a call waited {:?} behind a flush on its worker",
                answered.duration_since(asked)
            );
            commit.await.unwrap().unwrap();
        });
        holder.join().unwrap();
        assert_eq!(store.get(b"k").unwrap(), Some(b"v".to_vec()));
    }

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
    fn applied_writes_are_read_before_the_flush_and_kept_by_it() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store
                .commit(Commit::new().put("p/1", vec![1]).put("p/2", vec![1]))
                .unwrap();
            store
                .apply(Commit::new().delete("p/1").put("p/3", vec![2]))
                .unwrap();
            store.apply(Commit::new().put("p/2", vec![3])).unwrap();
            assert_eq!(store.get(b"p/1").unwrap(), None);
            assert_eq!(store.get(b"p/2").unwrap(), Some(vec![3]));
            let scanned = store.scan(KeyRange::prefix(b"p/"), 10).unwrap();
            assert_eq!(
                scanned,
                [(b"p/2".to_vec(), vec![3]), (b"p/3".to_vec(), vec![2])]
            );
            // An expectation is checked against the newest applied value.
            let stale = Commit::new()
                .expect("p/2", Some(vec![1]))
                .put("p/4", vec![4]);
            assert!(matches!(
                store.apply(stale),
                Err(StoreError::Conflict { .. })
            ));
            store.flush().unwrap();
            assert_eq!(store.unflushed.get(b"p/2"), None, "landed in sled");
            assert_eq!(store.scan(KeyRange::prefix(b"p/"), 10).unwrap(), scanned);
            // Applied and never flushed: closing the store lands it.
            store.apply(Commit::new().put("p/5", vec![5])).unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        let keys: Vec<_> = store
            .scan(KeyRange::prefix(b"p/"), 10)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, [b"p/2".to_vec(), b"p/3".to_vec(), b"p/5".to_vec()]);
    }

    #[test]
    fn every_flush_ends_synced_the_log_and_every_blob_file_sled_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let before = store.disk.syncs();
        store.commit(Commit::new().put("small", vec![1])).unwrap();
        assert!(store.disk.syncs() > before, "a commit returned unsynced");
        assert!(!store.unsettled(), "a committed write is settled");

        // A value over sled's blob threshold goes to a file of its own,
        // which sled never syncs.
        let files_before = store.disk.files_synced();
        store
            .commit(Commit::new().put("large", vec![7; 1 << 20]))
            .unwrap();
        let blobs: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert!(
            !blobs.is_empty(),
            "sled wrote the large value to a blob file"
        );
        for blob in &blobs {
            assert!(store.disk.blob_synced(blob), "blob {blob:?} left unsynced");
        }
        // The log, each new blob file and their directory.
        assert!(store.disk.files_synced() >= files_before + 3);
    }

    #[test]
    fn an_applied_commit_is_unsettled_until_a_flush_covers_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        assert!(!store.unsettled());
        store.apply(Commit::new().put("k", vec![1])).unwrap();
        assert!(
            store.unsettled(),
            "readers could see a write not yet durable"
        );
        let syncs = store.disk.syncs();
        store.settle().unwrap();
        assert!(!store.unsettled());
        assert!(store.disk.syncs() > syncs, "settling synced the disk");
    }

    #[test]
    fn a_stepped_commit_lands_after_the_commits_applied_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store
            .apply(Commit::new().put("a", vec![1]).put("k/000000", vec![1]))
            .unwrap();
        let mut large = Commit::new().expect("a", Some(vec![1]));
        for i in 0..=journal::STEP_WRITES {
            large = large.put(format!("k/{i:06}"), vec![2]);
        }
        store.commit(large).unwrap();
        assert_eq!(store.get(b"k/000000").unwrap(), Some(vec![2]));
        assert_eq!(store.get(b"a").unwrap(), Some(vec![1]));
    }

    #[test]
    fn racing_read_modify_writes_lose_no_update_across_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let store = std::sync::Arc::clone(&store);
                std::thread::spawn(move || {
                    let mut done = 0;
                    while done < 50 {
                        let now = store.get(b"counter").unwrap();
                        let next = now.as_ref().map_or(0, |v| v[0] as u64 * 256 + v[1] as u64) + 1;
                        let commit = Commit::new()
                            .expect("counter", now)
                            .put("counter", vec![(next / 256) as u8, (next % 256) as u8]);
                        match store.commit(commit) {
                            Ok(()) => done += 1,
                            Err(StoreError::Conflict { .. }) => {}
                            Err(other) => panic!("{other}"),
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(
            store.get(b"counter").unwrap(),
            Some(vec![1, 144]),
            "400 increments"
        );
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
