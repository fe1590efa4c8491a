//! Pricing: what a customer pays for a quantity of a SKU on a date, and
//! why. One engine prices search results, carts and (later) orders, so a
//! price never differs between where it is shown and where it is charged.
//!
//! Precedence, highest first: the customer's contract price list, their
//! customer-specific list, their tier's list, the base list — each only
//! within its validity window (both ends inclusive) and currency. Within
//! the chosen list the volume break for the quantity applies. Promotions
//! then reduce the price: every eligible stackable promotion applies in
//! priority order, or the best single exclusive one if that is cheaper.
//! Every step is recorded, so the customer sees which rule gave the price.

mod breaks;
mod compact;
mod customer;
mod pricebook;
mod quote;
mod rounding;
pub mod shown;

pub use customer::{CustomerPrices, PriceProblem};
pub use pricebook::{CatalogPrice, ListLoader, Pricebook};
pub use quote::{
    CartLine, CartQuote, LineQuote, MAX_CART_AMOUNT, MAX_CART_LINES, PricingContext, PricingStep,
    StepKind,
};
pub use rounding::{minor_units, round_money};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

/// Whose prices a list holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PriceListScope {
    Base,
    Tier(String),
    Customer(String),
    Contract {
        account_id: String,
        contract_id: String,
    },
}

impl PriceListScope {
    /// Higher wins.
    fn rank(&self) -> u8 {
        match self {
            PriceListScope::Base => 1,
            PriceListScope::Tier(_) => 2,
            PriceListScope::Customer(_) => 3,
            PriceListScope::Contract { .. } => 4,
        }
    }
}

/// A unit price from a quantity on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceBreak {
    pub min_quantity: Decimal,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceList {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub scope: PriceListScope,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    /// SKU → breaks; a SKU's first break normally starts at quantity 0.
    pub entries: std::collections::BTreeMap<String, Vec<PriceBreak>>,
}

impl PriceList {
    /// Whether the list applies on `date` (both ends inclusive).
    pub fn valid_on(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|from| date >= from)
            && self.valid_until.is_none_or(|until| date <= until)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PromotionTarget {
    /// Products in these categories or below them.
    Categories(Vec<String>),
    Skus(Vec<String>),
    /// Customers of these tiers.
    AccountGroups(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// Percent off, e.g. 10 for 10 %.
    Percent(Decimal),
    /// Amount off each unit, in the promotion's currency.
    AmountOff(Decimal),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub target: PromotionTarget,
    pub discount: Discount,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    /// An exclusive promotion never combines with another.
    pub exclusive: bool,
    /// Higher applies first.
    pub priority: u32,
    /// How many orders of one customer may use it.
    pub per_customer_cap: Option<u32>,
}

impl Promotion {
    /// Whether the promotion runs on `date` (both ends inclusive).
    pub fn valid_on(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|from| date >= from)
            && self.valid_until.is_none_or(|until| date <= until)
    }

    /// Whether a customer who has used it `uses` times may use it again.
    pub fn under_cap(&self, uses: u32) -> bool {
        self.per_customer_cap.is_none_or(|cap| uses < cap)
    }
}

/// The currency to price in: the one asked for, or the account's own.
pub fn cart_currency(requested: &str, account_currency: &str) -> String {
    match requested.trim() {
        "" => account_currency.to_string(),
        code => code.to_uppercase(),
    }
}

/// The day to price for: `raw` as "YYYY-MM-DD", or `today` when empty.
pub fn price_date(field: &str, raw: &str, today: Date) -> Result<Date, crate::DomainError> {
    if raw.trim().is_empty() {
        return Ok(today);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), format).map_err(|e| {
        crate::DomainError::invalid(
            "INVALID_DATE",
            field,
            format!("{raw:?} is not a date like \"2026-11-24\": {e}"),
        )
    })
}

/// The base price lists implied by products' list prices, one per currency:
/// the catalog's list price is the base price, kept in one place.
pub fn base_lists<'a>(
    products: impl Iterator<Item = (&'a str, &'a str, Decimal)>,
) -> Vec<PriceList> {
    let mut by_currency: std::collections::BTreeMap<String, PriceList> =
        std::collections::BTreeMap::new();
    for (sku, currency, price) in products {
        by_currency
            .entry(currency.to_string())
            .or_insert_with(|| pricebook::base_terms(currency))
            .entries
            .insert(sku.to_string(), pricebook::list_price_break(price));
    }
    by_currency.into_values().collect()
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn carts_price_in_the_account_currency_unless_asked() {
        assert_eq!(cart_currency("", "EUR"), "EUR");
        assert_eq!(cart_currency(" usd ", "EUR"), "USD");
    }

    #[test]
    fn dates_parse_or_default_to_today() {
        let today = Date::from_calendar_date(2026, time::Month::November, 24).unwrap();
        assert_eq!(price_date("price_date", "", today).unwrap(), today);
        assert_eq!(
            price_date("price_date", "2026-06-30", today).unwrap(),
            Date::from_calendar_date(2026, time::Month::June, 30).unwrap()
        );
        for bad in ["2026-13-01", "24.11.2026", "2026-02-30"] {
            assert!(price_date("price_date", bad, today).is_err(), "{bad}");
        }
    }
}
