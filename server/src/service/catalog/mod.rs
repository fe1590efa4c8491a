//! Catalog use cases: the loaded catalog (index, prices, assortments) and
//! its full-text index, kept in step with the store; browsing and pricing
//! (`storefront`, through the caller's `buyer`); and the catalog manager's
//! writes and bulk data (`manager`, `writes`, `bulk`).
//!
//! Reads take the current [`CatalogView`], an immutable snapshot: a search
//! runs against one catalog version even while a write swaps in the next.
//! Writes are serialised by one lock (a catalog changes at the pace of its
//! managers and imports, not of its readers), validated against the current
//! view, committed to the store, and only then made visible — first in the
//! text index, then in the view — before the call returns, so a product is
//! searchable as soon as its write is acknowledged.

mod bulk;
mod buyer;
mod manager;
mod price_days;
mod quick_order;
mod storefront;
mod writes;

pub use buyer::Buyer;
pub use manager::CatalogManager;
pub use storefront::{
    CategoryEntry, CategoryPage, PricedCart, PricedProduct, ProductDetail, ProductPage, Storefront,
};

use crate::service::ServiceError;
use crate::service::clock::Clock;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rust_decimal::Decimal;

use crate::adapters::search::text::{TextDoc, TextIndex};
use crate::store::catalog::CatalogRepository;
use crate::store::feed::FeedLog;
use crate::store::pricing::PricingRepository;
use tradeport_domain::catalog::{
    Assortment, CatalogIndex, Product, SearchContext, SearchRequest, SearchResults, TextHit,
    Visible,
};
use tradeport_domain::pricing::{CatalogPrice, Pricebook, Promotion};

pub use crate::service::Result;

/// The searchable catalog and its prices, built together and swapped in
/// together, so a search never meets prices from another catalog version.
#[derive(Default)]
pub struct CatalogView {
    pub index: CatalogIndex,
    pub pricebook: Pricebook,
    pub assortments: Vec<Assortment>,
}

pub struct Catalog {
    repo: CatalogRepository,
    pricing: PricingRepository,
    /// Every write adds its reference-data feed entries to its commit.
    feed: Arc<FeedLog>,
    text: TextIndex,
    view: RwLock<Arc<CatalogView>>,
    /// Held by every write, from validation until the view is swapped.
    writer: Mutex<()>,
    /// The day prices are decided on.
    clock: Clock,
    /// The last day whose price changes the feed was told of (see
    /// `price_days`), for whoever waits on the sweep.
    swept: tokio::sync::watch::Sender<Option<time::Date>>,
}

impl Catalog {
    /// Loads the catalog and its prices from the store and indexes them;
    /// its writes will record their changes in `feed`.
    pub fn load(
        repo: CatalogRepository,
        pricing: PricingRepository,
        feed: Arc<FeedLog>,
    ) -> Result<Self> {
        let index = CatalogIndex::build(repo.categories()?, repo.products()?)
            .map_err(ServiceError::Internal)?;
        let text = TextIndex::new()?;
        text.upsert(index.products().map(|(slot, p)| text_doc(&index, slot, p)))?;
        let promotions = pricing.promotions()?;
        let base = Pricebook::for_catalog(catalog_prices(&index), Vec::new());
        let pricebook = read_lists(&pricing, &base, promotions)?;
        drop(base);
        let view = CatalogView {
            pricebook,
            assortments: repo.assortments()?,
            index,
        };
        Ok(Self {
            repo,
            pricing,
            feed,
            text,
            view: RwLock::new(Arc::new(view)),
            writer: Mutex::new(()),
            clock: Clock::default(),
            swept: tokio::sync::watch::Sender::new(None),
        })
    }

    pub fn view(&self) -> Arc<CatalogView> {
        // A panic while swapping cannot leave a half-built view behind (the
        // swap is one assignment), so a poisoned lock still holds a good one.
        match self.view.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn swap(&self, view: CatalogView) {
        let mut slot = match self.view.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Arc::new(view);
    }

    /// The catalog's write turn. A write holds it through its commit and
    /// an import for as long as its rows take, so waiting for it is waiting
    /// on the disk: off the async workers.
    fn lock_writes(&self) -> MutexGuard<'_, ()> {
        crate::store::off_workers(|| match self.writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        })
    }

    pub fn pricing(&self) -> &PricingRepository {
        &self.pricing
    }

    /// The clock prices are decided by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Today, for pricing: the one day every pricing use case prices on.
    pub fn today(&self) -> time::Date {
        self.clock.today()
    }

    /// Searches `view` for a caller who sees `visible`, pricing at `price`
    /// and checking stock with `in_stock`.
    fn search(
        &self,
        view: &CatalogView,
        request: &SearchRequest,
        visible: &Visible,
        price: &(dyn Fn(usize, &Product) -> Option<Decimal> + Sync),
        in_stock: &(dyn Fn(&str, &str) -> bool + Sync),
    ) -> Result<SearchResults> {
        let hits: Option<Vec<TextHit>> = self.text.search(&request.query)?.map(|matches| {
            matches
                .into_iter()
                .map(|m| TextHit {
                    slot: m.key,
                    score: m.score,
                    exact_code: m.exact_code,
                })
                .collect()
        });
        Ok(view.index.search(
            request,
            &SearchContext {
                visible,
                text: hits.as_deref(),
                price,
                in_stock,
            },
        )?)
    }

    /// Makes `changed` products (already committed) visible: text first, so
    /// a search on the new view never misses a product the view holds.
    ///
    /// Only what the changed products touch is rebuilt: their text
    /// entries, their slots in the index and the base price lists holding
    /// them; customer price lists are shared with the previous view.
    fn publish(&self, changed: Vec<Product>) -> Result<()> {
        let current = self.view();
        let (index, touched) = current
            .index
            .with_products(changed)
            .map_err(ServiceError::Internal)?;
        self.text.upsert(
            touched
                .iter()
                .filter_map(|&slot| index.at(slot).map(|p| text_doc(&index, slot, p))),
        )?;
        // A SKU a slot no longer has (SKUs do not change, but a store
        // might say otherwise) leaves the base lists.
        let gone: Vec<&str> = touched
            .iter()
            .filter_map(|&slot| {
                let old = current.index.at(slot)?;
                let new = index.at(slot)?;
                (old.sku != new.sku && index.get_sku(&old.sku).is_none())
                    .then_some(old.sku.as_str())
            })
            .collect();
        let pricebook = current.pricebook.with_products(
            touched
                .iter()
                .filter_map(|&slot| index.at(slot).map(|p| catalog_price(&index, slot, p))),
            &gone,
        );
        self.swap(CatalogView {
            pricebook,
            assortments: current.assortments.clone(),
            index,
        });
        Ok(())
    }
}

fn text_doc<'a>(index: &'a CatalogIndex, slot: usize, product: &'a Product) -> TextDoc<'a> {
    TextDoc {
        key: slot as u64,
        sku: &product.sku,
        barcode: product.barcode.as_deref(),
        name: &product.name,
        description: &product.description,
        attributes: product.attributes.iter().map(|a| a.value.label()).collect(),
        categories: index.category_names(product),
    }
}

/// What the pricebook needs of `index`'s products: list prices (the base
/// lists) and category paths (for category promotions).
fn catalog_prices(index: &CatalogIndex) -> impl Iterator<Item = CatalogPrice<'_>> {
    index
        .products()
        .map(|(slot, p)| catalog_price(index, slot, p))
}

fn catalog_price<'a>(index: &'a CatalogIndex, slot: usize, p: &'a Product) -> CatalogPrice<'a> {
    CatalogPrice {
        slot,
        sku: &p.sku,
        currency: &p.base_price.currency,
        list_price: p.base_price.amount,
        path: index.path(p),
    }
}

/// `book` with the stored price lists, read one by one, and `promotions`.
fn read_lists(
    pricing: &PricingRepository,
    book: &Pricebook,
    promotions: Vec<Promotion>,
) -> Result<Pricebook> {
    let mut loader = book.lists_loader();
    pricing.for_each_list(|list| loader.add(list))?;
    Ok(book.with_lists(loader, promotions))
}
