//! Load benchmark for the reference-data feed at the large demo's scale:
//! a device's first sync of the whole catalog, a delta after 1,000
//! changes, and local search over what it pulled.
//!
//! The server runs in a process of its own (this crate's `server-process`
//! binary with `TRADEPORT_DEMO_SCALE`: the test configuration, the large
//! demo of `BENCH_SCALE` products with its 1,000 extra customer accounts,
//! an embedded store in a temporary directory), so its memory is measured
//! apart from the device's, which is this process. The device is the SDK's
//! `Device` in a local database of its own, signed in with a passkey as
//! the buyer of the gold customer Nordlicht, who sees every product at its
//! own prices (tier list, contract prices, promotions).
//!
//! - (a) first sync: a fresh device's `pull_reference_data` from an empty
//!   cursor until up to date, then one local search: the time until the
//!   local catalog is usable, pages, bytes and changes, the server's and
//!   this process's resident memory (VmRSS, and VmHWM for the peak).
//! - (b) delta: 1,000 changes made on the server while the device does not
//!   pull (750 stock levels by the ERP through `UpdateStockLevels`, 250 of
//!   Nordlicht's prices through a price-list import), then one
//!   `pull_reference_data`, which must bring exactly those 1,000.
//! - (c) local search over the pulled catalog: p50/p99/max per query kind
//!   (exact SKU, barcode, SKU prefix, one word, two words, a half-typed
//!   last word, one letter), taken from the demo catalog's own products.
//!
//! `BENCH_BREAKDOWN=1` pulls the snapshot once more into a second fresh
//! device page by page, timing the server's answer apart from the device's
//! apply, to show where the time goes.
//!
//! Run with `cargo bench -p tradeport-tests --bench feed_load`.
//! `BENCH_SCALE=<products>` (default 100000), `BENCH_QUERIES=<n>` per query
//! kind (default 1000), and `BENCH_QUICK=1` for a smoke run on the
//! standard demo (5,400 products).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use prost::Message;
use tradeport_mobile::{Client, Device};
use tradeport_proto::catalog::UpdateStockLevelsRequest;
use tradeport_proto::identity::Role;
use tradeport_proto::sync::PullReferenceDataRequest;
use tradeport_tests::ServerProcess;
use tradeport_tests::bench::memory::rss_and_peak_mib;
use tradeport_tests::bench::settings::{env_or, quick};
use tradeport_tests::bench::tally::Tally;
use tradeport_tests::clients::{catalog, sync};
use tradeport_tests::imports::import_prices;
use tradeport_tests::stock::level;

const DEFAULT_SCALE: usize = 100_000;
const STANDARD_DEMO: usize = 5_400;
const WAREHOUSES: [&str; 3] = ["WH-HAM", "WH-MAD", "WH-RTM"];
/// The delta: stock levels of this many SKUs in each warehouse, and
/// prices of this many more SKUs; 3 × 250 + 250 = 1,000 changes.
const DELTA_SKUS: usize = 250;
const DELTA_CHANGES: u64 = 1_000;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn enrol(server: &ServerProcess, email: &str) -> Client {
    server.enrolled(email).await.unwrap()
}

async fn api_key(server: &ServerProcess, admin: &Client, role: Role) -> Client {
    server
        .with_api_key(admin, &format!("feed bench {role:?}"), role)
        .await
        .unwrap()
}

async fn open_device(dir: &Path, client: Client) -> Device {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || Device::open(dir, client))
        .await
        .unwrap()
        .unwrap()
}

/// The snapshot again, page by page into a fresh device: the server's
/// answer (request to decoded response) timed apart from the apply.
async fn breakdown(buyer: &Client) {
    let dir = tempfile::tempdir().unwrap();
    let device = std::sync::Arc::new(open_device(dir.path(), buyer.clone()).await);
    let mut sync = sync(buyer);
    let mut cursor = String::new();
    let (mut serve, mut apply, mut pages, mut bytes) = (Duration::ZERO, Duration::ZERO, 0, 0);
    let mut slowest = (Duration::ZERO, 0);
    let began = Instant::now();
    loop {
        let asked = Instant::now();
        let page = sync
            .pull_reference_data(PullReferenceDataRequest {
                cursor: cursor.clone(),
                page_size: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let served = asked.elapsed();
        serve += served;
        if served > slowest.0 {
            slowest = (served, pages);
        }
        pages += 1;
        bytes += page.encoded_len();
        cursor = page.next_cursor.clone();
        let done = page.up_to_date;
        let applying = Instant::now();
        let d = std::sync::Arc::clone(&device);
        tokio::task::spawn_blocking(move || d.apply_reference_page(&page))
            .await
            .unwrap()
            .unwrap();
        apply += applying.elapsed();
        if done {
            break;
        }
    }
    println!(
        "breakdown of a second first sync: {:.2} s in all, {pages} pages, {:.1} MiB; \
         server answers {:.2} s ({:.1} ms a page, slowest {:.1} ms at page {}), \
         device applies {:.2} s ({:.1} ms a page)",
        began.elapsed().as_secs_f64(),
        bytes as f64 / 1_048_576.0,
        serve.as_secs_f64(),
        ms(serve) / pages as f64,
        ms(slowest.0),
        slowest.1,
        apply.as_secs_f64(),
        ms(apply) / pages as f64,
    );
}

/// 750 stock levels and 250 of `account`'s prices, none of them for the
/// same item twice; how long the stock updates and the price import took.
async fn make_delta(
    erp: &Client,
    manager: &Client,
    account: &str,
    skus: &[String],
) -> (Duration, Duration) {
    let began = Instant::now();
    let mut stock = catalog(erp);
    for warehouse in WAREHOUSES {
        let levels = skus[..DELTA_SKUS]
            .iter()
            .enumerate()
            .map(|(i, sku)| level(sku, (10_000 + i).to_string()))
            .collect();
        let applied = stock
            .update_stock_levels(UpdateStockLevelsRequest {
                warehouse_id: warehouse.into(),
                // The demo's levels are the warehouses' sequence 1.
                sequence: 2,
                levels,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(applied.applied, "{warehouse}: {applied:?}");
    }
    let stocked = began.elapsed();
    let began = Instant::now();
    let mut rows = String::new();
    for (i, sku) in skus[DELTA_SKUS..2 * DELTA_SKUS].iter().enumerate() {
        let (name, currency, scope) = if i == 0 {
            ("Feed bench prices", "EUR", format!("customer:{account}"))
        } else {
            ("", "", String::new())
        };
        rows.push_str(&format!(
            "pl-feed-bench,{name},{currency},{scope},{sku},0,{}.{:02}\n",
            1 + i / 100,
            i % 100
        ));
    }
    import_prices(manager, &rows).await;
    (stocked, began.elapsed())
}

struct Kind {
    name: &'static str,
    queries: Vec<String>,
}

fn query_kinds(scale: Option<usize>, n: usize) -> Vec<Kind> {
    let catalog = tradeport_server::demo::catalog_of(scale);
    let products = &catalog.products;
    // A fixed stride through the catalog: every part of it, the same on
    // every run.
    let pick = |k: usize| &products[(k * 7_919) % products.len()];
    let words = |k: usize| -> Vec<String> {
        pick(k)
            .name
            .split_whitespace()
            .map(str::to_lowercase)
            .collect()
    };
    vec![
        Kind {
            name: "exact SKU",
            queries: (0..n).map(|k| pick(k).sku.to_lowercase()).collect(),
        },
        Kind {
            name: "exact barcode",
            queries: (0..n).filter_map(|k| pick(k).barcode.clone()).collect(),
        },
        Kind {
            name: "SKU prefix (`TP-EL-0`)",
            queries: (0..n)
                .map(|k| pick(k).sku.chars().take(7).collect())
                .collect(),
        },
        Kind {
            name: "one word (`cable`)",
            queries: (0..n).map(|k| words(k)[0].clone()).collect(),
        },
        Kind {
            name: "two words",
            queries: (0..n).map(|k| words(k)[..2].join(" ")).collect(),
        },
        Kind {
            name: "two words, last half typed",
            queries: (0..n)
                .map(|k| {
                    let w = words(k);
                    let half: String = w[1]
                        .chars()
                        .take(w[1].chars().count().div_ceil(2))
                        .collect();
                    format!("{} {half}", w[0])
                })
                .collect(),
        },
        Kind {
            name: "one letter",
            queries: (0..n)
                .map(|k| ["s", "c", "p", "l", "b"][k % 5].to_string())
                .collect(),
        },
    ]
}

#[tokio::main]
async fn main() {
    let scale = (!quick()).then(|| env_or("BENCH_SCALE", DEFAULT_SCALE));
    let queries = env_or("BENCH_QUERIES", 1_000);
    let products_wanted = scale.unwrap_or(STANDARD_DEMO);
    let me = std::process::id();

    let data = tempfile::tempdir().unwrap();
    let seeding = Instant::now();
    let server = ServerProcess::start_scaled(
        Path::new(env!("CARGO_BIN_EXE_server-process")),
        data.path(),
        scale,
    )
    .unwrap();
    let pid = server.pid();
    println!(
        "server process seeded with {products_wanted} products and listening in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let admin = enrol(&server, "admin@tradeport.example").await;
    let erp = api_key(&server, &admin, Role::Integration).await;
    let manager = api_key(&server, &admin, Role::CatalogManager).await;
    let buyer = enrol(&server, "buyer@nordlicht.example").await;
    let account = server.accounts[0].clone();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (server_idle, _) = rss_and_peak_mib(pid);
    let (device_before, _) = rss_and_peak_mib(me);

    // (a) The first sync, until the local catalog answers a search.
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let device = open_device(dir.path(), buyer.clone()).await;
    let first = device.pull_reference_data().await.unwrap();
    let hits = device.search("cable", 20);
    let usable = started.elapsed();
    assert!(!hits.is_empty(), "the pulled catalog finds cables");
    let status = device.status().unwrap();
    let (server_after, server_peak) = rss_and_peak_mib(pid);
    let (device_after, device_peak) = rss_and_peak_mib(me);
    let local_bytes: u64 = walk_size(dir.path());
    println!(
        "(a) first sync: {} products usable locally in {:.2} s: {} pages, {} changes, \
         {:.1} MiB on the wire, {:.1} MiB on the device's disk",
        status.products,
        usable.as_secs_f64(),
        first.pages,
        first.changes,
        first.bytes as f64 / 1_048_576.0,
        local_bytes as f64 / 1_048_576.0,
    );
    println!(
        "    server RSS {server_idle:.0} MiB idle, {server_after:.0} MiB after (peak {server_peak:.0}); \
         device (this process) RSS {device_before:.0} MiB before, {device_after:.0} MiB after \
         (peak {device_peak:.0})"
    );
    assert!(status.products >= products_wanted * 9 / 10, "{status:?}");

    // (b) 1,000 changes while the device does not pull, then the delta.
    let mut skus: Vec<String> = Vec::with_capacity(2 * DELTA_SKUS);
    for query in ["cable", "valve", "lamp", "screw", "glove", "switch"] {
        for hit in device.search(query, 2 * DELTA_SKUS) {
            if !skus.contains(&hit.sku) {
                skus.push(hit.sku);
            }
        }
        if skus.len() >= 2 * DELTA_SKUS {
            break;
        }
    }
    assert!(skus.len() >= 2 * DELTA_SKUS, "found {} SKUs", skus.len());
    let your_price = |device: &Device, sku: &str| {
        device
            .product(sku)
            .unwrap()
            .and_then(|e| e.product)
            .and_then(|p| p.your_price)
    };
    let price_before = your_price(&device, &skus[DELTA_SKUS]);
    let (stocked, priced) = make_delta(&erp, &manager, &account, &skus).await;
    let started = Instant::now();
    let delta = device.pull_reference_data().await.unwrap();
    let took = started.elapsed();
    assert_eq!(delta.changes, DELTA_CHANGES, "{delta:?}");
    assert!(!delta.reset, "{delta:?}");
    let level = device.stock(&skus[0]).unwrap();
    assert!(level.iter().all(|l| l.on_hand == "10000"), "{level:?}");
    assert_ne!(your_price(&device, &skus[DELTA_SKUS]), price_before);
    println!(
        "(b) delta: {} changes pulled and applied in {:.0} ms: {} pages, {:.1} KiB \
         (made on the server: 3 stock updates of {DELTA_SKUS} levels in {:.0} ms, \
         a price import of {DELTA_SKUS} SKUs in {:.0} ms)",
        delta.changes,
        ms(took),
        delta.pages,
        delta.bytes as f64 / 1024.0,
        ms(stocked),
        ms(priced),
    );
    let again = Instant::now();
    let nothing = device.pull_reference_data().await.unwrap();
    println!(
        "    and a pull with nothing new: {} changes in {:.1} ms",
        nothing.changes,
        ms(again.elapsed())
    );

    // (c) Local search over what was pulled.
    let kinds = query_kinds(scale, queries);
    let mut all = Tally::new().unwrap();
    println!("(c) local search over the pulled catalog, {queries} queries a kind (limit 20):");
    println!("| query kind | p50 ms | p99 ms | max ms | hits (mean) |");
    println!("|---|---:|---:|---:|---:|");
    for kind in &kinds {
        let mut h = Tally::new().unwrap();
        let mut found = 0;
        for q in &kind.queries {
            let t = Instant::now();
            let hits = device.search(q, 20);
            let took = t.elapsed();
            found += hits.len();
            h.record(took);
            all.record(took);
        }
        assert!(found > 0, "{}: nothing found", kind.name);
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.1} |",
            kind.name,
            h.ms(0.5),
            h.ms(0.99),
            h.latency_us.max() as f64 / 1000.0,
            found as f64 / kind.queries.len() as f64
        );
    }
    println!(
        "| all of the above | {:.3} | {:.3} | {:.3} | |",
        all.ms(0.5),
        all.ms(0.99),
        all.latency_us.max() as f64 / 1000.0
    );

    if std::env::var("BENCH_BREAKDOWN").is_ok_and(|v| v == "1") {
        drop(device);
        breakdown(&buyer).await;
    }
    server.kill().unwrap();
}

fn walk_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
