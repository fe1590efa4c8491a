//! Load benchmark for draft sync: many devices coming back online at once.
//!
//! The server runs in a process of its own (this crate's `server-process`
//! binary, the test configuration, its embedded store in a temporary
//! directory, every round's changes flushed before the answer), so its
//! memory is measured apart from the devices'. Each device is the SDK's
//! draft store in a local database of its own, with a connection of its
//! own, signed in as a buyer of the first demo account.
//!
//! Each of `BENCH_DEVICES` devices (default 100) builds `BENCH_DRAFTS`
//! drafts (default 10) of `BENCH_LINES` lines (default 50) while offline;
//! then all reconnect at once, and the figure is the time until every
//! device's sync has finished: every document merged on the server,
//! durable, and acknowledged back to its device. Then a second device
//! fetches a sample of the drafts to check they arrived whole. Last, the
//! server's resident memory (VmRSS of its process).
//!
//! Run with `cargo bench -p tradeport-tests --bench sync_load`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use tradeport_mobile::Drafts;
use tradeport_tests::ServerProcess;
use tradeport_tests::bench::memory::{mib, status_kib};
use tradeport_tests::bench::settings::env_or;

#[tokio::main]
async fn main() {
    let devices = env_or("BENCH_DEVICES", 100);
    let drafts_each = env_or("BENCH_DRAFTS", 10);
    let lines_each = env_or("BENCH_LINES", 50);
    let data = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_server-process")), data.path()).unwrap();
    let client = server.enrolled("buyer@nordlicht.example").await.unwrap();
    let tokens = client.tokens().unwrap();
    let account = server.accounts[0].clone();

    // Offline: every device builds its drafts.
    let built = Instant::now();
    let mut fleet = Vec::new();
    for d in 0..devices {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::standalone(dir.path(), &format!("device-{d}")).unwrap();
        let mut ids = Vec::new();
        for _ in 0..drafts_each {
            let id = drafts.create(&account).unwrap();
            drafts
                .edit(&id, |draft| {
                    for l in 0..lines_each {
                        draft.add_line(&format!("NL-{:04}", l % 9999 + 1), "2")?;
                    }
                    Ok(())
                })
                .unwrap();
            ids.push(id);
        }
        fleet.push((drafts, dir, ids, server.client(Some(&tokens)).unwrap()));
    }
    println!(
        "{devices} devices × {drafts_each} drafts × {lines_each} lines built offline in {:.2?}",
        built.elapsed()
    );
    let before = status_kib(server.pid(), "VmRSS:").unwrap_or(0);

    // Online: all at once.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (drafts, _, _, client) in &fleet {
        let drafts = drafts.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let report = drafts.sync(&client).await.unwrap();
            assert!(report.refused.is_empty(), "{report:?}");
            assert_eq!(drafts.pending().unwrap(), 0);
            report
        }));
    }
    let mut rounds = 0;
    let mut sent = 0;
    for task in tasks {
        let report = task.await.unwrap();
        rounds += report.rounds;
        sent += report.bytes_sent;
    }
    let took = started.elapsed();
    let after = status_kib(server.pid(), "VmRSS:").unwrap_or(0);
    println!(
        "reconnect: {} documents of {lines_each} lines merged and acknowledged in {took:.2?} \
         ({rounds} rounds, {:.1} MiB sent)",
        devices * drafts_each,
        sent as f64 / 1_048_576.0
    );

    // Check a sample arrived whole, through another device.
    let check = tempfile::tempdir().unwrap();
    let other = Drafts::standalone(check.path(), "checker").unwrap();
    let sample: Vec<&String> = fleet
        .iter()
        .map(|(_, _, ids, _)| &ids[0])
        .take(10)
        .collect();
    for id in &sample {
        other.fetch(id).unwrap();
    }
    other
        .sync(&server.client(Some(&tokens)).unwrap())
        .await
        .unwrap();
    for id in sample {
        assert_eq!(other.open(id).unwrap().lines().unwrap().len(), lines_each);
    }
    println!(
        "server RSS: {:.0} MiB before the reconnect, {:.0} MiB after",
        mib(before),
        mib(after)
    );
    server.kill().unwrap();
}
