//! Group commit: committers that wait for the disk at the same time share
//! one flush. Writes are counted as they are applied; a committer waits
//! until the count it saw is durable. The first to wait leads: it flushes
//! everything applied so far, while the others wait for it and return
//! without a flush of their own when it covered them. A flush costs the
//! same for one write as for fifty, so under load the number of flushes
//! falls as the number of committers rises.
//!
//! A flush that never returns must not take every committer with it: sled
//! 0.34 turns some disk failures (it cannot create a file for a large
//! page) into a flush that waits for ever. A committer waiting on a flush
//! that has run for longer than the patience gives up with
//! [`StoreError::Stalled`], and [`GroupFlush::stalled`] tells the server's
//! health check.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::StoreError;

/// How long a flush may run before it counts as stalled. Far above any
/// flush seen (the largest, of an import's step, takes well under a
/// second), and no longer than a call's own time limit.
const STALLED_AFTER: Duration = Duration::from_secs(30);

pub(super) struct GroupFlush {
    state: Mutex<State>,
    done: Condvar,
    patience: Duration,
}

impl Default for GroupFlush {
    fn default() -> Self {
        Self::with_patience(STALLED_AFTER)
    }
}

#[derive(Default)]
struct State {
    /// Writes known to be durable.
    durable: u64,
    /// When the flush now running started.
    leading: Option<Instant>,
    /// Flushes run (the tests count them).
    flushes: u64,
}

impl GroupFlush {
    pub(super) fn with_patience(patience: Duration) -> Self {
        Self {
            state: Mutex::default(),
            done: Condvar::new(),
            patience,
        }
    }

    /// How long the running flush has run, if that is longer than the
    /// patience.
    pub(super) fn stalled(&self) -> Option<Duration> {
        let running = self.lock().leading?.elapsed();
        (running >= self.patience).then_some(running)
    }

    /// Returns once the first `written` writes are durable. `flush` makes
    /// durable every write applied before it started and returns how many
    /// writes that was; it runs here unless another committer's flush
    /// covers `written`. Fails with [`StoreError::Stalled`] rather than
    /// wait on a flush that has run longer than the patience.
    pub(super) fn until(
        &self,
        written: u64,
        flush: &dyn Fn() -> Result<u64, StoreError>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        loop {
            if state.durable >= written {
                return Ok(());
            }
            if let Some(started) = state.leading {
                let running = started.elapsed();
                let Some(left) = self.patience.checked_sub(running) else {
                    return Err(StoreError::Stalled {
                        running_secs: running.as_secs(),
                    });
                };
                state = self
                    .done
                    .wait_timeout(state, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            state.leading = Some(Instant::now());
            drop(state);
            let result = flush();
            state = self.lock();
            state.leading = None;
            state.flushes += 1;
            self.done.notify_all();
            // A failed flush fails its leader; a follower leads the next
            // attempt rather than be told of someone else's failure.
            state.durable = state.durable.max(result?);
        }
    }

    /// How many writes are known durable.
    pub(super) fn durable(&self) -> u64 {
        self.lock().durable
    }

    #[cfg(test)]
    fn flushes(&self) -> u64 {
        self.lock().flushes
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, each written whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// A log whose flush takes a while, like a disk's.
    #[derive(Default)]
    struct SlowLog {
        applied: AtomicU64,
        on_disk: AtomicU64,
    }

    impl SlowLog {
        fn flush(&self) -> Result<u64, StoreError> {
            let upto = self.applied.load(Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(3));
            self.on_disk.fetch_max(upto, Ordering::SeqCst);
            Ok(upto)
        }
    }

    #[test]
    fn concurrent_committers_share_flushes_and_each_returns_durable() {
        let log = Arc::new(SlowLog::default());
        let group = Arc::new(GroupFlush::default());
        let committers: Vec<_> = (0..16)
            .map(|_| {
                let (log, group) = (Arc::clone(&log), Arc::clone(&group));
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let mine = log.applied.fetch_add(1, Ordering::SeqCst) + 1;
                        group.until(mine, &|| log.flush()).unwrap();
                        assert!(
                            log.on_disk.load(Ordering::SeqCst) >= mine,
                            "returned before write {mine} was on disk"
                        );
                    }
                })
            })
            .collect();
        for c in committers {
            c.join().unwrap();
        }
        let flushes = group.flushes();
        assert!(
            flushes < 160,
            "160 commits by 16 committers should share flushes, ran {flushes}"
        );
    }

    #[test]
    fn a_failed_flush_fails_its_committer_and_the_next_one_retries() {
        let group = GroupFlush::default();
        let err = group
            .until(1, &|| Err(StoreError::Engine("disk full".into())))
            .unwrap_err();
        assert!(matches!(err, StoreError::Engine(ref m) if m == "disk full"));
        group.until(1, &|| Ok(1)).unwrap();
        assert_eq!(group.flushes(), 2);
        // Covered already: no flush.
        group.until(1, &|| panic!("no flush is needed")).unwrap();
    }

    #[test]
    fn committers_give_up_on_a_stalled_flush_and_it_is_reported() {
        let group = Arc::new(GroupFlush::with_patience(Duration::from_millis(200)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let leader = {
            let group = Arc::clone(&group);
            std::thread::spawn(move || {
                group.until(1, &|| {
                    released.recv().unwrap();
                    Ok(1)
                })
            })
        };
        while group.lock().leading.is_none() {
            std::thread::yield_now();
        }
        assert_eq!(group.stalled(), None, "a young flush is not stalled");
        let waited = Instant::now();
        let err = group
            .until(1, &|| panic!("the leader flushes"))
            .unwrap_err();
        assert!(matches!(err, StoreError::Stalled { .. }), "{err:?}");
        assert!(waited.elapsed() >= Duration::from_millis(150));
        assert!(group.stalled().unwrap() >= Duration::from_millis(200));

        release.send(()).unwrap();
        leader.join().unwrap().unwrap();
        assert_eq!(group.stalled(), None);
        group.until(1, &|| panic!("covered")).unwrap();
    }
}
