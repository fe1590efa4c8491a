//! What turns sled's flush into durability. sled 0.34 ends a flush with
//! `sync_file_range` on its log, which neither empties the disk's write
//! cache nor writes the file's metadata, and it writes values over its
//! blob threshold to files of their own that it never syncs. An
//! acknowledged commit must survive a power cut, so every group flush
//! ends here, once for all the commits it covers: `fdatasync` of the log,
//! of every blob file that appeared since the last sync, and of the blob
//! directory when it gained files (its entries are what find them again).
//!
//! It must never write anything itself: it only makes what sled wrote
//! stable.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::StoreError;

/// sled's names for its log and its blob directory, inside the store's
/// directory.
const LOG_FILE: &str = "db";
const BLOB_DIR: &str = "blobs";

pub(super) struct DiskSync {
    dir: PathBuf,
    /// The log, held open: `fdatasync` works on the file, through any
    /// descriptor of it.
    log: File,
    /// Blob files synced already. A name sled has since removed is
    /// forgotten at the next sync, so this holds no more than the
    /// directory does.
    synced_blobs: Mutex<BTreeSet<OsString>>,
    /// Syncs completed, and files synced by them: what a test checks.
    syncs: AtomicU64,
    files_synced: AtomicU64,
}

impl DiskSync {
    /// Syncs the store's directory as sled left it at open (its
    /// configuration, log and snapshot, the blob files, and the
    /// directories whose entries name them), so that what opening wrote is
    /// as durable as what follows.
    pub(super) fn open(dir: &Path) -> Result<Self, StoreError> {
        let log = File::open(dir.join(LOG_FILE)).map_err(|e| io("opening the log", &e))?;
        let sync = Self {
            dir: dir.to_path_buf(),
            log,
            synced_blobs: Mutex::default(),
            syncs: AtomicU64::new(0),
            files_synced: AtomicU64::new(0),
        };
        sync.sync()?;
        for entry in std::fs::read_dir(dir).map_err(|e| io("listing the store", &e))? {
            let entry = entry.map_err(|e| io("listing the store", &e))?;
            if entry.file_type().is_ok_and(|kind| kind.is_file()) {
                File::open(entry.path())
                    .and_then(|file| file.sync_data())
                    .map_err(|e| io("syncing the store's files", &e))?;
            }
        }
        sync_dir(dir)?;
        Ok(sync)
    }

    /// Makes everything sled has written so far stable on the disk.
    pub(super) fn sync(&self) -> Result<(), StoreError> {
        self.log
            .sync_data()
            .map_err(|e| io("syncing the log", &e))?;
        let mut files = 1;
        files += self.sync_new_blobs()?;
        self.files_synced.fetch_add(files, Ordering::Relaxed);
        self.syncs.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Syncs the blob files not synced before, then their directory if
    /// there were any; returns how many files it synced.
    fn sync_new_blobs(&self) -> Result<u64, StoreError> {
        let blobs = self.dir.join(BLOB_DIR);
        let listing = match std::fs::read_dir(&blobs) {
            Ok(listing) => listing,
            // sled creates the directory with the first blob.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io("listing the blob files", &e)),
        };
        let mut present = BTreeSet::new();
        for entry in listing {
            let entry = entry.map_err(|e| io("listing the blob files", &e))?;
            present.insert(entry.file_name());
        }
        let mut synced = self.synced_blobs.lock();
        synced.retain(|name| present.contains(name));
        let mut count = 0;
        for name in present {
            if synced.contains(&name) {
                continue;
            }
            match File::open(blobs.join(&name)) {
                Ok(file) => file
                    .sync_data()
                    .map_err(|e| io("syncing a blob file", &e))?,
                // Removed by sled since the listing: nothing to keep.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("opening a blob file", &e)),
            }
            synced.insert(name);
            count += 1;
        }
        if count > 0 {
            sync_dir(&blobs)?;
            count += 1;
        }
        Ok(count)
    }

    /// Syncs completed so far.
    #[cfg(test)]
    pub(super) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Acquire)
    }

    /// Files (and directories) synced so far.
    #[cfg(test)]
    pub(super) fn files_synced(&self) -> u64 {
        self.files_synced.load(Ordering::Relaxed)
    }

    /// Whether the blob file `name` is known synced.
    #[cfg(test)]
    pub(super) fn blob_synced(&self, name: &std::ffi::OsStr) -> bool {
        self.synced_blobs.lock().contains(name)
    }
}

/// Makes a directory's entries (the files created in it) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("syncing the store's directory", &e))
}

fn io(doing: &str, error: &std::io::Error) -> StoreError {
    StoreError::Engine(format!("{doing}: {error}"))
}
