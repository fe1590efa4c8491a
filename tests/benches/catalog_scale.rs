//! Load benchmark at scale: the catalog, prices and search on the large demo
//! (`demo_scale`, 100,000 products by default) with 1,000 customer accounts
//! that each have their own price list.
//!
//! One server runs in this process (the test harness server on plaintext
//! loopback). Each caller is a different customer: it calls with the API key
//! of its own account (a buyer's key, created for the run), so searches are
//! priced at that customer's terms and see that customer's assortment.
//! Rows, at 1, 16 and 64 concurrent callers, each caller closed-loop (the
//! next call as soon as the last answered, no think time), one HTTP/2
//! connection per caller:
//!
//! - `SearchProducts`, rotating over text queries (one misspelt), category
//!   browsing, an attribute filter with facets and price-range filters at
//!   the caller's prices;
//! - `SearchProducts` for one SKU only (one product found): the least any
//!   search costs, so the floor under the mixed row at each concurrency;
//! - `PriceCart` with 100 lines;
//! - `grpc.health.v1.Health/Check`, the transport's ceiling.
//!
//! Then `SearchProducts` again at 64 callers, paced: together they offer a
//! set rate (100 to 1,800 searches/s; `BENCH_SEARCH_RATES`) as
//! random arrivals, latency counted from when each call was due (see
//! `tradeport_tests::pace`): the closed-loop rows find where the server
//! saturates, these tell the latency below that.
//!
//! It also reports how long seeding and loading took, how long one product
//! write (which rebuilds the catalog view and pricebook) takes, and this
//! process's resident memory (VmRSS from /proc/self/status): the server with
//! the catalog loaded and idle before any load, and again after the load.
//!
//! Run with `cargo bench -p tradeport-tests --bench catalog_scale`.
//! `BENCH_SCALE=<products>` (default 100000), `BENCH_SECS=<seconds>` per row
//! (default 3), `BENCH_SEARCH_RATES=<n,n,…>` for the paced rows, and
//! `BENCH_QUICK=1` for a smoke run (5,400 products, 0.3 s rows).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tradeport_domain::identity::{Caller as BrandCaller, CallerKind, Role};
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{
    AttributeFilter, CartLineInput, GetProductRequest, PriceCartRequest, SearchProductsRequest,
    UpdateProductRequest,
};
use tradeport_proto::common::Money;
use tradeport_server::demo;
use tradeport_server::service::identity::Origin;
use tradeport_tests::TestServer;
use tradeport_tests::pace::{Pace, Schedule};

const LEVELS: [usize; 3] = [1, 16, 64];
const WARM_UP: Duration = Duration::from_millis(500);
const DEFAULT_SECS: f64 = 3.0;
const DEFAULT_SCALE: usize = 100_000;
/// Callers of the paced search rows, and the rates they offer by default.
const PACED_CALLERS: usize = 64;
const DEFAULT_SEARCH_RATES: [usize; 8] = [100, 200, 400, 600, 900, 1200, 1500, 1800];
const CART_LINES: usize = 100;
/// The workload's search for one product by its SKU.
const EXACT_SKU: &str = "exact SKU";
/// Calls per request kind when each is timed alone.
const ALONE_CALLS: usize = 16;
/// Distinct error messages kept per row for the report.
const ERROR_KINDS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Search,
    /// Only the exact-SKU search: one product found, the least a search
    /// does, so what any search costs at a given concurrency at least.
    SearchExactSku,
    PriceCart,
    Health,
}

impl Rpc {
    fn name(self) -> &'static str {
        match self {
            Rpc::Search => "SearchProducts",
            Rpc::SearchExactSku => "SearchProducts, exact SKU only",
            Rpc::PriceCart => "PriceCart (100 lines)",
            Rpc::Health => "Health/Check",
        }
    }
}

struct Settings {
    scale: usize,
    /// Searches/s offered by the paced rows.
    search_rates: Vec<usize>,
    window: Duration,
    warm_up: Duration,
}

fn settings() -> Result<Settings> {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let scale = match std::env::var("BENCH_SCALE") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("BENCH_SCALE={v:?} is not a number of products"))?,
        Err(_) if quick => 5_400,
        Err(_) => DEFAULT_SCALE,
    };
    let secs = match std::env::var("BENCH_SECS") {
        Ok(v) => {
            let secs: f64 = v
                .trim()
                .parse()
                .with_context(|| format!("BENCH_SECS={v:?} is not a number of seconds"))?;
            if secs.is_nan() || secs <= 0.0 || secs > 600.0 {
                bail!("BENCH_SECS={v:?} must be above 0 and at most 600");
            }
            secs
        }
        Err(_) if quick => 0.3,
        Err(_) => DEFAULT_SECS,
    };
    let search_rates = match std::env::var("BENCH_SEARCH_RATES") {
        Ok(v) => v
            .split(',')
            .map(|r| match r.trim().parse::<usize>() {
                Ok(rate) if rate > 0 => Ok(rate),
                _ => bail!("BENCH_SEARCH_RATES={v:?} must be searches/s above 0, comma-separated"),
            })
            .collect::<Result<Vec<_>>>()?,
        Err(_) => DEFAULT_SEARCH_RATES.to_vec(),
    };
    Ok(Settings {
        scale,
        search_rates,
        window: Duration::from_secs_f64(secs),
        warm_up: if quick {
            Duration::from_millis(100)
        } else {
            WARM_UP
        },
    })
}

/// This process's resident set, from /proc/self/status, in MiB.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bearer(key: &str) -> Result<AsciiMetadataValue> {
    format!("Bearer {key}")
        .parse()
        .context("an API key is not a valid header value")
}

fn authorized<T>(message: T, token: &AsciiMetadataValue) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", MetadataValue::clone(token));
    request
}

/// What a portal's search box, category pages and filtered listings send.
fn search_workload() -> Vec<(&'static str, SearchProductsRequest)> {
    let page = |r: SearchProductsRequest| SearchProductsRequest { page_size: 20, ..r };
    let text = |query: &str| {
        page(SearchProductsRequest {
            query: query.into(),
            ..Default::default()
        })
    };
    vec![
        ("text", text("cable")),
        ("text", text("led panel")),
        ("text, misspelt", text("circiut braker")),
        (EXACT_SKU, text("TP-EL-00042")),
        (
            "category browse",
            page(SearchProductsRequest {
                category_id: "cat-pl-2".into(),
                ..Default::default()
            }),
        ),
        (
            "filter and facets",
            page(SearchProductsRequest {
                filters: vec![AttributeFilter {
                    key: "material".into(),
                    values: vec!["copper".into()],
                    ..Default::default()
                }],
                facet_keys: vec!["voltage".into()],
                ..Default::default()
            }),
        ),
        (
            "text and price range",
            page(SearchProductsRequest {
                query: "ball valve".into(),
                price_min: "20".into(),
                price_max: "150".into(),
                ..Default::default()
            }),
        ),
        (
            "category, price range, by price",
            page(SearchProductsRequest {
                category_id: "cat-li-00".into(),
                price_min: "50".into(),
                price_max: "250".into(),
                order_by: "price".into(),
                ..Default::default()
            }),
        ),
    ]
}

/// The searches callers rotate over.
struct Searches {
    mixed: Arc<[SearchProductsRequest]>,
    exact_sku: Arc<[SearchProductsRequest]>,
}

impl Searches {
    fn of(workload: &[(&'static str, SearchProductsRequest)]) -> Self {
        let of_kind = |wanted: Option<&str>| -> Arc<[SearchProductsRequest]> {
            workload
                .iter()
                .filter(|(kind, _)| wanted.is_none_or(|w| w == *kind))
                .map(|(_, r)| r.clone())
                .collect::<Vec<_>>()
                .into()
        };
        Self {
            mixed: of_kind(None),
            exact_sku: of_kind(Some(EXACT_SKU)),
        }
    }
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
    if !r.price_min.is_empty() || !r.price_max.is_empty() {
        parts.push(format!("your price {}–{}", r.price_min, r.price_max));
    }
    if !r.order_by.is_empty() {
        parts.push(format!("order by {}", r.order_by));
    }
    parts.join(", ")
}

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
    /// Requests/s the callers offered together; `None`: closed loop.
    offered: Option<usize>,
    window: Duration,
    tally: Tally,
}

impl Row {
    fn rps(&self) -> f64 {
        self.tally.ok as f64 / self.window.as_secs_f64()
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.tally.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// One customer: its account's buyer key and its 100-line cart.
#[derive(Clone)]
struct Customer {
    account_id: String,
    token: AsciiMetadataValue,
    cart: Arc<PriceCartRequest>,
}

enum Caller {
    Search(
        CatalogServiceClient<Channel>,
        Arc<[SearchProductsRequest]>,
        AsciiMetadataValue,
    ),
    Cart(
        CatalogServiceClient<Channel>,
        Arc<PriceCartRequest>,
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
            Caller::Cart(client, cart, token) => {
                let request = authorized(PriceCartRequest::clone(cart), token);
                let lines = client.price_cart(request).await?.into_inner().lines.len();
                if lines == CART_LINES {
                    Ok(())
                } else {
                    Err(Status::internal(format!("{lines} priced lines")))
                }
            }
            Caller::Health(client) => {
                let status = client
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await?
                    .into_inner()
                    .status;
                if status == ServingStatus::Serving as i32 {
                    Ok(())
                } else {
                    Err(Status::unavailable(format!("health status {status}")))
                }
            }
        }
    }
}

/// Calls as `pace` says until `end`; counts those `Schedule::counts`.
async fn run_caller(
    mut caller: Caller,
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
        if !schedule.counts(due, done) {
            continue;
        }
        match outcome {
            Ok(()) => {
                tally.ok += 1;
                let micros =
                    u64::try_from(done.duration_since(due).as_micros()).unwrap_or(u64::MAX);
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

/// `callers` calling `rpc`, closed loop, or offering `offered` calls/s
/// together.
async fn run_level(
    addr: SocketAddr,
    rpc: Rpc,
    callers: usize,
    offered: Option<usize>,
    settings: &Settings,
    customers: &[Customer],
    searches: &Searches,
) -> Result<Row> {
    let mut channels = Vec::with_capacity(callers);
    for _ in 0..callers {
        channels.push(connect(addr).await?);
    }
    let began = Instant::now();
    let start = began + settings.warm_up;
    let end = start + settings.window;
    let mut tasks = Vec::with_capacity(callers);
    for (i, channel) in channels.into_iter().enumerate() {
        let customer = &customers[i % customers.len()];
        let caller = match rpc {
            Rpc::Search | Rpc::SearchExactSku => Caller::Search(
                CatalogServiceClient::new(channel),
                Arc::clone(if rpc == Rpc::Search {
                    &searches.mixed
                } else {
                    &searches.exact_sku
                }),
                customer.token.clone(),
            ),
            Rpc::PriceCart => Caller::Cart(
                CatalogServiceClient::new(channel),
                Arc::clone(&customer.cart),
                customer.token.clone(),
            ),
            Rpc::Health => Caller::Health(HealthClient::new(channel)),
        };
        let pace = offered.map_or(Pace::ClosedLoop, |rate| Pace::offering(rate, callers, i));
        tasks.push(tokio::spawn(run_caller(
            caller,
            i,
            pace,
            settings.warm_up,
            start,
            end,
        )));
    }
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await.context("a caller task failed")??)?;
    }
    Ok(Row {
        rpc,
        callers,
        offered,
        window: settings.window,
        tally,
    })
}

/// The brand itself, for creating the run's API keys.
fn brand() -> BrandCaller {
    BrandCaller {
        kind: CallerKind::User,
        id: "bench".into(),
        account_id: None,
        roles: vec![Role::BrandAdmin],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    }
}

/// The customers the callers are, one per caller at the highest
/// concurrency, with their carts: 30 lines from the customer's own price
/// list, 70 from the rest of what they may buy (standard customers do not
/// buy tools), quantities across the volume breaks.
fn customers(server: &TestServer, scale: usize, count: usize) -> Result<Vec<Customer>> {
    let catalog = demo::catalog_of(Some(scale));
    let skus: Vec<(String, bool)> = catalog
        .products
        .iter()
        .map(|p| (p.sku.clone(), p.category_id.starts_with("cat-to")))
        .collect();
    drop(catalog);
    let origin = Origin {
        source: "benchmark".into(),
    };
    let quantities = ["1", "5", "12", "60", "250"];
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let account_id = demo::scale_account_id(n);
        let account = server
            .identity()
            .account_record(&account_id)?
            .with_context(|| format!("the large demo has no account {account_id}"))?;
        let sees_tools = account.tier == "gold";
        let may_buy = |i: &usize| skus.get(*i).is_some_and(|(_, tool)| sees_tools || !tool);
        let own = demo::scale_list_positions(skus.len(), n)
            .filter(may_buy)
            .step_by(7)
            .take(30);
        let others = (0..skus.len())
            .map(|k| (n * 104_729 + k * 997) % skus.len())
            .filter(may_buy)
            .take(CART_LINES - 30);
        let mut lines: Vec<CartLineInput> = own
            .chain(others)
            .enumerate()
            .filter_map(|(l, i)| {
                skus.get(i).map(|(sku, _)| CartLineInput {
                    sku: sku.clone(),
                    quantity: quantities[l % quantities.len()].into(),
                })
            })
            .collect();
        lines.dedup_by(|a, b| a.sku == b.sku);
        if lines.len() != CART_LINES {
            bail!(
                "could only make {} cart lines for {account_id}",
                lines.len()
            );
        }
        let key = server.identity().create_api_key(
            &brand(),
            &account_id,
            "Load benchmark",
            vec![Role::Buyer],
            &origin,
        )?;
        out.push(Customer {
            account_id,
            token: bearer(&key.secret)?,
            cart: Arc::new(PriceCartRequest {
                lines,
                ..Default::default()
            }),
        });
    }
    Ok(out)
}

/// Times product writes (each rebuilds the catalog view and its
/// pricebook) over gRPC as a catalog manager: the median of a few.
async fn time_writes(addr: SocketAddr, server: &TestServer) -> Result<Vec<Duration>> {
    let origin = Origin {
        source: "benchmark".into(),
    };
    let key = server.identity().create_api_key(
        &brand(),
        "",
        "Load benchmark catalog manager",
        vec![Role::CatalogManager],
        &origin,
    )?;
    let token = bearer(&key.secret)?;
    let mut client = CatalogServiceClient::new(connect(addr).await?);
    let mut times = Vec::new();
    for n in 0..5 {
        let id = format!("prd-{:06}", 1000 + n);
        let mut product = client
            .get_product(authorized(GetProductRequest { id: id.clone() }, &token))
            .await
            .with_context(|| format!("reading {id}"))?
            .into_inner()
            .product
            .with_context(|| format!("no product {id}"))?;
        product.base_price = Some(Money {
            currency_code: "EUR".into(),
            amount: format!("{}.99", 10 + n),
        });
        let request = UpdateProductRequest {
            product: Some(product),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["base_price".into()],
            }),
            request_id: format!("bench-write-{n}"),
        };
        let began = Instant::now();
        client
            .update_product(authorized(request, &token))
            .await
            .context("updating a product's list price")?;
        times.push(began.elapsed());
    }
    times.sort();
    Ok(times)
}

async fn run(
    server: &TestServer,
    settings: &Settings,
    loaded: Duration,
    idle_rss: Option<f64>,
) -> Result<()> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let max_callers = LEVELS.iter().copied().max().unwrap_or(1);
    let customers = customers(server, settings.scale, max_callers)?;
    let gold = customers
        .iter()
        .filter(|c| {
            server
                .identity()
                .account_record(&c.account_id)
                .ok()
                .flatten()
                .is_some_and(|a| a.tier == "gold")
        })
        .count();
    let workload = search_workload();
    let searches = Searches::of(&workload);

    // What each request gives the first customer, and that every customer's
    // cart prices.
    let mut client = CatalogServiceClient::new(connect(server.addr).await?);
    let first = customers.first().context("no customers")?;
    let mut described = Vec::new();
    for (kind, r) in &workload {
        let outcome = match client
            .search_products(authorized(r.clone(), &first.token))
            .await
        {
            Ok(response) => format!("{} matches", response.into_inner().total_size),
            Err(status) => format!("ERROR {:?}: {}", status.code(), status.message()),
        };
        described.push(format!("{kind}: {} → {outcome}", describe(r)));
    }
    // Each request alone: one caller, back to back, the median of a few.
    let mut alone = Vec::new();
    for (kind, r) in &workload {
        let mut times = Vec::new();
        for c in customers.iter().take(ALONE_CALLS) {
            let began = Instant::now();
            client
                .search_products(authorized(r.clone(), &c.token))
                .await
                .with_context(|| format!("searching: {}", describe(r)))?;
            times.push(began.elapsed());
        }
        times.sort();
        let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
        alone.push(format!(
            "| {kind} | {:.2} | {:.2} |",
            ms(times.get(times.len() / 2)),
            ms(times.last())
        ));
    }
    for c in &customers {
        client
            .price_cart(authorized(PriceCartRequest::clone(&c.cart), &c.token))
            .await
            .with_context(|| format!("pricing {}'s cart", c.account_id))?;
    }
    let writes = time_writes(server.addr, server).await?;

    println!("## Tradeport catalog load benchmark at scale");
    println!();
    println!(
        "- machine: {cores} cores (available parallelism); the server and the load generator \
         run in this one process and share them"
    );
    println!(
        "- catalog: large demo, {} products in 78 categories; {} customer accounts with a \
         price list of 2,000 SKUs each (3 breaks per SKU), a gold tier list over every SKU, \
         3 promotions",
        settings.scale,
        demo::SCALE_ACCOUNTS
    );
    println!(
        "- seeding and loading the store: {:.1} s",
        loaded.as_secs_f64()
    );
    println!(
        "- callers: each is a different customer ({gold} of the first {} gold, the rest \
         standard) calling with its own buyer API key; closed loop, no think time; one HTTP/2 \
         connection per caller",
        customers.len()
    );
    println!(
        "- each row: {:.1} s warm-up, then {:.1} s measured",
        settings.warm_up.as_secs_f64(),
        settings.window.as_secs_f64()
    );
    println!("- SearchProducts rotates over (page_size 20; matches for the first customer):");
    for line in &described {
        println!("  - {line}");
    }
    println!(
        "- PriceCart: 100 lines per customer (30 from its own list, 70 others), quantities 1, \
         5, 12, 60, 250"
    );
    println!(
        "- a product write (UpdateProduct, list price; rebuilds the view and pricebook), 5 \
         in a row: median {:.1} ms, slowest {:.1} ms",
        writes
            .get(writes.len() / 2)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3),
        writes.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
    println!();

    println!(
        "Each SearchProducts request alone (one caller, {ALONE_CALLS} calls as different \
         customers):"
    );
    println!();
    println!("| request | median ms | slowest ms |");
    println!("|---|---:|---:|");
    for line in &alone {
        println!("{line}");
    }
    println!();

    let mut rows = Vec::new();
    for callers in LEVELS {
        for rpc in [
            Rpc::Health,
            Rpc::Search,
            Rpc::SearchExactSku,
            Rpc::PriceCart,
        ] {
            let row = run_level(
                server.addr,
                rpc,
                callers,
                None,
                settings,
                &customers,
                &searches,
            )
            .await
            .with_context(|| format!("{} with {callers} callers", rpc.name()))?;
            eprintln!(
                "measured {} with {callers} callers: {:.0} requests/s, p99 {:.3} ms",
                rpc.name(),
                row.rps(),
                row.ms(0.99)
            );
            rows.push(row);
        }
    }
    for &rate in &settings.search_rates {
        let row = run_level(
            server.addr,
            Rpc::Search,
            PACED_CALLERS,
            Some(rate),
            settings,
            &customers,
            &searches,
        )
        .await
        .with_context(|| format!("SearchProducts offered at {rate}/s"))?;
        eprintln!(
            "measured SearchProducts offered at {rate}/s by {PACED_CALLERS} callers: {:.0} \
             requests/s, p99 {:.3} ms",
            row.rps(),
            row.ms(0.99)
        );
        rows.push(row);
    }
    println!("| rpc | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for rpc in [
        Rpc::Search,
        Rpc::SearchExactSku,
        Rpc::PriceCart,
        Rpc::Health,
    ] {
        for row in rows.iter().filter(|r| r.rpc == rpc && r.offered.is_none()) {
            print_row(row);
        }
    }
    println!();
    println!(
        "SearchProducts at a set load: {PACED_CALLERS} callers whose searches arrive at random \
         (a Poisson stream of the rate offered); latency counts from when a search was due:"
    );
    println!();
    println!("| rpc | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for row in rows.iter().filter(|r| r.offered.is_some()) {
        print_row(row);
    }
    println!();
    // Let the server settle before reading memory again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fmt = |rss: Option<f64>| rss.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
    println!(
        "- resident memory (VmRSS of this process): {} with the catalog loaded and idle, \
         before any load; {} idle after the load (this includes the load generator's \
         connections and customer data)",
        fmt(idle_rss),
        fmt(rss_mib())
    );
    let failed: Vec<&Row> = rows.iter().filter(|r| r.tally.errors > 0).collect();
    if !failed.is_empty() {
        println!();
        println!("Errors:");
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

fn print_row(row: &Row) {
    println!(
        "| {}{} | {} | {:.0} | {:.3} | {:.3} | {} |",
        row.rpc.name(),
        row.offered
            .map_or(String::new(), |rate| format!(", {rate}/s offered")),
        row.callers,
        row.rps(),
        row.ms(0.50),
        row.ms(0.99),
        row.tally.errors
    );
}

fn main() -> Result<()> {
    let settings = settings()?;
    let began = Instant::now();
    let server = TestServer::start(|config| config.demo_scale = Some(settings.scale))
        .context("starting the large demo server")?;
    let loaded = began.elapsed();
    eprintln!(
        "seeded and loaded {} products in {:.1} s",
        settings.scale,
        loaded.as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_mib();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("load")
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let result = runtime.block_on(run(&server, &settings, loaded, idle_rss));
    // The load generator's connections go first: the store closes after.
    drop(runtime);
    if let Err(e) = server.close(Duration::from_secs(10)) {
        eprintln!("closing the server: {e:#}");
    }
    result
}
