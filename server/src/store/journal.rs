//! Commits too large for one sled batch, applied in steps that a crash
//! rolls back.
//!
//! sled keeps a copy of every tree node a batch touches until the batch
//! ends: one batch of a 100,000-product import (200,000 keys) held about
//! 1.15 GiB. So a commit with more than [`STEP_WRITES`] writes lands as a
//! run of batches of at most that many, each carrying, in the same atomic
//! batch, an undo record: the values its keys held before. The journal's
//! head is written before the first step and removed, with every undo
//! record, in the last batch — that batch is the commit point.
//!
//! Whatever stops the run in between (an engine error here, or a crash)
//! leaves the head: [`roll_back`] then applies the undo records newest
//! first, which restores every key, and removes the journal. `SledStore`
//! runs it at open, before anything reads the store. sled recovers a
//! prefix of its log after a crash, and each step is one batch, so a step
//! is either there with its undo record or absent with it.
//!
//! The caller holds the process's write lock throughout, so no other
//! commit lands between the steps. Readers that do not take the lock may
//! see the early steps before the last: the `Store` trait says so.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::sled_store::{batch_of, engine};
use super::{StoreError, codec};

/// Writes per batch. Small enough that sled's copies stay in the tens of
/// MiB, large enough that the steps' own overhead (an undo read per key,
/// the undo record) stays a small part of the commit.
pub const STEP_WRITES: usize = 4_096;

/// Present while a stepped commit is in flight. The leading NUL keeps the
/// journal ahead of every record key, like the schema version.
const HEAD: &[u8] = b"\0journal\0head";
const STEP_PREFIX: &[u8] = b"\0journal\0step\0";

/// A key's value before a step wrote it (`None`: it was absent).
#[derive(Serialize, Deserialize)]
struct Undo {
    key: ByteBuf,
    before: Option<ByteBuf>,
}

fn step_key(step: u32) -> Vec<u8> {
    let mut key = STEP_PREFIX.to_vec();
    key.extend_from_slice(&step.to_be_bytes());
    key
}

/// Applies `writes` in steps of `step_writes`; see the module comment.
pub fn apply_in_steps(
    db: &sled::Db,
    writes: &[(Vec<u8>, Option<Vec<u8>>)],
    step_writes: usize,
) -> Result<(), StoreError> {
    let result = steps(db, writes, step_writes, None);
    if result.is_err() {
        // Best effort now; if this fails too, the next open rolls back.
        if let Err(error) = roll_back(db) {
            tracing::error!(%error, "rolling back a failed stepped commit failed");
        }
    }
    result
}

/// `stop_after` ends the run before that step, leaving the journal as a
/// crash would (tests only).
fn steps(
    db: &sled::Db,
    writes: &[(Vec<u8>, Option<Vec<u8>>)],
    step_writes: usize,
    stop_after: Option<usize>,
) -> Result<(), StoreError> {
    db.insert(HEAD, Vec::new()).map_err(engine)?;
    let mut done = sled::Batch::default();
    done.remove(HEAD);
    for (step, chunk) in writes.chunks(step_writes.max(1)).enumerate() {
        if stop_after == Some(step) {
            return Ok(());
        }
        let step = u32::try_from(step)
            .map_err(|_| StoreError::Engine("a commit of more than 2^32 steps".into()))?;
        // A key written twice in one step: both entries hold the value
        // before the step (no write of this batch has landed yet).
        let undo = chunk
            .iter()
            .map(|(key, _)| {
                Ok(Undo {
                    key: ByteBuf::from(key.clone()),
                    before: db
                        .get(key)
                        .map_err(engine)?
                        .map(|v| ByteBuf::from(v.to_vec())),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut batch = batch_of(chunk);
        let undo_key = step_key(step);
        batch.insert(undo_key.clone(), codec::encode(&undo_key, &undo)?);
        db.apply_batch(batch).map_err(engine)?;
        done.remove(undo_key);
    }
    db.apply_batch(done).map_err(engine)
}

/// Undoes a stepped commit that did not finish, if there is one, and
/// tells whether there was. The caller flushes.
pub fn roll_back(db: &sled::Db) -> Result<bool, StoreError> {
    if db.get(HEAD).map_err(engine)?.is_none() {
        return Ok(false);
    }
    let steps: Vec<(sled::IVec, sled::IVec)> = db
        .scan_prefix(STEP_PREFIX)
        .collect::<Result<_, _>>()
        .map_err(engine)?;
    // Newest first: a key written in two steps ends with the older value.
    for (undo_key, raw) in steps.into_iter().rev() {
        let undo: Vec<Undo> = codec::decode(&undo_key, &raw)?;
        let mut batch = sled::Batch::default();
        // Within a step every entry for a key holds the same before-value.
        for entry in undo {
            match entry.before {
                Some(before) => batch.insert(entry.key.into_vec(), before.into_vec()),
                None => batch.remove(entry.key.into_vec()),
            }
        }
        batch.remove(undo_key);
        db.apply_batch(batch).map_err(engine)?;
    }
    db.remove(HEAD).map_err(engine)?;
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{KeyRange, SledStore, Store, scan_all};

    type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

    /// 100 keys before; then a commit that overwrites the even ones,
    /// deletes the odd ones, adds 200 new ones and writes `k/000` twice,
    /// in its first step and its last.
    fn before_and_commit() -> (Writes, Writes) {
        let key = |i: usize| format!("k/{i:03}").into_bytes();
        let before: Writes = (0..100).map(|i| (key(i), Some(vec![1, i as u8]))).collect();
        let mut commit: Writes = (0..300)
            .map(|i| match i {
                i if i >= 100 => (key(i), Some(vec![2, i as u8])),
                i if i % 2 == 0 => (key(i), Some(vec![3, i as u8])),
                i => (key(i), None),
            })
            .collect();
        commit.push((key(0), Some(vec![4])));
        (before, commit)
    }

    fn everything(store: &SledStore) -> Vec<(Vec<u8>, Vec<u8>)> {
        scan_all(store, b"", 1000).unwrap()
    }

    fn raw(dir: &std::path::Path, writes: &Writes, stop_after: Option<usize>) {
        let db = tradeport_sled_writes::open(sled::Config::new().path(dir)).unwrap();
        let mut batch = sled::Batch::default();
        for (key, value) in writes {
            batch.insert(key.as_slice(), value.clone().unwrap());
        }
        db.apply_batch(batch).unwrap();
        if let Some(stop) = stop_after {
            let (_, commit) = before_and_commit();
            steps(&db, &commit, 64, Some(stop)).unwrap();
        }
        tradeport_sled_writes::close(db).unwrap();
    }

    #[test]
    fn a_stepped_commit_lands_whole_and_leaves_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        let (before, commit) = before_and_commit();
        raw(dir.path(), &before, None);
        let db = tradeport_sled_writes::open(sled::Config::new().path(dir.path())).unwrap();
        apply_in_steps(&db, &commit, 64).unwrap();
        assert!(db.get(HEAD).unwrap().is_none());
        assert_eq!(db.scan_prefix(STEP_PREFIX).count(), 0);
        assert_eq!(db.get(b"k/000").unwrap().unwrap().as_ref(), &[4]);
        assert!(db.get(b"k/001").unwrap().is_none());
        assert_eq!(db.get(b"k/002").unwrap().unwrap().as_ref(), &[3, 2]);
        assert_eq!(db.get(b"k/299").unwrap().unwrap().as_ref(), &[2, 43]);
        tradeport_sled_writes::close(db).unwrap();
    }

    #[test]
    fn a_commit_stopped_between_steps_is_rolled_back_when_the_store_opens() {
        let (before, _) = before_and_commit();
        for stop in [0, 1, 3, 4] {
            let dir = tempfile::tempdir().unwrap();
            raw(dir.path(), &before, Some(stop));
            let store = SledStore::open(dir.path()).unwrap();
            let expected: Vec<(Vec<u8>, Vec<u8>)> = before
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap()))
                .collect();
            let records = store.scan(KeyRange::prefix(b"k/"), 1000).unwrap();
            assert_eq!(records, expected, "stopped before step {stop}");
            // Only the schema version is left outside the records.
            assert_eq!(everything(&store).len(), before.len() + 1, "stop {stop}");
        }
    }

    #[test]
    fn the_store_steps_commits_above_the_step_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut commit = crate::store::Commit::new().expect("k/absent", None);
        for i in 0..STEP_WRITES * 2 + 1 {
            commit = commit.put(format!("k/{i:06}"), vec![1]);
        }
        store.commit(commit).unwrap();
        assert_eq!(
            store
                .scan(KeyRange::prefix(b"k/"), usize::MAX)
                .unwrap()
                .len(),
            STEP_WRITES * 2 + 1
        );
        assert_eq!(everything(&store).len(), STEP_WRITES * 2 + 2);
    }
}
