//! The price a catalog reader is shown for one unit of a product. A
//! customer, or a rep acting for one, sees their own net price; brand
//! staff buy for no account, so they have no customer prices and see the
//! list price. Search (which also sorts and filters by it), product pages
//! and the reference-data feed all show prices through here.

use rust_decimal::Decimal;

use super::CustomerPrices;
use crate::catalog::Product;

/// What one unit of `product` costs the reader at `prices` (none: brand
/// staff, who see the list price). `slot`, the product's in the catalog
/// index, when known: pricing by slot spares hashing its SKU.
pub fn unit_price(
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

/// The reader's own price of one unit of `product`, in its price list's
/// currency: none for brand staff (they are shown the list price the
/// product carries), and none where the customer has no price.
pub fn your_price(
    prices: Option<&CustomerPrices<'_>>,
    product: &Product,
) -> Option<(String, Decimal)> {
    let prices = prices?;
    unit_price(Some(prices), None, product).map(|price| (prices.currency().to_string(), price))
}
