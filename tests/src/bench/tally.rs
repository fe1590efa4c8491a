//! What a benchmark's callers saw, and its tables: a [`Tally`] of one
//! caller's (or, merged, a whole row's) latencies and failures in the
//! measured window, a [`Row`] of a table, and the table and the failures
//! printed as Markdown.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use tonic::Status;

/// Distinct failures kept per row for the report.
const ERROR_KINDS: usize = 5;

/// What one caller, or a whole row once merged, saw in the measured window.
pub struct Tally {
    /// Latencies of the calls that succeeded, in microseconds (up to ten
    /// minutes).
    pub latency_us: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    /// The first few distinct failures, and how often each came.
    pub error_kinds: BTreeMap<String, u64>,
}

impl Tally {
    pub fn new() -> Result<Self> {
        Ok(Self {
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3)
                .context("creating a latency histogram")?,
            ok: 0,
            errors: 0,
            error_kinds: BTreeMap::new(),
        })
    }

    /// A call that succeeded after `took`.
    pub fn record(&mut self, took: Duration) {
        self.ok += 1;
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(micros.max(1));
    }

    /// A call that failed with `status`.
    pub fn error(&mut self, status: &Status) {
        self.errors += 1;
        self.count_kind(format!("{:?}: {}", status.code(), status.message()), 1);
    }

    fn count_kind(&mut self, kind: String, n: u64) {
        if self.error_kinds.len() < ERROR_KINDS || self.error_kinds.contains_key(&kind) {
            *self.error_kinds.entry(kind).or_default() += n;
        }
    }

    /// Adds another caller's tally to this one.
    pub fn merge(&mut self, other: Tally) -> Result<()> {
        self.latency_us
            .add(&other.latency_us)
            .context("merging latency histograms")?;
        self.ok += other.ok;
        self.errors += other.errors;
        for (kind, n) in other.error_kinds {
            self.count_kind(kind, n);
        }
        Ok(())
    }

    /// The latency at `quantile` in milliseconds.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// What a benchmark's row measures, as its tables name it.
pub trait Rpc: Copy {
    /// The name in the table's first column.
    fn name(self) -> &'static str;
    /// The name where the table's other columns are not beside it.
    fn label(self) -> &'static str {
        self.name()
    }
}

/// One row of a load table: `rpc` from `callers` callers for `window`.
pub struct Row<R> {
    pub rpc: R,
    pub callers: usize,
    /// Requests/s the callers offered together on a schedule; `None`:
    /// closed loop.
    pub offered: Option<usize>,
    pub window: Duration,
    pub tally: Tally,
}

impl<R: Rpc> Row<R> {
    /// Successful calls completed per second of the measured window.
    pub fn rps(&self) -> f64 {
        self.tally.ok as f64 / self.window.as_secs_f64()
    }

    /// The latency at `quantile` in milliseconds.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.tally.ms(quantile)
    }

    /// What follows the name of a paced row: the rate it offered.
    pub fn pace(&self) -> String {
        self.offered
            .map_or(String::new(), |rate| format!(", {rate}/s offered"))
    }

    /// "with 1 caller", "with 16 callers".
    pub fn with_callers(&self) -> String {
        let plural = if self.callers == 1 { "" } else { "s" };
        format!("with {} caller{plural}", self.callers)
    }
}

/// `rows` as a Markdown table of requests/s, p50, p99 and errors, and a
/// blank line after it.
pub fn print_table<'a, R: Rpc + 'a>(rows: impl IntoIterator<Item = &'a Row<R>>) {
    println!("| rpc | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {}{} | {} | {:.0} | {:.3} | {:.3} | {} |",
            row.rpc.name(),
            row.pace(),
            row.callers,
            row.rps(),
            row.ms(0.50),
            row.ms(0.99),
            row.tally.errors
        );
    }
    println!();
}

/// The failures of `rows`, if any, kind by kind.
pub fn print_errors<'a, R: Rpc + 'a>(rows: impl IntoIterator<Item = &'a Row<R>>) {
    let failed: Vec<&Row<R>> = rows.into_iter().filter(|r| r.tally.errors > 0).collect();
    if failed.is_empty() {
        return;
    }
    println!();
    println!("Errors:");
    println!();
    for row in failed {
        for (kind, n) in &row.tally.error_kinds {
            println!("- {} {}: {n} × {kind}", row.rpc.label(), row.with_callers());
        }
    }
}
