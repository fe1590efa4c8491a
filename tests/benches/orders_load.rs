//! Load benchmark for orders at the demo scale of the catalog benchmark
//! (`demo_scale`, 100,000 products and 1,000 customer accounts by default).
//!
//! One server runs in this process (the test harness server on plaintext
//! loopback, its embedded store in a temporary directory, every commit
//! flushed before the reply). Each caller is a different customer account
//! of the large demo, calling with a buyer API key of its own created for
//! the run, closed loop (the next call as soon as the last answered), one
//! HTTP/2 connection per caller. Rows:
//!
//! - `SubmitOrder` of 20 lines, at 1, 16 and 64 callers: every order has a
//!   request id of its own and lines the customer may buy (its assortment,
//!   no discontinued products, quantities that keep the quantity rules), so
//!   each is priced, taxed, confirmed with stock reserved and committed;
//! - `grpc.health.v1.Health/Check` at the same concurrencies, the
//!   transport's ceiling, and the ratio of the two;
//! - `SubmitOrder` again at 64 callers, paced: together they offer 1,000
//!   orders/s (`BENCH_PACED_RATE`) as random arrivals, and latency counts
//!   from when each call was due (see `tradeport_tests::pace`). The
//!   closed-loop rows find where the server saturates, and their latency
//!   is that of saturation; this row measures latency at the target load;
//! - one account then gets 50,000 orders (64 concurrent submitters; the
//!   time it takes is reported), and `ListOrders` (50 per page) is measured
//!   on it at 1 and 16 callers: first pages, and deep pages reached with
//!   page tokens collected by walking the whole list.
//!
//! To tell where a submit's time goes, the run also times a `PriceCart` of
//! the same 20 lines (the pricing a submit repeats) and, on a store of its
//! own in the same temporary file system, a flushed commit alone; and the
//! disk alone: how long a small append takes to be made durable, and how
//! often that stalls.
//!
//! It ends with this process's resident memory (VmRSS from
//! /proc/self/status: the server, its store's cache and the load
//! generator).
//!
//! Run with `cargo bench -p tradeport-tests --bench orders_load`.
//! `BENCH_SCALE=<products>` (default 100000), `BENCH_SECS=<seconds>` per
//! row (default 3), `BENCH_ORDERS=<orders>` on the listed account (default
//! 50000), `BENCH_PACED_RATE=<orders/s>` offered by the paced row (default
//! 1000), and `BENCH_QUICK=1` for a smoke run (5,400 products, 0.3 s rows,
//! 1,000 orders listed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tradeport_domain::catalog::ProductStatus;
use tradeport_domain::identity::{Caller as BrandCaller, CallerKind, Role};
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{CartLineInput, PriceCartRequest};
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{
    GetOrderRequest, ListOrdersRequest, OrderLineInput, OrderStatus, SubmitOrderRequest,
};
use tradeport_server::demo;
use tradeport_server::service::identity::Origin;
use tradeport_server::store::{Commit, SledStore, Store};
use tradeport_tests::TestServer;
use tradeport_tests::pace::{Pace, Schedule};

const LEVELS: [usize; 3] = [1, 16, 64];
const LIST_LEVELS: [usize; 2] = [1, 16];
const WARM_UP: Duration = Duration::from_millis(500);
const DEFAULT_SECS: f64 = 3.0;
const DEFAULT_SCALE: usize = 100_000;
const DEFAULT_ORDERS: usize = 50_000;
/// Callers of the paced row, and the rate they offer together by default.
const PACED_CALLERS: usize = 64;
const DEFAULT_PACED_RATE: usize = 1_000;
const ORDER_LINES: usize = 20;
const PAGE_SIZE: i32 = 50;
/// Concurrent submitters while seeding the listed account.
const SEEDERS: usize = 64;
/// Flushed commits timed alone.
const COMMITS_ALONE: usize = 200;
/// Distinct error messages kept per row for the report.
const ERROR_KINDS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Submit,
    Health,
    ListFirst,
    ListDeep,
}

impl Rpc {
    fn name(self) -> &'static str {
        match self {
            Rpc::Submit => "SubmitOrder (20 lines)",
            Rpc::Health => "Health/Check",
            Rpc::ListFirst => "ListOrders, first page",
            Rpc::ListDeep => "ListOrders, deep page (token)",
        }
    }
}

struct Settings {
    scale: usize,
    orders: usize,
    /// Orders/s offered by the paced row.
    paced_rate: usize,
    window: Duration,
    warm_up: Duration,
}

fn env_number(name: &str, what: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v.trim().parse().with_context(|| {
            format!("{name}={v:?} is not a number of {what}")
        })?)),
        Err(_) => Ok(None),
    }
}

fn settings() -> Result<Settings> {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let scale =
        env_number("BENCH_SCALE", "products")?.unwrap_or(if quick { 5_400 } else { DEFAULT_SCALE });
    let orders =
        env_number("BENCH_ORDERS", "orders")?.unwrap_or(if quick { 1_000 } else { DEFAULT_ORDERS });
    if orders < 2 * PAGE_SIZE as usize {
        bail!("BENCH_ORDERS must be at least {}", 2 * PAGE_SIZE);
    }
    let paced_rate =
        env_number("BENCH_PACED_RATE", "orders per second")?.unwrap_or(DEFAULT_PACED_RATE);
    if paced_rate == 0 {
        bail!("BENCH_PACED_RATE must be above 0");
    }
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
    Ok(Settings {
        scale,
        orders,
        paced_rate,
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

struct Tally {
    latency_us: Histogram<u64>,
    ok: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
}

impl Tally {
    fn new() -> Result<Self> {
        Ok(Self {
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3)
                .context("creating a latency histogram")?,
            ok: 0,
            errors: 0,
            error_kinds: BTreeMap::new(),
        })
    }

    fn record(&mut self, took: Duration) {
        self.ok += 1;
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(micros.max(1));
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

    fn ms(&self, quantile: f64) -> f64 {
        self.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }
}

struct Row {
    rpc: Rpc,
    callers: usize,
    /// Requests/s the callers offered together on a schedule; `None`:
    /// closed loop.
    offered: Option<usize>,
    window: Duration,
    tally: Tally,
}

impl Row {
    fn rps(&self) -> f64 {
        self.tally.ok as f64 / self.window.as_secs_f64()
    }

    fn pace(&self) -> String {
        self.offered
            .map_or(String::new(), |rate| format!(", {rate}/s offered"))
    }
}

/// A product as the order generator needs it.
struct Sku {
    sku: String,
    tool: bool,
    discontinued: bool,
    /// Ordered in tens, from 20 (every fifth demo product).
    boxed: bool,
}

/// One customer: its account, its buyer key and where its orders start in
/// the catalog.
#[derive(Clone)]
struct Customer {
    account_id: String,
    gold: bool,
    token: AsciiMetadataValue,
    start: usize,
}

impl Customer {
    /// The `n`th order's 20 lines: SKUs the customer may buy, spread over
    /// the catalog, quantities within the quantity rules (1 to 3, or 20 to
    /// 40 in tens for boxed products).
    fn lines(&self, catalog: &[Sku], n: usize) -> Vec<OrderLineInput> {
        let len = catalog.len();
        let mut lines = Vec::with_capacity(ORDER_LINES);
        let mut seen = HashSet::with_capacity(ORDER_LINES);
        let mut k = n * ORDER_LINES * 2;
        while lines.len() < ORDER_LINES {
            let i = (self.start + k * 7_919) % len;
            k += 1;
            let p = &catalog[i];
            if p.discontinued || (p.tool && !self.gold) || !seen.insert(i) {
                continue;
            }
            let quantity = if p.boxed {
                20 + 10 * (k % 3)
            } else {
                1 + k % 3
            };
            lines.push(OrderLineInput {
                sku: p.sku.clone(),
                quantity: quantity.to_string(),
                expected_unit_price: String::new(),
            });
        }
        lines
    }
}

fn submission(customer: &Customer, catalog: &[Sku], tag: &str, n: usize) -> SubmitOrderRequest {
    SubmitOrderRequest {
        request_id: format!("bench-{tag}-{n}"),
        lines: customer.lines(catalog, n),
        ship_to_id: "ship-1".into(),
        po_number: format!("PO-{tag}-{n}"),
        ..Default::default()
    }
}

/// A submitted order must come back confirmed (priced, taxed, stock
/// reserved, within credit): anything else counts as an error.
async fn submit(
    client: &mut OrderServiceClient<Channel>,
    request: SubmitOrderRequest,
    token: &AsciiMetadataValue,
) -> Result<(), Status> {
    let order = client
        .submit_order(authorized(request, token))
        .await?
        .into_inner()
        .order
        .ok_or_else(|| Status::internal("no order in the answer"))?;
    if order.status != OrderStatus::Confirmed as i32 {
        return Err(Status::internal(format!(
            "order {} is {:?}, not confirmed",
            order.number,
            OrderStatus::try_from(order.status)
        )));
    }
    if order.lines.len() != ORDER_LINES {
        return Err(Status::internal(format!("{} lines", order.lines.len())));
    }
    Ok(())
}

enum Caller {
    Submit {
        client: OrderServiceClient<Channel>,
        customer: Customer,
        catalog: Arc<Vec<Sku>>,
        tag: String,
    },
    Health(HealthClient<Channel>),
    List {
        client: OrderServiceClient<Channel>,
        token: AsciiMetadataValue,
        /// Empty: first pages.
        pages: Arc<[String]>,
    },
}

impl Caller {
    async fn call(&mut self, n: usize) -> Result<(), Status> {
        match self {
            Caller::Submit {
                client,
                customer,
                catalog,
                tag,
            } => {
                let request = submission(customer, catalog, tag, n);
                submit(client, request, &customer.token).await
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
            Caller::List {
                client,
                token,
                pages,
            } => {
                let page_token = if pages.is_empty() {
                    String::new()
                } else {
                    pages[(n * 7_919) % pages.len()].clone()
                };
                let request = ListOrdersRequest {
                    page_size: PAGE_SIZE,
                    page_token,
                    ..Default::default()
                };
                let page = client
                    .list_orders(authorized(request, token))
                    .await?
                    .into_inner();
                if page.orders.len() == PAGE_SIZE as usize {
                    Ok(())
                } else {
                    Err(Status::internal(format!(
                        "{} orders on a page",
                        page.orders.len()
                    )))
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
        if schedule.counts(due, done) {
            match outcome {
                Ok(()) => tally.record(done.duration_since(due)),
                Err(status) => tally.error(&status),
            }
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

struct Load<'a> {
    addr: SocketAddr,
    settings: &'a Settings,
    customers: &'a [Customer],
    catalog: &'a Arc<Vec<Sku>>,
    /// The listed account's buyer key.
    lister: AsciiMetadataValue,
    /// Tokens of deep pages of the listed account.
    deep_pages: Arc<[String]>,
}

/// `callers` calling `rpc`, closed loop, or offering `offered` calls/s
/// together.
async fn run_level(
    load: &Load<'_>,
    rpc: Rpc,
    callers: usize,
    offered: Option<usize>,
) -> Result<Row> {
    let mut channels = Vec::with_capacity(callers);
    for _ in 0..callers {
        channels.push(connect(load.addr).await?);
    }
    let began = Instant::now();
    let start = began + load.settings.warm_up;
    let end = start + load.settings.window;
    let mut tasks = Vec::with_capacity(callers);
    for (i, channel) in channels.into_iter().enumerate() {
        let customer = &load.customers[i % load.customers.len()];
        let caller = match rpc {
            Rpc::Submit => Caller::Submit {
                client: OrderServiceClient::new(channel),
                customer: customer.clone(),
                catalog: Arc::clone(load.catalog),
                tag: format!("c{callers}-{i}"),
            },
            Rpc::Health => Caller::Health(HealthClient::new(channel)),
            Rpc::ListFirst | Rpc::ListDeep => Caller::List {
                client: OrderServiceClient::new(channel),
                token: load.lister.clone(),
                pages: if rpc == Rpc::ListDeep {
                    Arc::clone(&load.deep_pages)
                } else {
                    Arc::from(Vec::new())
                },
            },
        };
        // Submitters start their order numbers apart; each request id is
        // unique through its caller's tag anyway.
        let pace = offered.map_or(Pace::ClosedLoop, |rate| Pace::offering(rate, callers, i));
        tasks.push(tokio::spawn(run_caller(
            caller,
            i * 1_000_000,
            pace,
            load.settings.warm_up,
            start,
            end,
        )));
    }
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await.context("a caller task failed")??)?;
    }
    let row = Row {
        rpc,
        callers,
        offered,
        window: load.settings.window,
        tally,
    };
    eprintln!(
        "measured {}{} with {callers} callers: {:.0} requests/s, p50 {:.3} ms, p99 {:.3} ms, {} errors",
        rpc.name(),
        row.pace(),
        row.rps(),
        row.tally.ms(0.50),
        row.tally.ms(0.99),
        row.tally.errors
    );
    Ok(row)
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

fn catalog(scale: usize) -> Vec<Sku> {
    demo::catalog_of(Some(scale))
        .products
        .into_iter()
        .enumerate()
        .map(|(i, p)| Sku {
            tool: p.category_id.starts_with("cat-to"),
            discontinued: p.status != ProductStatus::Active,
            boxed: p.quantity_rule.minimum > rust_decimal::Decimal::ONE
                || p.quantity_rule.multiple.is_some()
                || (i + 1) % 5 == 0,
            sku: p.sku,
        })
        .collect()
}

/// A large-demo customer with a fresh buyer key.
fn customer(server: &TestServer, n: usize, catalog_len: usize) -> Result<Customer> {
    let account_id = demo::scale_account_id(n);
    let account = server
        .identity()
        .account_record(&account_id)?
        .with_context(|| format!("the large demo has no account {account_id}"))?;
    if account.ship_to.is_empty() {
        bail!("{account_id} has no ship-to address to order to");
    }
    let key = server.identity().create_api_key(
        &brand(),
        &account_id,
        "Orders load benchmark",
        vec![Role::Buyer],
        &Origin {
            source: "benchmark".into(),
        },
    )?;
    Ok(Customer {
        account_id,
        gold: account.tier == "gold",
        token: bearer(&key.secret)?,
        start: (n * 104_729) % catalog_len.max(1),
    })
}

/// Submits `count` orders for one customer from `SEEDERS` concurrent
/// callers; returns how long it took.
async fn seed(
    addr: SocketAddr,
    customer: &Customer,
    catalog: &Arc<Vec<Sku>>,
    count: usize,
) -> Result<(Duration, Tally)> {
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..SEEDERS {
        let mut client = OrderServiceClient::new(connect(addr).await?);
        let (next, customer, catalog) = (Arc::clone(&next), customer.clone(), Arc::clone(catalog));
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new()?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    break;
                }
                if n > 0 && n % 10_000 == 0 {
                    eprintln!("seeded {n} orders");
                }
                let request = submission(&customer, &catalog, "seed", n);
                let sent = Instant::now();
                match submit(&mut client, request, &customer.token).await {
                    Ok(()) => tally.record(sent.elapsed()),
                    Err(status) => tally.error(&status),
                }
            }
            anyhow::Ok(tally)
        }));
    }
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await.context("a seeding task failed")??)?;
    }
    Ok((began.elapsed(), tally))
}

/// Walks the listed account's whole list, page by page; returns the token
/// of every full page after the first, the number of pages and orders, and
/// how long the walk took.
async fn walk(
    addr: SocketAddr,
    token: &AsciiMetadataValue,
) -> Result<(Vec<String>, usize, usize, Duration)> {
    let mut client = OrderServiceClient::new(connect(addr).await?);
    let mut tokens = Vec::new();
    let mut next = String::new();
    let mut orders = 0;
    let mut pages = 0;
    let began = Instant::now();
    loop {
        let page = client
            .list_orders(authorized(
                ListOrdersRequest {
                    page_size: PAGE_SIZE,
                    page_token: next.clone(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .context("walking the order list")?
            .into_inner();
        orders += page.orders.len();
        pages += 1;
        if !next.is_empty() && page.orders.len() == PAGE_SIZE as usize {
            tokens.push(next.clone());
        }
        if page.next_page_token.is_empty() {
            break;
        }
        next = page.next_page_token;
    }
    Ok((tokens, pages, orders, began.elapsed()))
}

/// One caller, `count` calls: a PriceCart of an order's 20 lines.
async fn time_pricing(
    addr: SocketAddr,
    customer: &Customer,
    catalog: &[Sku],
    count: usize,
) -> Result<Tally> {
    let mut client = CatalogServiceClient::new(connect(addr).await?);
    let mut tally = Tally::new()?;
    for n in 0..count {
        let lines = customer
            .lines(catalog, 10_000_000 + n)
            .into_iter()
            .map(|l| CartLineInput {
                sku: l.sku,
                quantity: l.quantity,
            })
            .collect();
        let began = Instant::now();
        client
            .price_cart(authorized(
                PriceCartRequest {
                    lines,
                    ..Default::default()
                },
                &customer.token,
            ))
            .await
            .context("pricing an order's lines")?;
        tally.record(began.elapsed());
    }
    Ok(tally)
}

/// One caller, `count` calls: GetOrder of one order.
async fn time_get(
    addr: SocketAddr,
    token: &AsciiMetadataValue,
    id: &str,
    count: usize,
) -> Result<Tally> {
    let mut client = OrderServiceClient::new(connect(addr).await?);
    let mut tally = Tally::new()?;
    for _ in 0..count {
        let began = Instant::now();
        client
            .get_order(authorized(GetOrderRequest { id: id.into() }, token))
            .await
            .context("getting an order")?;
        tally.record(began.elapsed());
    }
    Ok(tally)
}

/// A commit like a confirmed order's (the order record, its two list
/// entries, 20 stock levels with their expectations, the number sequence,
/// the exposure, the remembered request), flushed, on a sled store of its
/// own next to the server's: what durability costs per order on this disk.
fn time_commits(order_bytes: usize) -> Result<Tally> {
    let dir = tempfile::tempdir()?;
    let store = SledStore::open(dir.path())?;
    let mut tally = Tally::new()?;
    let level = vec![7_u8; 160];
    for n in 0..COMMITS_ALONE {
        let mut commit = Commit::new()
            .put(format!("ord/{n:08}"), vec![1_u8; order_bytes])
            .put(format!("ordacc/a/{n:08}"), Vec::new())
            .put(format!("ordall/{n:08}"), Vec::new())
            .put("ordseq/2026", n.to_be_bytes().to_vec())
            .put("exposure/a", n.to_be_bytes().to_vec())
            .put(format!("idem/a/{n:08}"), vec![2_u8; order_bytes]);
        for s in 0..ORDER_LINES {
            let key = format!("stock/sku{:06}/WH", (n * ORDER_LINES + s) % 5_000);
            let current = store.get(key.as_bytes())?;
            commit = commit.expect(key.clone(), current).put(key, level.clone());
        }
        let began = Instant::now();
        store.commit(commit)?;
        tally.record(began.elapsed());
    }
    Ok(tally)
}

/// The disk alone, under about the load of 1,500 orders/s: a 20 KB append
/// (what a flush of a few orders writes) made durable with `fdatasync`,
/// one every 2 ms, for `window`, in the temporary file system the server's
/// store uses. A slow sync here holds every submission whose commit waits
/// on a flush, whatever the server does.
fn time_disk_syncs(window: Duration) -> Result<Tally> {
    use std::io::Write;
    let dir = tempfile::tempdir()?;
    let mut file = std::fs::File::create(dir.path().join("appends"))?;
    let chunk = vec![5_u8; 20 * 1024];
    let mut tally = Tally::new()?;
    let end = Instant::now() + window;
    while Instant::now() < end {
        let began = Instant::now();
        file.write_all(&chunk)?;
        file.sync_data()?;
        tally.record(began.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(tally)
}

fn print_rows(rows: &[Row]) {
    println!("| rpc | callers | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {}{} | {} | {:.0} | {:.3} | {:.3} | {} |",
            row.rpc.name(),
            row.pace(),
            row.callers,
            row.rps(),
            row.tally.ms(0.50),
            row.tally.ms(0.99),
            row.tally.errors
        );
    }
    println!();
}

async fn run(server: &TestServer, settings: &Settings, loaded: Duration) -> Result<()> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let catalog = Arc::new(catalog(settings.scale));
    let max_callers = LEVELS.iter().copied().max().unwrap_or(1);
    let customers = (0..max_callers)
        .map(|n| customer(server, n, catalog.len()))
        .collect::<Result<Vec<_>>>()?;
    let listed = customer(server, demo::SCALE_ACCOUNTS - 1, catalog.len())?;
    let first = customers.first().context("no customers")?;

    // One order first, to check the set-up and to size the commit.
    let mut client = OrderServiceClient::new(connect(server.addr).await?);
    let order = client
        .submit_order(authorized(
            submission(first, &catalog, "check", 0),
            &first.token,
        ))
        .await
        .context("submitting a first order")?
        .into_inner()
        .order
        .context("no order in the answer")?;
    let order_bytes = prost::Message::encoded_len(&order);
    eprintln!(
        "first order {} is {:?}, total {:?}, {} bytes as protobuf",
        order.number,
        OrderStatus::try_from(order.status),
        order.total.as_ref().map(|m| m.amount.clone()),
        order_bytes
    );

    let mut rows = Vec::new();
    let load = Load {
        addr: server.addr,
        settings,
        customers: &customers,
        catalog: &catalog,
        lister: listed.token.clone(),
        deep_pages: Arc::from(Vec::new()),
    };
    for callers in LEVELS {
        for rpc in [Rpc::Health, Rpc::Submit] {
            rows.push(
                run_level(&load, rpc, callers, None)
                    .await
                    .with_context(|| format!("{} with {callers} callers", rpc.name()))?,
            );
        }
    }
    rows.push(
        run_level(&load, Rpc::Submit, PACED_CALLERS, Some(settings.paced_rate))
            .await
            .context("paced submits")?,
    );
    let pricing = time_pricing(server.addr, first, &catalog, 200).await?;
    let commits = time_commits(order_bytes)?;
    let disk = time_disk_syncs(settings.window)?;

    eprintln!(
        "seeding {} orders for {}",
        settings.orders, listed.account_id
    );
    let (seeding, seeded) = seed(server.addr, &listed, &catalog, settings.orders).await?;
    eprintln!(
        "seeded {} orders in {:.1} s ({} errors)",
        seeded.ok,
        seeding.as_secs_f64(),
        seeded.errors
    );
    if seeded.errors > 0 {
        bail!("seeding failed: {:?}", seeded.error_kinds);
    }
    let (tokens, pages, walked, walk_took) = walk(server.addr, &listed.token).await?;
    if walked != settings.orders {
        bail!(
            "walking the list found {walked} orders, not {}",
            settings.orders
        );
    }
    let get_one = time_get(server.addr, &first.token, &order.id, 200).await?;
    // Deep pages: the second half of the list.
    let deep: Arc<[String]> = tokens[tokens.len() / 2..].to_vec().into();
    let load = Load {
        deep_pages: deep,
        ..load
    };
    let mut list_rows = Vec::new();
    for callers in LIST_LEVELS {
        for rpc in [Rpc::ListFirst, Rpc::ListDeep] {
            list_rows.push(
                run_level(&load, rpc, callers, None)
                    .await
                    .with_context(|| format!("{} with {callers} callers", rpc.name()))?,
            );
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = rss_mib();

    println!("## Tradeport orders load benchmark");
    println!();
    println!(
        "- machine: {cores} cores (available parallelism); the server and the load generator \
         run in this one process and share them"
    );
    println!(
        "- data: large demo, {} products, {} extra customer accounts; seeding and loading the \
         store took {:.1} s",
        settings.scale,
        demo::SCALE_ACCOUNTS,
        loaded.as_secs_f64()
    );
    println!(
        "- SubmitOrder: 20 lines per order, SKUs the customer may buy spread over the catalog, \
         quantities 1-3 (20-40 in tens for boxed products); each caller a different customer \
         with its own buyer API key; every request id unique; every order must come back \
         confirmed; a first order was {} bytes as protobuf",
        order_bytes
    );
    println!(
        "- each row: {:.1} s warm-up, then {:.1} s measured; closed loop, no think time, except \
         the row with a rate offered: there the callers' calls arrive at random (a Poisson \
         stream of that rate), and latency counts from when a call was due; one HTTP/2 connection per \
         caller",
        settings.warm_up.as_secs_f64(),
        settings.window.as_secs_f64()
    );
    println!();
    print_rows(&rows);
    println!("SubmitOrder/Health requests/s:");
    println!();
    for callers in LEVELS {
        let rate = |rpc| {
            rows.iter()
                .find(|r| r.rpc == rpc && r.callers == callers && r.offered.is_none())
                .map_or(0.0, Row::rps)
        };
        let (submit, health) = (rate(Rpc::Submit), rate(Rpc::Health));
        println!(
            "- {callers} callers: {:.3} ({submit:.0} / {health:.0})",
            if health > 0.0 { submit / health } else { 0.0 }
        );
    }
    println!();
    println!(
        "Where a submit's time goes (one caller, 200 calls each): PriceCart of an order's 20 \
         lines over gRPC p50 {:.3} ms, p99 {:.3} ms; a flushed commit of an order's size \
         ({} keys, 20 expectations) on a store of its own: p50 {:.3} ms, p99 {:.3} ms",
        pricing.ms(0.5),
        pricing.ms(0.99),
        6 + ORDER_LINES,
        commits.ms(0.5),
        commits.ms(0.99)
    );
    println!();
    let over = |ms: u64| disk.latency_us.count_between(ms * 1_000, u64::MAX);
    println!(
        "The disk alone ({} appends of 20 KB, each made durable with fdatasync, one every 2 ms, \
         for {:.1} s): p50 {:.3} ms, p99 {:.3} ms, max {:.1} ms; {} took over 10 ms, {} over \
         50 ms",
        disk.ok,
        settings.window.as_secs_f64(),
        disk.ms(0.5),
        disk.ms(0.99),
        disk.latency_us.max() as f64 / 1_000.0,
        over(10),
        over(50)
    );
    println!();
    println!(
        "Seeding {} orders on {} ({} concurrent submitters): {:.1} s, {:.0} orders/s, \
         p50 {:.3} ms, p99 {:.3} ms",
        seeded.ok,
        listed.account_id,
        SEEDERS,
        seeding.as_secs_f64(),
        seeded.ok as f64 / seeding.as_secs_f64(),
        seeded.ms(0.5),
        seeded.ms(0.99)
    );
    println!(
        "Walking its whole list, {pages} pages of {PAGE_SIZE}, one caller: {:.1} s ({:.3} ms \
         per page)",
        walk_took.as_secs_f64(),
        walk_took.as_secs_f64() * 1e3 / pages.max(1) as f64
    );
    println!(
        "GetOrder of one 20-line order, one caller, 200 calls: p50 {:.3} ms, p99 {:.3} ms",
        get_one.ms(0.5),
        get_one.ms(0.99)
    );
    println!();
    println!(
        "ListOrders on that account ({walked} orders, {PAGE_SIZE} per page; deep pages: {} \
         full pages from the second half of the list, by their tokens):",
        tokens.len() - tokens.len() / 2
    );
    println!();
    print_rows(&list_rows);
    println!(
        "- resident memory (VmRSS of this process) at the end: {}",
        rss.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"))
    );
    let failed: Vec<&Row> = rows
        .iter()
        .chain(&list_rows)
        .filter(|r| r.tally.errors > 0)
        .collect();
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
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("load")
        .enable_all()
        .build()
        .context("starting the load generator's runtime")?;
    let result = runtime.block_on(run(&server, &settings, loaded));
    // The load generator's connections go first: the store closes after.
    drop(runtime);
    if let Err(e) = server.close(Duration::from_secs(10)) {
        eprintln!("closing the server: {e:#}");
    }
    result
}
