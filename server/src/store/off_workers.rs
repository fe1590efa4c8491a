//! Disk waits off the async workers. The server runs on a handful of tokio
//! workers (two on a two-core machine); a call that waits for a flush on
//! one of them would stall every other call queued on that worker for as
//! long as the disk takes. Rather than trusting every use case to remember
//! `spawn_blocking`, whatever waits on the disk steps aside here: the
//! store's flush and its large stepped commits, the order writer's turn
//! and shared flush, and the catalog's write turn (which wait on another
//! caller's flush or import). Under a
//! multi-threaded runtime, `block_in_place` hands the worker's other tasks
//! to a fresh worker first, so only the caller that needs the disk waits
//! for it.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `wait` (something that blocks on the disk), first moving the
/// current worker's other tasks elsewhere when called on a worker of a
/// multi-threaded runtime. On a blocking thread, a plain thread or a
/// current-thread runtime (tests, tools) it simply runs.
pub fn off_workers<T>(wait: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}
