//! The brand and the large demo's customers as a benchmark's set-up acts
//! for them. Their API keys are made straight through the server's
//! identity service, as the system caller (the brand's own admin): a
//! thousand keys over the wire would be set-up, not load.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tonic::metadata::AsciiMetadataValue;
pub use tradeport_domain::identity::Role;
use tradeport_domain::identity::{Caller, CallerKind};
use tradeport_server::demo;
use tradeport_server::service::identity::Origin;

use super::wire::bearer;
use crate::TestServer;

/// Starts the in-process server on the large demo of about `scale`
/// products; returns it with how long seeding and loading took.
pub fn start_large_demo(scale: usize) -> Result<(TestServer, Duration)> {
    let began = Instant::now();
    let server = TestServer::start(|config| config.demo_scale = Some(scale))
        .context("starting the large demo server")?;
    let loaded = began.elapsed();
    eprintln!(
        "seeded and loaded {scale} products in {:.1} s",
        loaded.as_secs_f64()
    );
    Ok((server, loaded))
}

/// Stops `server` once the load is over, saying so if it does not close.
pub fn close(server: TestServer) {
    if let Err(e) = server.close(Duration::from_secs(10)) {
        eprintln!("closing the server: {e:#}");
    }
}

/// The brand's own admin, in whose name the set-up makes keys.
pub fn system_caller() -> Caller {
    Caller {
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

/// A new API key named `name` for `role` in `account_id` (empty for the
/// brand), as the bearer token that calls with it.
pub fn api_key(
    server: &TestServer,
    account_id: &str,
    name: &str,
    role: Role,
) -> Result<AsciiMetadataValue> {
    let origin = Origin {
        source: "benchmark".into(),
    };
    let key = server.identity().create_api_key(
        &system_caller(),
        account_id,
        name,
        vec![role],
        &origin,
    )?;
    bearer(&key.secret)
}

/// One of the large demo's customers, calling with a buyer key of its own.
#[derive(Clone)]
pub struct Buyer {
    pub account_id: String,
    /// Gold customers see every product; the others no tools.
    pub gold: bool,
    /// Whether the account has a ship-to address to order to.
    pub ships: bool,
    pub token: AsciiMetadataValue,
}

/// The large demo's `n`th customer, with a new buyer key named `key_name`.
pub fn buyer(server: &TestServer, n: usize, key_name: &str) -> Result<Buyer> {
    let account_id = demo::scale_account_id(n);
    let account = server
        .identity()
        .account_record(&account_id)?
        .with_context(|| format!("the large demo has no account {account_id}"))?;
    let token = api_key(server, &account_id, key_name, Role::Buyer)?;
    Ok(Buyer {
        gold: account.tier == "gold",
        ships: !account.ship_to.is_empty(),
        account_id,
        token,
    })
}
