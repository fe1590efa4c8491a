//! How every sled database in a Tradeport process is opened and written.
//!
//! sled 0.34 guards every tree of every database in a process with one
//! lock of its own, and its writers — batches, transactions, flushes,
//! and its own background flusher thread, which seals the log and
//! rewrites pages for segment cleaning every half second — can wait on
//! each other for ever when they overlap. We have seen it three ways: a
//! flush and a transaction started together; a store that never finished
//! closing, its last flush waiting on a log write that never came while
//! the background flusher ran; and, with flushes let out of the lock,
//! syncing devices in one process stalling in about one run in six.
//!
//! So: every database is opened without the background flusher
//! ([`open`]), and every batch, transaction, flush and last drop runs
//! under [`writing`], one lock per process (the server's store and the
//! SDK's local database meet in one process in tests and benchmarks).
//! Nothing is durable until flushed: whoever writes flushes what must be
//! durable before acknowledging it.
//!
//! It also opens databases: one closed a moment ago (a restart, a test
//! reopening it, a device signing back in) keeps its file lock until
//! its last handle is gone, so opening waits for it a little rather than
//! fail.
//!
//! Closing is bounded. sled 0.34's last flush at a database's drop has
//! been seen to wait for ever inside sled (`make_stable_inner`) while
//! holding the process's lock, which stalled every other database in
//! the process with it. Nothing acknowledged depends on that flush (a
//! writer flushes before it acknowledges), so [`close`] runs it on a
//! thread of its own and gives up after [`CLOSE_PATIENCE`] with
//! [`CloseError::Stuck`]; and [`writing`] panics, naming the cause,
//! rather than wait more than [`WRITE_PATIENCE`] for a holder that never
//! lets go. A stuck close fails loudly; it never hangs the process.
//!
//! What this crate must never do: know what is stored, or hold the lock
//! for the caller beyond the guard it returns.

use std::path::Path;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

/// How long [`open`] waits for a previous handle's file lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// How long [`close`] waits for sled's last flush and drop. A close
/// flushes what little its owner left unflushed: well under a second.
pub const CLOSE_PATIENCE: Duration = Duration::from_secs(20);

/// How long [`writing`] waits for the lock before it gives up on the
/// process. Far above any batch or flush (the largest, an import's step,
/// takes well under a second) and above [`CLOSE_PATIENCE`], so a close
/// that is merely slow is not mistaken for a stuck one.
pub const WRITE_PATIENCE: Duration = Duration::from_secs(60);

/// Opens the database `config` describes, without sled's background
/// flusher, waiting up to [`LOCK_WAIT`] for a just-closed handle of it to
/// let go of its file lock.
///
/// It takes the configuration whole: sled logs an error when a
/// configuration it shares with a clone is changed.
pub fn open(config: sled::Config) -> sled::Result<sled::Db> {
    let config = config.flush_every_ms(None);
    let started = Instant::now();
    loop {
        match config.open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(25));
            }
            result => return result,
        }
    }
}

/// Waits up to `within` for every handle on the database in `dir`, in
/// this process or another, to be closed; returns whether they all were.
///
/// sled holds an exclusive lock on its log file (`db` in the directory)
/// from open until its last handle is dropped, after its last flush. A
/// directory must not be removed before that: sled 0.34 writes its large
/// pages to files of their own beside the log, and when it cannot create
/// one, the log space it has already claimed is never written, so every
/// later flush of that database waits for ever — under [`writing`], so
/// every other database of the process waits with it.
pub fn wait_closed(dir: &Path, within: Duration) -> bool {
    let log = dir.join("db");
    let started = Instant::now();
    loop {
        let free = match std::fs::OpenOptions::new().read(true).open(&log) {
            // Released again when `file` drops.
            Ok(file) => file.try_lock().is_ok(),
            // Never opened, or already gone: nothing holds it.
            Err(_) => true,
        };
        if free {
            return true;
        }
        if started.elapsed() >= within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

static WRITES: Mutex<()> = Mutex::new(());

/// Hold this around any sled `apply_batch`, transaction, `flush`, or the
/// drop of a database's last handle (which flushes).
///
/// # Panics
/// When the lock has been held for longer than [`WRITE_PATIENCE`]: sled
/// is stuck inside a write of this process, and waiting would hang the
/// caller for ever instead of failing where it can be seen.
pub fn writing() -> MutexGuard<'static, ()> {
    writing_within(WRITE_PATIENCE).unwrap_or_else(|| {
        panic!(
            "sled writes in this process have been stuck for over {} s: a flush or close never returned inside sled",
            WRITE_PATIENCE.as_secs()
        )
    })
}

/// The lock, if it can be had within `patience`.
fn writing_within(patience: Duration) -> Option<MutexGuard<'static, ()>> {
    // The guarded value is `()`: a panic elsewhere leaves nothing half-set.
    WRITES.try_lock_for(patience)
}

/// Makes everything written to `tree`'s database so far durable (the
/// trees of a database share one log), under [`writing`].
pub fn flush(tree: &sled::Tree) -> sled::Result<()> {
    let _writing = writing();
    tree.flush()?;
    Ok(())
}

/// Why a [`close`] did not end well.
#[derive(Debug)]
pub enum CloseError {
    /// sled's last flush failed; what was flushed before it stands.
    Sled(sled::Error),
    /// sled's last flush or drop did not return within the patience; it
    /// goes on, on a thread of its own, holding [`writing`].
    Stuck { waited: Duration },
}

impl std::fmt::Display for CloseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sled(error) => write!(f, "the last flush failed: {error}"),
            Self::Stuck { waited } => write!(
                f,
                "closing the database did not return within {} s: sled is stuck in its last flush, and the process's sled writes with it",
                waited.as_secs()
            ),
        }
    }
}

impl std::error::Error for CloseError {}

/// Flushes and lets go of a database handle, under [`writing`], waiting
/// at most [`CLOSE_PATIENCE`]: sled flushes again when a database's last
/// handle drops, which must not overlap a batch or transaction either.
/// Trees handed out must be dropped before this.
pub fn close(db: sled::Db) -> Result<(), CloseError> {
    close_within(db, CLOSE_PATIENCE)
}

fn close_within(db: sled::Db, patience: Duration) -> Result<(), CloseError> {
    let (done, closed) = std::sync::mpsc::channel();
    let closing = move || {
        let _writing = writing();
        let flushed = db.flush().map(|_| ());
        drop(db);
        let _ = done.send(flushed);
    };
    // Without a thread of its own, a stuck close would take its caller
    // (often a destructor at the end of a test or of the process) with it.
    if let Err(error) = std::thread::Builder::new()
        .name("sled close".into())
        .spawn(closing)
    {
        return Err(CloseError::Sled(sled::Error::Io(error)));
    }
    match closed.recv_timeout(patience) {
        Ok(flushed) => flushed.map_err(CloseError::Sled),
        Err(_) => Err(CloseError::Stuck { waited: patience }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The threads of this process whose name is `name`.
    fn threads_named(name: &str) -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .flatten()
                    .filter(|task| {
                        std::fs::read_to_string(task.path().join("comm"))
                            .is_ok_and(|comm| comm.trim_end() == name)
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    #[test]
    fn a_database_is_opened_without_sleds_background_flusher() {
        let dir = std::env::temp_dir().join(format!("sled-writes-{}", std::process::id()));
        let before = threads_named("log flusher");
        let ours = open(sled::Config::new().path(&dir)).expect("opens");
        let theirs = sled::Config::new().temporary(true).open().expect("opens");
        // A thread names itself once it runs: give sled's a moment.
        let started = Instant::now();
        while threads_named("log flusher") == before && started.elapsed() < LOCK_WAIT {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            threads_named("log flusher"),
            before + 1,
            "only the database opened with sled's defaults has a flusher"
        );
        let _writing = writing();
        drop((ours, theirs));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn closed_is_told_only_once_the_last_handle_has_let_go() {
        let dir = std::env::temp_dir().join(format!("sled-closed-{}", std::process::id()));
        let db = open(sled::Config::new().path(&dir)).expect("opens");
        let tree = db.open_tree("t").expect("tree");
        tree.insert("k", "v").expect("insert");
        assert!(
            !wait_closed(&dir, Duration::from_millis(50)),
            "the database is open"
        );
        close(db).expect("closes");
        assert!(
            !wait_closed(&dir, Duration::from_millis(50)),
            "a tree handed out still holds the database"
        );
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let _writing = writing();
            drop(tree);
        });
        assert!(wait_closed(&dir, LOCK_WAIT), "closed once the tree is gone");
        closer.join().expect("closer");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            wait_closed(&dir, Duration::ZERO),
            "a directory without a database"
        );
    }

    #[test]
    fn the_lock_is_one_for_the_process_and_survives_a_panicking_holder() {
        let held = writing();
        let other = std::thread::spawn(|| WRITES.try_lock().is_none());
        assert_eq!(other.join().ok(), Some(true), "a second writer must wait");
        drop(held);
        let _ = std::thread::spawn(|| {
            let _guard = writing();
            panic!("a writer fails while holding the lock");
        })
        .join();
        drop(writing());
    }

    #[test]
    fn a_close_that_cannot_finish_is_reported_stuck_not_waited_for() {
        let dir = std::env::temp_dir().join(format!("sled-stuck-{}", std::process::id()));
        let db = open(sled::Config::new().path(&dir)).expect("opens");
        db.insert("k", "v").expect("insert");
        // A writer that never lets go stands in for sled stuck in a flush:
        // the close cannot take the lock, as it could not finish its flush.
        let held = writing();
        let started = Instant::now();
        let closed = close_within(db, Duration::from_millis(300));
        assert!(
            matches!(closed, Err(CloseError::Stuck { .. })),
            "a close that cannot finish is reported, got {closed:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "and soon");
        assert!(
            writing_within(Duration::from_millis(50)).is_none(),
            "the lock is still held: a later writer would be told, not hung"
        );
        // Let go: the close finishes on its own thread.
        drop(held);
        assert!(
            wait_closed(&dir, LOCK_WAIT),
            "the close finished once it could"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
