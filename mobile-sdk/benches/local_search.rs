//! Offline search benchmark: `Device::search` over 100,000 synthetic
//! products in the device's local copy, the way an app calls it while the
//! person types. Also reports how long applying the snapshot took (pages of
//! 5,000 through the same code path as the feed) and how long reopening the
//! device takes (the index is rebuilt from the local database).
//!
//! Run with `cargo bench -p tradeport-mobile --bench local_search`.
//! `BENCH_PRODUCTS=<n>` (default 100000), `BENCH_QUERIES=<n>` per kind
//! (default 2000).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use tradeport_mobile::proto::catalog::Product;
use tradeport_mobile::proto::common::Money;
use tradeport_mobile::proto::sync::{
    PriceBreak, ProductEntry, PullReferenceDataResponse, ReferenceChange, reference_change,
};
use tradeport_mobile::{Client, ClientConfig, Decimal, Device};

const PAGE: usize = 5_000;

/// The i-th query of a kind.
type QueryOf = Box<dyn Fn(usize) -> String>;
const LIMIT: usize = 20;

const MATERIALS: [&str; 12] = [
    "brass",
    "copper",
    "steel",
    "stainless",
    "pvc",
    "aluminium",
    "nylon",
    "rubber",
    "cast",
    "galvanised",
    "chrome",
    "ceramic",
];
const THINGS: [&str; 24] = [
    "valve", "fitting", "elbow", "tee", "coupling", "cable", "clamp", "bracket", "panel", "switch",
    "socket", "hose", "pipe", "flange", "gasket", "nut", "bolt", "washer", "screw", "anchor",
    "relay", "breaker", "lamp", "sensor",
];
const QUALIFIERS: [&str; 10] = [
    "ball", "threaded", "press", "compact", "heavy", "mini", "outdoor", "quick", "angled", "flat",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn product(i: usize) -> ReferenceChange {
    let name = format!(
        "{} {} {} DN{}",
        MATERIALS[i % MATERIALS.len()],
        QUALIFIERS[(i / 7) % QUALIFIERS.len()],
        THINGS[(i / 3) % THINGS.len()],
        10 + (i % 90),
    );
    let eur = |amount: String| {
        Some(Money {
            currency_code: "EUR".into(),
            amount,
        })
    };
    ReferenceChange {
        change: Some(reference_change::Change::Product(ProductEntry {
            product: Some(Product {
                id: format!("prd-{i:06}"),
                sku: format!(
                    "TP-{}-{i:06}",
                    &THINGS[(i / 3) % THINGS.len()][..2].to_uppercase()
                ),
                barcode: format!("40{i:011}"),
                name,
                ..Default::default()
            }),
            price_breaks: vec![
                PriceBreak {
                    min_quantity: "1".into(),
                    unit_price: eur(format!("{}.{:02}", 1 + i % 500, i % 100)),
                },
                PriceBreak {
                    min_quantity: "10".into(),
                    unit_price: eur(format!("{}.{:02}", 1 + i % 450, i % 100)),
                },
            ],
        })),
    }
}

fn offline_client() -> Result<Client> {
    Ok(Client::connect_lazy(ClientConfig::new(
        "http://127.0.0.1:9",
    ))?)
}

fn report(label: &str, h: &Histogram<u64>, hits: usize, queries: usize) {
    println!(
        "{label:<34} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  avg hits {:>5.1}",
        h.value_at_quantile(0.50) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
        hits as f64 / queries.max(1) as f64,
    );
}

fn main() -> Result<()> {
    let products = env_usize("BENCH_PRODUCTS", 100_000);
    let queries = env_usize("BENCH_QUERIES", 2_000);
    // The client's lazy channel needs a runtime to exist; it never dials.
    let runtime = tokio::runtime::Runtime::new()?;
    let _inside = runtime.enter();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("device");

    let device = Device::open(&path, offline_client()?)?;
    let started = Instant::now();
    let mut start = 0;
    while start < products {
        let end = (start + PAGE).min(products);
        let page = PullReferenceDataResponse {
            changes: (start..end).map(product).collect(),
            next_cursor: format!("c{end}"),
            up_to_date: end == products,
            reset: start == 0,
            snapshot_pages: 0,
        };
        device.apply_reference_page(&page)?;
        start = end;
    }
    let applied = started.elapsed();
    drop(device);

    let started = Instant::now();
    let device = Device::open(&path, offline_client()?)?;
    let reopened = started.elapsed();
    let status = device.status()?;
    println!(
        "local search over {} products ({} applied in pages of {PAGE} in {:.2} s; reopen with index rebuild {:.2} s)",
        status.products,
        products,
        applied.as_secs_f64(),
        reopened.as_secs_f64()
    );
    anyhow::ensure!(status.products == products, "every product is searchable");

    // What people type: codes scanned or pasted, SKU prefixes, words and
    // the first letters of words while typing.
    let kinds: Vec<(&str, QueryOf)> = vec![
        (
            "exact SKU",
            Box::new(move |i| {
                let n = (i * 7919) % products;
                format!(
                    "TP-{}-{n:06}",
                    &THINGS[(n / 3) % THINGS.len()][..2].to_uppercase()
                )
            }),
        ),
        (
            "exact barcode",
            Box::new(move |i| format!("40{:011}", (i * 104_729) % products)),
        ),
        (
            "SKU prefix (TP-VA-00)",
            Box::new(|i| format!("TP-{}-00", &THINGS[i % THINGS.len()][..2].to_uppercase())),
        ),
        (
            "one word (valve)",
            Box::new(|i| THINGS[i % THINGS.len()].to_string()),
        ),
        (
            "two words (brass valve)",
            Box::new(|i| {
                format!(
                    "{} {}",
                    MATERIALS[i % MATERIALS.len()],
                    THINGS[i % THINGS.len()]
                )
            }),
        ),
        (
            "three words, last typed (bra ball va)",
            Box::new(|i| {
                format!(
                    "{} {} {}",
                    &MATERIALS[i % MATERIALS.len()][..3],
                    QUALIFIERS[i % QUALIFIERS.len()],
                    &THINGS[(i / 2) % THINGS.len()][..2]
                )
            }),
        ),
        (
            "one letter (s)",
            Box::new(|i| ["s", "c", "b", "p"][i % 4].to_string()),
        ),
    ];

    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for (label, query) in &kinds {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        let mut hits = 0;
        for i in 0..queries {
            let q = query(i);
            let started = Instant::now();
            let found = device.search(&q, LIMIT);
            let took = started.elapsed().max(Duration::from_micros(1));
            hits += found.len();
            let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
            h.record(micros).context("record")?;
            all.record(micros).context("record")?;
        }
        report(label, &h, hits, queries);
    }
    report("all queries", &all, 0, 1);

    let started = Instant::now();
    let mut priced = 0;
    for i in 0..queries {
        let n = (i * 7919) % products;
        let sku = format!(
            "TP-{}-{n:06}",
            &THINGS[(n / 3) % THINGS.len()][..2].to_uppercase()
        );
        if device.price(&sku, Decimal::from(12))?.is_some() {
            priced += 1;
        }
    }
    println!(
        "price(sku, 12) from the local breaks: {:.3} ms each ({priced} of {queries} priced)",
        started.elapsed().as_secs_f64() * 1000.0 / queries as f64
    );
    Ok(())
}
