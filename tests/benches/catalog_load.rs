//! Load benchmark for the catalog: `tradeport.catalog.v1.CatalogService/
//! SearchProducts` requests/s and p50/p99 latency over loopback at 1, 16 and
//! 256 concurrent callers on the demo catalog, next to
//! `grpc.health.v1.Health/Check` on the same server as the transport's
//! ceiling.
//!
//! Run with `cargo bench -p tradeport-tests --bench catalog_load`. Each row
//! warms up for 0.5 s, then measures for `BENCH_SECS` seconds (default 3).
//! The server and the load generator run in this one process and share the
//! machine's cores.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{AttributeFilter, ListCategoriesRequest, SearchProductsRequest};
use tradeport_tests::TestServer;

/// Concurrent callers per row.
const LEVELS: [usize; 3] = [1, 16, 256];
/// Callers sharing one HTTP/2 connection.
const CALLERS_PER_CHANNEL: usize = 32;
const WARM_UP: Duration = Duration::from_millis(500);
const DEFAULT_SECS: f64 = 3.0;
/// Distinct error messages kept per row for the report.
const ERROR_KINDS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Search,
    Health,
}

impl Rpc {
    fn name(self) -> &'static str {
        match self {
            Rpc::Search => "SearchProducts",
            Rpc::Health => "Health/Check",
        }
    }
}

/// The rotating SearchProducts workload: what a portal's search box, category
/// page and filtered listing send.
fn workload() -> Vec<SearchProductsRequest> {
    let text = |query: &str| SearchProductsRequest {
        query: query.into(),
        page_size: 20,
        ..Default::default()
    };
    vec![
        text("cable"),
        text("led panel"),
        text("ball valve brass"),
        text("TP-EL-00042"),
        text("screw"),
        SearchProductsRequest {
            category_id: "cat-el".into(),
            page_size: 20,
            ..Default::default()
        },
        SearchProductsRequest {
            filters: vec![AttributeFilter {
                key: "material".into(),
                values: vec!["copper".into()],
                ..Default::default()
            }],
            facet_keys: vec!["voltage".into()],
            page_size: 20,
            ..Default::default()
        },
    ]
}

fn describe(r: &SearchProductsRequest) -> String {
    let mut parts = Vec::new();
    if !r.query.is_empty() {
        parts.push(format!("query {:?}", r.query));
    }
    if !r.category_id.is_empty() {
        parts.push(format!("category {:?} (subtree)", r.category_id));
    }
    for f in &r.filters {
        parts.push(format!("filter {} = {}", f.key, f.values.join(" | ")));
    }
    if !r.facet_keys.is_empty() {
        parts.push(format!("facets {}", r.facet_keys.join(", ")));
    }
    parts.join(", ")
}

/// What one caller, or a whole row once merged, saw in the measured window.
struct Tally {
    latency_us: Histogram<u64>,
    ok: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
}

impl Tally {
    fn new() -> Result<Self> {
        Ok(Self {
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)
                .context("creating a latency histogram")?,
            ok: 0,
            errors: 0,
            error_kinds: BTreeMap::new(),
        })
    }

    fn error(&mut self, status: &Status) {
        self.errors += 1;
        self.count_kind(format!("{:?}: {}", status.code(), status.message()), 1);
    }

    fn count_kind(&mut self, kind: String, n: u64) {
        if self.error_kinds.len() < ERROR_KINDS || self.error_kinds.contains_key(&kind) {
            *self.error_kinds.entry(kind).or_default() += n;
        }
    }

    fn merge(&mut self, other: Tally) -> Result<()> {
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
}

struct Row {
    rpc: Rpc,
    callers: usize,
    window: Duration,
    tally: Tally,
}

impl Row {
    /// Successful calls completed per second of the measured window.
    fn rps(&self) -> f64 {
        self.tally.ok as f64 / self.window.as_secs_f64()
    }

    fn percentile_ms(&self, quantile: f64) -> f64 {
        self.tally.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }
}

enum Caller {
    Search(CatalogServiceClient<Channel>, Arc<[SearchProductsRequest]>),
    Health(HealthClient<Channel>),
}

impl Caller {
    async fn call(&mut self, n: usize) -> Result<(), Status> {
        match self {
            Caller::Search(client, requests) => {
                let request = requests[n % requests.len()].clone();
                client.search_products(request).await.map(drop)
            }
            Caller::Health(client) => {
                let request = HealthCheckRequest {
                    service: String::new(),
                };
                let status = client.check(request).await?.into_inner().status;
                if status == ServingStatus::Serving as i32 {
                    Ok(())
                } else {
                    Err(Status::unavailable(format!("health status {status}")))
                }
            }
        }
    }
}

/// Issues calls back to back until `end`; counts those completing in
/// `[start, end]`, so calls begun in the warm-up but finishing in the window
/// count and calls still in flight at `end` do not.
async fn run_caller(
    mut caller: Caller,
    first: usize,
    start: Instant,
    end: Instant,
) -> Result<Tally> {
    let mut tally = Tally::new()?;
    let mut n = first;
    loop {
        let began = Instant::now();
        if began >= end {
            break;
        }
        let outcome = caller.call(n).await;
        n += 1;
        let done = Instant::now();
        if done < start || done > end {
            continue;
        }
        match outcome {
            Ok(()) => {
                tally.ok += 1;
                let micros =
                    u64::try_from(done.duration_since(began).as_micros()).unwrap_or(u64::MAX);
                tally.latency_us.saturating_record(micros.max(1));
            }
            Err(status) => tally.error(&status),
        }
    }
    Ok(tally)
}

async fn connect(addr: SocketAddr) -> Result<Channel> {
    let url = format!("http://{addr}");
    Endpoint::from_shared(url.clone())
        .with_context(|| format!("endpoint {url}"))?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// One row: `callers` callers over fresh connections, warm-up then window.
async fn run_level(
    addr: SocketAddr,
    rpc: Rpc,
    callers: usize,
    window: Duration,
    requests: &Arc<[SearchProductsRequest]>,
) -> Result<Row> {
    let mut channels = Vec::new();
    for _ in 0..callers.div_ceil(CALLERS_PER_CHANNEL).max(1) {
        channels.push(connect(addr).await?);
    }
    let began = Instant::now();
    let start = began + WARM_UP;
    let end = start + window;
    let mut tasks = Vec::with_capacity(callers);
    for i in 0..callers {
        let channel = channels[i / CALLERS_PER_CHANNEL].clone();
        let caller = match rpc {
            Rpc::Search => Caller::Search(CatalogServiceClient::new(channel), Arc::clone(requests)),
            Rpc::Health => Caller::Health(HealthClient::new(channel)),
        };
        // Callers start at different places in the rotation, so every moment
        // mixes the whole workload.
        tasks.push(tokio::spawn(run_caller(caller, i, start, end)));
    }
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await.context("a caller task failed")??)?;
    }
    Ok(Row {
        rpc,
        callers,
        window,
        tally,
    })
}

fn window_from_env() -> Result<Duration> {
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
        Err(std::env::VarError::NotPresent) => Ok(Duration::from_secs_f64(DEFAULT_SECS)),
        Err(e) => Err(e).context("reading BENCH_SECS"),
    }
}

async fn run(server: &TestServer, cores: usize, window: Duration) -> Result<()> {
    let channel = connect(server.addr).await?;
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let everything = SearchProductsRequest {
        page_size: 1,
        ..Default::default()
    };
    let products = catalog
        .search_products(everything)
        .await
        .context("counting the demo catalog's products")?
        .into_inner()
        .total_size;
    let categories = catalog
        .list_categories(ListCategoriesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .context("listing the demo catalog's categories")?
        .into_inner()
        .categories
        .len();

    let requests: Arc<[SearchProductsRequest]> = workload().into();
    let mut described = Vec::new();
    for r in requests.iter() {
        let outcome = match catalog.search_products(r.clone()).await {
            Ok(response) => match response.into_inner().total_size {
                1 => "1 match".to_string(),
                n => format!("{n} matches"),
            },
            Err(status) => format!("ERROR {:?}: {}", status.code(), status.message()),
        };
        described.push(format!("{} → {outcome}", describe(r)));
    }
    drop((catalog, channel));

    println!("## Tradeport catalog load benchmark");
    println!();
    println!(
        "- machine: {cores} cores (available parallelism); the server and the load generator \
         run in this one process and share them"
    );
    println!("- catalog: demo, {products} products in {categories} categories");
    println!(
        "- transport: plaintext gRPC (HTTP/2) on loopback, one connection per \
         {CALLERS_PER_CHANNEL} callers (at least one); each caller issues calls back to back"
    );
    println!(
        "- each row: {:.1} s warm-up, then {:.1} s measured; requests/s counts successful calls \
         completed in the measured window",
        WARM_UP.as_secs_f64(),
        window.as_secs_f64()
    );
    println!(
        "- SearchProducts rotates over {} requests, page_size 20:",
        requests.len()
    );
    for line in &described {
        println!("  - {line}");
    }
    println!();

    let mut rows = Vec::new();
    for callers in LEVELS {
        for rpc in [Rpc::Health, Rpc::Search] {
            let row = run_level(server.addr, rpc, callers, window, &requests)
                .await
                .with_context(|| format!("{} with {callers} callers", rpc.name()))?;
            eprintln!(
                "measured {} with {callers} {}: {:.0} requests/s",
                rpc.name(),
                if callers == 1 { "caller" } else { "callers" },
                row.rps()
            );
            rows.push(row);
        }
    }

    println!("| rpc | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for rpc in [Rpc::Search, Rpc::Health] {
        for row in rows.iter().filter(|r| r.rpc == rpc) {
            println!(
                "| {} | {} | {:.0} | {:.3} | {:.3} | {} |",
                rpc.name(),
                row.callers,
                row.rps(),
                row.percentile_ms(0.50),
                row.percentile_ms(0.99),
                row.tally.errors
            );
        }
    }
    println!();
    println!("SearchProducts/Health requests/s:");
    println!();
    for callers in LEVELS {
        let find = |rpc| rows.iter().find(|r| r.rpc == rpc && r.callers == callers);
        if let (Some(search), Some(health)) = (find(Rpc::Search), find(Rpc::Health)) {
            let ratio = if health.rps() > 0.0 {
                search.rps() / health.rps()
            } else {
                0.0
            };
            println!(
                "- {callers} {}: {ratio:.2} ({:.0} / {:.0})",
                if callers == 1 { "caller" } else { "callers" },
                search.rps(),
                health.rps()
            );
        }
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.tally.errors > 0).collect();
    if !failed.is_empty() {
        println!();
        println!("Errors:");
        println!();
        for row in failed {
            for (kind, n) in &row.tally.error_kinds {
                println!(
                    "- {} with {} callers: {n} × {kind}",
                    row.rpc.name(),
                    row.callers
                );
            }
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let window = window_from_env()?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let server = TestServer::start(|_| {}).context("starting the demo server")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("load")
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let result = runtime.block_on(run(&server, cores, window));
    server.begin_shutdown();
    let stopped = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), server.stopped()).await });
    match stopped {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("the server ended with an error: {e:#}"),
        Err(_) => eprintln!("the server did not stop within 5 s"),
    }
    result
}
