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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{ListCategoriesRequest, SearchProductsRequest};
use tradeport_tests::TestServer;
use tradeport_tests::bench::callers::{Call, Health, run_callers};
use tradeport_tests::bench::pace::Pace;
use tradeport_tests::bench::search::{demo_workload, describe, matches};
use tradeport_tests::bench::settings::{DEFAULT_WINDOW, WARM_UP, window};
use tradeport_tests::bench::tally::{self, Row, Rpc as _};
use tradeport_tests::bench::wire::{authorized, bearer, connect};
use tradeport_tests::bench::{cores, on_load_runtime};

/// Concurrent callers per row.
const LEVELS: [usize; 3] = [1, 16, 256];
/// Callers sharing one HTTP/2 connection.
const CALLERS_PER_CHANNEL: usize = 32;
/// How long the check alone is timed.
const CHECK_TIME: Duration = Duration::from_secs(1);

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

    fn check(self) -> &'static str {
        match self {
            Rpc::Search => "yes",
            Rpc::SearchUnchecked => "no",
            Rpc::Health => "open RPC",
        }
    }
}

impl tally::Rpc for Rpc {
    fn name(self) -> &'static str {
        match self {
            Rpc::Search | Rpc::SearchUnchecked => "SearchProducts",
            Rpc::Health => "Health/Check",
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

enum Caller {
    Search(
        CatalogServiceClient<Channel>,
        Arc<[SearchProductsRequest]>,
        AsciiMetadataValue,
    ),
    Health(Health),
}

impl Call for Caller {
    async fn call(&mut self, n: usize) -> Result<(), Status> {
        match self {
            Caller::Search(client, requests, token) => {
                let request = authorized(requests[n % requests.len()].clone(), token);
                client.search_products(request).await.map(drop)
            }
            Caller::Health(health) => health.call(n).await,
        }
    }
}

/// One row: `callers` callers over fresh connections, back to back
/// (closed loop), warm-up then window; calls begun in the warm-up but
/// finishing in the window count, calls still in flight at its end do not.
async fn run_level(
    addr: SocketAddr,
    rpc: Rpc,
    callers: usize,
    window: Duration,
    requests: &Arc<[SearchProductsRequest]>,
    token: &AsciiMetadataValue,
) -> Result<Row<Rpc>> {
    let mut channels = Vec::new();
    for _ in 0..callers.div_ceil(CALLERS_PER_CHANNEL).max(1) {
        channels.push(connect(addr).await?);
    }
    let each = (0..callers)
        .map(|i| {
            let channel = channels[i / CALLERS_PER_CHANNEL].clone();
            match rpc {
                Rpc::Search | Rpc::SearchUnchecked => Caller::Search(
                    CatalogServiceClient::new(channel),
                    Arc::clone(requests),
                    token.clone(),
                ),
                Rpc::Health => Caller::Health(Health::new(channel)),
            }
        })
        .collect();
    // Callers start at different places in the rotation, so every moment
    // mixes the whole workload.
    let tally = run_callers(each, |i| i, |_| Pace::ClosedLoop, WARM_UP, window).await?;
    Ok(Row {
        rpc,
        callers,
        offered: None,
        window,
        tally,
    })
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

    let requests: Arc<[SearchProductsRequest]> = demo_workload().into();
    let mut described = Vec::new();
    for r in requests.iter() {
        let outcome = matches(catalog.search_products(authorized(r.clone(), &token)).await);
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
                row.ms(0.50),
                row.ms(0.99),
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
            let (p99_c, p99_u) = (c.ms(0.99), u.ms(0.99));
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
    tally::print_errors(&rows);
    Ok(())
}

fn main() -> Result<()> {
    let window = window(DEFAULT_WINDOW)?;
    let cores = cores();
    let checked = TestServer::start(|_| {}).context("starting the demo server")?;
    let unchecked =
        TestServer::start_unchecked(|_| {}).context("starting the unchecked demo server")?;
    let check = time_check(&checked).context("timing the credential check")?;
    let result = on_load_runtime(run(&checked, &unchecked, cores, window, check));
    for (name, server) in [("demo", checked), ("unchecked demo", unchecked)] {
        if let Err(e) = server.close(Duration::from_secs(5)) {
            eprintln!("closing the {name} server: {e:#}");
        }
    }
    result
}
