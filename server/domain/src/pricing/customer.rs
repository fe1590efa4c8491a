//! One customer's prices. What of a pricebook can apply to a customer on a
//! date — the lists of their account, tier and currency that are valid, in
//! their currency and scope, and the promotions in their window, under the
//! customer's cap and aimed at them — does not depend on the SKU. Resolved
//! once, pricing each of a search's thousands of hits or a cart's lines
//! asks only which of those hold or target the SKU. The rules themselves
//! are the pricebook's one pricing function (`Pricebook::apply_rules`).

use rust_decimal::Decimal;

use super::compact::SkuId;
use super::pricebook::Pricebook;
use super::quote::{
    CartLine, CartQuote, Explanation, LineQuote, MAX_CART_AMOUNT, MAX_CART_LINES, PricingContext,
};
use super::rounding::round_money;
use crate::catalog::QuantityProblem;
use crate::catalog::quantity::MAX_LINE_QUANTITY;
use crate::decimal::parse_decimal;
use crate::{DomainError, FieldViolation};

/// Why a line has no price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceProblem {
    /// No such SKU for this customer: not in the catalog, or outside
    /// their assortment (which is the same to them).
    UnknownSku,
    /// The SKU is theirs, but no list prices it in their currency.
    NoPrice,
    /// The quantity cannot be priced: too large, or priced at nothing.
    Quantity(QuantityProblem),
}

/// What can apply to one customer on one date, as indexes into a
/// pricebook.
#[derive(Debug, Default)]
pub(super) struct Applicable {
    /// The lists that apply, by rank bucket: the customer's account lists
    /// (customer and contract), their tier's, the base lists of their
    /// currency.
    pub(super) lists: [Vec<usize>; 3],
    /// The promotions that may apply, in priority order, before asking
    /// whether they aim at a given SKU.
    pub(super) promotions: Vec<usize>,
}

/// A customer's prices from one pricebook (see
/// [`Pricebook::for_customer`]).
pub struct CustomerPrices<'a> {
    book: &'a Pricebook,
    ctx: &'a PricingContext<'a>,
    applicable: Applicable,
}

impl<'a> CustomerPrices<'a> {
    pub(super) fn new(book: &'a Pricebook, ctx: &'a PricingContext<'a>) -> Self {
        Self {
            book,
            ctx,
            applicable: book.applicable(ctx),
        }
    }

    /// The currency these prices are in.
    pub fn currency(&self) -> &str {
        self.ctx.currency
    }

    /// Prices `quantity` of `sku`, explaining every rule that applied;
    /// `None` when nothing prices it for this customer or the line does
    /// not come to an amount (see [`CustomerPrices::quote`]).
    pub fn price(&self, sku: &str, quantity: Decimal) -> Option<LineQuote> {
        self.quote(sku, quantity).ok()
    }

    /// Prices `quantity` of `sku`, explaining every rule that applied, or
    /// says why the line has no price: no such SKU, nothing prices it for
    /// this customer, the quantity is so large that the line comes to more
    /// than [`MAX_CART_AMOUNT`], or a priced line would round to nothing.
    pub fn quote(&self, sku: &str, quantity: Decimal) -> Result<LineQuote, PriceProblem> {
        let ctx = self.ctx;
        let mut explanation = Explanation::default();
        let id = self.book.sku_id(sku).ok_or(PriceProblem::UnknownSku)?;
        let priced = self
            .book
            .apply_rules(
                &self.applicable,
                ctx,
                (sku, id),
                quantity,
                Some(&mut explanation),
            )
            .ok_or(PriceProblem::NoPrice)?;
        let amount = |unit_price: Decimal| {
            unit_price
                .checked_mul(quantity)
                .map(|a| round_money(a, ctx.currency))
                .filter(|a| *a <= MAX_CART_AMOUNT)
                .ok_or(PriceProblem::Quantity(QuantityProblem::TooLargeToPrice))
        };
        let line_total = amount(priced.unit_price)?;
        let discount_total = amount(priced.list_unit_price)? - line_total;
        if line_total.is_zero() && !priced.unit_price.is_zero() {
            return Err(PriceProblem::Quantity(QuantityProblem::PricedAtNothing));
        }
        Ok(LineQuote {
            sku: sku.to_string(),
            quantity,
            list_unit_price: priced.list_unit_price,
            unit_price: priced.unit_price,
            line_total,
            discount_total,
            steps: explanation.steps,
            promotions: explanation.promotions,
        })
    }

    /// The net unit price of `quantity` of `sku`: exactly
    /// [`CustomerPrices::price`]'s `unit_price`, from the same rules,
    /// without building the explanation (search prices thousands of
    /// products).
    pub fn unit_price(&self, sku: &str, quantity: Decimal) -> Option<Decimal> {
        self.net((sku, self.book.sku_id(sku)?), quantity)
    }

    /// [`CustomerPrices::unit_price`] of the catalog product at `slot` of
    /// the catalog index this pricebook was made with, whose SKU is `sku`.
    pub fn unit_price_at(&self, slot: usize, sku: &str, quantity: Decimal) -> Option<Decimal> {
        self.net((sku, self.book.catalog_sku_id(slot, sku)?), quantity)
    }

    fn net(&self, sku: (&str, SkuId), quantity: Decimal) -> Option<Decimal> {
        self.book
            .apply_rules(&self.applicable, self.ctx, sku, quantity, None)
            .map(|p| p.unit_price)
    }

    /// The unit price at each volume break of the list that prices `sku`
    /// for this customer, ascending by quantity, the first from quantity
    /// 0: the price at a quantity is that of the last break at or below
    /// it, exactly as [`CustomerPrices::unit_price`] would answer. What a
    /// device needs to price any quantity offline. Empty when there is no
    /// price.
    pub fn price_breaks(&self, sku: &str) -> Vec<(Decimal, Decimal)> {
        let Some(breaks) = self.book.breaks_for(&self.applicable, self.ctx, sku) else {
            return Vec::new();
        };
        let mut quantities: Vec<Decimal> = breaks
            .iter()
            .map(|b| b.min_quantity)
            .filter(|q| !q.is_zero())
            .collect();
        quantities.sort();
        quantities.dedup();
        std::iter::once(Decimal::ZERO)
            .chain(quantities)
            .filter_map(|q| self.unit_price(sku, q).map(|price| (q, price)))
            .collect()
    }

    /// Prices a cart in one call; every bad line is reported by its index.
    pub fn price_cart(&self, lines: &[CartLine]) -> Result<CartQuote, DomainError> {
        let ctx = self.ctx;
        if lines.is_empty() {
            return Err(DomainError::invalid(
                "EMPTY_CART",
                "lines",
                "give at least one line",
            ));
        }
        if lines.len() > MAX_CART_LINES {
            return Err(DomainError::invalid(
                "CART_TOO_LARGE",
                "lines",
                format!("at most {MAX_CART_LINES} lines"),
            ));
        }
        let mut violations = Vec::new();
        let mut quotes = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let field = format!("lines[{i}].quantity");
            let quantity = match parse_decimal(&field, &line.quantity) {
                Ok(q) if q <= Decimal::ZERO => Err(QuantityProblem::NotPositive),
                Ok(q) if q > MAX_LINE_QUANTITY => Err(QuantityProblem::AboveLineLimit {
                    maximum: MAX_LINE_QUANTITY,
                }),
                Ok(q) => Ok(q),
                Err(DomainError::InvalidArgument { violations: v, .. }) => {
                    violations.extend(v);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let quote = quantity.map_err(PriceProblem::Quantity).and_then(|q| {
                if (ctx.visible)(&line.sku) {
                    self.quote(&line.sku, q)
                } else {
                    Err(PriceProblem::UnknownSku)
                }
            });
            match quote {
                Ok(quote) => quotes.push(quote),
                Err(PriceProblem::Quantity(problem)) => {
                    violations.push(FieldViolation::new(field, problem.describe()))
                }
                Err(PriceProblem::UnknownSku) => violations.push(FieldViolation::new(
                    format!("lines[{i}].sku"),
                    format!("unknown SKU {:?}", line.sku),
                )),
                Err(PriceProblem::NoPrice) => violations.push(FieldViolation::new(
                    format!("lines[{i}].sku"),
                    format!(
                        "{:?} has no {} price for this customer",
                        line.sku, ctx.currency
                    ),
                )),
            }
        }
        let subtotal = quotes
            .iter()
            .try_fold(Decimal::ZERO, |sum, q| sum.checked_add(q.line_total))
            .filter(|s| *s <= MAX_CART_AMOUNT);
        if subtotal.is_none() {
            violations.push(FieldViolation::new(
                "lines",
                format!(
                    "the lines come to more than {} {}, the most one cart may",
                    MAX_CART_AMOUNT, ctx.currency
                ),
            ));
        }
        let (Some(subtotal), true) = (subtotal, violations.is_empty()) else {
            return Err(DomainError::InvalidArgument {
                reason: "INVALID_CART",
                violations,
            });
        };
        // Each discount is at most its line's list amount: no overflow.
        let discount_total = quotes.iter().map(|q| q.discount_total).sum();
        Ok(CartQuote {
            currency: ctx.currency.to_string(),
            lines: quotes,
            subtotal,
            discount_total,
        })
    }
}
