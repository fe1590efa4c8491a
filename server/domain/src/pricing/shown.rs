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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use rust_decimal_macros::dec;

    use super::*;
    use crate::pricing::{PriceBreak, PriceList, PriceListScope, Pricebook, PricingContext};

    #[test]
    fn brand_staff_see_the_list_price_and_customers_their_own() {
        let product = Product::for_tests("prd-1", "SKU-1", "tools", dec!(10));
        let currency = product.base_price.currency.clone();
        let list = PriceList {
            id: "pl-acc-1".into(),
            name: "Yours".into(),
            currency: currency.clone(),
            scope: PriceListScope::Customer("acc-1".into()),
            valid_from: None,
            valid_until: None,
            entries: BTreeMap::from([(
                "SKU-1".to_string(),
                vec![PriceBreak {
                    min_quantity: dec!(0),
                    unit_price: dec!(8),
                }],
            )]),
        };
        let book = Pricebook::new(vec![list], Vec::new(), HashMap::new());
        let uses = HashMap::new();
        let everything = |_: &str| true;
        let ctx = PricingContext {
            account_id: "acc-1",
            tier: "standard",
            currency: &currency,
            date: time::macros::date!(2026 - 06 - 01),
            promotion_uses: &uses,
            visible: &everything,
        };
        let prices = book.for_customer(&ctx);
        assert_eq!(unit_price(None, None, &product), Some(dec!(10)));
        assert_eq!(your_price(None, &product), None);
        assert_eq!(unit_price(Some(&prices), None, &product), Some(dec!(8)));
        assert_eq!(
            your_price(Some(&prices), &product),
            Some((currency, dec!(8)))
        );
    }
}
