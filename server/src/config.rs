//! One typed configuration, read from (highest first) command-line flags,
//! `TRADEPORT_*` environment variables, an optional TOML file, and the
//! defaults documented on each field (and in the README's table).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

mod cors;
pub use crate::transport::client_address::ProxyRange;

/// Every setting, each optional so the sources can be layered.
#[derive(Debug, Default, Clone, Parser, Deserialize)]
#[command(
    name = "tradeport-server",
    version,
    about = "Tradeport: the B2B customer portal's gRPC / gRPC-web server"
)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Settings {
    /// TOML file with any of these settings (flags and environment win).
    #[arg(long, env = "TRADEPORT_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:50051].
    #[arg(long, env = "TRADEPORT_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory of the embedded store [default: ./data].
    #[arg(long, env = "TRADEPORT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed an empty store with the demo catalog.
    #[arg(long, env = "TRADEPORT_DEMO", num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<bool>,
    /// With --demo: seed about this many products instead of the 5,400 of
    /// the standard demo, and 1,000 more customer accounts, each with its own
    /// price list (for load tests) [default: the standard demo].
    #[arg(long, env = "TRADEPORT_DEMO_SCALE", value_name = "PRODUCTS")]
    pub demo_scale: Option<usize>,
    /// PEM certificate chain for TLS.
    #[arg(long, env = "TRADEPORT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, env = "TRADEPORT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate for localhost, written to
    /// <data_dir>/dev-tls/ (created once, then reused).
    #[arg(long, env = "TRADEPORT_DEV_TLS", num_args = 0..=1, default_missing_value = "true")]
    pub dev_tls: Option<bool>,
    /// Allow plaintext on a non-loopback address (behind a TLS-terminating proxy).
    #[arg(long, env = "TRADEPORT_ALLOW_PLAINTEXT", num_args = 0..=1, default_missing_value = "true")]
    pub allow_plaintext: Option<bool>,
    /// Origins allowed to call over gRPC-web (CORS), comma separated, each
    /// scheme://host[:port]; "*" for any [default: none].
    #[arg(long, env = "TRADEPORT_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// Request headers browsers may send besides those gRPC-web, Tradeport
    /// and W3C trace context need (always allowed), comma separated; "*"
    /// for any [default: none].
    #[arg(long, env = "TRADEPORT_CORS_ALLOW_HEADERS", value_delimiter = ',')]
    pub cors_allow_headers: Option<Vec<String>>,
    /// Largest request or response message, in bytes [default: 4194304].
    #[arg(long, env = "TRADEPORT_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Longest a call may run, in seconds, unless the client asks for less [default: 30].
    #[arg(long, env = "TRADEPORT_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Calls served at once across all connections; more wait [default: 1024].
    #[arg(long, env = "TRADEPORT_CONCURRENCY_LIMIT")]
    pub concurrency_limit: Option<usize>,
    /// HTTP/2 keepalive ping interval, in seconds [default: 30].
    #[arg(long, env = "TRADEPORT_HTTP2_KEEPALIVE_SECS")]
    pub http2_keepalive_secs: Option<u64>,
    /// How long in-flight calls may finish after SIGINT/SIGTERM, in seconds [default: 20].
    #[arg(long, env = "TRADEPORT_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// WebAuthn relying party id: the domain passkeys are bound to [default: localhost].
    #[arg(long, env = "TRADEPORT_WEBAUTHN_RP_ID")]
    pub webauthn_rp_id: Option<String>,
    /// Origins allowed in passkey ceremonies, comma separated: https origins
    /// of web apps and `android:apk-key-hash:…` of Android apps [default: http://localhost].
    #[arg(long, env = "TRADEPORT_WEBAUTHN_ORIGINS", value_delimiter = ',')]
    pub webauthn_origins: Option<Vec<String>>,
    /// Sign-in attempts allowed per source address per minute [default: 30].
    #[arg(long, env = "TRADEPORT_LOGIN_PER_SOURCE_PER_MINUTE")]
    pub login_per_source_per_minute: Option<u32>,
    /// Sign-in attempts allowed per user per minute [default: 10].
    #[arg(long, env = "TRADEPORT_LOGIN_PER_USER_PER_MINUTE")]
    pub login_per_user_per_minute: Option<u32>,
    /// Account applications allowed per source address per hour [default: 10].
    #[arg(long, env = "TRADEPORT_APPLICATIONS_PER_SOURCE_PER_HOUR")]
    pub applications_per_source_per_hour: Option<u32>,
    /// Addresses or CIDR ranges of the reverse proxies in front of this
    /// server, comma separated: only from these is a client address taken
    /// from `Forwarded` / `X-Forwarded-For` [default: none].
    #[arg(long, env = "TRADEPORT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
    /// Days a session lives from its passkey sign-in, however often it is
    /// refreshed; then only a new sign-in renews it [default: 30].
    #[arg(long, env = "TRADEPORT_SESSION_LIFETIME_DAYS")]
    pub session_lifetime_days: Option<u64>,
    /// Log format: "text" or "json" [default: text]. Levels come from RUST_LOG.
    #[arg(long, env = "TRADEPORT_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    None,
    Files { cert: PathBuf, key: PathBuf },
    DevSelfSigned,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub demo: bool,
    /// Products of a large demo (with its 1,000 extra customer accounts);
    /// `None` seeds the standard demo.
    pub demo_scale: Option<usize>,
    /// Whether the demo seeds a year of order history (the demo runs do;
    /// tests that do not look at history skip it to start faster).
    pub demo_order_history: bool,
    pub tls: TlsSource,
    pub allow_plaintext: bool,
    /// Normalised as browsers send `Origin` (see `cors::origins`).
    pub cors_origins: Vec<String>,
    /// Extra request headers a CORS preflight may name, lower case.
    pub cors_allow_headers: Vec<String>,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: Vec<ProxyRange>,
    pub max_message_bytes: usize,
    pub request_timeout: Duration,
    pub concurrency_limit: usize,
    pub http2_keepalive: Duration,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub webauthn: WebauthnConfig,
    pub rate_limits: RateLimitConfig,
    pub lifetimes: Lifetimes,
}

/// Passkey settings: the relying party and the origins it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnConfig {
    pub rp_id: String,
    pub origins: Vec<String>,
}

/// How long credentials live. Fixed in production but for the session's
/// own lifetime; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub access_token: Duration,
    pub refresh_token: Duration,
    /// A session from its sign-in: no refresh carries it further.
    pub session: Duration,
    /// A passkey ceremony from start to finish.
    pub ceremony: Duration,
    pub invitation: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: Duration::from_secs(15 * 60),
            refresh_token: Duration::from_secs(30 * 24 * 60 * 60),
            session: Duration::from_secs(30 * DAY_SECS),
            ceremony: Duration::from_secs(5 * 60),
            invitation: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// Abuse limits on the open sign-in and registration RPCs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub login_per_source: u32,
    pub login_per_user: u32,
    /// The window the login limits count in.
    pub login_window: Duration,
    pub applications_per_source: u32,
    pub applications_window: Duration,
    /// The most keys (addresses, users) one limiter tracks at once.
    pub max_tracked: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("./data"),
            demo: false,
            demo_scale: None,
            demo_order_history: true,
            tls: TlsSource::None,
            allow_plaintext: false,
            cors_origins: Vec::new(),
            cors_allow_headers: Vec::new(),
            trusted_proxies: Vec::new(),
            max_message_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            concurrency_limit: 1024,
            http2_keepalive: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            log_format: LogFormat::Text,
            webauthn: WebauthnConfig {
                rp_id: "localhost".into(),
                origins: vec!["http://localhost".into()],
            },
            rate_limits: RateLimitConfig {
                login_per_source: 30,
                login_per_user: 10,
                login_window: Duration::from_secs(60),
                applications_per_source: 10,
                applications_window: Duration::from_secs(3600),
                max_tracked: 100_000,
            },
            lifetimes: Lifetimes::default(),
        }
    }
}

impl Config {
    /// Parses flags and environment, then layers the TOML file under them.
    pub fn from_args() -> anyhow::Result<Self> {
        let cli = Settings::parse();
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read config file {}: {e}", path.display())
                })?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?
            }
            None => Settings::default(),
        };
        Self::resolve(cli, file)
    }

    /// `high` wins over `low`, and both over the defaults.
    pub fn resolve(high: Settings, low: Settings) -> anyhow::Result<Self> {
        let d = Config::default();
        let tls = match (
            high.tls_cert.or(low.tls_cert),
            high.tls_key.or(low.tls_key),
            high.dev_tls.or(low.dev_tls).unwrap_or(false),
        ) {
            (Some(cert), Some(key), false) => TlsSource::Files { cert, key },
            (None, None, true) => TlsSource::DevSelfSigned,
            (None, None, false) => TlsSource::None,
            (Some(_), Some(_), true) => {
                anyhow::bail!("give either tls_cert/tls_key or dev_tls, not both")
            }
            _ => anyhow::bail!("tls_cert and tls_key must be given together"),
        };
        let config = Self {
            listen: high.listen.or(low.listen).unwrap_or(d.listen),
            data_dir: high.data_dir.or(low.data_dir).unwrap_or(d.data_dir),
            demo: high.demo.or(low.demo).unwrap_or(d.demo),
            demo_scale: high.demo_scale.or(low.demo_scale),
            tls,
            demo_order_history: d.demo_order_history,
            allow_plaintext: high
                .allow_plaintext
                .or(low.allow_plaintext)
                .unwrap_or(d.allow_plaintext),
            cors_origins: cors::origins(
                &high
                    .cors_origins
                    .or(low.cors_origins)
                    .unwrap_or(d.cors_origins),
            )?,
            cors_allow_headers: cors::headers(
                &high
                    .cors_allow_headers
                    .or(low.cors_allow_headers)
                    .unwrap_or(d.cors_allow_headers),
            )?,
            trusted_proxies: high
                .trusted_proxies
                .or(low.trusted_proxies)
                .unwrap_or_default()
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| p.parse().map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?,
            max_message_bytes: high
                .max_message_bytes
                .or(low.max_message_bytes)
                .unwrap_or(d.max_message_bytes),
            request_timeout: secs(
                high.request_timeout_secs.or(low.request_timeout_secs),
                d.request_timeout,
            ),
            concurrency_limit: high
                .concurrency_limit
                .or(low.concurrency_limit)
                .unwrap_or(d.concurrency_limit),
            http2_keepalive: secs(
                high.http2_keepalive_secs.or(low.http2_keepalive_secs),
                d.http2_keepalive,
            ),
            shutdown_grace: secs(
                high.shutdown_grace_secs.or(low.shutdown_grace_secs),
                d.shutdown_grace,
            ),
            log_format: high.log_format.or(low.log_format).unwrap_or(d.log_format),
            webauthn: WebauthnConfig {
                rp_id: high
                    .webauthn_rp_id
                    .or(low.webauthn_rp_id)
                    .unwrap_or(d.webauthn.rp_id),
                origins: high
                    .webauthn_origins
                    .or(low.webauthn_origins)
                    .unwrap_or(d.webauthn.origins),
            },
            rate_limits: RateLimitConfig {
                login_per_source: high
                    .login_per_source_per_minute
                    .or(low.login_per_source_per_minute)
                    .unwrap_or(d.rate_limits.login_per_source),
                login_per_user: high
                    .login_per_user_per_minute
                    .or(low.login_per_user_per_minute)
                    .unwrap_or(d.rate_limits.login_per_user),
                applications_per_source: high
                    .applications_per_source_per_hour
                    .or(low.applications_per_source_per_hour)
                    .unwrap_or(d.rate_limits.applications_per_source),
                ..d.rate_limits
            },
            lifetimes: Lifetimes {
                session: high
                    .session_lifetime_days
                    .or(low.session_lifetime_days)
                    .map_or(d.lifetimes.session, |days| {
                        Duration::from_secs(days.saturating_mul(DAY_SECS))
                    }),
                ..d.lifetimes
            },
        };
        config.check()?;
        Ok(config)
    }

    /// Refuses settings that would expose the portal unsafely or not work.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.tls == TlsSource::None && !self.listen.ip().is_loopback() && !self.allow_plaintext {
            anyhow::bail!(
                "refusing plaintext on {}: configure tls_cert/tls_key (or dev_tls), or set allow_plaintext if a TLS proxy fronts this server",
                self.listen
            );
        }
        if self.max_message_bytes < 1024 {
            anyhow::bail!("max_message_bytes must be at least 1024");
        }
        // Settings made in code (not read by `resolve`) must hold too: an
        // entry that is not already in a browser's form would never match.
        for (setting, normalised) in [
            (&self.cors_origins, cors::origins(&self.cors_origins)?),
            (
                &self.cors_allow_headers,
                cors::headers(&self.cors_allow_headers)?,
            ),
        ] {
            if *setting != normalised {
                anyhow::bail!("CORS settings {setting:?} must be written as {normalised:?}");
            }
        }
        if self.webauthn.origins.is_empty() {
            anyhow::bail!("webauthn_origins must name at least one origin");
        }
        let limits = &self.rate_limits;
        if limits.login_per_source == 0
            || limits.login_per_user == 0
            || limits.applications_per_source == 0
        {
            anyhow::bail!("rate limits must allow at least one attempt");
        }
        if self
            .demo_scale
            .is_some_and(|n| !(MIN_DEMO_SCALE..=MAX_DEMO_SCALE).contains(&n))
        {
            anyhow::bail!(
                "demo_scale must be between {MIN_DEMO_SCALE} and {MAX_DEMO_SCALE} products"
            );
        }
        if self.lifetimes.session.is_zero() {
            anyhow::bail!("session_lifetime_days must be at least 1");
        }
        if self.concurrency_limit == 0 {
            anyhow::bail!("concurrency_limit must be at least 1");
        }
        Ok(())
    }
}

/// A large demo has at least one product per category, and at most what
/// its product numbering (`prd-NNNNNN`) holds.
pub const MIN_DEMO_SCALE: usize = 54;
pub const MAX_DEMO_SCALE: usize = 999_999;

const DAY_SECS: u64 = 24 * 60 * 60;

fn secs(value: Option<u64>, default: Duration) -> Duration {
    value.map_or(default, Duration::from_secs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let file: Settings = toml::from_str(
            "listen = \"127.0.0.1:6000\"\nmax_message_bytes = 2048\nlog_format = \"json\"",
        )
        .unwrap();
        let flags =
            Settings::try_parse_from(["tradeport-server", "--listen", "127.0.0.1:7000"]).unwrap();
        let config = Config::resolve(flags, file).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.max_message_bytes, 2048);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn plaintext_off_loopback_needs_explicit_consent() {
        let open = Settings::try_parse_from(["x", "--listen", "0.0.0.0:50051"]).unwrap();
        let err = Config::resolve(open, Settings::default()).unwrap_err();
        assert!(err.to_string().contains("refusing plaintext"));
        let consented =
            Settings::try_parse_from(["x", "--listen", "0.0.0.0:50051", "--allow-plaintext"])
                .unwrap();
        assert!(
            Config::resolve(consented, Settings::default())
                .unwrap()
                .allow_plaintext
        );
        let dev =
            Settings::try_parse_from(["x", "--listen", "0.0.0.0:50051", "--dev-tls"]).unwrap();
        assert_eq!(
            Config::resolve(dev, Settings::default()).unwrap().tls,
            TlsSource::DevSelfSigned
        );
    }

    #[test]
    fn demo_scale_comes_from_flag_or_file_and_is_bounded() {
        let file: Settings = toml::from_str("demo = true\ndemo_scale = 20000").unwrap();
        assert_eq!(
            Config::resolve(Settings::default(), file.clone())
                .unwrap()
                .demo_scale,
            Some(20_000)
        );
        let flags = Settings::try_parse_from(["x", "--demo-scale", "100000"]).unwrap();
        assert_eq!(
            Config::resolve(flags, file).unwrap().demo_scale,
            Some(100_000)
        );
        assert_eq!(
            Config::resolve(Settings::default(), Settings::default())
                .unwrap()
                .demo_scale,
            None
        );
        for bad in ["10", "1000000"] {
            let flags = Settings::try_parse_from(["x", "--demo-scale", bad]).unwrap();
            assert!(
                Config::resolve(flags, Settings::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn cors_settings_are_normalised_from_flags_and_file_and_malformed_ones_refused() {
        let flags = Settings::try_parse_from([
            "x",
            "--cors-origins",
            "https://a.example, https://B.example/",
            "--cors-allow-headers",
            "X-Tenant, sentry-trace",
        ])
        .unwrap();
        let config = Config::resolve(flags, Settings::default()).unwrap();
        assert_eq!(
            config.cors_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(config.cors_allow_headers, ["x-tenant", "sentry-trace"]);

        let file: Settings = toml::from_str("cors_origins = [\"http://localhost:5173/\"]").unwrap();
        let config = Config::resolve(Settings::default(), file).unwrap();
        assert_eq!(config.cors_origins, ["http://localhost:5173"]);

        let bad = Settings::try_parse_from(["x", "--cors-origins", "a.example"]).unwrap();
        let error = Config::resolve(bad, Settings::default()).unwrap_err();
        assert!(error.to_string().contains("\"a.example\""), "{error}");

        let in_code = Config {
            cors_origins: vec!["https://A.example/".into()],
            ..Config::default()
        };
        assert!(in_code.check().is_err());
    }

    #[test]
    fn trusted_proxies_and_session_lifetime_are_read_and_checked() {
        let file: Settings = toml::from_str(
            "trusted_proxies = [\"10.0.0.0/8\", \"fd00::1\"]\nsession_lifetime_days = 7",
        )
        .unwrap();
        let config = Config::resolve(Settings::default(), file).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.lifetimes.session, Duration::from_secs(7 * DAY_SECS));
        let defaults = Config::resolve(Settings::default(), Settings::default()).unwrap();
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(
            defaults.lifetimes.session,
            Duration::from_secs(30 * DAY_SECS)
        );
        let flags =
            Settings::try_parse_from(["x", "--trusted-proxies", "10.0.0.1, 192.0.2.0/24"]).unwrap();
        assert_eq!(
            Config::resolve(flags, Settings::default())
                .unwrap()
                .trusted_proxies
                .len(),
            2
        );
        for bad in [
            ["x", "--trusted-proxies", "proxy.example"],
            ["x", "--session-lifetime-days", "0"],
        ] {
            let flags = Settings::try_parse_from(bad).unwrap();
            assert!(
                Config::resolve(flags, Settings::default()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<Settings>("lisen = \"x\"").is_err());
    }
}
