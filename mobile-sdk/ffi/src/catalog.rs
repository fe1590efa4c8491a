//! The local catalog: search, products with the person's price breaks,
//! prices at a quantity and stock, all answered offline. Decimals travel
//! as their text (`"12.50"`), exactly as the SDK and the server write them.

use tradeport_mobile::proto::catalog as catalog_pb;
use tradeport_mobile::proto::common as common_pb;
use tradeport_mobile::proto::sync as sync_pb;

use crate::device::Device;
use crate::error::{TradeportError, quantity};

/// An amount in a currency; `amount` is a decimal string.
#[derive(Debug, uniffi::Record)]
pub struct Money {
    pub currency_code: String,
    pub amount: String,
}

pub(crate) fn money(m: Option<common_pb::Money>) -> Option<Money> {
    m.map(|m| Money {
        currency_code: m.currency_code,
        amount: m.amount,
    })
}

/// Why a product is in the search results, best first.
#[derive(Debug, uniffi::Enum)]
pub enum MatchKind {
    /// The query is the product's SKU or barcode.
    ExactCode,
    /// The product's SKU starts with the query.
    SkuPrefix,
    /// Every query word starts a word of the name, SKU or barcode.
    Words,
}

/// One search result; the full product is [`Device::product`].
#[derive(Debug, uniffi::Record)]
pub struct SearchHit {
    pub id: String,
    pub sku: String,
    pub barcode: String,
    pub name: String,
    pub matched: MatchKind,
}

impl From<tradeport_mobile::SearchHit> for SearchHit {
    fn from(h: tradeport_mobile::SearchHit) -> Self {
        Self {
            id: h.id,
            sku: h.sku,
            barcode: h.barcode,
            name: h.name,
            matched: match h.matched {
                tradeport_mobile::MatchKind::ExactCode => MatchKind::ExactCode,
                tradeport_mobile::MatchKind::SkuPrefix => MatchKind::SkuPrefix,
                tradeport_mobile::MatchKind::Words => MatchKind::Words,
            },
        }
    }
}

/// The person's unit price from a minimum quantity on.
#[derive(Debug, uniffi::Record)]
pub struct PriceBreak {
    pub min_quantity: String,
    pub unit_price: Option<Money>,
}

/// A product of the local catalog, with the person's price breaks.
#[derive(Debug, uniffi::Record)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub barcode: String,
    pub name: String,
    pub description: String,
    pub category_id: String,
    pub category_path: Vec<String>,
    pub image_urls: Vec<String>,
    /// The person's price for one unit.
    pub your_price: Option<Money>,
    pub base_price: Option<Money>,
    /// Ascending by minimum quantity.
    pub price_breaks: Vec<PriceBreak>,
}

impl From<sync_pb::ProductEntry> for Product {
    fn from(entry: sync_pb::ProductEntry) -> Self {
        let p = entry.product.unwrap_or_default();
        Self {
            id: p.id,
            sku: p.sku,
            barcode: p.barcode,
            name: p.name,
            description: p.description,
            category_id: p.category_id,
            category_path: p.category_path,
            image_urls: p.image_urls,
            your_price: money(p.your_price),
            base_price: money(p.base_price),
            price_breaks: entry
                .price_breaks
                .into_iter()
                .map(|b| PriceBreak {
                    min_quantity: b.min_quantity,
                    unit_price: money(b.unit_price),
                })
                .collect(),
        }
    }
}

/// A product's price at a quantity, from the local copy.
#[derive(Debug, uniffi::Record)]
pub struct Price {
    pub sku: String,
    pub currency_code: String,
    pub quantity: String,
    pub unit_price: String,
    /// `unit_price × quantity`, rounded to the currency's minor unit.
    pub line_total: String,
    /// The minimum quantity of the break that applied; "0" when the
    /// product's own price applied.
    pub break_min_quantity: String,
}

impl From<tradeport_mobile::Price> for Price {
    fn from(p: tradeport_mobile::Price) -> Self {
        Self {
            sku: p.sku,
            currency_code: p.currency_code,
            quantity: p.quantity.to_string(),
            unit_price: p.unit_price.to_string(),
            line_total: p.line_total.to_string(),
            break_min_quantity: p.break_min_quantity.to_string(),
        }
    }
}

/// A SKU's stock in one warehouse, as last synced; decimal strings.
#[derive(Debug, uniffi::Record)]
pub struct StockLevel {
    pub sku: String,
    pub warehouse_id: String,
    pub on_hand: String,
    pub reserved: String,
    pub available: String,
}

impl From<catalog_pb::StockLevel> for StockLevel {
    fn from(s: catalog_pb::StockLevel) -> Self {
        Self {
            sku: s.sku,
            warehouse_id: s.warehouse_id,
            on_hand: s.on_hand,
            reserved: s.reserved,
            available: s.available,
        }
    }
}

#[uniffi::export]
impl Device {
    /// Searches the local catalog: exact SKU or barcode first, then SKU
    /// prefixes, then products whose words start with every query word.
    pub fn search(&self, query: String, limit: u32) -> Result<Vec<SearchHit>, TradeportError> {
        let hits = self.sdk()?.search(&query, limit as usize);
        Ok(hits.into_iter().map(Into::into).collect())
    }

    /// A product of the local catalog by its id or SKU.
    pub fn product(&self, id_or_sku: String) -> Result<Option<Product>, TradeportError> {
        Ok(self.sdk()?.product(&id_or_sku)?.map(Into::into))
    }

    /// The person's price for `quantity` (a decimal string) of `sku`;
    /// `None` when the local copy holds no price for it.
    pub fn price(&self, sku: String, quantity: String) -> Result<Option<Price>, TradeportError> {
        let quantity = self::quantity(&quantity)?;
        Ok(self.sdk()?.price(&sku, quantity)?.map(Into::into))
    }

    /// The SKU's stock in each warehouse, as last synced.
    pub fn stock(&self, sku: String) -> Result<Vec<StockLevel>, TradeportError> {
        Ok(self
            .sdk()?
            .stock(&sku)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
