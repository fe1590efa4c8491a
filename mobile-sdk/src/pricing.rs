//! Offline prices: the caller's unit price at a quantity from the volume
//! breaks the reference-data feed delivered, and the line total rounded as
//! the server rounds it. Decimal arithmetic only, never floats.
//!
//! This is what the device shows and sends back as the expected price; it
//! never decides an order's price. The server re-prices every submission
//! and refuses it, naming the line, when the price the person saw no longer
//! holds. The rules it applies — which break prices a quantity, how amounts
//! round in each currency, how decimals are read, what quantity can be
//! priced — are the domain's own (`tradeport_domain`), so a device never
//! shows a price by other rules than the server charges by.

use rust_decimal::Decimal;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::{self as domain, QuantityProblem};
use tradeport_domain::decimal::parse_decimal;
use tradeport_domain::pricing::{PriceBreak, round_money};
use tradeport_proto::common::Money;
use tradeport_proto::sync::ProductEntry;

use crate::Error;

/// A product's price at a quantity, from the local copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// The product priced.
    pub sku: String,
    /// ISO 4217 currency of both amounts, e.g. `EUR`.
    pub currency_code: String,
    /// The quantity priced, in the product's unit (pieces, metres, ...).
    pub quantity: Decimal,
    /// The caller's price for one unit at this quantity, in
    /// `currency_code`: send it as the line's expected unit price.
    pub unit_price: Decimal,
    /// `unit_price × quantity`, rounded to the currency's minor unit.
    pub line_total: Decimal,
    /// The minimum quantity of the break that applied; zero when the price
    /// came from the product's own price at quantity one.
    pub break_min_quantity: Decimal,
}

/// A decimal the server sent, read by the domain's rules; `what` names it
/// should it be unreadable.
fn decimal(text: &str, what: impl Fn() -> String) -> Result<Decimal, Error> {
    parse_decimal("", text).map_err(|e| Error::Corrupt {
        what: what(),
        reason: match e {
            DomainError::InvalidArgument { violations, .. } => violations
                .into_iter()
                .map(|v| v.description)
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        },
    })
}

fn money(m: &Money, what: impl Fn() -> String) -> Result<domain::Money, Error> {
    Ok(domain::Money {
        amount: decimal(&m.amount, what)?,
        currency: m.currency_code.clone(),
    })
}

/// One break as the feed sent it: the domain's break, and its currency.
struct LocalBreak {
    price_break: PriceBreak,
    currency: String,
}

impl std::borrow::Borrow<PriceBreak> for LocalBreak {
    fn borrow(&self) -> &PriceBreak {
        &self.price_break
    }
}

/// `quantity` refused as the domain's quantity rules put it.
fn refused(problem: &QuantityProblem, quantity: Decimal) -> Error {
    Error::InvalidArgument {
        field: "quantity",
        reason: format!("{}, got {quantity}", problem.describe()),
    }
}

/// The price at `quantity`: that of the break the domain's rule picks
/// ([`PriceBreak::applying`]). A product with no breaks falls back to its
/// `your_price` (the caller's price at quantity one). `None` when no price
/// applies: nothing for this caller, or a quantity below every break.
pub(crate) fn price_at(entry: &ProductEntry, quantity: Decimal) -> Result<Option<Price>, Error> {
    if quantity <= Decimal::ZERO {
        return Err(refused(&QuantityProblem::NotPositive, quantity));
    }
    let sku = entry
        .product
        .as_ref()
        .map(|p| p.sku.clone())
        .unwrap_or_default();
    let mut breaks = Vec::with_capacity(entry.price_breaks.len());
    for (i, brk) in entry.price_breaks.iter().enumerate() {
        let what = || format!("price break {i} of {sku}");
        let min_quantity = decimal(&brk.min_quantity, what)?;
        let Some(unit) = &brk.unit_price else {
            return Err(Error::Corrupt {
                what: what(),
                reason: "no unit price".into(),
            });
        };
        let unit = money(unit, what)?;
        breaks.push(LocalBreak {
            price_break: PriceBreak {
                min_quantity,
                unit_price: unit.amount,
            },
            currency: unit.currency,
        });
    }
    if breaks.is_empty()
        && let Some(your) = entry.product.as_ref().and_then(|p| p.your_price.as_ref())
        && !your.amount.is_empty()
    {
        let your = money(your, || format!("your price of {sku}"))?;
        breaks.push(LocalBreak {
            price_break: PriceBreak {
                min_quantity: Decimal::ZERO,
                unit_price: your.amount,
            },
            currency: your.currency,
        });
    }
    let Some(applying) = PriceBreak::applying(&breaks, quantity) else {
        return Ok(None);
    };
    let PriceBreak {
        min_quantity,
        unit_price,
    } = applying.price_break;
    let line_total = unit_price
        .checked_mul(quantity)
        .map(|amount| round_money(amount, &applying.currency))
        .ok_or_else(|| refused(&QuantityProblem::TooLargeToPrice, quantity))?;
    Ok(Some(Price {
        sku,
        currency_code: applying.currency.clone(),
        quantity,
        unit_price,
        line_total,
        break_min_quantity: min_quantity,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use tradeport_proto::catalog::Product;
    use tradeport_proto::sync::PriceBreak;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn eur(amount: &str) -> Option<Money> {
        Some(Money {
            currency_code: "EUR".into(),
            amount: amount.into(),
        })
    }

    pub(crate) fn entry(sku: &str, breaks: &[(&str, &str)]) -> ProductEntry {
        ProductEntry {
            product: Some(Product {
                id: format!("prd-{sku}"),
                sku: sku.into(),
                ..Default::default()
            }),
            price_breaks: breaks
                .iter()
                .map(|(min, price)| PriceBreak {
                    min_quantity: (*min).into(),
                    unit_price: eur(price),
                })
                .collect(),
        }
    }

    #[test]
    fn the_last_break_at_or_below_the_quantity_applies() {
        let e = entry("A", &[("1", "10.00"), ("10", "9.00"), ("100", "7.50")]);
        let at = |q: &str| price_at(&e, d(q)).unwrap().unwrap();
        assert_eq!(at("1").unit_price, d("10.00"));
        assert_eq!(at("9.999").unit_price, d("10.00"));
        assert_eq!(at("10").unit_price, d("9.00"));
        assert_eq!(at("99").unit_price, d("9.00"));
        let big = at("250");
        assert_eq!(big.unit_price, d("7.50"));
        assert_eq!(big.break_min_quantity, d("100"));
        assert_eq!(big.line_total, d("1875.00"));
        assert_eq!(big.currency_code, "EUR");
        // Below the first break there is no price.
        assert_eq!(price_at(&e, d("0.5")).unwrap(), None);
    }

    #[test]
    fn line_totals_round_half_away_from_zero_and_fractions_stay_exact() {
        // 0.005 is a midpoint: away from zero, not to the even cent.
        let e = entry("G", &[("0", "0.005")]);
        assert_eq!(price_at(&e, d("1")).unwrap().unwrap().line_total, d("0.01"));
        let e = entry("KG", &[("0", "3.333")]);
        let p = price_at(&e, d("1.5")).unwrap().unwrap();
        assert_eq!(p.unit_price * p.quantity, d("4.9995"));
        assert_eq!(p.line_total, d("5.00"));
        let e = entry("M", &[("0", "0.10")]);
        assert_eq!(
            price_at(&e, d("0.3")).unwrap().unwrap().line_total,
            d("0.03")
        );
    }

    #[test]
    fn no_breaks_falls_back_to_your_price_and_bad_input_is_refused() {
        let mut e = entry("B", &[]);
        assert_eq!(price_at(&e, d("2")).unwrap(), None);
        e.product.as_mut().unwrap().your_price = eur("4.20");
        let p = price_at(&e, d("2")).unwrap().unwrap();
        assert_eq!((p.unit_price, p.line_total), (d("4.20"), d("8.40")));

        assert!(matches!(
            price_at(&e, Decimal::ZERO),
            Err(Error::InvalidArgument {
                field: "quantity",
                ..
            })
        ));
        let broken = entry("C", &[("1", "ten")]);
        assert!(matches!(
            price_at(&broken, d("1")),
            Err(Error::Corrupt { .. })
        ));
    }
}
