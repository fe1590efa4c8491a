//! The device's local database: one sled database in the directory the app
//! gives [`crate::Device::open`], and the named trees in it. Everything the
//! SDK keeps on the device lives here, so signing out can delete it all.
//!
//! It is opened without sled's background flusher, so nothing is durable
//! until flushed: whatever the app was told is saved is flushed first.
//! Every batch, transaction, flush and the final close go through [`writing`]
//! (see `tradeport_sled_writes` for why).

use std::path::{Path, PathBuf};

use crate::Error;

/// The read-only copy of the reference-data feed and its cursor.
pub(crate) const REFERENCE_TREE: &str = "reference";
/// Actions waiting for the server, and the outcomes of finished ones.
pub(crate) const OUTBOX_TREE: &str = "outbox";
/// Sync bookkeeping: last synced time, the last pull's figures.
pub(crate) const META_TREE: &str = "meta";
/// The device's documents (drafts), by id.
pub(crate) const DRAFTS_TREE: &str = "drafts";
/// The changes of each edit since a document's last full save.
pub(crate) const DRAFT_CHANGES_TREE: &str = "draft_changes";
/// What the device keeps about each document's sync with the server.
pub(crate) const DRAFT_SYNC_TREE: &str = "draft_sync";

/// sled would cache up to 1 GiB; a phone has less to spare, and the search
/// index and hot lookups are held in memory by the SDK itself.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// Batches, transactions, flushes and closes never overlap another sled
/// write in this process (the server's store included, when both run in
/// one process): see `tradeport_sled_writes`.
pub(crate) use tradeport_sled_writes::writing;

/// The open database. Dropping it flushes and closes it (under [`writing`]).
pub(crate) struct LocalDb {
    /// Always `Some` until dropped.
    db: Option<sled::Db>,
    dir: PathBuf,
}

impl std::fmt::Debug for LocalDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDb").field("dir", &self.dir).finish()
    }
}

impl LocalDb {
    /// Opens (or creates) the database in `dir`, waiting briefly for a
    /// previous handle's file lock to be released.
    pub(crate) fn open(dir: &Path) -> Result<Self, Error> {
        let db =
            tradeport_sled_writes::open(sled::Config::new().path(dir).cache_capacity(CACHE_BYTES))?;
        Ok(Self {
            db: Some(db),
            dir: dir.to_path_buf(),
        })
    }

    /// The sled database, for trees of one's own. Runs a batch, a
    /// transaction or a flush on it only under [`writing`].
    pub(crate) fn db(&self) -> Result<&sled::Db, Error> {
        self.db.as_ref().ok_or(Error::SignedOut)
    }

    pub(crate) fn tree(&self, name: &str) -> Result<sled::Tree, Error> {
        Ok(self.db()?.open_tree(name)?)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes everything written so far to disk before returning: what was
    /// acknowledged to the app survives the app being killed. Blocking.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        Ok(tradeport_sled_writes::flush(self.db()?)?)
    }

    /// A batch applied atomically to one tree, under [`writing`].
    pub(crate) fn apply_batch(&self, tree: &sled::Tree, batch: sled::Batch) -> Result<(), Error> {
        let _writing = writing();
        tree.apply_batch(batch)?;
        Ok(())
    }
}

/// Trees handed out must be dropped before this (see
/// `tradeport_sled_writes::close`).
impl Drop for LocalDb {
    fn drop(&mut self) {
        if let Some(Err(error)) = self.db.take().map(tradeport_sled_writes::close) {
            tracing::error!(%error, "closing the local database failed");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_database_reopens_right_after_it_is_closed_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = LocalDb::open(dir.path()).unwrap();
            let tree = db.tree(META_TREE).unwrap();
            let mut batch = sled::Batch::default();
            batch.insert("k", "v");
            db.apply_batch(&tree, batch).unwrap();
            db.flush().unwrap();
        }
        let db = LocalDb::open(dir.path()).unwrap();
        let value = db.tree(META_TREE).unwrap().get("k").unwrap().unwrap();
        assert_eq!(value.as_ref(), b"v");
    }
}
