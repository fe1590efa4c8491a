//! Benchmark for a bulk catalog import: `BENCH_ROWS` products (default
//! 100,000) streamed as one CSV file through `ImportData` in all-or-nothing
//! mode, as an ERP's nightly upload would.
//!
//! The server runs in a process of its own (this crate's `server-process`
//! binary: the test configuration, the standard demo of 5,400 products,
//! an embedded store in a temporary directory), so its memory is measured
//! apart from this process, which generates and sends the file. The
//! uploader is an API key with the catalog manager role, made by the
//! demo brand admin signed in with a passkey.
//!
//! The file fills every column of the import (`catalog_csv::Detail::Full`:
//! barcode, description, category, units, quantity rules, tax class,
//! images, colour variant families, typed attributes); it is generated
//! before the clock starts and sent in chunks of 256 KiB.
//!
//! Figures: the import's wall time (first chunk sent to report received,
//! which covers reading and checking every row, the one commit, the text
//! index and the catalog view) and rows/s; the server's resident memory
//! (VmRSS) before, its peak during the import (VmRSS sampled every 20 ms
//! from a thread, and VmHWM, the kernel's high-water mark, which also
//! covers the server's start), and idle `BENCH_IDLE_SECS` (default 5) after;
//! then searches that prove the rows are searchable: the last row's SKU,
//! and words of a name.
//!
//! Run with `cargo bench -p tradeport-tests --bench catalog_import`.
//! `BENCH_ROWS=<n>`, and `BENCH_QUICK=1` for a smoke run of 2,000 rows.
//! `BENCH_ATTACH_SECS=<s>` prints the server's pid and waits that long
//! before the import, to attach `perf record -p` or `heaptrack -p` to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tradeport_mobile::Client;
use tradeport_proto::catalog::{DataKind, ImportMode, SearchProductsRequest};
use tradeport_proto::identity::Role;
use tradeport_tests::ServerProcess;
use tradeport_tests::bench::memory::{mib, status_kib};
use tradeport_tests::bench::settings::{env_or, quick};
use tradeport_tests::catalog_csv::{CatalogCsv, Detail};
use tradeport_tests::clients::{bulk, catalog};
use tradeport_tests::imports::upload;

/// A field of the server's `/proc/<pid>/status` in KiB (0 if unreadable).
fn server_kib(pid: u32, field: &str) -> u64 {
    status_kib(pid, field).unwrap_or(0)
}

const DEFAULT_ROWS: usize = 100_000;
const QUICK_ROWS: usize = 2_000;
const CHUNK: usize = 256 * 1024;
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// Samples a process's VmRSS until stopped; answers the highest seen and
/// the number of samples.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(u64, u64)>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut peak, mut samples) = (0, 0);
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(server_kib(pid, "VmRSS:"));
                samples += 1;
                std::thread::sleep(SAMPLE_EVERY);
            }
            (peak.max(server_kib(pid, "VmRSS:")), samples + 1)
        });
        Self { stop, thread }
    }

    fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

async fn manager(server: &ServerProcess) -> Client {
    let admin = server.enrolled("admin@tradeport.example").await.unwrap();
    server
        .with_api_key(&admin, "catalog import bench", Role::CatalogManager)
        .await
        .unwrap()
}

/// The ids of the first products a search for `query` finds.
async fn search(client: &Client, query: &str) -> (Vec<String>, u64, Duration) {
    let started = Instant::now();
    let found = catalog(client)
        .search_products(SearchProductsRequest {
            query: query.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let took = started.elapsed();
    (
        found.products.into_iter().map(|p| p.id).collect(),
        found.total_size.into(),
        took,
    )
}

#[tokio::main]
async fn main() {
    let quick = quick();
    let rows = env_or("BENCH_ROWS", if quick { QUICK_ROWS } else { DEFAULT_ROWS }) as u32;
    let idle_secs = env_or("BENCH_IDLE_SECS", if quick { 1 } else { 5 }) as u64;

    let data = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::start(Path::new(env!("CARGO_BIN_EXE_server-process")), data.path()).unwrap();
    let pid = server.pid();
    let manager = manager(&server).await;

    // The file, before the clock starts.
    let file = CatalogCsv::new("imp", Detail::Full, 0);
    let generated = Instant::now();
    let csv = file.file(rows).into_bytes();
    let bytes = csv.len();
    let parts = upload(
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "catalog-import-bench-1",
        &csv,
        CHUNK,
    );
    drop(csv);
    println!(
        "file: {rows} rows, {:.1} MiB in {} chunks, generated in {:.2?}",
        bytes as f64 / 1_048_576.0,
        parts.len() - 1,
        generated.elapsed()
    );

    let attach = env_or("BENCH_ATTACH_SECS", 0) as u64;
    if attach > 0 {
        println!("server pid {pid}: attach a profiler now, the import starts in {attach} s");
    }
    tokio::time::sleep(Duration::from_secs(attach.max(1))).await;
    let rss_before = server_kib(pid, "VmRSS:");
    let hwm_before = server_kib(pid, "VmHWM:");

    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let report = bulk(&manager)
        .import_data(tokio_stream::iter(parts))
        .await
        .unwrap()
        .into_inner();
    let took = started.elapsed();
    let (rss_peak, samples) = sampler.finish();
    let hwm_after = server_kib(pid, "VmHWM:");
    assert_eq!(report.errors, [], "the file imports without a rejection");
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.applied),
        (u64::from(rows), u64::from(rows), true)
    );
    let rss_after = server_kib(pid, "VmRSS:");

    // Searchable: the last row by its SKU, and a name's words.
    let last = rows - 1;
    let (by_sku, _, sku_took) = search(&manager, &file.sku(last)).await;
    assert_eq!(
        by_sku.first(),
        Some(&file.id(last)),
        "the last row is found by its SKU"
    );
    let (by_words, words_total, words_took) = search(&manager, "imported as imp").await;
    assert!(
        by_words.iter().all(|id| id.starts_with("imp-")) && !by_words.is_empty(),
        "{by_words:?}"
    );

    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    let rss_idle = server_kib(pid, "VmRSS:");

    let rate = f64::from(rows) / took.as_secs_f64();
    println!(
        "import: {rows} rows ({:.1} MiB) all or nothing in {:.2} s = {rate:.0} rows/s",
        bytes as f64 / 1_048_576.0,
        took.as_secs_f64()
    );
    println!(
        "server RSS: {:.0} MiB before, peak {:.0} MiB during the import ({samples} samples \
         every {} ms; VmHWM {:.0} MiB, {:.0} MiB before the import), {:.0} MiB right after, \
         {:.0} MiB idle {idle_secs} s later",
        mib(rss_before),
        mib(rss_peak),
        SAMPLE_EVERY.as_millis(),
        mib(hwm_after),
        mib(hwm_before),
        mib(rss_after),
        mib(rss_idle),
    );
    println!(
        "search after the import: SKU {} in {:.1} ms; \"imported as imp\" finds {words_total} \
         in {:.1} ms",
        file.sku(last),
        sku_took.as_secs_f64() * 1000.0,
        words_took.as_secs_f64() * 1000.0,
    );
    println!();
    println!(
        "| rows | import | rows/s | server RSS before | peak (sampled / VmHWM) | idle after |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {rows} | {:.2} s | {rate:.0} | {:.0} MiB | {:.0} / {:.0} MiB | {:.0} MiB |",
        took.as_secs_f64(),
        mib(rss_before),
        mib(rss_peak),
        mib(hwm_after),
        mib(rss_idle),
    );
    server.kill().unwrap();
}
