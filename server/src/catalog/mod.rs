//! Catalog use cases: the loaded catalog (index, prices, assortments) and
//! its full-text index, kept in step with the store; search; and the
//! catalog manager's writes.
//!
//! Reads take the current [`CatalogView`], an immutable snapshot: a search
//! runs against one catalog version even while a write swaps in the next.
//! Writes are serialised by one lock (a catalog changes at the pace of its
//! managers and imports, not of its readers), validated against the current
//! view, committed to the store, and only then made visible — first in the
//! text index, then in the view — before the call returns, so a product is
//! searchable as soon as its write is acknowledged.

mod bulk;
mod quick;
mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use rust_decimal::Decimal;

use crate::domain::DomainError;
use crate::domain::catalog::{
    Assortment, CatalogIndex, Product, SearchContext, SearchRequest, SearchResults, TextHit,
    Visible,
};
use crate::domain::pricing::{self, PriceList, Pricebook, Promotion};
use crate::search::text::{TextDoc, TextIndex, TextIndexError};
use crate::store::StoreError;
use crate::store::catalog::CatalogRepository;
use crate::store::pricing::PricingRepository;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("text index: {0}")]
    Text(#[from] TextIndexError),
    /// Stored data that cannot form a catalog (a product in a category
    /// that does not exist): a bug or a hand-edited store, never input.
    #[error("catalog data is inconsistent: {0}")]
    Inconsistent(String),
}

pub type Result<T> = std::result::Result<T, CatalogError>;

/// The searchable catalog and its prices, built together and swapped in
/// together, so a search never meets prices from another catalog version.
#[derive(Default)]
pub struct CatalogView {
    pub index: CatalogIndex,
    pub pricebook: Pricebook,
    pub assortments: Vec<Assortment>,
}

/// Price lists and promotions as stored; the base lists come from the
/// products themselves.
#[derive(Default, Clone)]
struct StoredPrices {
    /// Shared with every pricebook built from them: a rebuild after a
    /// product write copies no customer's prices.
    lists: Vec<Arc<PriceList>>,
    promotions: Vec<Promotion>,
}

pub struct Catalog {
    repo: CatalogRepository,
    pricing: PricingRepository,
    text: TextIndex,
    view: RwLock<Arc<CatalogView>>,
    /// Held by every write, from validation until the view is swapped.
    writer: Mutex<StoredPrices>,
}

impl Catalog {
    /// Loads the catalog and its prices from the store and indexes them.
    pub fn load(repo: CatalogRepository, pricing: PricingRepository) -> Result<Self> {
        let index = CatalogIndex::build(repo.categories()?, repo.products()?)
            .map_err(CatalogError::Inconsistent)?;
        let text = TextIndex::new()?;
        text.upsert(index.products().map(|(slot, p)| text_doc(&index, slot, p)))?;
        let prices = StoredPrices {
            lists: shared(pricing.price_lists()?),
            promotions: pricing.promotions()?,
        };
        let view = CatalogView {
            pricebook: pricebook(&index, &prices),
            assortments: repo.assortments()?,
            index,
        };
        Ok(Self {
            repo,
            pricing,
            text,
            view: RwLock::new(Arc::new(view)),
            writer: Mutex::new(prices),
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

    fn lock_writes(&self) -> MutexGuard<'_, StoredPrices> {
        match self.writer.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn pricing(&self) -> &PricingRepository {
        &self.pricing
    }

    /// Searches `view` for a caller who sees `visible`, pricing at `price`
    /// and checking stock with `in_stock`.
    pub fn search(
        &self,
        view: &CatalogView,
        request: &SearchRequest,
        visible: &Visible,
        price: &(dyn Fn(&Product) -> Option<Decimal> + Sync),
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
    fn publish(&self, prices: &StoredPrices, changed: Vec<Product>) -> Result<()> {
        let current = self.view();
        let (index, touched) = current
            .index
            .with_products(changed)
            .map_err(CatalogError::Inconsistent)?;
        self.text.upsert(
            touched
                .iter()
                .filter_map(|&slot| index.at(slot).map(|p| text_doc(&index, slot, p))),
        )?;
        self.swap(CatalogView {
            pricebook: pricebook(&index, prices),
            assortments: current.assortments.clone(),
            index,
        });
        Ok(())
    }

    /// Re-reads price lists and promotions from the store (after an import
    /// of prices) and swaps in a pricebook built from them.
    pub fn reload_prices(&self) -> Result<()> {
        let mut prices = self.lock_writes();
        *prices = StoredPrices {
            lists: shared(self.pricing.price_lists()?),
            promotions: self.pricing.promotions()?,
        };
        let current = self.view();
        let index = current
            .index
            .with_products(Vec::new())
            .map_err(CatalogError::Inconsistent)?
            .0;
        self.swap(CatalogView {
            pricebook: pricebook(&index, &prices),
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

/// The pricebook of `index`'s products: their list prices as the base
/// lists, the stored lists and promotions, and each SKU's category path for
/// category promotions.
fn pricebook(index: &CatalogIndex, prices: &StoredPrices) -> Pricebook {
    let mut lists = shared(pricing::base_lists(index.products().map(|(_, p)| {
        (
            p.sku.as_str(),
            p.base_price.currency.as_str(),
            p.base_price.amount,
        )
    })));
    lists.extend(prices.lists.iter().map(Arc::clone));
    let paths: HashMap<String, Vec<String>> = index
        .products()
        .map(|(_, p)| (p.sku.clone(), index.path(p).to_vec()))
        .collect();
    Pricebook::from_shared(lists, prices.promotions.clone(), paths)
}

fn shared(lists: Vec<PriceList>) -> Vec<Arc<PriceList>> {
    lists.into_iter().map(Arc::new).collect()
}
