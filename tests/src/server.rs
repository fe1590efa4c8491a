//! The in-process test server: the real server on 127.0.0.1:0 with a
//! store of its own in a temporary directory, on one runtime that outlives
//! every test, so a server a test module shares keeps serving while each
//! `#[tokio::test]` runtime comes and goes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tradeport_mobile::{Client, ClientConfig};
use tradeport_server::App;
use tradeport_server::auth::{Principal, PrincipalLayer};
use tradeport_server::config::{Config, TlsSource, WebauthnConfig};
use tradeport_server::demo::DemoCredentials;
use tradeport_server::service::catalog::Catalog;
use tradeport_server::service::identity::Identity;
use tradeport_server::store::{SledStore, Store};

/// The web app origin test ceremonies run from, and the relying party id.
pub const ORIGIN: &str = "https://portal.example.com";
pub const RP_ID: &str = "portal.example.com";
/// An Android app's origin, accepted alongside the web origin.
pub const ANDROID_ORIGIN: &str = "android:apk-key-hash:tradeport-test-app";

/// The runtime every test server runs on.
pub fn server_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("test-server")
            .build()
            .unwrap_or_else(|e| panic!("cannot start the test server runtime: {e}"))
    })
}

/// How a test server resolves callers.
enum Auth {
    /// As in production: the credential of every call is checked.
    Checked,
    /// Every call acts as the demo partner app, no credential checked.
    Unchecked,
}

/// The configuration of every test server: plaintext on 127.0.0.1:0, the
/// demo data in `data_dir`, the test origins for passkeys.
pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.to_path_buf(),
        demo: true,
        cors_origins: vec![ORIGIN.into()],
        webauthn: WebauthnConfig {
            rp_id: RP_ID.into(),
            origins: vec![ORIGIN.into(), ANDROID_ORIGIN.into()],
        },
        ..Config::default()
    };
    // History makes every start slower; the tests that read it ask for it.
    config.demo_order_history = false;
    // Tests sign in often from one address; the limits get tests of their own.
    config.rate_limits.login_per_source = 10_000;
    config.rate_limits.login_per_user = 10_000;
    config.rate_limits.applications_per_source = 10_000;
    config
}

/// A running server with its own store in a temporary directory.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The dev CA certificate, when the server speaks TLS.
    pub ca_pem: Option<Vec<u8>>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    done: Mutex<Option<oneshot::Receiver<anyhow::Result<()>>>>,
    /// The demo people's enrolment codes and the partner app's API key.
    pub demo: DemoCredentials,
    identity: Arc<Identity>,
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    /// Removed once the store in it has closed (see `Drop`); `None` once
    /// handed to a restarted server.
    data: Option<tempfile::TempDir>,
}

/// How long a dropped server's directory waits for its store to close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

impl Drop for TestServer {
    /// Stops the server; its directory is removed once the store in it has
    /// closed, which may be after clients still connected let go (and
    /// after this server's own holds, `identity` and `store`, drop with it). A store
    /// closing in a removed directory can hang in its last flush (see
    /// `tradeport_sled_writes::wait_closed`). The wait is off this thread:
    /// a test's runtime may be driving those very clients.
    fn drop(&mut self) {
        self.begin_shutdown();
        if let Some(data) = self.data.take() {
            std::thread::spawn(move || {
                if let Err(e) = remove_when_closed(data) {
                    eprintln!("{e:#}");
                }
            });
        }
    }
}

/// Test servers' directories are named for the process that made them.
const DATA_PREFIX: &str = "tradeport-test-";

/// A new directory for a test server's data. The servers a test binary
/// shares through statics are never dropped, so their directories outlive
/// the process; the first server of each process removes those left by
/// processes no longer running.
fn data_dir() -> std::io::Result<tempfile::TempDir> {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(remove_left_behind);
    tempfile::Builder::new()
        .prefix(&format!("{DATA_PREFIX}{}-", std::process::id()))
        .tempdir()
}

fn remove_left_behind() {
    // Whether a process runs is read from /proc: without it, sweep nothing.
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DATA_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let running = proc.join(pid.to_string()).exists();
        if !running && pid != std::process::id() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes `data` once the store in it has closed, or keeps it and says
/// where.
fn remove_when_closed(data: tempfile::TempDir) -> anyhow::Result<()> {
    if SledStore::wait_closed(data.path(), CLOSE_WAIT) {
        return Ok(data.close()?);
    }
    let kept = data.keep();
    anyhow::bail!(
        "a test server's store did not close; left {}",
        kept.display()
    )
}

impl TestServer {
    /// Starts a server seeded with the demo catalog; `tweak` adjusts the
    /// configuration (TLS, limits) first.
    pub fn start(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        Self::open(tweak, Auth::Checked)
    }

    /// Like [`TestServer::start`], but the server checks no credential: every
    /// call, with or without a token, acts as the demo partner app (its API
    /// key is resolved once, at start). Only for measuring what the
    /// credential check costs.
    pub fn start_unchecked(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        Self::open(tweak, Auth::Unchecked)
    }

    fn open(tweak: impl FnOnce(&mut Config), auth: Auth) -> anyhow::Result<Self> {
        Self::open_in(data_dir()?, None, tweak, auth, None)
    }

    /// Stops the server, waits up to `within` for it to stop, then until
    /// its store has closed, and removes its directory. For the end of a
    /// program (a benchmark's), where the cleanup thread of `Drop` would
    /// die with the process and leave the directory behind. Blocks: call
    /// it outside any runtime, once the program's clients are gone.
    pub fn close(mut self, within: std::time::Duration) -> anyhow::Result<()> {
        self.begin_shutdown();
        let stopped =
            server_runtime().block_on(async { tokio::time::timeout(within, self.stopped()).await });
        let data = self.data.take();
        // The server's own hold on its store goes with it.
        drop(self);
        let removed = data.map_or(Ok(()), remove_when_closed);
        stopped.map_err(|_| anyhow::anyhow!("the server did not stop within {within:?}"))??;
        removed
    }

    /// Stops this server and starts another on the same data directory, as
    /// a restart after a crash or a deploy would: what was committed must
    /// be there. The demo credentials carry over.
    pub async fn restarted(self) -> anyhow::Result<Self> {
        self.restarted_with(None).await
    }

    /// [`TestServer::restarted`], the new server's clock saying `today`
    /// from the start: as if the server was down until that day. Returns
    /// once the new server's day sweep has caught up.
    pub async fn restarted_on(self, today: time::Date) -> anyhow::Result<Self> {
        let server = self.restarted_with(Some(today)).await?;
        server.swept(today).await?;
        Ok(server)
    }

    async fn restarted_with(mut self, today: Option<time::Date>) -> anyhow::Result<Self> {
        self.begin_shutdown();
        self.stopped().await?;
        let data = self
            .data
            .take()
            .ok_or_else(|| anyhow::anyhow!("a running server has its directory"))?;
        let demo = self.demo.clone();
        // The old server's last hold on its store: let go before reopening
        // (opening waits a little for it to close).
        drop(self);
        Self::open_in(data, Some(demo), |_| {}, Auth::Checked, today)
    }

    fn open_in(
        data: tempfile::TempDir,
        known: Option<DemoCredentials>,
        tweak: impl FnOnce(&mut Config),
        auth: Auth,
        today: Option<time::Date>,
    ) -> anyhow::Result<Self> {
        let mut config = test_config(data.path());
        tweak(&mut config);
        let app = App::open(config)?;
        if let Some(today) = today {
            app.catalog().clock().set_today(today);
        }
        let demo = match known {
            Some(demo) => demo,
            None => app
                .demo_credentials()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("a fresh test store must get demo people"))?,
        };
        let layer = match auth {
            Auth::Checked => None,
            Auth::Unchecked => {
                let caller = app.identity().resolve(&demo.api_key)?;
                Some(PrincipalLayer::unchecked_for_benchmarks(
                    Arc::clone(app.identity()),
                    Principal::Caller(caller),
                ))
            }
        };
        let identity = Arc::clone(app.identity());
        let store = Arc::clone(app.store());
        let catalog = Arc::clone(app.catalog());
        let ca_pem = match app.tls()? {
            Some((_, cert)) => Some(std::fs::read(cert)?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(app.config().listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        server_runtime().spawn(async move {
            let shutdown = async {
                let _ = stop_rx.await;
            };
            let result = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => match layer {
                    None => app.run(listener, shutdown).await,
                    Some(layer) => app.run_with_auth(listener, layer, shutdown).await,
                },
                Err(e) => Err(e.into()),
            };
            let _ = done_tx.send(result);
        });
        Ok(Self {
            addr,
            ca_pem,
            stop: Mutex::new(Some(stop_tx)),
            done: Mutex::new(Some(done_rx)),
            demo,
            identity,
            store,
            catalog,
            data: Some(data),
        })
    }

    /// One plaintext demo server per test binary, for tests that only read.
    pub fn shared() -> &'static TestServer {
        static SHARED: OnceLock<TestServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            Self::start(|_| {})
                .unwrap_or_else(|e| panic!("cannot start the shared test server: {e:#}"))
        })
    }

    /// The server's identity service, shared with the running server: for
    /// timing what it does per call without the transport around it.
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    /// The server's store, shared with the running server: for tests that
    /// look at everything stored, whichever service stored it.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The loaded catalog, shared with the running server: for changes no
    /// RPC makes (assortments), made through the same use case.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Moves the server's pricing clock to `today` and waits until its day
    /// sweep has told the feed what that changed.
    pub async fn set_today(&self, today: time::Date) -> anyhow::Result<()> {
        self.catalog.clock().set_today(today);
        self.swept(today).await
    }

    async fn swept(&self, today: time::Date) -> anyhow::Result<()> {
        let mut swept = self.catalog.swept();
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            swept.wait_for(|day| *day == Some(today)),
        )
        .await
        .map_err(|_| anyhow::anyhow!("the day sweep did not reach {today} within 30 s"))??;
        Ok(())
    }

    /// The URL a client dials: https with the name on the dev certificate.
    pub fn url(&self) -> String {
        match self.ca_pem {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// An SDK client trusting this server's certificate, signed in as the
    /// demo partner app (an API key acting as a buyer of the first account).
    pub fn client(&self) -> Client {
        self.anonymous_client()
            .with_bearer(self.demo.api_key.clone())
    }

    /// An SDK client with no credentials.
    pub fn anonymous_client(&self) -> Client {
        let mut config = ClientConfig::new(self.url());
        config.ca_certificate_pem = self.ca_pem.clone();
        Client::connect_lazy(config).unwrap_or_else(|e| panic!("client for {}: {e}", self.url()))
    }

    /// An SDK client holding the session `tokens`, as a device that
    /// signed in earlier does.
    pub fn signed_in(&self, tokens: &tradeport_proto::identity::SessionTokens) -> Client {
        let client = self.anonymous_client();
        client.set_tokens(tokens.clone());
        client
    }

    /// The one-time enrolment code of a demo user.
    pub fn invitation(&self, email: &str) -> String {
        self.demo
            .invitations
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, _, code)| code.clone())
            .unwrap_or_else(|| panic!("no demo invitation for {email}"))
    }

    /// The id of the n-th demo customer account (0 or 1).
    pub fn account(&self, n: usize) -> String {
        self.demo.accounts[n].1.clone()
    }

    /// Asks the server to shut down, as SIGTERM would.
    pub fn begin_shutdown(&self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to have stopped and returns how it ended.
    pub async fn stopped(&self) -> anyhow::Result<()> {
        let done = self.done.lock().ok().and_then(|mut d| d.take());
        match done {
            Some(done) => done.await?,
            None => anyhow::bail!("already awaited"),
        }
    }
}

/// The configuration for a server serving the dev TLS certificate.
pub fn dev_tls(config: &mut Config) {
    config.tls = TlsSource::DevSelfSigned;
}
