//! Draft edit benchmark: how long one single-line edit of an order draft
//! takes on the device — `Drafts::edit` setting one line's quantity, saved
//! (and flushed to disk) before it returns — in drafts of 10, 100 and 1,000
//! lines. An edit should cost about the same whatever the draft's size.
//!
//! Run with `cargo bench -p tradeport-mobile --bench draft_edit`.
//! `BENCH_EDITS=<n>` edits timed per size (default 300).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use tradeport_mobile::{Drafts, OrderDraft};

const SIZES: [usize; 3] = [10, 100, 1_000];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times `edits` single-line edits of a draft of `lines` lines.
fn run(lines: usize, edits: usize) -> Result<(Histogram<u64>, Duration)> {
    let dir = tempfile::tempdir()?;
    let drafts = Drafts::standalone(dir.path(), "bench-device")?;
    let id = drafts.create("acc-bench")?;
    // The lines go in 100 at a time: the draft as a person would have
    // built it, in many saved edits.
    let mut ids = Vec::with_capacity(lines);
    for chunk in (0..lines).collect::<Vec<_>>().chunks(100) {
        let added = drafts.edit(&id, |d| {
            chunk
                .iter()
                .map(|i| d.add_line(&format!("TP-BE-{i:05}"), "1"))
                .collect::<Result<Vec<_>, _>>()
        })?;
        ids.extend(added);
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let started = Instant::now();
    for n in 0..edits {
        let line = &ids[(n * 7919) % ids.len()];
        let quantity = format!("{}", 2 + n);
        let t = Instant::now();
        drafts.edit(&id, |d| d.set_quantity(line, &quantity))?;
        histogram.record(t.elapsed().as_micros().max(1) as u64)?;
    }
    let total = started.elapsed();
    // What was saved is the draft as edited.
    let reopened = drafts.open(&id)?;
    let count = reopened.lines().context("reading the draft back")?.len();
    anyhow::ensure!(count == lines, "{count} lines read back, {lines} written");
    Ok((histogram, total))
}

/// The parts of an edit in memory, p50 in ms: the edit itself (finding
/// the line, writing the change) and saving the change after it.
fn in_memory(lines: usize, edits: usize) -> Result<(f64, f64)> {
    let mut draft = OrderDraft::new("acc-bench")?;
    let ids = (0..lines)
        .map(|i| draft.add_line(&format!("TP-BE-{i:05}"), "1"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut heads = draft.heads();
    let mut edit = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut save = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..edits {
        let quantity = format!("{}", 2 + n);
        let t = Instant::now();
        draft.set_quantity(&ids[(n * 7919) % ids.len()], &quantity)?;
        edit.record(t.elapsed().as_micros().max(1) as u64)?;
        let t = Instant::now();
        let change = draft.save_after(&heads);
        save.record(t.elapsed().as_micros().max(1) as u64)?;
        heads = draft.heads();
        anyhow::ensure!(!change.is_empty(), "every edit changes the draft");
    }
    let p50 = |h: &Histogram<u64>| h.value_at_quantile(0.5) as f64 / 1000.0;
    Ok((p50(&edit), p50(&save)))
}

fn main() -> Result<()> {
    let edits = env_usize("BENCH_EDITS", 300);
    println!("single-line draft edits, {edits} per size, each saved and flushed");
    println!("| lines | mean | p50 | p99 | max | in memory: edit p50 | save_after p50 |");
    println!("|---|---|---|---|---|---|---|");
    for lines in SIZES {
        let (h, total) = run(lines, edits)?;
        let (edit, save) = in_memory(lines, edits)?;
        let q = |p: f64| h.value_at_quantile(p) as f64 / 1000.0;
        println!(
            "| {lines} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {edit:.3} ms | {save:.3} ms |",
            ms(total) / edits as f64,
            q(0.5),
            q(0.99),
            h.max() as f64 / 1000.0
        );
    }
    Ok(())
}
