//! Whom a catalog reader buys for: the customer account behind a caller,
//! what they may see and the terms they are priced at. Search, product
//! pages, cart pricing and the reference-data feed all start here, so a
//! product and its price never differ between them. Decides nothing about
//! who may call what: callers are authorised before they get here.

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
        let promotion_uses = catalog.pricing().promotion_uses(&account.id)?;
        Ok(Some(Self {
            currency: account.currency.clone(),
            account,
            promotion_uses,
        }))
    }

    /// What `buyer` may see: brand staff (no buyer) everything, a
    /// customer (or someone acting for one) their assortments.
    pub fn visible(buyer: Option<&Self>, view: &CatalogView) -> Visible {
        match buyer {
            None => Visible::Everything,
            Some(b) => Visible::for_customer(&view.assortments, &b.account.id, &b.account.tier),
        }
    }

    /// The buyer's terms on `date` in their own currency, for pricing
    /// what the caller already knows they may see.
    pub fn terms(&self, date: Date) -> PricingContext<'_> {
        PricingContext {
            account_id: &self.account.id,
            tier: &self.account.tier,
            currency: &self.currency,
            date,
            promotion_uses: &self.promotion_uses,
            visible: EVERYTHING,
        }
    }
}
