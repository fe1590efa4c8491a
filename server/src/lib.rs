//! tradeport-server: the gRPC / gRPC-web server of the Tradeport B2B
//! customer portal.
//!
//! Layers, each knowing only the one below (ARCHITECTURE.md has the map
//! and the invariants): `transport` (TLS, gRPC-web, limits, tracing) →
//! `auth` (who is calling) → `api` (wire ⇄ use case) → `service` (the use
//! cases: load, authorize, ask the rules of `tradeport_domain`, commit) →
//! `store` (typed repositories over the engine-neutral [`store::Store`]
//! trait; sled by default). `adapters` hold the payment gateway and the
//! text index; `demo` seeds a demo store.

pub mod adapters;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod transport;

/// Every binary that runs the server (its own, the tests, the benchmarks)
/// allocates with mimalloc. With the system allocator, a server holding
/// 100,000 products and 50,000 orders slowed down as its heap fragmented:
/// a ListOrders page took 24.7 ms instead of 6.5 ms and the process held
/// 1,948 MiB instead of 912 MiB (orders_load benchmark). The price: a
/// 100,000-row import peaks at 1,813 MiB instead of 1,509 MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use adapters::payments;
use api::catalog::CatalogApi;
use config::{Config, TlsSource};
use service::{catalog, documents, feed, identity, inventory, orders};
use store::Store;
use store::catalog::CatalogRepository;

/// A server ready to serve: store open, demo data seeded if asked, catalog
/// indexed. Like mini-redis, it takes its listener and a shutdown future,
/// so tests run it on 127.0.0.1:0 and stop it when they like.
pub struct App {
    config: Config,
    store: Arc<dyn Store>,
    catalog: Arc<CatalogApi>,
    bulk: Arc<api::bulk::CatalogBulkApi>,
    orders: Arc<api::orders::OrderApi>,
    sync: Arc<api::sync::SyncApi>,
    identity: Arc<identity::Identity>,
    feed: Arc<feed::Feed>,
    /// The loaded catalog behind the catalog API, for the day sweep.
    products: Arc<catalog::Catalog>,
    demo: Option<demo::DemoCredentials>,
}

impl App {
    /// Opens the sled store in `config.data_dir`.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        let store: Arc<dyn Store> = Arc::new(store::SledStore::open(&config.data_dir)?);
        Self::with_store(config, store)
    }

    pub fn with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let repo = CatalogRepository::new(Arc::clone(&store));
        if config.demo {
            if repo.is_empty()? {
                let catalog = demo::catalog_of(config.demo_scale);
                repo.put_all(&catalog.categories, &catalog.products)?;
                tracing::info!(
                    categories = catalog.categories.len(),
                    products = catalog.products.len(),
                    "seeded the demo catalog"
                );
            } else {
                tracing::info!("store already holds a catalog; demo data not seeded again");
            }
        }
        let identity = Arc::new(identity::Identity::new(
            Arc::clone(&store),
            &config.webauthn,
            &config.rate_limits,
            config.lifetimes,
        )?);
        let demo = if config.demo {
            demo::people(&identity, store.as_ref(), config.demo_scale)?
        } else {
            None
        };
        let pricing = store::pricing::PricingRepository::new(Arc::clone(&store));
        if let Some(people) = &demo
            && pricing.is_empty()?
        {
            let (lists, promotions) = demo::prices(&repo.products()?, people);
            pricing.put_all(&lists, &promotions)?;
        }
        if demo.is_some() && repo.assortments()?.is_empty() {
            repo.put_assortments(&demo::assortments())?;
        }
        // Every write below that a device's copy may hold records itself here.
        let log = Arc::new(store::feed::FeedLog::open(Arc::clone(&store))?);
        let inventory = Arc::new(inventory::Inventory::new(
            Arc::clone(&store),
            Arc::clone(&log),
        ));
        if config.demo && inventory.is_empty()? {
            for (warehouse, sequence, levels) in demo::stock(&repo.products()?) {
                inventory.apply_feed(&warehouse, sequence, &levels)?;
            }
        }
        let catalog = Arc::new(catalog::Catalog::load(repo, pricing, Arc::clone(&log))?);
        let bulk = Arc::new(api::bulk::CatalogBulkApi::new(
            Arc::clone(&catalog),
            Arc::clone(&identity),
            Arc::clone(&inventory),
        ));
        let documents = Arc::new(documents::Documents::new(
            Arc::clone(&store),
            Arc::clone(&identity),
        ));
        let orders = Arc::new(api::orders::OrderApi::new(
            Arc::new(orders::Orders::new(
                Arc::clone(&store),
                Arc::clone(&catalog),
                Arc::clone(&identity),
                Arc::clone(&inventory),
                tradeport_domain::tax::TaxRules::demo(),
                // No card processor is configured in this build: the test
                // gateway stands in, for development and demos.
                Arc::new(payments::TestGateway::new()),
                Arc::clone(&log),
            )),
            Arc::clone(&documents),
        ));
        if let Some(people) = &demo
            && config.demo_order_history
        {
            let accounts: Vec<String> = people.accounts.iter().map(|(_, id)| id.clone()).collect();
            let started = std::time::Instant::now();
            let placed = demo::seed_history(
                orders.orders(),
                &accounts,
                &catalog.all_products(),
                orders::now(),
            )?;
            tracing::info!(placed, took = ?started.elapsed(), "seeded a year of demo orders");
        }
        let feed = Arc::new(feed::Feed::new(
            log,
            Arc::clone(&catalog),
            Arc::clone(&identity),
            Arc::clone(&inventory),
            Arc::clone(orders.orders()),
        ));
        let products = Arc::clone(&catalog);
        let catalog = Arc::new(CatalogApi::new(catalog, Arc::clone(&identity), inventory));
        let sync = Arc::new(api::sync::SyncApi::new(documents, Arc::clone(&feed)));
        Ok(Self {
            config,
            store,
            catalog,
            bulk,
            orders,
            sync,
            identity,
            feed,
            products,
            demo,
        })
    }

    pub fn identity(&self) -> &Arc<identity::Identity> {
        &self.identity
    }

    /// The store every service writes to: for tests that look at what was
    /// stored, whatever service stored it.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The reference-data feed (SyncService's PullReferenceData).
    pub fn feed(&self) -> &Arc<feed::Feed> {
        &self.feed
    }

    /// The loaded catalog and its prices, shared with the running server:
    /// for tests that change what no RPC changes (assortments) and move
    /// the clock prices are decided by ([`catalog::Catalog::clock`]).
    pub fn catalog(&self) -> &Arc<catalog::Catalog> {
        &self.products
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The demo users' one-time enrolment codes and the demo partner app's
    /// API key, when this run seeded them (a store seeded before keeps its
    /// people, and their codes were printed then).
    pub fn demo_credentials(&self) -> Option<&demo::DemoCredentials> {
        self.demo.as_ref()
    }

    /// Resolves the TLS configuration, creating the dev certificate if asked.
    /// Returns the certificate path too, so callers can tell clients.
    pub fn tls(&self) -> anyhow::Result<Option<(Arc<rustls::ServerConfig>, std::path::PathBuf)>> {
        let (cert, key) = match &self.config.tls {
            TlsSource::None => return Ok(None),
            TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
            TlsSource::DevSelfSigned => transport::tls::dev_certificate(&self.config.data_dir)?,
        };
        Ok(Some((transport::tls::server_config(&cert, &key)?, cert)))
    }

    /// Serves on `listener` until `shutdown` resolves, then drains and
    /// flushes the store.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let auth = auth::PrincipalLayer::new(Arc::clone(&self.identity));
        self.run_with_auth(listener, auth, shutdown).await
    }

    /// [`App::run`] with another way of resolving callers: the load
    /// benchmark uses it to measure what checking credentials costs.
    pub async fn run_with_auth(
        self,
        listener: TcpListener,
        auth: auth::PrincipalLayer,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let tls = self.tls()?.map(|(config, _)| config);
        let sweeper = tokio::spawn(sweep_periodically(
            Arc::clone(&self.identity),
            Arc::clone(self.orders.orders()),
        ));
        let days = tokio::spawn(sweep_price_days(Arc::clone(&self.products)));
        let services = transport::Services {
            catalog: self.catalog,
            bulk: self.bulk,
            orders: self.orders,
            sync: self.sync,
            identity: self.identity,
            store: Arc::clone(&self.store),
            auth,
        };
        let served = transport::serve(&self.config, services, listener, tls, shutdown).await;
        // Aborting only asks: the sweep lets go of the store once it is
        // dropped, which must be before this returns, or the store may
        // close after whoever stopped us has moved on (and removed its
        // directory).
        sweeper.abort();
        let _ = sweeper.await;
        days.abort();
        let _ = days.await;
        self.store.flush()?;
        served
    }
}

/// How often expired credentials and ceremonies are cleared out.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Clears expired identity records and raises late-shipment alerts, now and
/// every [`SWEEP_EVERY`], off the async threads (both read and write the
/// store).
async fn sweep_periodically(identity: Arc<identity::Identity>, orders: Arc<orders::Orders>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let identity = Arc::clone(&identity);
        match tokio::task::spawn_blocking(move || identity.sweep_expired()).await {
            Ok(Ok(report)) if report != identity::SweepReport::default() => {
                tracing::info!(?report, "swept expired identity records");
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "sweeping expired identity records failed"),
            Err(error) => tracing::warn!(%error, "the sweep task failed"),
        }
        let orders = Arc::clone(&orders);
        match tokio::task::spawn_blocking(move || orders.sweep_late(&orders::system_caller())).await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(late)) => tracing::info!(late, "raised late-shipment alerts"),
            Ok(Err(error)) => tracing::warn!(%error, "the late-shipment sweep failed"),
            Err(error) => tracing::warn!(%error, "the late-shipment sweep task failed"),
        }
    }
}

/// How often the day sweep looks at the clock at most: a clock stepped by
/// the system (NTP) is noticed within this.
const DAY_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Tells the feed of the price lists and promotions whose windows opened
/// or closed (`Catalog::sweep_price_days`): at start, catching up on days
/// passed while the server was down, then as each day begins or the
/// clock is moved.
async fn sweep_price_days(catalog: Arc<catalog::Catalog>) {
    let clock = catalog.clock().clone();
    loop {
        let sweeping = Arc::clone(&catalog);
        match tokio::task::spawn_blocking(move || sweeping.sweep_price_days()).await {
            Ok(Ok(Some(swept))) => tracing::info!(?swept, "told the feed of the day's prices"),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "the day's price sweep failed"),
            Err(error) => tracing::warn!(%error, "the day's price sweep task failed"),
        }
        let wait = clock.until_tomorrow().min(DAY_CHECK_EVERY);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = clock.moved() => {}
        }
    }
}
