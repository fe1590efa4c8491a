//! The one lock every sled database in a process writes under.
//!
//! sled 0.34 guards every tree of every database in a process with one
//! lock of its own: a flush holds it shared while it waits for the log to
//! be written, a batch or transaction asks for it exclusively, after which
//! the log flusher's own shared request waits too — so a flush and a batch
//! or transaction started together can wait on each other for ever. Never
//! letting them overlap removes the cycle. The lock must be one per
//! process, like sled's: the server's store and the SDK's local database
//! meet in one process in tests and benchmarks, so both take it from here.
//!
//! It also opens databases: one closed a moment ago (a restart, a test
//! reopening it, a device signing back in) keeps its file lock until
//! sled's flusher thread has exited, so opening waits for it a little
//! rather than fail.
//!
//! What this crate must never do: know what is stored, or hold the lock
//! for the caller beyond the guard it returns.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long [`open`] waits for a previous handle's file lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Opens the database `config` describes, waiting up to [`LOCK_WAIT`] for
/// a just-closed handle of it to let go of its file lock.
pub fn open(config: &sled::Config) -> sled::Result<sled::Db> {
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

static WRITES: Mutex<()> = Mutex::new(());

/// Hold this around any sled `apply_batch`, transaction, `flush`, or the
/// drop of a database's last handle (which flushes).
pub fn writing() -> MutexGuard<'static, ()> {
    // The guarded value is `()`: a panic elsewhere leaves nothing half-set.
    WRITES.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_one_for_the_process_and_survives_a_panicking_holder() {
        let held = writing();
        let other = std::thread::spawn(|| WRITES.try_lock().is_err());
        assert_eq!(other.join().ok(), Some(true), "a second writer must wait");
        drop(held);
        let _ = std::thread::spawn(|| {
            let _guard = writing();
            panic!("a writer fails while holding the lock");
        })
        .join();
        drop(writing());
    }
}
