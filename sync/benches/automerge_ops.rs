//! How fast automerge does what Tradeport's drafts ask of it, on their real
//! shapes: building a 50-line draft change by change, save, load, a full
//! sync to a fresh peer, merging 100 concurrent edits, 1,000 small changes
//! and loading them back — plus this crate's own validation (`inspect`).
//! Prints a table; figures and the automerge version decision are in
//! BENCHMARKS.md ("Offline sync (issue 6)").
//!
//! Run: `cargo bench -p tradeport-sync --bench automerge_ops`
//! (`BENCH_SCALE=<n>` multiplies the iterations; default 1).
//!
//! Must never: measure on shapes the product does not have, or need anything
//! but this machine (no server, no network).

// A benchmark's setup may panic: bad setup is a broken benchmark, not input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "automerge_ops/shapes.rs"]
mod shapes;

use std::time::{Duration, Instant};

use shapes::Figures;

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1_000.0)
}

/// `tradeport_sync::inspect` of the 50-line draft: the validation the
/// server runs on every document a peer changes.
fn inspect_50_lines(iterations: usize) -> Figures {
    let mut draft = tradeport_sync::OrderDraft::new("acct-000123").unwrap();
    for i in 0..shapes::LINES {
        draft
            .add_line(&format!("TP-EL-{i:05}"), &format!("{}.5", i + 1))
            .unwrap();
    }
    let bytes = draft.save();
    let doc = automerge::Automerge::load(&bytes).unwrap();
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        let info = tradeport_sync::inspect(&doc).unwrap();
        samples.push(start.elapsed());
        assert_eq!(info.account_id, "acct-000123");
    }
    Figures {
        name: "inspect 50-line draft (tradeport-sync)",
        samples,
        bytes: Some(bytes.len()),
        note: "bytes: its save via OrderDraft".into(),
    }
}

fn main() {
    let scale = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_usize)
        .max(1);
    let version = option_env!("AUTOMERGE_VERSION").unwrap_or("0.12 (workspace)");
    println!("automerge {version}, scale {scale}");
    println!();
    println!("| scenario | runs | p50 ms | p95 ms | max ms | bytes | note |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let mut all = shapes::all(scale);
    all.push(inspect_50_lines(200 * scale));
    for f in &all {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.name,
            f.samples.len(),
            ms(f.quantile(0.5)),
            ms(f.quantile(0.95)),
            ms(f.quantile(1.0)),
            f.bytes.map_or_else(String::new, |b| b.to_string()),
            f.note
        );
    }
}
