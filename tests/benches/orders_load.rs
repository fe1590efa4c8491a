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
//! - `Health/Check` offered 200 calls/s by 4 callers, alone and then beside
//!   64 closed-loop submitters: whether calls that need no disk wait behind
//!   the flushes of those that do;
//! - `SubmitOrder` again at 64 callers, paced: together they offer 1,000
//!   orders/s (`BENCH_PACED_RATE`) as random arrivals, and latency counts
//!   from when each call was due (see `tradeport_tests::bench::pace`). The
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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tonic::Status;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{CartLineInput, PriceCartRequest};
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{GetOrderRequest, ListOrdersRequest, OrderStatus};
use tradeport_server::demo;
use tradeport_tests::TestServer;
use tradeport_tests::bench::callers::{Call, Health, run_callers};
use tradeport_tests::bench::disk::{time_commits, time_disk_syncs};
use tradeport_tests::bench::memory::rss_mib;
use tradeport_tests::bench::order_mix::{Customer, ORDER_LINES, Sku, catalog, seed, submit};
use tradeport_tests::bench::pace::Pace;
use tradeport_tests::bench::scale::{close, start_large_demo};
use tradeport_tests::bench::settings::{env_number, quick, rows, scale};
use tradeport_tests::bench::tally::{self, Row, Rpc as _, Tally};
use tradeport_tests::bench::wire::{authorized, connect};
use tradeport_tests::bench::{cores, on_load_runtime};

const LEVELS: [usize; 3] = [1, 16, 64];
const LIST_LEVELS: [usize; 2] = [1, 16];
const DEFAULT_ORDERS: usize = 50_000;
/// Callers of the paced row, and the rate they offer together by default.
const PACED_CALLERS: usize = 64;
const DEFAULT_PACED_RATE: usize = 1_000;
const PAGE_SIZE: i32 = 50;
/// Concurrent submitters while seeding the listed account.
const SEEDERS: usize = 64;
/// Flushed commits timed alone.
const COMMITS_ALONE: usize = 200;
/// Health/Check callers and their rate, alone and beside closed-loop
/// submitters that keep the disk busy.
const HEALTH_CALLERS: usize = 4;
const HEALTH_RATE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Submit,
    Health,
    ListFirst,
    ListDeep,
}

impl tally::Rpc for Rpc {
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

fn settings() -> Result<Settings> {
    let quick = quick();
    let scale = scale(quick)?;
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
    let (warm_up, window) = rows(quick)?;
    Ok(Settings {
        scale,
        orders,
        paced_rate,
        window,
        warm_up,
    })
}

enum Caller {
    Submit {
        client: OrderServiceClient<Channel>,
        customer: Customer,
        catalog: Arc<Vec<Sku>>,
        tag: String,
    },
    Health(Health),
    List {
        client: OrderServiceClient<Channel>,
        token: AsciiMetadataValue,
        /// Empty: first pages.
        pages: Arc<[String]>,
    },
}

impl Call for Caller {
    async fn call(&mut self, n: usize) -> Result<(), Status> {
        match self {
            Caller::Submit {
                client,
                customer,
                catalog,
                tag,
            } => {
                let request = customer.submission(catalog, tag, n);
                submit(client, request, &customer.token).await
            }
            Caller::Health(health) => health.call(n).await,
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
) -> Result<Row<Rpc>> {
    let mut channels = Vec::with_capacity(callers);
    for _ in 0..callers {
        channels.push(connect(load.addr).await?);
    }
    let mut each = Vec::with_capacity(callers);
    for (i, channel) in channels.into_iter().enumerate() {
        let customer = &load.customers[i % load.customers.len()];
        each.push(match rpc {
            Rpc::Submit => Caller::Submit {
                client: OrderServiceClient::new(channel),
                customer: customer.clone(),
                catalog: Arc::clone(load.catalog),
                tag: format!("c{callers}-{i}"),
            },
            Rpc::Health => Caller::Health(Health::new(channel)),
            Rpc::ListFirst | Rpc::ListDeep => Caller::List {
                client: OrderServiceClient::new(channel),
                token: load.lister.clone(),
                pages: if rpc == Rpc::ListDeep {
                    Arc::clone(&load.deep_pages)
                } else {
                    Arc::from(Vec::new())
                },
            },
        });
    }
    // Submitters start their order numbers apart; each request id is
    // unique through its caller's tag anyway.
    let tally = run_callers(
        each,
        |i| i * 1_000_000,
        |i| offered.map_or(Pace::ClosedLoop, |rate| Pace::offering(rate, callers, i)),
        load.settings.warm_up,
        load.settings.window,
    )
    .await?;
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
        row.ms(0.50),
        row.ms(0.99),
        row.tally.errors
    );
    Ok(row)
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

async fn run(server: &TestServer, settings: &Settings, loaded: Duration) -> Result<()> {
    let cores = cores();
    let catalog = Arc::new(catalog(settings.scale));
    let max_callers = LEVELS.iter().copied().max().unwrap_or(1);
    let customers = (0..max_callers)
        .map(|n| Customer::new(server, n, catalog.len()))
        .collect::<Result<Vec<_>>>()?;
    let listed = Customer::new(server, demo::SCALE_ACCOUNTS - 1, catalog.len())?;
    let first = customers.first().context("no customers")?;

    // One order first, to check the set-up and to size the commit.
    let mut client = OrderServiceClient::new(connect(server.addr).await?);
    let order = client
        .submit_order(authorized(
            first.submission(&catalog, "check", 0),
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
    // A call that needs no disk must not queue behind those that wait on
    // it (the flushes of 64 submitters).
    let health_alone = run_level(&load, Rpc::Health, HEALTH_CALLERS, Some(HEALTH_RATE)).await?;
    let (health_beside, submits_beside) = tokio::try_join!(
        run_level(&load, Rpc::Health, HEALTH_CALLERS, Some(HEALTH_RATE)),
        run_level(&load, Rpc::Submit, PACED_CALLERS, None),
    )?;
    let pricing = time_pricing(server.addr, first, &catalog, 200).await?;
    let commits = time_commits(order_bytes, COMMITS_ALONE)?;
    let disk = time_disk_syncs(settings.window)?;

    eprintln!(
        "seeding {} orders for {}",
        settings.orders, listed.account_id
    );
    let (seeding, seeded) = seed(server.addr, &listed, &catalog, settings.orders, SEEDERS).await?;
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
    tally::print_table(&rows);
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
        "Health/Check offered {HEALTH_RATE}/s by {HEALTH_CALLERS} callers: alone p50 {:.3} ms, \
         p99 {:.3} ms; beside {PACED_CALLERS} closed-loop submitters ({:.0} orders/s) p50 {:.3} \
         ms, p99 {:.3} ms",
        health_alone.ms(0.5),
        health_alone.ms(0.99),
        submits_beside.rps(),
        health_beside.ms(0.5),
        health_beside.ms(0.99)
    );
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
    tally::print_table(&list_rows);
    println!(
        "- resident memory (VmRSS of this process) at the end: {}",
        rss.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"))
    );
    tally::print_errors(rows.iter().chain(&list_rows));
    Ok(())
}

fn main() -> Result<()> {
    let settings = settings()?;
    let (server, loaded) = start_large_demo(settings.scale)?;
    let result = on_load_runtime(run(&server, &settings, loaded));
    close(server);
    result
}
