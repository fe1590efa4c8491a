//! Order use cases: submit, approve, reject, cancel, release a credit hold,
//! read and list. Each mutation reads what it needs, lets the domain
//! decide, and writes the order with everything it moves — stock
//! reservations, the account's credit exposure, the department's budget,
//! promotion-use counters, the year's order number, the remembered result
//! of its request id — in ONE commit that expects every record it read to
//! be unchanged. Nothing is ever half-written.
//!
//! Mutations are also serialised by one lock in this process: orders race
//! for the same few records (an account's exposure, a year's number), and
//! queueing them is cheaper than retrying conflicts. The commit's
//! expectations still guard against any other writer (the stock feed).
//! Each mutation applies its commit in its turn and flushes after it, and
//! runs of mutations share one flush (see `writer`).
//!
//! Keys: `ord/<id>` orders; `ordacc/<account>/<newest-first time>/<id>` and
//! `ordall/<newest-first time>/<id>` list indexes; `ordseq/<year>` number
//! sequences; `exposure/<account>`; `budget/<account>/<unit>/<yyyy-mm>`;
//! `approvalpolicy/<account>`; `paymethods/<account>`; `taxexempt/<account>`;
//! `promouse/<account>/<promotion>`.

mod actions;
mod commit;
mod fulfilment;
pub use fulfilment::{NewShipment, NewTrackingEvent};
mod list;
mod notifications;
mod prepare;
mod quick_order;
mod submit;
mod writer;

use crate::service::ServiceError;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::service::catalog::Catalog;
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use crate::store::Store;
use crate::store::feed::FeedLog;
use crate::store::versioned::{Versioned, get};
use tradeport_domain::DomainError;
use tradeport_domain::identity::records::Account;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::orders::{Millis, Order};
use tradeport_domain::tax::TaxRules;

pub use list::OrderFilter;
pub use notifications::OrderWatch;
pub use submit::ORDER_TEMPLATE;
pub use tradeport_domain::orders::submission::{LineInput, Submission};

pub use crate::service::Result;

pub struct Orders {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
    tax: TaxRules,
    gateway: Arc<dyn crate::adapters::payments::PaymentGateway>,
    /// Every order written is recorded in the same commit.
    feed: Arc<FeedLog>,
    /// Order mutations take turns here and share flushes.
    writer: writer::Writer,
    /// Every committed order, for live watches.
    changes: tokio::sync::broadcast::Sender<Arc<Order>>,
    /// Flips to true at shutdown, ending every watch.
    closing: tokio::sync::watch::Sender<bool>,
}

pub(crate) mod keys {
    pub fn order(id: &str) -> String {
        format!("ord/{id}")
    }
    /// Newest first: the time is stored as its distance to the end of time.
    pub fn newest_first(placed_at: i64) -> String {
        format!("{:016x}", u64::MAX - placed_at.max(0) as u64)
    }
    pub fn by_account(account: &str, placed_at: i64, id: &str) -> String {
        format!("ordacc/{account}/{}/{id}", newest_first(placed_at))
    }
    pub fn account_orders(account: &str) -> String {
        format!("ordacc/{account}/")
    }
    pub fn all(placed_at: i64, id: &str) -> String {
        format!("ordall/{}/{id}", newest_first(placed_at))
    }
    pub const ALL: &str = "ordall/";
    pub fn sequence(year: i32) -> String {
        format!("ordseq/{year}")
    }
    pub fn exposure(account: &str) -> String {
        format!("exposure/{account}")
    }
    pub fn budget(account: &str, unit: &str, month: &str) -> String {
        format!("budget/{account}/{unit}/{month}")
    }
    pub fn approval_policy(account: &str) -> String {
        format!("approvalpolicy/{account}")
    }
    pub fn payment_methods(account: &str) -> String {
        format!("paymethods/{account}")
    }
    pub fn tax_exemption(account: &str) -> String {
        format!("taxexempt/{account}")
    }
    pub fn promotion_use(account: &str, promotion: &str) -> String {
        format!("promouse/{account}/{promotion}")
    }
    /// The order a draft became.
    pub fn draft_order(draft: &str) -> String {
        format!("orddraft/{draft}")
    }
}

/// Today, for dates the rules compare with (tax, promised deliveries).
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

pub fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

impl Orders {
    pub fn new(
        store: Arc<dyn Store>,
        catalog: Arc<Catalog>,
        identity: Arc<Identity>,
        inventory: Arc<Inventory>,
        tax: TaxRules,
        gateway: Arc<dyn crate::adapters::payments::PaymentGateway>,
        feed: Arc<FeedLog>,
    ) -> Self {
        Self {
            store,
            catalog,
            identity,
            inventory,
            tax,
            gateway,
            feed,
            writer: writer::Writer::default(),
            changes: tokio::sync::broadcast::channel(4096).0,
            closing: tokio::sync::watch::channel(false).0,
        }
    }

    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    fn account(&self, id: &str) -> Result<Account> {
        self.identity
            .account_record(id)?
            .ok_or_else(|| ServiceError::from(not_found("account", id)))
    }

    /// The order, if the caller may see its account and do `action`;
    /// another account's order is NOT_FOUND, exactly as a missing one.
    fn order_for(&self, caller: &Caller, action: Action, id: &str) -> Result<Versioned<Order>> {
        let order =
            get::<Order>(self.store(), &keys::order(id))?.ok_or_else(|| not_found("order", id))?;
        let account = self.identity.account_record(&order.value.account_id)?;
        caller.authorize(action, account.as_ref(), "order", id)?;
        if let Some(acting) = caller.on_behalf_of.as_deref()
            && acting != order.value.account_id
        {
            return Err(DomainError::Hidden {
                resource: "order",
                id: id.to_string(),
            }
            .into());
        }
        Ok(order)
    }

    pub fn get(&self, caller: &Caller, id: &str) -> Result<Order> {
        if id.trim().is_empty() {
            return Err(DomainError::invalid("MISSING_ID", "id", "name the order").into());
        }
        Ok(self.order_for(caller, Action::ReadOrders, id)?.value)
    }
}

/// The server itself, for the changes it makes on its own (late alerts).
pub fn system_caller() -> Caller {
    Caller {
        kind: tradeport_domain::identity::CallerKind::User,
        id: "system".into(),
        account_id: None,
        roles: vec![tradeport_domain::identity::Role::BrandAdmin],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    }
}

fn not_found(resource: &'static str, id: &str) -> DomainError {
    DomainError::NotFound {
        resource,
        id: id.to_string(),
    }
}
