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
//! `tradeport_tests::bench::pace`): the closed-loop rows find where the server
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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tonic::Status;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{
    CartLineInput, GetProductRequest, PriceCartRequest, SearchProductsRequest, UpdateProductRequest,
};
use tradeport_proto::common::Money;
use tradeport_server::demo;
use tradeport_tests::TestServer;
use tradeport_tests::bench::callers::{Call, Health, run_callers};
use tradeport_tests::bench::memory::rss_mib;
use tradeport_tests::bench::pace::Pace;
use tradeport_tests::bench::scale::{Buyer, Role, api_key, buyer, close, start_large_demo};
use tradeport_tests::bench::search::{Searches, describe, large_demo_workload, matches};
use tradeport_tests::bench::settings::{quick, rows, scale};
use tradeport_tests::bench::tally::{self, Row, Rpc as _};
use tradeport_tests::bench::wire::{authorized, connect};
use tradeport_tests::bench::{cores, on_load_runtime};

const LEVELS: [usize; 3] = [1, 16, 64];
/// Callers of the paced search rows, and the rates they offer by default.
const PACED_CALLERS: usize = 64;
const DEFAULT_SEARCH_RATES: [usize; 8] = [100, 200, 400, 600, 900, 1200, 1500, 1800];
const CART_LINES: usize = 100;
/// Calls per request kind when each is timed alone.
const ALONE_CALLS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Search,
    /// Only the exact-SKU search: one product found, the least a search
    /// does, so what any search costs at a given concurrency at least.
    SearchExactSku,
    PriceCart,
    Health,
}

impl tally::Rpc for Rpc {
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
    let quick = quick();
    let scale = scale(quick)?;
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
    let (warm_up, window) = rows(quick)?;
    Ok(Settings {
        scale,
        search_rates,
        window,
        warm_up,
    })
}

/// One customer: its account's buyer key and its 100-line cart.
#[derive(Clone)]
struct Customer {
    buyer: Buyer,
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
    Health(Health),
}

impl Call for Caller {
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
            Caller::Health(health) => health.call(n).await,
        }
    }
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
) -> Result<Row<Rpc>> {
    let mut each = Vec::with_capacity(callers);
    for i in 0..callers {
        let channel = connect(addr).await?;
        let customer = &customers[i % customers.len()];
        each.push(match rpc {
            Rpc::Search | Rpc::SearchExactSku => Caller::Search(
                CatalogServiceClient::new(channel),
                Arc::clone(if rpc == Rpc::Search {
                    &searches.mixed
                } else {
                    &searches.exact_sku
                }),
                customer.buyer.token.clone(),
            ),
            Rpc::PriceCart => Caller::Cart(
                CatalogServiceClient::new(channel),
                Arc::clone(&customer.cart),
                customer.buyer.token.clone(),
            ),
            Rpc::Health => Caller::Health(Health::new(channel)),
        });
    }
    let tally = run_callers(
        each,
        |i| i,
        |i| offered.map_or(Pace::ClosedLoop, |rate| Pace::offering(rate, callers, i)),
        settings.warm_up,
        settings.window,
    )
    .await?;
    Ok(Row {
        rpc,
        callers,
        offered,
        window: settings.window,
        tally,
    })
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
    let quantities = ["1", "5", "12", "60", "250"];
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let buyer = buyer(server, n, "Load benchmark")?;
        let may_buy = |i: &usize| skus.get(*i).is_some_and(|(_, tool)| buyer.gold || !tool);
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
                "could only make {} cart lines for {}",
                lines.len(),
                buyer.account_id
            );
        }
        out.push(Customer {
            buyer,
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
    let token = api_key(
        server,
        "",
        "Load benchmark catalog manager",
        Role::CatalogManager,
    )?;
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
    let cores = cores();
    let max_callers = LEVELS.iter().copied().max().unwrap_or(1);
    let customers = customers(server, settings.scale, max_callers)?;
    let gold = customers.iter().filter(|c| c.buyer.gold).count();
    let workload = large_demo_workload();
    let searches = Searches::of(&workload);

    // What each request gives the first customer, and that every customer's
    // cart prices.
    let mut client = CatalogServiceClient::new(connect(server.addr).await?);
    let first = customers.first().context("no customers")?;
    let mut described = Vec::new();
    for (kind, r) in &workload {
        let outcome = matches(
            client
                .search_products(authorized(r.clone(), &first.buyer.token))
                .await,
        );
        described.push(format!("{kind}: {} → {outcome}", describe(r)));
    }
    // Each request alone: one caller, back to back, the median of a few.
    let mut alone = Vec::new();
    for (kind, r) in &workload {
        let mut times = Vec::new();
        for c in customers.iter().take(ALONE_CALLS) {
            let began = Instant::now();
            client
                .search_products(authorized(r.clone(), &c.buyer.token))
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
            .price_cart(authorized(PriceCartRequest::clone(&c.cart), &c.buyer.token))
            .await
            .with_context(|| format!("pricing {}'s cart", c.buyer.account_id))?;
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
    tally::print_table(
        [
            Rpc::Search,
            Rpc::SearchExactSku,
            Rpc::PriceCart,
            Rpc::Health,
        ]
        .into_iter()
        .flat_map(|rpc| {
            rows.iter()
                .filter(move |r| r.rpc == rpc && r.offered.is_none())
        }),
    );
    println!(
        "SearchProducts at a set load: {PACED_CALLERS} callers whose searches arrive at random \
         (a Poisson stream of the rate offered); latency counts from when a search was due:"
    );
    println!();
    tally::print_table(rows.iter().filter(|r| r.offered.is_some()));
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
    tally::print_errors(&rows);
    Ok(())
}

fn main() -> Result<()> {
    let settings = settings()?;
    let (server, loaded) = start_large_demo(settings.scale)?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_mib();
    let result = on_load_runtime(run(&server, &settings, loaded, idle_rss));
    close(server);
    result
}
