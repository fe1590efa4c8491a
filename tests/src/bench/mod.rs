//! What the load benchmarks share, so each benchmark file holds only what
//! it measures and how it reports it: settings read from the environment
//! ([`settings`]), the wire ([`wire`]), callers and the schedule they keep
//! ([`callers`], [`pace`]), the latency tally and its tables ([`tally`]),
//! memory readings ([`memory`]), the large demo's customers ([`scale`]),
//! the search workload's description ([`search`]), and for the orders
//! benchmark its order mix ([`order_mix`]) and disk probes ([`disk`]).

pub mod callers;
pub mod disk;
pub mod memory;
pub mod order_mix;
pub mod pace;
pub mod scale;
pub mod search;
pub mod settings;
pub mod tally;
pub mod wire;

use anyhow::{Context, Result};

/// The machine's cores (its available parallelism), which the servers and
/// the load generator share.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Runs `load` on a runtime of its own, one worker a core, and ends that
/// runtime before returning: the load generator's connections go first,
/// so the servers' stores can close after.
pub fn on_load_runtime<T>(load: impl Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .thread_name("load")
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let result = runtime.block_on(load);
    drop(runtime);
    result
}
