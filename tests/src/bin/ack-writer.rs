//! The writer process of the store's crash test: commits `ack/<n>` records
//! to the store in the directory given as its argument, printing `acked <n>`
//! only once each commit has returned, until it is killed. The test kills
//! it with SIGKILL and checks every printed write survived.

use std::io::Write;

use tradeport_server::store::{Commit, SledStore, Store};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: ack-writer <store directory>"))?;
    let store = SledStore::open(std::path::Path::new(&dir))?;
    let mut out = std::io::stdout().lock();
    for i in 0u32.. {
        store.commit(Commit::new().put(format!("ack/{i:08}"), i.to_be_bytes().to_vec()))?;
        writeln!(out, "acked {i}")?;
        out.flush()?;
    }
    Ok(())
}
