//! The demo: the people, prices, stock and history a demo store is seeded
//! with, around the domain's deterministic demo catalog.
//!
//! A large demo (`--demo-scale <products>`, for load tests) generates more
//! products per category, and 1,000 more customer accounts, each with a
//! customer price list of its own.

mod history;
mod people;
mod prices;
mod stock;

pub use history::seed as seed_history;
pub use people::{people, scale_account_id, scale_list_positions};
pub use prices::prices;
pub use stock::{assortments, stock};
pub use tradeport_domain::fixtures::catalog::{DemoCatalog, catalog, catalog_of};

/// Customer accounts a large demo adds, each with its own price list.
pub const SCALE_ACCOUNTS: usize = 1_000;
/// SKUs on each of those accounts' price lists.
pub(crate) const SCALE_LIST_SKUS: usize = 2_000;
/// The credit limit of each of those accounts, in EUR.
pub(crate) const SCALE_CREDIT_LIMIT: i64 = 10_000_000_000;
/// Records per store commit when seeding a large demo.
pub(crate) const SEED_CHUNK: usize = 100;

/// Credentials the demo seeding hands out: one-time enrolment codes for
/// each demo user, and the demo partner app's API key.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// (email, what the user is, one-time enrolment code)
    pub invitations: Vec<(String, String, String)>,
    pub api_key: String,
    /// (legal name, account id)
    pub accounts: Vec<(String, String)>,
    /// A large demo's extra customer accounts (each with its own price
    /// list), by id; empty in the standard demo.
    pub scale_accounts: Vec<String>,
}
