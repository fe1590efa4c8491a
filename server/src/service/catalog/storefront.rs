//! The catalog as a caller browses and prices it: categories, search, a
//! product page, a cart's prices and a quick order. Each use case first
//! asks the permission rules whether the caller may browse (every
//! signed-in caller may; per-customer assortments narrow what they see),
//! then reads the current catalog view through the caller's [`Buyer`].
//! Today's prices are priced here, where the clock is read.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::Date;

use super::{Buyer, Catalog, CatalogView, Result};
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::quick_order::{self, QuickOrderLine};
use tradeport_domain::catalog::{Category, Facet, Product, SearchRequest};
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::paging::{Page, PageLimits};
use tradeport_domain::pricing::{self, CartLine, CartQuote, CustomerPrices, shown};

const CATEGORY_PAGES: PageLimits = PageLimits {
    default_size: 500,
    max_size: 1000,
};

/// A product as a reader is shown it.
#[derive(Debug, Clone)]
pub struct PricedProduct {
    pub product: Arc<Product>,
    /// Its category path, root first.
    pub path: Vec<String>,
    /// The price list currency and the caller's price of one unit; `None`
    /// for brand staff, who see list prices.
    pub your_price: Option<(String, Decimal)>,
    /// (minimum quantity, unit price), ascending from 0; empty unless
    /// asked for (the feed's copies hold them).
    pub price_breaks: Vec<(Decimal, Decimal)>,
}

impl PricedProduct {
    /// `product` of `view` at the reader's `prices` (none: brand staff).
    pub fn shown(
        view: &CatalogView,
        prices: Option<&CustomerPrices<'_>>,
        product: &Arc<Product>,
    ) -> Self {
        Self {
            product: Arc::clone(product),
            path: view.index.path(product).to_vec(),
            your_price: shown::your_price(prices, product),
            price_breaks: Vec::new(),
        }
    }

    /// The currency the caller's prices are in: their price list's, or
    /// the list price's for brand staff.
    pub fn currency(&self) -> &str {
        self.your_price
            .as_ref()
            .map_or(self.product.base_price.currency.as_str(), |(c, _)| c)
    }
}

/// One category as listed, depth first.
#[derive(Debug, Clone)]
pub struct CategoryEntry {
    pub category: Category,
    /// 0 for a root.
    pub depth: u32,
    pub product_count: u32,
}

#[derive(Debug, Clone)]
pub struct CategoryPage {
    pub categories: Vec<CategoryEntry>,
    pub next_page_token: String,
}

#[derive(Debug, Clone)]
pub struct ProductPage {
    pub products: Vec<PricedProduct>,
    pub next_page_token: String,
    pub total: usize,
    pub facets: Vec<Facet>,
}

/// A product page: the product and its sibling variants the caller sees.
#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub product: PricedProduct,
    pub variants: Vec<Arc<Product>>,
}

/// A cart priced on the day asked for.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub quote: CartQuote,
    pub price_date: Date,
}

/// The browsing and pricing use cases over the shared catalog.
pub struct Storefront {
    catalog: Arc<Catalog>,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
}

impl Storefront {
    pub fn new(catalog: Arc<Catalog>, identity: Arc<Identity>, inventory: Arc<Inventory>) -> Self {
        Self {
            catalog,
            identity,
            inventory,
        }
    }

    /// The category tree, depth first, a page at a time.
    pub fn categories(
        &self,
        caller: &Caller,
        page_size: i32,
        page_token: &str,
    ) -> Result<CategoryPage> {
        may_browse(caller)?;
        let page = Page::parse(page_size, page_token, 0, CATEGORY_PAGES)?;
        let view = self.catalog.view();
        let index = &view.index;
        let tree = index.tree();
        let categories = tree
            .depth_first()
            .skip(page.offset)
            .take(page.size)
            .map(|(c, depth)| CategoryEntry {
                category: c.clone(),
                depth,
                product_count: index.product_count(&c.id),
            })
            .collect();
        Ok(CategoryPage {
            categories,
            next_page_token: page.next_token(tree.len()),
        })
    }

    /// Searches what the caller sees, priced as they buy.
    pub fn search(&self, caller: &Caller, request: &SearchRequest) -> Result<ProductPage> {
        may_browse(caller)?;
        let view = self.catalog.view();
        let buyer = Buyer::of(caller, &self.identity, &self.catalog)?;
        let visible = Buyer::visible(buyer.as_ref(), &view);
        let terms = buyer.as_ref().map(|b| b.own_terms(self.catalog.today()));
        let prices = terms.as_ref().map(|t| view.pricebook.for_customer(t));
        let price = |slot: usize, p: &Product| shown::unit_price(prices.as_ref(), Some(slot), p);
        let in_stock = |sku: &str, warehouse: &str| self.inventory.has_available(sku, warehouse);
        let results = self
            .catalog
            .search(&view, request, &visible, &price, &in_stock)?;
        Ok(ProductPage {
            products: results
                .products
                .iter()
                .map(|p| PricedProduct::shown(&view, prices.as_ref(), p))
                .collect(),
            next_page_token: results.next_page_token,
            total: results.total,
            facets: results.facets,
        })
    }

    /// One product the caller sees, with its variants; one they may not
    /// see is NOT_FOUND, as a missing one.
    pub fn product(&self, caller: &Caller, id: &str) -> Result<ProductDetail> {
        may_browse(caller)?;
        if id.trim().is_empty() {
            return Err(DomainError::invalid("MISSING_ID", "id", "is required").into());
        }
        let view = self.catalog.view();
        let buyer = Buyer::of(caller, &self.identity, &self.catalog)?;
        let visible = Buyer::visible(buyer.as_ref(), &view);
        let index = &view.index;
        let product = index
            .get(id)
            .filter(|p| index.may_see(p, &visible))
            .ok_or_else(|| DomainError::NotFound {
                resource: "product",
                id: id.to_string(),
            })?;
        let terms = buyer.as_ref().map(|b| b.own_terms(self.catalog.today()));
        let prices = terms.as_ref().map(|t| view.pricebook.for_customer(t));
        Ok(ProductDetail {
            product: PricedProduct::shown(&view, prices.as_ref(), product),
            variants: index
                .variants(product, &visible)
                .into_iter()
                .map(Arc::clone)
                .collect(),
        })
    }

    /// Prices a cart at the caller's customer's terms, in `currency_code`
    /// (empty: the account's) on `price_date` (empty: today).
    pub fn price_cart(
        &self,
        caller: &Caller,
        currency_code: &str,
        price_date: &str,
        lines: &[CartLine],
    ) -> Result<PricedCart> {
        may_browse(caller)?;
        let buyer = self.buyer_required(
            caller,
            "prices are a customer's: act on behalf of a customer account",
        )?;
        let currency = pricing::cart_currency(currency_code, &buyer.account.currency);
        let date = pricing::price_date("price_date", price_date, self.catalog.today())?;
        let view = self.catalog.view();
        let in_assortment = buyer.in_assortment(&view);
        let ctx = buyer.terms(&currency, date, &in_assortment);
        let quote = view.pricebook.price_cart(&ctx, lines)?;
        Ok(PricedCart {
            quote,
            price_date: date,
        })
    }

    /// Checks and prices a quick order, typed `lines` (code, quantity,
    /// unit) or pasted `text`, in `currency_code` (empty: the account's);
    /// the lines and the currency they are priced in.
    pub fn quick_order(
        &self,
        caller: &Caller,
        text: &str,
        lines: Vec<(String, String, String)>,
        currency_code: &str,
    ) -> Result<(Vec<QuickOrderLine>, String)> {
        may_browse(caller)?;
        let buyer = self.buyer_required(
            caller,
            "a quick order is a customer's: act on behalf of a customer account",
        )?;
        let inputs = quick_order::inputs(text, lines)?;
        let currency = pricing::cart_currency(currency_code, &buyer.account.currency);
        let lines = self
            .catalog
            .quick_order(&buyer, &currency, inputs, &self.inventory)?;
        Ok((lines, currency))
    }

    /// The customer the caller buys for; `why` a caller buying for nobody
    /// (brand staff as themselves) must act for one.
    fn buyer_required(&self, caller: &Caller, why: &str) -> Result<Buyer> {
        Buyer::of(caller, &self.identity, &self.catalog)?.ok_or_else(|| {
            DomainError::invalid("ACCOUNT_REQUIRED", "x-tradeport-on-behalf-of", why).into()
        })
    }
}

/// Every signed-in caller may browse.
fn may_browse(caller: &Caller) -> Result<()> {
    Ok(caller.authorize_action(Action::CatalogRead)?)
}
