//! Quick order as a use case: the domain's checks run against the current
//! catalog view, the buyer's prices and the stock of every warehouse. The
//! catalog's QuickOrder, SubmitOrder's pasted lines and reorders all come
//! through here.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{Buyer, Catalog, Result};
use crate::service::inventory::Inventory;
use tradeport_domain::catalog::quick_order::{self, QuickOrderInput, QuickOrderLine};

impl Catalog {
    /// Checks and prices `inputs` for `buyer`, in `currency`.
    pub fn quick_order(
        &self,
        buyer: &Buyer,
        currency: &str,
        inputs: Vec<QuickOrderInput>,
        inventory: &Inventory,
    ) -> Result<Vec<QuickOrderLine>> {
        let view = self.view();
        let visible = Buyer::visible(Some(buyer), &view);
        let skus: Vec<String> = inputs
            .iter()
            .filter_map(|i| view.index.by_code(&i.code).map(|p| p.sku.clone()))
            .collect();
        let mut available: HashMap<String, Decimal> = HashMap::new();
        for level in inventory.levels_of(&skus)? {
            *available.entry(level.sku.clone()).or_default() += level.available();
        }
        let in_assortment = buyer.in_assortment(&view);
        let ctx = buyer.terms(currency, self.today(), &in_assortment);
        let stock = |sku: &str| available.get(sku).copied().unwrap_or_default();
        let prices = view.pricebook.for_customer(&ctx);
        Ok(quick_order::check_lines(
            &quick_order::QuickOrderContext {
                index: &view.index,
                prices: &prices,
                visible: &visible,
                available: &stock,
            },
            inputs,
        ))
    }
}
