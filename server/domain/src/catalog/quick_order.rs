//! Quick order: lines pasted from a spreadsheet or an e-mail (SKU or
//! barcode, quantity, optional unit) turned into priced, checked lines, each
//! with every problem it has, ready to become a draft. A quick order never
//! fails as a whole for a bad line: the buyer fixes lines, not files.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::quantity::MAX_LINE_QUANTITY;
use super::{CatalogIndex, Product, QuantityProblem, Visible};
use crate::DomainError;
use crate::decimal::parse_decimal;
use crate::pricing::{CustomerPrices, LineQuote, PriceProblem};

/// Lines one quick order may hold.
pub const MAX_LINES: usize = 1000;

/// A line as the buyer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickOrderInput {
    /// 1-based, as the buyer counts lines in what they pasted.
    pub line_number: u32,
    pub code: String,
    pub quantity: String,
    /// Empty for the product's sales unit.
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    UnknownCode,
    BadQuantity {
        description: String,
    },
    UnknownUnit {
        unit: String,
    },
    NotInAssortment,
    Discontinued {
        successor_sku: Option<String>,
    },
    Quantity(QuantityProblem),
    NoPrice {
        currency: String,
    },
    /// Not blocking: the line can still be ordered, for later delivery.
    ShortOnStock {
        available: Decimal,
    },
}

impl LineProblem {
    /// Whether the line cannot be ordered as it stands.
    pub fn blocking(&self) -> bool {
        !matches!(self, LineProblem::ShortOnStock { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::UnknownCode => "no product has this SKU or barcode".into(),
            Self::BadQuantity { description } => description.clone(),
            Self::UnknownUnit { unit } => format!("the product is not sold in unit {unit:?}"),
            Self::NotInAssortment => "not in your assortment".into(),
            Self::Discontinued {
                successor_sku: Some(sku),
            } => format!("discontinued; order {sku} instead"),
            Self::Discontinued {
                successor_sku: None,
            } => "discontinued".into(),
            Self::Quantity(problem) => format!("quantity {}", problem.describe()),
            Self::NoPrice { currency } => format!("has no {currency} price for you"),
            Self::ShortOnStock { available } => format!(
                "only {} available now; the rest follows when restocked",
                available.normalize()
            ),
        }
    }
}

/// A checked line.
#[derive(Debug, Clone)]
pub struct QuickOrderLine {
    pub input: QuickOrderInput,
    /// The product, once the code is known and visible to the buyer.
    pub product: Option<Arc<Product>>,
    /// The quantity in the product's sales unit.
    pub quantity: Option<Decimal>,
    pub quote: Option<LineQuote>,
    pub problems: Vec<LineProblem>,
}

impl QuickOrderLine {
    pub fn orderable(&self) -> bool {
        !self.problems.iter().any(LineProblem::blocking)
    }
}

/// What a checked quick order comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuickOrderTotals {
    pub orderable_lines: usize,
    pub blocked_lines: usize,
    /// The orderable lines' net total: what ordering them would cost
    /// before tax. A blocked line counts for nothing, priced or not.
    pub subtotal: Decimal,
}

pub fn totals(lines: &[QuickOrderLine]) -> QuickOrderTotals {
    let orderable = || lines.iter().filter(|l| l.orderable());
    let orderable_lines = orderable().count();
    QuickOrderTotals {
        orderable_lines,
        blocked_lines: lines.len() - orderable_lines,
        subtotal: orderable()
            .filter_map(|l| l.quote.as_ref().map(|q| q.line_total))
            .sum(),
    }
}

const HEADER_WORDS: &[&str] = &["sku", "code", "barcode", "item", "article", "ean", "gtin"];

/// Splits pasted text into lines: one item per line, fields separated by a
/// tab, comma, semicolon or spaces (what spreadsheets and mail clients
/// produce). A first line that is a header ("SKU;Quantity") is skipped.
pub fn parse_pasted(text: &str) -> Result<Vec<QuickOrderInput>, DomainError> {
    let mut inputs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line
            .split(|c: char| c == '\t' || c == ',' || c == ';' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        let Some(code) = fields.first() else {
            continue;
        };
        if inputs.is_empty() && HEADER_WORDS.contains(&code.to_lowercase().as_str()) {
            continue;
        }
        inputs.push(QuickOrderInput {
            line_number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            code: (*code).to_string(),
            quantity: fields.get(1).map(|q| q.to_string()).unwrap_or_default(),
            unit: fields.get(2).map(|u| u.to_string()).unwrap_or_default(),
        });
        if inputs.len() > MAX_LINES {
            return Err(DomainError::invalid(
                "QUICK_ORDER_TOO_LARGE",
                "text",
                format!("at most {MAX_LINES} lines"),
            ));
        }
    }
    if inputs.is_empty() {
        return Err(DomainError::invalid(
            "EMPTY_QUICK_ORDER",
            "text",
            "give at least one line: a SKU or barcode and a quantity",
        ));
    }
    Ok(inputs)
}

/// Structured lines (code, quantity, unit), numbered from 1.
pub fn numbered(lines: Vec<(String, String, String)>) -> Result<Vec<QuickOrderInput>, DomainError> {
    if lines.len() > MAX_LINES {
        return Err(DomainError::invalid(
            "QUICK_ORDER_TOO_LARGE",
            "lines",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    Ok(lines
        .into_iter()
        .enumerate()
        .map(|(i, (code, quantity, unit))| QuickOrderInput {
            line_number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            code: code.trim().to_string(),
            quantity,
            unit: unit.trim().to_string(),
        })
        .collect())
}

/// The lines of a quick order as the buyer gave them: the typed lines
/// (code, quantity, unit) when there are any, else the pasted text.
pub fn inputs(
    text: &str,
    lines: Vec<(String, String, String)>,
) -> Result<Vec<QuickOrderInput>, DomainError> {
    if lines.is_empty() {
        parse_pasted(text)
    } else {
        numbered(lines)
    }
}

/// Everything a quick order is checked against.
pub struct QuickOrderContext<'a> {
    pub index: &'a CatalogIndex,
    /// The customer's prices, resolved once for every line.
    pub prices: &'a CustomerPrices<'a>,
    pub visible: &'a Visible,
    /// Available stock of a SKU over every warehouse.
    pub available: &'a dyn Fn(&str) -> Decimal,
}

/// Checks and prices each line; never fails for a bad line.
pub fn check_lines(
    ctx: &QuickOrderContext<'_>,
    inputs: Vec<QuickOrderInput>,
) -> Vec<QuickOrderLine> {
    inputs
        .into_iter()
        .map(|input| check_line(ctx, input))
        .collect()
}

fn check_line(ctx: &QuickOrderContext<'_>, input: QuickOrderInput) -> QuickOrderLine {
    let mut line = QuickOrderLine {
        product: None,
        quantity: None,
        quote: None,
        problems: Vec::new(),
        input,
    };
    let Some(product) = ctx.index.by_code(&line.input.code) else {
        line.problems.push(LineProblem::UnknownCode);
        return line;
    };
    if !ctx.index.may_see(product, ctx.visible) {
        // Hidden products answer as unknown: they are not there for this
        // buyer at all. Assortment limits are named, so a buyer knows to
        // ask their rep rather than suspect a typo.
        line.problems.push(if product.listed() {
            LineProblem::NotInAssortment
        } else {
            LineProblem::UnknownCode
        });
        return line;
    }
    line.product = Some(Arc::clone(product));
    if !product.orderable() {
        line.problems.push(LineProblem::Discontinued {
            successor_sku: product
                .successor_id
                .as_deref()
                .and_then(|id| ctx.index.get(id))
                .filter(|s| ctx.index.may_see(s, ctx.visible))
                .map(|s| s.sku.clone()),
        });
    }
    let quantity = match parse_decimal("quantity", &line.input.quantity) {
        Ok(q) => q,
        Err(_) => {
            line.problems.push(LineProblem::BadQuantity {
                description: format!(
                    "{:?} is not a quantity like \"12\" or \"2.5\"",
                    line.input.quantity
                ),
            });
            return line;
        }
    };
    if product.unit(&line.input.unit).is_none() {
        line.problems.push(LineProblem::UnknownUnit {
            unit: line.input.unit.clone(),
        });
        return line;
    }
    if let Some(problem) = product.unit_quantity_problem(quantity, &line.input.unit) {
        line.problems.push(LineProblem::Quantity(problem));
        return line;
    }
    let Some(quantity) = product.to_sales_quantity(quantity, &line.input.unit) else {
        line.problems
            .push(LineProblem::Quantity(QuantityProblem::AboveLineLimit {
                maximum: MAX_LINE_QUANTITY,
            }));
        return line;
    };
    line.quantity = Some(quantity);
    let problems = product.quantity_problems(quantity);
    // Only a quantity that could be ordered is priced: pricing a billion
    // of something answers nothing anybody asked.
    let priceable = problems.iter().all(|p| {
        !matches!(
            p,
            QuantityProblem::NotPositive
                | QuantityProblem::TooPrecise { .. }
                | QuantityProblem::AboveLineLimit { .. }
        )
    });
    line.problems
        .extend(problems.into_iter().map(LineProblem::Quantity));
    if priceable {
        match ctx.prices.quote(&product.sku, quantity) {
            Ok(quote) => line.quote = Some(quote),
            Err(PriceProblem::NoPrice | PriceProblem::UnknownSku) => {
                line.problems.push(LineProblem::NoPrice {
                    currency: ctx.prices.currency().to_string(),
                })
            }
            Err(PriceProblem::Quantity(problem)) => {
                line.problems.push(LineProblem::Quantity(problem))
            }
        }
        let available = (ctx.available)(&product.sku);
        if available < quantity {
            line.problems.push(LineProblem::ShortOnStock { available });
        }
    }
    line
}

#[cfg(test)]
#[path = "quick_order_tests.rs"]
mod tests;
