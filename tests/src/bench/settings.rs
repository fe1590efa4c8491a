//! A benchmark's settings from its environment (`BENCH_QUICK`,
//! `BENCH_SECS` and the numbers each benchmark takes), read and checked
//! the same way by every benchmark.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// How long each row warms up before it is measured.
pub const WARM_UP: Duration = Duration::from_millis(500);
/// How long each row is measured without `BENCH_SECS`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3);

/// Products in the large demo by default, and in a quick run's.
pub const LARGE_DEMO: usize = 100_000;
pub const QUICK_DEMO: usize = 5_400;

/// `BENCH_QUICK=1`: a smoke run, small and short.
pub fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// The number in `name`, or `default` without one (or with one that is no
/// number).
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The number of `what` in `name`, if set; anything but a number is an
/// error.
pub fn env_number(name: &str, what: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v.trim().parse().with_context(|| {
            format!("{name}={v:?} is not a number of {what}")
        })?)),
        Err(_) => Ok(None),
    }
}

/// Products in the large demo the benchmark runs on: `BENCH_SCALE`, or
/// [`LARGE_DEMO`] ([`QUICK_DEMO`] for a quick run).
pub fn scale(quick: bool) -> Result<usize> {
    let default = if quick { QUICK_DEMO } else { LARGE_DEMO };
    Ok(env_number("BENCH_SCALE", "products")?.unwrap_or(default))
}

/// The measured window of each row: `BENCH_SECS` seconds (above 0, at
/// most 600), or `default`.
pub fn window(default: Duration) -> Result<Duration> {
    match std::env::var("BENCH_SECS") {
        Ok(v) => {
            let secs: f64 = v
                .trim()
                .parse()
                .with_context(|| format!("BENCH_SECS={v:?} is not a number of seconds"))?;
            if secs.is_nan() || secs <= 0.0 || secs > 600.0 {
                bail!("BENCH_SECS={v:?} must be above 0 and at most 600");
            }
            Ok(Duration::from_secs_f64(secs))
        }
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(e) => Err(e).context("reading BENCH_SECS"),
    }
}

/// Each row's warm-up and measured window: [`WARM_UP`] and [`window`], or
/// 0.1 s and 0.3 s (unless `BENCH_SECS` says otherwise) for a quick run.
pub fn rows(quick: bool) -> Result<(Duration, Duration)> {
    if quick {
        Ok((
            Duration::from_millis(100),
            window(Duration::from_millis(300))?,
        ))
    } else {
        Ok((WARM_UP, window(DEFAULT_WINDOW)?))
    }
}
