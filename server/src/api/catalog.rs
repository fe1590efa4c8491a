//! CatalogService on the wire: browsing, search and prices at the caller's
//! own terms, the catalog manager's writes, and stock. The catalog and
//! inventory use cases (`crate::service::catalog`, `crate::service::inventory`)
//! authorise the caller and decide; this only translates.

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
use super::identity::caller;
use super::open_streams::{OpenStreams, holding};
use super::product::{
    money_to, priced_line_to, priced_product_to, product_from, product_patch_from, product_to,
    quick_order_to, variant_to,
};
use super::stock::{fed_to, level_to, raw_from};
use crate::service::catalog::{Catalog, Storefront};
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::{RawFilter, SearchRequest};
use tradeport_domain::pricing::CartLine;

pub struct CatalogApi {
    catalog: Arc<Catalog>,
    storefront: Storefront,
    inventory: Arc<Inventory>,
    /// Stock watches open, per caller.
    watches: OpenStreams,
}

impl CatalogApi {
    pub fn new(catalog: Arc<Catalog>, identity: Arc<Identity>, inventory: Arc<Inventory>) -> Self {
        Self {
            storefront: Storefront::new(Arc::clone(&catalog), identity, Arc::clone(&inventory)),
            catalog,
            inventory,
            watches: OpenStreams::default(),
        }
    }

    /// Ends every stock watch (at shutdown).
    pub fn end_watches(&self) {
        self.inventory.close();
    }
}

fn search_from(r: pb::SearchProductsRequest) -> SearchRequest {
    SearchRequest {
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
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let page = self
            .storefront
            .categories(&caller, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListCategoriesResponse {
            categories: page
                .categories
                .into_iter()
                .map(|entry| pb::Category {
                    id: entry.category.id,
                    parent_id: entry.category.parent_id.unwrap_or_default(),
                    name: entry.category.name,
                    depth: entry.depth,
                    product_count: entry.product_count,
                })
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn search_products(
        &self,
        request: Request<pb::SearchProductsRequest>,
    ) -> Result<Response<pb::SearchProductsResponse>, Status> {
        let caller = caller(&request)?;
        let query = search_from(request.into_inner());
        let results = self.storefront.search(&caller, &query)?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: results.products.iter().map(priced_product_to).collect(),
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
        let caller = caller(&request)?;
        let detail = self.storefront.product(&caller, &request.into_inner().id)?;
        let mut wire = priced_product_to(&detail.product);
        wire.variants = detail.variants.iter().map(|v| variant_to(v)).collect();
        Ok(Response::new(pb::GetProductResponse {
            product: Some(wire),
        }))
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        let manager = self.catalog.manager(&caller(&request)?)?;
        let r = request.into_inner();
        let product = product_from(r.product).map_err(Failure::from)?;
        let created = manager.create_product(&r.request_id, product)?;
        Ok(Response::new(pb::CreateProductResponse {
            product: Some(product_to(&created.product, &created.path)),
        }))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        let manager = self.catalog.manager(&caller(&request)?)?;
        let r = request.into_inner();
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let patch = product_patch_from(r.product, &paths).map_err(Failure::from)?;
        let updated = manager.update_product(&r.request_id, patch, &paths)?;
        Ok(Response::new(pb::UpdateProductResponse {
            product: Some(product_to(&updated.product, &updated.path)),
        }))
    }

    async fn price_cart(
        &self,
        request: Request<pb::PriceCartRequest>,
    ) -> Result<Response<pb::PriceCartResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let lines: Vec<CartLine> = r
            .lines
            .into_iter()
            .map(|l| CartLine {
                sku: l.sku,
                quantity: l.quantity,
            })
            .collect();
        let priced = self.storefront.price_cart(
            &caller,
            &r.currency_code,
            &date_text(r.price_date),
            &lines,
        )?;
        let quote = &priced.quote;
        let money = |amount: Decimal| Some(money_to(&quote.currency, amount));
        Ok(Response::new(pb::PriceCartResponse {
            lines: quote
                .lines
                .iter()
                .map(|l| priced_line_to(l, &quote.currency))
                .collect(),
            subtotal: money(quote.subtotal),
            discount_total: money(quote.discount_total),
            price_date: Some(date_to(priced.price_date)),
        }))
    }

    async fn quick_order(
        &self,
        request: Request<pb::QuickOrderRequest>,
    ) -> Result<Response<pb::QuickOrderResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let typed = r
            .lines
            .into_iter()
            .map(|l| (l.code, l.quantity, l.unit_code))
            .collect();
        let (lines, currency) =
            self.storefront
                .quick_order(&caller, &r.text, typed, &r.currency_code)?;
        Ok(Response::new(quick_order_to(&lines, &currency)))
    }

    async fn get_stock(
        &self,
        request: Request<pb::GetStockRequest>,
    ) -> Result<Response<pb::GetStockResponse>, Status> {
        let caller = caller(&request)?;
        let levels = self.inventory.stock(&caller, &request.into_inner().skus)?;
        Ok(Response::new(pb::GetStockResponse {
            levels: levels.iter().map(level_to).collect(),
        }))
    }

    async fn update_stock_levels(
        &self,
        request: Request<pb::UpdateStockLevelsRequest>,
    ) -> Result<Response<pb::UpdateStockLevelsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let raw: Vec<_> = r.levels.into_iter().map(raw_from).collect();
        let result = self
            .inventory
            .feed_stock(&caller, &r.warehouse_id, r.sequence, &raw)?;
        Ok(Response::new(fed_to(r.sequence, result)))
    }

    type WatchStockStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchStockResponse, Status>> + Send + 'static>>;

    async fn watch_stock(
        &self,
        request: Request<pb::WatchStockRequest>,
    ) -> Result<Response<Self::WatchStockStream>, Status> {
        let caller = caller(&request)?;
        let watch = self.inventory.watch(&caller, request.into_inner().skus)?;
        let permit = self.watches.open(&caller).map_err(Failure::from)?;
        let wants = watch.wants;
        let initial = tokio_stream::iter(watch.snapshot.into_iter().map(|level| {
            Ok(pb::WatchStockResponse {
                level: Some(level_to(&level)),
                changed: false,
            })
        }));
        let updates = BroadcastStream::new(watch.changes).filter_map(move |item| match item {
            Ok(level) if wants(&level) => Some(Ok(pb::WatchStockResponse {
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
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (alerts, next_page_token) =
            self.inventory
                .alert_page(&caller, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListStockAlertsResponse {
            levels: alerts.iter().map(level_to).collect(),
            next_page_token,
        }))
    }
}
