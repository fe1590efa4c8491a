//! CatalogService on the wire: browsing, search and prices at the caller's
//! own terms, the catalog manager's writes, and stock. The catalog use cases
//! (`crate::service::catalog`) hold the loaded catalog; this only translates.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use rust_decimal::Decimal;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};
use tradeport_proto::catalog::{self as pb, catalog_service_server::CatalogService};

use super::dates::{date_text, date_to};
use super::errors::Failure;
use super::open_streams::{OpenStreams, holding};
use super::product::{
    money_to, priced_line_to, product_from, product_patch_from, product_to, quick_order_to,
    variant_to,
};
use super::stock::{level_to, raw_from};
use crate::service::catalog::{Buyer, Catalog};
use crate::service::identity::Identity;
use crate::service::inventory::{Inventory, check_skus};
use crate::store::idempotency;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::quick_order;
use tradeport_domain::catalog::{Product, RawFilter, SearchRequest, Visible};
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::FeedOutcome;
use tradeport_domain::paging::{Page, PageLimits};
use tradeport_domain::pricing::{self, CartLine, CustomerPrices, PricingContext};

const ALERT_PAGES: PageLimits = PageLimits {
    default_size: 100,
    max_size: 1000,
};

const CATEGORY_PAGES: PageLimits = PageLimits {
    default_size: 500,
    max_size: 1000,
};

pub struct CatalogApi {
    catalog: Arc<Catalog>,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
    /// Stock watches open, per caller.
    watches: OpenStreams,
}

impl CatalogApi {
    pub fn new(catalog: Arc<Catalog>, identity: Arc<Identity>, inventory: Arc<Inventory>) -> Self {
        Self {
            catalog,
            identity,
            inventory,
            watches: OpenStreams::default(),
        }
    }

    /// The account the caller acts for, if any.
    fn buyer(&self, caller: &Caller) -> Result<Option<Buyer>, Status> {
        Ok(Buyer::of(caller, &self.identity, &self.catalog)?)
    }

    /// Ends every stock watch (at shutdown).
    pub fn end_watches(&self) {
        self.inventory.close();
    }
}

/// How a search prices: the buyer's terms today (search shows what one unit
/// costs), or, for brand staff, the list price.
fn search_pricing(buyer: Option<&Buyer>) -> Option<PricingContext<'_>> {
    buyer.map(|buyer| buyer.terms(time::OffsetDateTime::now_utc().date()))
}

/// The net unit price of one unit at the caller's prices; brand staff see
/// the list price. `slot`, the product's in the view's index, if known.
fn unit_price(
    prices: Option<&CustomerPrices<'_>>,
    slot: Option<usize>,
    product: &Product,
) -> Option<Decimal> {
    let Some(prices) = prices else {
        return Some(product.base_price.amount);
    };
    match slot {
        Some(slot) => prices.unit_price_at(slot, &product.sku, Decimal::ONE),
        None => prices.unit_price(&product.sku, Decimal::ONE),
    }
}

fn with_price(
    prices: Option<&CustomerPrices<'_>>,
    product: &Product,
    mut wire: pb::Product,
) -> pb::Product {
    wire.your_price = prices.and_then(|prices| {
        unit_price(Some(prices), None, product).map(|amount| money_to(prices.currency(), amount))
    });
    wire
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        may_read(&request)?;
        let request = request.into_inner();
        let page = Page::parse(request.page_size, &request.page_token, 0, CATEGORY_PAGES)
            .map_err(Failure::from)?;
        let view = self.catalog.view();
        let index = &view.index;
        let tree = index.tree();
        let categories = tree
            .depth_first()
            .skip(page.offset)
            .take(page.size)
            .map(|(c, depth)| pb::Category {
                id: c.id.clone(),
                parent_id: c.parent_id.clone().unwrap_or_default(),
                name: c.name.clone(),
                depth,
                product_count: index.product_count(&c.id),
            })
            .collect();
        Ok(Response::new(pb::ListCategoriesResponse {
            categories,
            next_page_token: page.next_token(tree.len()),
        }))
    }

    async fn search_products(
        &self,
        request: Request<pb::SearchProductsRequest>,
    ) -> Result<Response<pb::SearchProductsResponse>, Status> {
        let caller = may_read(&request)?;
        let r = request.into_inner();
        let query = SearchRequest {
            query: r.query,
            category_id: r.category_id,
            filters: r
                .filters
                .into_iter()
                .map(|f| RawFilter {
                    key: f.key,
                    values: f.values,
                    min: f.min,
                    max: f.max,
                })
                .collect(),
            facet_keys: r.facet_keys,
            order_by: r.order_by,
            page_size: r.page_size,
            page_token: r.page_token,
            price_min: r.price_min,
            price_max: r.price_max,
            in_stock_at: r.in_stock_warehouse_id,
        };
        let view = self.catalog.view();
        let buyer = self.buyer(&caller)?;
        let visible = Buyer::visible(buyer.as_ref(), &view);
        let pricing = search_pricing(buyer.as_ref());
        let prices = pricing.as_ref().map(|ctx| view.pricebook.for_customer(ctx));
        let price = |slot: usize, p: &Product| unit_price(prices.as_ref(), Some(slot), p);
        let in_stock = |sku: &str, warehouse: &str| self.inventory.has_available(sku, warehouse);
        let results = self
            .catalog
            .search(&view, &query, &visible, &price, &in_stock)?;
        let index = &view.index;
        Ok(Response::new(pb::SearchProductsResponse {
            products: results
                .products
                .iter()
                .map(|p| with_price(prices.as_ref(), p, product_to(p, index.path(p))))
                .collect(),
            next_page_token: results.next_page_token,
            total_size: u32::try_from(results.total).unwrap_or(u32::MAX),
            facets: results
                .facets
                .into_iter()
                .map(|f| pb::Facet {
                    key: f.key,
                    values: f
                        .values
                        .into_iter()
                        .map(|v| pb::FacetValue {
                            value: v.value,
                            count: v.count,
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        let caller = may_read(&request)?;
        let id = request.into_inner().id;
        if id.trim().is_empty() {
            return Err(
                Failure::from(DomainError::invalid("MISSING_ID", "id", "is required")).into(),
            );
        }
        let view = self.catalog.view();
        let buyer = self.buyer(&caller)?;
        let visible = Buyer::visible(buyer.as_ref(), &view);
        let index = &view.index;
        let product = index
            .get(&id)
            .filter(|p| index.may_see(p, &visible))
            .ok_or_else(|| {
                Failure::from(DomainError::NotFound {
                    resource: "product",
                    id: id.clone(),
                })
            })?;
        let pricing = search_pricing(buyer.as_ref());
        let prices = pricing.as_ref().map(|ctx| view.pricebook.for_customer(ctx));
        let mut wire = with_price(
            prices.as_ref(),
            product,
            product_to(product, index.path(product)),
        );
        wire.variants = index
            .variants(product, &visible)
            .into_iter()
            .map(|v| variant_to(v))
            .collect();
        Ok(Response::new(pb::GetProductResponse {
            product: Some(wire),
        }))
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        let caller = may_manage(&request)?;
        let r = request.into_inner();
        let product = product_from(r.product).map_err(Failure::from)?;
        let created =
            self.catalog
                .create_product(&idempotency::owner(&caller), &r.request_id, product)?;
        let path = self.catalog.view().index.path(&created).to_vec();
        Ok(Response::new(pb::CreateProductResponse {
            product: Some(product_to(&created, &path)),
        }))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        let caller = may_manage(&request)?;
        let r = request.into_inner();
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let patch = product_patch_from(r.product, &paths).map_err(Failure::from)?;
        let updated = self.catalog.update_product(
            &idempotency::owner(&caller),
            &r.request_id,
            patch,
            &paths,
        )?;
        let path = self.catalog.view().index.path(&updated).to_vec();
        Ok(Response::new(pb::UpdateProductResponse {
            product: Some(product_to(&updated, &path)),
        }))
    }

    async fn price_cart(
        &self,
        request: Request<pb::PriceCartRequest>,
    ) -> Result<Response<pb::PriceCartResponse>, Status> {
        let caller = may_read(&request)?;
        let buyer = self.buyer(&caller)?.ok_or_else(|| {
            Failure::from(DomainError::invalid(
                "ACCOUNT_REQUIRED",
                "x-tradeport-on-behalf-of",
                "prices are a customer's: act on behalf of a customer account",
            ))
        })?;
        let account = &buyer.account;
        let r = request.into_inner();
        let currency = pricing::cart_currency(&r.currency_code, &account.currency);
        let today = time::OffsetDateTime::now_utc().date();
        let date = pricing::price_date("price_date", &date_text(r.price_date), today)
            .map_err(Failure::from)?;
        let view = self.catalog.view();
        let visible = Visible::for_customer(&view.assortments, &account.id, &account.tier);
        let in_assortment = |sku: &str| view.index.sku_visible(sku, &visible);
        let ctx = PricingContext {
            account_id: &account.id,
            tier: &account.tier,
            currency: &currency,
            date,
            promotion_uses: &buyer.promotion_uses,
            visible: &in_assortment,
        };
        let lines: Vec<CartLine> = r
            .lines
            .into_iter()
            .map(|l| CartLine {
                sku: l.sku,
                quantity: l.quantity,
            })
            .collect();
        let quote = view
            .pricebook
            .price_cart(&ctx, &lines)
            .map_err(Failure::from)?;
        let money = |amount: Decimal| Some(money_to(&quote.currency, amount));
        Ok(Response::new(pb::PriceCartResponse {
            lines: quote
                .lines
                .iter()
                .map(|l| priced_line_to(l, &quote.currency))
                .collect(),
            subtotal: money(quote.subtotal),
            discount_total: money(quote.discount_total),
            price_date: Some(date_to(date)),
        }))
    }

    async fn quick_order(
        &self,
        request: Request<pb::QuickOrderRequest>,
    ) -> Result<Response<pb::QuickOrderResponse>, Status> {
        let caller = may_read(&request)?;
        let buyer = self.buyer(&caller)?.ok_or_else(|| {
            Failure::from(DomainError::invalid(
                "ACCOUNT_REQUIRED",
                "x-tradeport-on-behalf-of",
                "a quick order is a customer's: act on behalf of a customer account",
            ))
        })?;
        let r = request.into_inner();
        let inputs = if r.lines.is_empty() {
            quick_order::parse_pasted(&r.text).map_err(Failure::from)?
        } else {
            quick_order::numbered(
                r.lines
                    .into_iter()
                    .map(|l| (l.code, l.quantity, l.unit_code))
                    .collect(),
            )
            .map_err(Failure::from)?
        };
        let account = &buyer.account;
        let currency = pricing::cart_currency(&r.currency_code, &account.currency);
        let lines = self
            .catalog
            .quick_order(account, &currency, inputs, &self.inventory)?;
        let response = quick_order_to(&lines, &currency);
        Ok(Response::new(response))
    }

    async fn get_stock(
        &self,
        request: Request<pb::GetStockRequest>,
    ) -> Result<Response<pb::GetStockResponse>, Status> {
        may_read(&request)?;
        let levels = self.inventory.levels(&request.into_inner().skus)?;
        Ok(Response::new(pb::GetStockResponse {
            levels: levels.iter().map(level_to).collect(),
        }))
    }

    async fn update_stock_levels(
        &self,
        request: Request<pb::UpdateStockLevelsRequest>,
    ) -> Result<Response<pb::UpdateStockLevelsResponse>, Status> {
        super::identity::caller(&request)?
            .authorize_action(Action::FeedStock)
            .map_err(Failure::from)?;
        let r = request.into_inner();
        let raw: Vec<_> = r.levels.into_iter().map(raw_from).collect();
        let result = self
            .inventory
            .apply_feed(&r.warehouse_id, r.sequence, &raw)?;
        let (applied, last_sequence) = match result.outcome {
            FeedOutcome::Applied => (true, r.sequence),
            FeedOutcome::Stale { last_applied } => (false, last_applied),
        };
        Ok(Response::new(pb::UpdateStockLevelsResponse {
            applied,
            last_sequence,
            alerts_raised: result.alerts_raised,
            alerts_cleared: result.alerts_cleared,
        }))
    }

    type WatchStockStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchStockResponse, Status>> + Send + 'static>>;

    async fn watch_stock(
        &self,
        request: Request<pb::WatchStockRequest>,
    ) -> Result<Response<Self::WatchStockStream>, Status> {
        let caller = may_read(&request)?;
        let skus = request.into_inner().skus;
        check_skus(&skus).map_err(Failure::from)?;
        let permit = self.watches.open(&caller).map_err(Failure::from)?;
        // Subscribe before reading the snapshot: a change landing between
        // the two is then sent twice at worst, never missed.
        let changes = self.inventory.subscribe();
        let snapshot = self.inventory.levels(&skus)?;
        let wanted: HashSet<String> = skus.into_iter().collect();
        let initial = tokio_stream::iter(snapshot.into_iter().map(|level| {
            Ok(pb::WatchStockResponse {
                level: Some(level_to(&level)),
                changed: false,
            })
        }));
        let updates = BroadcastStream::new(changes).filter_map(move |item| match item {
            Ok(level) if wanted.contains(&level.sku) => Some(Ok(pb::WatchStockResponse {
                level: Some(level_to(&level)),
                changed: true,
            })),
            Ok(_) => None,
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Some(Err(Failure::from(DomainError::precondition(
                    "WATCH_LAGGED",
                    format!(
                        "this watch fell {missed} changes behind; watch again for a fresh snapshot"
                    ),
                ))
                .into()))
            }
        });
        let stream = super::watch::until_shutdown(initial.chain(updates), self.inventory.closed());
        Ok(Response::new(Box::pin(holding(stream, permit))))
    }

    async fn list_stock_alerts(
        &self,
        request: Request<pb::ListStockAlertsRequest>,
    ) -> Result<Response<pb::ListStockAlertsResponse>, Status> {
        super::identity::caller(&request)?
            .authorize_action(Action::ReadStockAlerts)
            .map_err(Failure::from)?;
        let r = request.into_inner();
        let alerts = self.inventory.alerts()?;
        let page =
            Page::parse(r.page_size, &r.page_token, 1, ALERT_PAGES).map_err(Failure::from)?;
        let window = page.window(alerts.len());
        Ok(Response::new(pb::ListStockAlertsResponse {
            levels: alerts[window].iter().map(level_to).collect(),
            next_page_token: page.next_token(alerts.len()),
        }))
    }
}

/// Every signed-in caller may browse; per-customer assortments narrow what
/// they see once the catalog has them.
fn may_read<T>(request: &Request<T>) -> Result<Caller, Status> {
    let caller = super::identity::caller(request)?;
    caller
        .authorize_action(Action::CatalogRead)
        .map_err(Failure::from)?;
    Ok(caller)
}

/// Catalog managers (and the ERP) change products.
fn may_manage<T>(request: &Request<T>) -> Result<Caller, Status> {
    let caller = super::identity::caller(request)?;
    caller
        .authorize_action(Action::ManageCatalog)
        .map_err(Failure::from)?;
    Ok(caller)
}
