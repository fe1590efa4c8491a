//! When a load benchmark's caller sends its calls, and from when their
//! latency counts.
//!
//! Closed loop (the next call as soon as the last answered) finds the
//! throughput a server saturates at, but not its latency at a given load:
//! at saturation, by Little's law, the median is the number of callers over
//! the throughput whatever the server does. Paced callers offer a set rate
//! instead, as independent random arrivals (each caller's gaps exponential,
//! so together a Poisson stream that bunches as real callers do). A caller
//! still waiting on its last call sends the next one late, and its latency
//! counts from when it was due, not from when it was sent, so a server that
//! falls behind shows it (no coordinated omission). A call sent on time
//! counts from when it was sent: the timer that wakes its caller is up to a
//! millisecond late, and that is the load generator's, not the server's.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy)]
pub enum Pace {
    ClosedLoop,
    /// Gaps drawn from an exponential distribution of mean `mean_gap`.
    Arrivals {
        mean_gap: Duration,
        seed: u64,
    },
}

impl Pace {
    /// Caller `i` of `callers` that together offer `rate` calls/s.
    pub fn offering(rate: usize, callers: usize, i: usize) -> Self {
        Pace::Arrivals {
            mean_gap: Duration::from_secs_f64(callers as f64 / rate.max(1) as f64),
            seed: i as u64,
        }
    }

    fn gap(self, rng: &mut StdRng) -> Duration {
        match self {
            Pace::ClosedLoop => Duration::ZERO,
            // Inverse transform: -ln(U) is exponential with mean 1 (U kept
            // off 0).
            Pace::Arrivals { mean_gap, .. } => {
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                mean_gap.mul_f64(-u.ln())
            }
        }
    }
}

/// One caller's calls over a run: a warm-up, then a measured window.
pub struct Schedule {
    pace: Pace,
    rng: StdRng,
    due: Instant,
    start: Instant,
    end: Instant,
}

impl Schedule {
    /// Calls begin `warm_up` before `start`; the window is `[start, end]`.
    pub fn new(pace: Pace, warm_up: Duration, start: Instant, end: Instant) -> Self {
        let began = start.checked_sub(warm_up).unwrap_or(start);
        let mut rng = StdRng::seed_from_u64(match pace {
            Pace::ClosedLoop => 0,
            Pace::Arrivals { seed, .. } => seed,
        });
        let due = began + pace.gap(&mut rng);
        Self {
            pace,
            rng,
            due,
            start,
            end,
        }
    }

    /// Waits until the next call is due and returns what its latency
    /// counts from: when it was due if that has passed, else when the wait
    /// ended; `None` once the run is over.
    pub async fn next(&mut self) -> Option<Instant> {
        let now = now();
        let due = match self.pace {
            Pace::ClosedLoop => now,
            Pace::Arrivals { .. } => self.due,
        };
        if due >= self.end {
            return None;
        }
        self.due = due + self.pace.gap(&mut self.rng);
        if now >= due {
            return Some(due);
        }
        tokio::time::sleep_until(due.into()).await;
        Some(self::now())
    }

    /// Whether a call `next` returned `due` for, answered at `done` is measured:
    /// closed loop, those answered in the window; paced, those due in it.
    pub fn counts(&self, due: Instant, done: Instant) -> bool {
        match self.pace {
            Pace::ClosedLoop => done >= self.start && done <= self.end,
            Pace::Arrivals { .. } => due >= self.start,
        }
    }
}

/// tokio's clock: the system's, but a test can pause it.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paced_calls_arrive_at_the_offered_rate_and_late_ones_count_from_when_due() {
        let start = now() + Duration::from_secs(1);
        let end = start + Duration::from_secs(100);
        let mut schedule =
            Schedule::new(Pace::offering(50, 5, 3), Duration::from_secs(1), start, end);
        let (mut counted, mut sent_late) = (0, 0);
        while let Some(due) = schedule.next().await {
            // Every tenth call takes 300 ms; the others none, so any
            // latency they show is the wait for the slow one before them.
            let slow = counted % 10 == 0;
            if slow {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let done = now();
            if schedule.counts(due, done) {
                counted += 1;
                if !slow && done > due {
                    sent_late += 1;
                }
            }
        }
        // 10 calls/s for 100 s, give or take a Poisson stream's spread.
        assert!((850..=1150).contains(&counted), "{counted} calls");
        // About 3 calls fall due during each 300 ms stall.
        assert!(
            sent_late >= counted / 10,
            "{sent_late} of {counted} counted their wait behind a slow call"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_counts_calls_answered_in_the_window() {
        let start = now() + Duration::from_millis(100);
        let end = start + Duration::from_secs(1);
        let mut schedule = Schedule::new(Pace::ClosedLoop, Duration::from_millis(100), start, end);
        let mut counted = 0;
        while let Some(due) = schedule.next().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if schedule.counts(due, now()) {
                counted += 1;
            }
        }
        assert!((99..=101).contains(&counted), "{counted} calls");
    }
}
