//! What durability costs on this machine's disk, apart from the server:
//! an order-sized commit on a store of its own, and the disk's own flush.
//! A slow flush here holds every submission whose commit waits on one,
//! whatever the server does.

use std::time::{Duration, Instant};

use anyhow::Result;
use tradeport_server::store::{Commit, SledStore, Store};

use super::order_mix::ORDER_LINES;
use super::tally::Tally;

/// `commits` commits like a confirmed order's (the order record, its two
/// list entries, 20 stock levels with their expectations, the number
/// sequence, the exposure, the remembered request), each flushed, on a
/// sled store of its own in the temporary file system the server's store
/// uses.
pub fn time_commits(order_bytes: usize, commits: usize) -> Result<Tally> {
    let dir = tempfile::tempdir()?;
    let store = SledStore::open(dir.path())?;
    let mut tally = Tally::new()?;
    let level = vec![7_u8; 160];
    for n in 0..commits {
        let mut commit = Commit::new()
            .put(format!("ord/{n:08}"), vec![1_u8; order_bytes])
            .put(format!("ordacc/a/{n:08}"), Vec::new())
            .put(format!("ordall/{n:08}"), Vec::new())
            .put("ordseq/2026", n.to_be_bytes().to_vec())
            .put("exposure/a", n.to_be_bytes().to_vec())
            .put(format!("idem/a/{n:08}"), vec![2_u8; order_bytes]);
        for s in 0..ORDER_LINES {
            let key = format!("stock/sku{:06}/WH", (n * ORDER_LINES + s) % 5_000);
            let current = store.get(key.as_bytes())?;
            commit = commit.expect(key.clone(), current).put(key, level.clone());
        }
        let began = Instant::now();
        store.commit(commit)?;
        tally.record(began.elapsed());
    }
    Ok(tally)
}

/// The disk alone, under about the load of 1,500 orders/s: a 20 KB append
/// (what a flush of a few orders writes) made durable with `fdatasync`,
/// one every 2 ms, for `window`, in the same temporary file system.
pub fn time_disk_syncs(window: Duration) -> Result<Tally> {
    use std::io::Write;
    let dir = tempfile::tempdir()?;
    let mut file = std::fs::File::create(dir.path().join("appends"))?;
    let chunk = vec![5_u8; 20 * 1024];
    let mut tally = Tally::new()?;
    let end = Instant::now() + window;
    while Instant::now() < end {
        let began = Instant::now();
        file.write_all(&chunk)?;
        file.sync_data()?;
        tally.record(began.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(tally)
}
