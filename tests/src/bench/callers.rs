//! A benchmark's callers: each makes its calls as its [`Pace`] says, and
//! the calls counted in the measured window go into its [`Tally`]. A row
//! is a set of callers started together and measured over one window.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tonic::Status;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::pace::{Pace, Schedule};
use super::tally::Tally;

/// One caller of a row: what its `n`th call sends, and whether the answer
/// is what the benchmark counts as a success.
pub trait Call: Send + 'static {
    fn call(&mut self, n: usize) -> impl Future<Output = Result<(), Status>> + Send;
}

/// `grpc.health.v1.Health/Check` of the whole server: the transport's
/// ceiling, beside which a row's RPC is read.
pub struct Health(pub HealthClient<Channel>);

impl Health {
    pub fn new(channel: Channel) -> Self {
        Self(HealthClient::new(channel))
    }
}

impl Call for Health {
    async fn call(&mut self, _: usize) -> Result<(), Status> {
        let request = HealthCheckRequest {
            service: String::new(),
        };
        let status = self.0.check(request).await?.into_inner().status;
        if status == ServingStatus::Serving as i32 {
            Ok(())
        } else {
            Err(Status::unavailable(format!("health status {status}")))
        }
    }
}

/// Calls as `pace` says until `end`, numbering the calls from `first`;
/// counts those [`Schedule::counts`], latency from when each was due.
pub async fn run_caller<C: Call>(
    mut caller: C,
    first: usize,
    pace: Pace,
    warm_up: Duration,
    start: Instant,
    end: Instant,
) -> Result<Tally> {
    let mut tally = Tally::new()?;
    let mut schedule = Schedule::new(pace, warm_up, start, end);
    let mut n = first;
    while let Some(due) = schedule.next().await {
        let outcome = caller.call(n).await;
        n += 1;
        let done = Instant::now();
        if schedule.counts(due, done) {
            match outcome {
                Ok(()) => tally.record(done.duration_since(due)),
                Err(status) => tally.error(&status),
            }
        }
    }
    Ok(tally)
}

/// One row: `callers` started together, the `i`th numbering its calls
/// from `first(i)` and keeping `pace(i)`, warmed up for `warm_up`, then
/// measured for `window`; their tallies merged.
pub async fn run_callers<C: Call>(
    callers: Vec<C>,
    first: impl Fn(usize) -> usize,
    pace: impl Fn(usize) -> Pace,
    warm_up: Duration,
    window: Duration,
) -> Result<Tally> {
    let start = Instant::now() + warm_up;
    let end = start + window;
    let tasks: Vec<_> = callers
        .into_iter()
        .enumerate()
        .map(|(i, caller)| tokio::spawn(run_caller(caller, first(i), pace(i), warm_up, start, end)))
        .collect();
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await.context("a caller task failed")??)?;
    }
    Ok(tally)
}
