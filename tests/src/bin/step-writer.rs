//! The writer process of the store's large-commit crash test: commits
//! `big/<n>/<i>` records, `<records>` per commit (far above the store's
//! step size), to the store in the directory given, printing `acked <n>`
//! once each commit has returned, until it is killed.

use std::io::Write;

use tradeport_server::store::{Commit, SledStore, Store};

fn main() -> anyhow::Result<()> {
    let usage = || anyhow::anyhow!("usage: step-writer <store directory> <records>");
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or_else(usage)?;
    let records: usize = args.next().ok_or_else(usage)?.parse()?;
    let store = SledStore::open(std::path::Path::new(&dir))?;
    let mut out = std::io::stdout().lock();
    for n in 0u32.. {
        let mut commit = Commit::new();
        for i in 0..records {
            commit = commit.put(format!("big/{n:04}/{i:06}"), vec![n as u8; 200]);
        }
        store.commit(commit)?;
        writeln!(out, "acked {n}")?;
        out.flush()?;
    }
    Ok(())
}
