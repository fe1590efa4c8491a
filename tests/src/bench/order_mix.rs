//! The orders benchmark's order mix: 20-line orders a large-demo customer
//! may place, every one confirmed (lines of its assortment, no
//! discontinued product, quantities within the quantity rules), spread
//! over the whole catalog and the same on every run; and seeding an
//! account with many of them.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tonic::Status;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tradeport_domain::catalog::ProductStatus;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{OrderLineInput, OrderStatus, SubmitOrderRequest};
use tradeport_server::demo;

use super::scale::buyer;
use super::tally::Tally;
use super::wire::{authorized, connect};
use crate::TestServer;

/// Lines per order.
pub const ORDER_LINES: usize = 20;

/// A product as the order mix needs it.
pub struct Sku {
    pub sku: String,
    tool: bool,
    discontinued: bool,
    /// Ordered in tens, from 20 (every fifth demo product).
    boxed: bool,
}

/// The large demo's products at `scale`, in catalog order.
pub fn catalog(scale: usize) -> Vec<Sku> {
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

/// One customer: its account, its buyer key and where its orders start in
/// the catalog.
#[derive(Clone)]
pub struct Customer {
    pub account_id: String,
    gold: bool,
    pub token: AsciiMetadataValue,
    start: usize,
}

impl Customer {
    /// The large demo's `n`th customer, with a fresh buyer key.
    pub fn new(server: &TestServer, n: usize, catalog_len: usize) -> Result<Self> {
        let buyer = buyer(server, n, "Orders load benchmark")?;
        if !buyer.ships {
            bail!("{} has no ship-to address to order to", buyer.account_id);
        }
        Ok(Self {
            account_id: buyer.account_id,
            gold: buyer.gold,
            token: buyer.token,
            start: (n * 104_729) % catalog_len.max(1),
        })
    }

    /// The `n`th order's 20 lines: SKUs the customer may buy, spread over
    /// the catalog, quantities within the quantity rules (1 to 3, or 20 to
    /// 40 in tens for boxed products).
    pub fn lines(&self, catalog: &[Sku], n: usize) -> Vec<OrderLineInput> {
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

    /// The `n`th order of the caller tagged `tag`: a request id and PO
    /// number of its own.
    pub fn submission(&self, catalog: &[Sku], tag: &str, n: usize) -> SubmitOrderRequest {
        SubmitOrderRequest {
            request_id: format!("bench-{tag}-{n}"),
            lines: self.lines(catalog, n),
            ship_to_id: "ship-1".into(),
            po_number: format!("PO-{tag}-{n}"),
            ..Default::default()
        }
    }
}

/// Submits `request`; the order must come back confirmed (priced, taxed,
/// stock reserved, within credit) with all its lines, or it counts as an
/// error.
pub async fn submit(
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

/// Submits `count` orders for one customer from `seeders` concurrent
/// callers; returns how long it took.
pub async fn seed(
    addr: SocketAddr,
    customer: &Customer,
    catalog: &Arc<Vec<Sku>>,
    count: usize,
    seeders: usize,
) -> Result<(Duration, Tally)> {
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..seeders {
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
                let request = customer.submission(&catalog, "seed", n);
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
