//! Whom a catalog reader buys for: the customer account behind a caller,
//! what they may see and the terms they are priced at. Search, product
//! pages, cart pricing, quick orders, order submission and the
//! reference-data feed all start here, so a product and its price never
//! differ between them: [`Buyer::terms`] is the one place pricing terms
//! are made. Decides nothing about who may call what: the use cases
//! authorise their callers before they get here.

use std::collections::HashMap;

use time::Date;

use super::{Catalog, CatalogView, Result};
use crate::service::identity::Identity;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::Visible;
use tradeport_domain::identity::Caller;
use tradeport_domain::identity::records::Account;
use tradeport_domain::pricing::PricingContext;

/// A customer account the caller buys for, with what pricing needs of it.
pub struct Buyer {
    pub account: Account,
    pub currency: String,
    pub promotion_uses: HashMap<String, u32>,
}

/// Every SKU: search and the feed check the assortment themselves.
const EVERYTHING: &(dyn Fn(&str) -> bool + Sync) = &|_: &str| true;

impl Buyer {
    /// The account the caller acts for, if any (brand staff browse as
    /// themselves and see list prices).
    pub fn of(caller: &Caller, identity: &Identity, catalog: &Catalog) -> Result<Option<Self>> {
        let Some(account_id) = caller.acting_account() else {
            return Ok(None);
        };
        let account =
            identity
                .account_record(account_id)?
                .ok_or_else(|| DomainError::NotFound {
                    resource: "account",
                    id: account_id.to_string(),
                })?;
        Self::for_account(account, catalog).map(Some)
    }

    /// The buyer behind `account`, already loaded.
    pub fn for_account(account: Account, catalog: &Catalog) -> Result<Self> {
        let promotion_uses = catalog.pricing().promotion_uses(&account.id)?;
        Ok(Self {
            currency: account.currency.clone(),
            account,
            promotion_uses,
        })
    }

    /// What `buyer` may see: brand staff (no buyer) everything, a
    /// customer (or someone acting for one) their assortments.
    pub fn visible(buyer: Option<&Self>, view: &CatalogView) -> Visible {
        match buyer {
            None => Visible::Everything,
            Some(b) => Visible::for_customer(&view.assortments, &b.account.id, &b.account.tier),
        }
    }

    /// Whether the buyer's assortment in `view` holds a SKU: outside it, a
    /// SKU has no price for them.
    pub fn in_assortment<'v>(&self, view: &'v CatalogView) -> impl Fn(&str) -> bool + Sync + 'v {
        let visible = Self::visible(Some(self), view);
        move |sku: &str| view.index.sku_visible(sku, &visible)
    }

    /// The buyer's terms on `date` in `currency`, for the SKUs `visible`
    /// holds.
    pub fn terms<'a>(
        &'a self,
        currency: &'a str,
        date: Date,
        visible: &'a (dyn Fn(&str) -> bool + Sync),
    ) -> PricingContext<'a> {
        PricingContext {
            account_id: &self.account.id,
            tier: &self.account.tier,
            currency,
            date,
            promotion_uses: &self.promotion_uses,
            visible,
        }
    }

    /// The buyer's terms on `date` in their own currency, for pricing
    /// what the caller already knows they may see (search, product pages,
    /// the feed).
    pub fn own_terms(&self, date: Date) -> PricingContext<'_> {
        self.terms(&self.currency, date, EVERYTHING)
    }
}
