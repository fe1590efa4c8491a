//! CatalogService: browsing and searching the catalog. Reads are served from
//! the in-memory search index, which is rebuilt from the store whenever the
//! catalog changes; GetProduct reads the record itself from the store.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;

use std::sync::{Arc, RwLock};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::{Stream, StreamExt};

use tonic::{Request, Response, Status};
use tradeport_proto::catalog::{self as pb, catalog_service_server::CatalogService};
use tradeport_proto::common as common_pb;

use super::status::Failure;
use super::stock::{level_to, raw_from};
use crate::domain::DomainError;
use crate::domain::catalog::{Assortment, Visible};
use crate::domain::catalog::{
    AttributeValue, CatalogIndex, Product, ProductStatus, RawFilter, SearchRequest,
};
use crate::domain::identity::{Action, Caller};
use crate::domain::inventory::FeedOutcome;
use crate::domain::paging::{Page, PageLimits};
use crate::domain::pricing::{self, CartLine, Pricebook, PricingContext, StepKind};
use crate::identity::Identity;
use crate::inventory::{Inventory, check_skus};
use crate::store::catalog::CatalogRepository;
use crate::store::pricing::PricingRepository;

const ALERT_PAGES: PageLimits = PageLimits {
    default_size: 100,
    max_size: 1000,
};

const CATEGORY_PAGES: PageLimits = PageLimits {
    default_size: 500,
    max_size: 1000,
};

pub struct CatalogApi {
    repo: CatalogRepository,
    pricing: PricingRepository,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
    view: RwLock<Arc<CatalogView>>,
}

/// The searchable catalog and its prices, built together and swapped in
/// together, so a search never meets prices from another catalog version.
#[derive(Default)]
struct CatalogView {
    index: CatalogIndex,
    pricebook: Pricebook,
    assortments: Vec<Assortment>,
}

impl CatalogApi {
    /// Loads the catalog and its prices from the store and indexes them.
    pub fn load(
        repo: CatalogRepository,
        pricing: PricingRepository,
        identity: Arc<Identity>,
        inventory: Arc<Inventory>,
    ) -> anyhow::Result<Self> {
        let api = Self {
            repo,
            pricing,
            identity,
            inventory,
            view: RwLock::new(Arc::default()),
        };
        api.reindex()?;
        Ok(api)
    }

    /// Rebuilds the index and pricebook from the store and swaps them in;
    /// searches in flight finish on the view they started with.
    pub fn reindex(&self) -> anyhow::Result<()> {
        let products = self.repo.products()?;
        let mut lists = pricing::base_lists(products.iter().map(|p| {
            (
                p.sku.as_str(),
                p.base_price.currency.as_str(),
                p.base_price.amount,
            )
        }));
        lists.extend(self.pricing.price_lists()?);
        let sku_categories: Vec<(String, String)> = products
            .iter()
            .map(|p| (p.sku.clone(), p.category_id.clone()))
            .collect();
        let index = CatalogIndex::build(self.repo.categories()?, products)
            .map_err(|e| anyhow::anyhow!("catalog data is inconsistent: {e}"))?;
        let paths: HashMap<String, Vec<String>> = sku_categories
            .into_iter()
            .map(|(sku, category)| {
                let path = index.tree().path(&category).to_vec();
                (sku, path)
            })
            .collect();
        let pricebook = Pricebook::new(lists, self.pricing.promotions()?, paths);
        *self
            .view
            .write()
            .map_err(|_| anyhow::anyhow!("catalog view lock poisoned"))? = Arc::new(CatalogView {
            index,
            pricebook,
            assortments: self.repo.assortments()?,
        });
        Ok(())
    }

    /// What the caller may see: brand staff everything, a customer (or
    /// someone acting for one) their assortments.
    fn visible(&self, caller: &Caller, view: &CatalogView) -> Result<Visible, Status> {
        let Some(account_id) = caller.acting_account() else {
            return Ok(Visible::Everything);
        };
        let account = self.identity.account_record(account_id)?.ok_or_else(|| {
            Failure::from(DomainError::NotFound {
                resource: "account",
                id: account_id.to_string(),
            })
        })?;
        Ok(Visible::for_customer(
            &view.assortments,
            &account.id,
            &account.tier,
        ))
    }

    /// Ends every stock watch (at shutdown).
    pub fn end_watches(&self) {
        self.inventory.close();
    }

    fn view(&self) -> Arc<CatalogView> {
        // A panic while swapping cannot leave a half-built view behind (the
        // swap is one assignment), so a poisoned lock still holds a good one.
        match self.view.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
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
        let view = self.view();
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
        };
        let view = self.view();
        let index = &view.index;
        let visible = self.visible(&caller, &view)?;
        let results = index.search(&query, &visible).map_err(Failure::from)?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: results
                .products
                .iter()
                .map(|p| product_to_proto(p, index.tree().path(&p.category_id)))
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
        let product = self
            .repo
            .product(&id)
            .map_err(Failure::from)?
            .ok_or_else(|| {
                Failure::from(DomainError::NotFound {
                    resource: "product",
                    id: id.clone(),
                })
            })?;
        let view = self.view();
        let index = &view.index;
        if !index.product_visible(&product.id, &self.visible(&caller, &view)?) {
            return Err(Failure::from(DomainError::NotFound {
                resource: "product",
                id,
            })
            .into());
        }
        Ok(Response::new(pb::GetProductResponse {
            product: Some(product_to_proto(
                &product,
                index.tree().path(&product.category_id),
            )),
        }))
    }

    async fn price_cart(
        &self,
        request: Request<pb::PriceCartRequest>,
    ) -> Result<Response<pb::PriceCartResponse>, Status> {
        let caller = may_read(&request)?;
        let account_id = caller.acting_account().ok_or_else(|| {
            Failure::from(DomainError::invalid(
                "ACCOUNT_REQUIRED",
                "x-tradeport-on-behalf-of",
                "prices are a customer's: act on behalf of a customer account",
            ))
        })?;
        let account = self.identity.account_record(account_id)?.ok_or_else(|| {
            Failure::from(DomainError::NotFound {
                resource: "account",
                id: account_id.to_string(),
            })
        })?;
        let r = request.into_inner();
        let currency = pricing::cart_currency(&r.currency_code, &account.currency);
        let today = time::OffsetDateTime::now_utc().date();
        let date =
            pricing::price_date("price_date", &r.price_date, today).map_err(Failure::from)?;
        let uses = self
            .pricing
            .promotion_uses(&account.id)
            .map_err(Failure::from)?;
        let view = self.view();
        let visible = Visible::for_customer(&view.assortments, &account.id, &account.tier);
        let in_assortment = |sku: &str| view.index.sku_visible(sku, &visible);
        let ctx = PricingContext {
            account_id: &account.id,
            tier: &account.tier,
            currency: &currency,
            date,
            promotion_uses: &uses,
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
        let money = |amount: rust_decimal::Decimal| {
            Some(common_pb::Money {
                currency_code: quote.currency.clone(),
                amount: amount.to_string(),
            })
        };
        Ok(Response::new(pb::PriceCartResponse {
            lines: quote
                .lines
                .iter()
                .map(|l| pb::PricedLine {
                    sku: l.sku.clone(),
                    quantity: l.quantity.normalize().to_string(),
                    list_unit_price: money(l.list_unit_price),
                    unit_price: money(l.unit_price),
                    line_total: money(l.line_total),
                    discount_total: money(l.discount_total),
                    explanation: l
                        .steps
                        .iter()
                        .map(|step| pb::PricingStep {
                            rule: match step.kind {
                                StepKind::PriceList => pb::PricingRule::PriceList,
                                StepKind::VolumeBreak => pb::PricingRule::VolumeBreak,
                                StepKind::Promotion => pb::PricingRule::Promotion,
                                StepKind::Rounding => pb::PricingRule::Rounding,
                            } as i32,
                            source_id: step.source_id.clone(),
                            description: step.description.clone(),
                            unit_price: money(step.unit_price),
                        })
                        .collect(),
                })
                .collect(),
            subtotal: money(quote.subtotal),
            discount_total: money(quote.discount_total),
            price_date: date.to_string(),
        }))
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
        may_read(&request)?;
        let skus = request.into_inner().skus;
        check_skus(&skus).map_err(Failure::from)?;
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
        let closed = self.inventory.closed();
        let stream = futures::StreamExt::take_until(initial.chain(updates), closed);
        Ok(Response::new(Box::pin(stream)))
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

fn product_to_proto(p: &Product, category_path: &[String]) -> pb::Product {
    pb::Product {
        id: p.id.clone(),
        sku: p.sku.clone(),
        barcode: p.barcode.clone().unwrap_or_default(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.clone(),
        category_path: category_path.to_vec(),
        attributes: p
            .attributes
            .iter()
            .map(|a| pb::AttributeValue {
                key: a.key.clone(),
                value: Some(match &a.value {
                    AttributeValue::Text(s) => pb::attribute_value::Value::Text(s.clone()),
                    AttributeValue::Option(s) => pb::attribute_value::Value::Option(s.clone()),
                    AttributeValue::Number { value, unit } => {
                        pb::attribute_value::Value::Number(pb::NumberValue {
                            value: value.normalize().to_string(),
                            unit: unit.clone(),
                        })
                    }
                }),
            })
            .collect(),
        sales_unit: Some(common_pb::UnitOfMeasure {
            code: p.sales_unit.code.clone(),
            name: p.sales_unit.name.clone(),
            base_units: p.sales_unit.base_units.normalize().to_string(),
        }),
        base_price: Some(common_pb::Money {
            currency_code: p.base_price.currency.clone(),
            amount: p.base_price.amount.to_string(),
        }),
        status: match p.status {
            ProductStatus::Active => pb::ProductStatus::Active,
            ProductStatus::Discontinued => pb::ProductStatus::Discontinued,
        } as i32,
    }
}
