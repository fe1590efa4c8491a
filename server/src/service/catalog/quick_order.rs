//! Quick order as a use case: the domain's checks run against the current
//! catalog view, the buyer's prices and the stock of every warehouse. The
//! catalog's QuickOrder, SubmitOrder's pasted lines and reorders all come
//! through here.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{Catalog, Result};
use crate::service::inventory::Inventory;
use tradeport_domain::catalog::Visible;
use tradeport_domain::catalog::quick_order::{self, QuickOrderInput, QuickOrderLine};
use tradeport_domain::identity::records::Account;
use tradeport_domain::pricing::PricingContext;

impl Catalog {
    /// Checks and prices `inputs` for `account`, in `currency`.
    pub fn quick_order(
        &self,
        account: &Account,
        currency: &str,
        inputs: Vec<QuickOrderInput>,
        inventory: &Inventory,
    ) -> Result<Vec<QuickOrderLine>> {
        let view = self.view();
        let visible = Visible::for_customer(&view.assortments, &account.id, &account.tier);
        let skus: Vec<String> = inputs
            .iter()
            .filter_map(|i| view.index.by_code(&i.code).map(|p| p.sku.clone()))
            .collect();
        let mut available: HashMap<String, Decimal> = HashMap::new();
        for level in inventory.levels_of(&skus)? {
            *available.entry(level.sku.clone()).or_default() += level.available();
        }
        let uses = self.pricing.promotion_uses(&account.id)?;
        let in_assortment = |sku: &str| view.index.sku_visible(sku, &visible);
        let ctx = PricingContext {
            account_id: &account.id,
            tier: &account.tier,
            currency,
            date: time::OffsetDateTime::now_utc().date(),
            promotion_uses: &uses,
            visible: &in_assortment,
        };
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
