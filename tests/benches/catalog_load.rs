//! Load benchmark for the catalog: `tradeport.catalog.v1.CatalogService/
//! SearchProducts` requests/s and p50/p99 latency over loopback at 1, 16 and
//! 256 concurrent callers on the demo catalog, next to
//! `grpc.health.v1.Health/Check` on the same server as the transport's
//! ceiling.
//!
//! SearchProducts runs against two servers: the normal one, which resolves
//! the demo partner app's API key on every call, and one that checks no
//! credential and gives every call that same caller, resolved once at start.
//! Both get the same requests, token included; at each concurrency the two
//! rows run back to back, so the difference between them is what the
//! credential check costs. The check alone, resolving the API key without
//! the transport around it, is also timed on one thread.
//!
//! Run with `cargo bench -p tradeport-tests --bench catalog_load`. Each row
//! warms up for 0.5 s, then measures for `BENCH_SECS` seconds (default 3).
//! The servers and the load generator run in this one process and share the
//! machine's cores.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
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
/// How long the check alone is timed.
const CHECK_TIME: Duration = Duration::from_secs(1);
/// Distinct error messages kept per row for the report.
const ERROR_KINDS: usize = 5;

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    /// SearchProducts on the normal server: the token is checked.
    Search,
    /// SearchProducts on the server that checks no credential.
    SearchUnchecked,
    /// Health/Check on the normal server (an open RPC: no token sent).
    Health,
}

impl Rpc {
    /// The order of the table.
    const ALL: [Rpc; 3] = [Rpc::Search, Rpc::SearchUnchecked, Rpc::Health];

    fn name(self) -> &'static str {
        match self {
            Rpc::Search | Rpc::SearchUnchecked => "SearchProducts",
            Rpc::Health => "Health/Check",
        }
    }

    fn check(self) -> &'static str {
        match self {
            Rpc::Search => "yes",
            Rpc::SearchUnchecked => "no",
            Rpc::Health => "open RPC",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Rpc::Search => "SearchProducts, token checked",
            Rpc::SearchUnchecked => "SearchProducts, unchecked",
            Rpc::Health => "Health/Check",
        }
    }
}

/// `authorization: Bearer <key>`, parsed once.
fn bearer(key: &str) -> Result<AsciiMetadataValue> {
    format!("Bearer {key}")
        .parse()
        .context("the demo API key is not a valid header value")
}

fn authorized<T>(message: T, token: &AsciiMetadataValue) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", MetadataValue::clone(token));
    request
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
    Search(
        CatalogServiceClient<Channel>,
        Arc<[SearchProductsRequest]>,
        AsciiMetadataValue,
    ),
    Health(HealthClient<Channel>),
}

impl Caller {
    async fn call(&mut self, n: usize) -> Result<(), Status> {
        match self {
            Caller::Search(client, requests, token) => {
                let request = authorized(requests[n % requests.len()].clone(), token);
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
    token: &AsciiMetadataValue,
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
            Rpc::Search | Rpc::SearchUnchecked => Caller::Search(
                CatalogServiceClient::new(channel),
                Arc::clone(requests),
                token.clone(),
            ),
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

/// Makes sure the two servers differ exactly as the comparison assumes: the
/// normal one refuses a search without a token, the other answers it.
async fn confirm_servers(checked: &TestServer, unchecked: &TestServer) -> Result<()> {
    let probe = || SearchProductsRequest {
        page_size: 1,
        ..Default::default()
    };
    let mut normal = CatalogServiceClient::new(connect(checked.addr).await?);
    match normal.search_products(probe()).await {
        Err(status) if status.code() == Code::Unauthenticated => {}
        Err(status) => bail!(
            "the normal server answered a search without a token with {:?}: {}, not \
             UNAUTHENTICATED",
            status.code(),
            status.message()
        ),
        Ok(_) => bail!("the normal server answered a search without a token"),
    }
    let mut open = CatalogServiceClient::new(connect(unchecked.addr).await?);
    open.search_products(probe())
        .await
        .context("the unchecked server refused a search without a token")?;
    Ok(())
}

/// Time per call of what the normal server does for a token: resolving the
/// demo partner app's API key to its caller, back to back on this thread.
fn time_check(server: &TestServer) -> Result<Duration> {
    let identity = server.identity();
    let key = server.demo.api_key.as_str();
    for _ in 0..1_000 {
        identity.resolve(key)?;
    }
    let began = Instant::now();
    let mut calls = 0u32;
    while began.elapsed() < CHECK_TIME {
        for _ in 0..100 {
            identity.resolve(key)?;
        }
        calls += 100;
    }
    Ok(began.elapsed() / calls)
}

async fn run(
    checked: &TestServer,
    unchecked: &TestServer,
    cores: usize,
    window: Duration,
    check: Duration,
) -> Result<()> {
    confirm_servers(checked, unchecked).await?;
    let token = bearer(&checked.demo.api_key)?;
    let channel = connect(checked.addr).await?;
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let everything = SearchProductsRequest {
        page_size: 1,
        ..Default::default()
    };
    let products = catalog
        .search_products(authorized(everything, &token))
        .await
        .context("counting the demo catalog's products")?
        .into_inner()
        .total_size;
    let categories = catalog
        .list_categories(authorized(
            ListCategoriesRequest {
                page_size: 1000,
                ..Default::default()
            },
            &token,
        ))
        .await
        .context("listing the demo catalog's categories")?
        .into_inner()
        .categories
        .len();

    let requests: Arc<[SearchProductsRequest]> = workload().into();
    let mut described = Vec::new();
    for r in requests.iter() {
        let outcome = match catalog.search_products(authorized(r.clone(), &token)).await {
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
        "- machine: {cores} cores (available parallelism); both servers and the load generator \
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
        "- SearchProducts sends `authorization: Bearer <demo partner app API key>` and rotates \
         over {} requests, page_size 20:",
        requests.len()
    );
    for line in &described {
        println!("  - {line}");
    }
    println!(
        "- token checked: the normal server, which resolves the API key on every call; \
         unchecked: a server that checks no credential and gives every call the same caller, \
         resolved once at start (confirmed: the first refuses a search without a token, the \
         second answers it)"
    );
    println!(
        "- at each concurrency the rows run in this order, back to back: Health/Check, \
         SearchProducts token checked, SearchProducts unchecked"
    );
    println!();

    let mut rows = Vec::new();
    for callers in LEVELS {
        for rpc in [Rpc::Health, Rpc::Search, Rpc::SearchUnchecked] {
            let addr = match rpc {
                Rpc::SearchUnchecked => unchecked.addr,
                Rpc::Search | Rpc::Health => checked.addr,
            };
            let row = run_level(addr, rpc, callers, window, &requests, &token)
                .await
                .with_context(|| format!("{} with {callers} callers", rpc.label()))?;
            eprintln!(
                "measured {} with {callers} {}: {:.0} requests/s",
                rpc.label(),
                if callers == 1 { "caller" } else { "callers" },
                row.rps()
            );
            rows.push(row);
        }
    }
    let find =
        |rpc: Rpc, callers: usize| rows.iter().find(|r| r.rpc == rpc && r.callers == callers);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let plural = |callers: usize| if callers == 1 { "caller" } else { "callers" };

    println!("| rpc | token checked | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for rpc in Rpc::ALL {
        for row in rows.iter().filter(|r| r.rpc == rpc) {
            println!(
                "| {} | {} | {} | {:.0} | {:.3} | {:.3} | {} |",
                rpc.name(),
                rpc.check(),
                row.callers,
                row.rps(),
                row.percentile_ms(0.50),
                row.percentile_ms(0.99),
                row.tally.errors
            );
        }
    }
    println!();
    println!("What the credential check costs (SearchProducts, token checked vs unchecked):");
    println!();
    println!(
        "| callers | checked requests/s | unchecked requests/s | checked/unchecked \
         | checked p99 ms | unchecked p99 ms | p99 difference ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for callers in LEVELS {
        if let (Some(c), Some(u)) = (
            find(Rpc::Search, callers),
            find(Rpc::SearchUnchecked, callers),
        ) {
            let (p99_c, p99_u) = (c.percentile_ms(0.99), u.percentile_ms(0.99));
            println!(
                "| {callers} | {:.0} | {:.0} | {:.2} | {p99_c:.3} | {p99_u:.3} | {:+.3} |",
                c.rps(),
                u.rps(),
                ratio(c.rps(), u.rps()),
                p99_c - p99_u
            );
        }
    }
    println!();
    let micros = check.as_secs_f64() * 1e6;
    println!(
        "- the check alone (resolving the API key to its caller), timed on one thread before the \
         rows: {micros:.1} µs per call"
    );
    for callers in LEVELS.into_iter().filter(|&c| c > 1) {
        if let Some(row) = find(Rpc::Search, callers).filter(|r| r.rps() > 0.0) {
            let per_call = cores as f64 * 1e6 / row.rps();
            println!(
                "- {callers} callers: a checked search takes {per_call:.0} µs of machine time \
                 ({cores} cores / {:.0} requests/s, server and load generator together); the \
                 check is {:.1}% of it",
                row.rps(),
                micros / per_call * 100.0
            );
        }
    }
    println!();
    println!("SearchProducts (token checked)/Health requests/s:");
    println!();
    for callers in LEVELS {
        if let (Some(search), Some(health)) =
            (find(Rpc::Search, callers), find(Rpc::Health, callers))
        {
            println!(
                "- {callers} {}: {:.2} ({:.0} / {:.0})",
                plural(callers),
                ratio(search.rps(), health.rps()),
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
                    "- {} with {} {}: {n} × {kind}",
                    row.rpc.label(),
                    row.callers,
                    plural(row.callers)
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
    let checked = TestServer::start(|_| {}).context("starting the demo server")?;
    let unchecked =
        TestServer::start_unchecked(|_| {}).context("starting the unchecked demo server")?;
    let check = time_check(&checked).context("timing the credential check")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("load")
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let result = runtime.block_on(run(&checked, &unchecked, cores, window, check));
    // The load generator's connections go first: the stores close after.
    drop(runtime);
    for (name, server) in [("demo", checked), ("unchecked demo", unchecked)] {
        if let Err(e) = server.close(Duration::from_secs(5)) {
            eprintln!("closing the {name} server: {e:#}");
        }
    }
    result
}
