//! What quantity of a product one order line may ask for: how finely each
//! unit is counted (whole pieces, boxes and rolls; metres, kilograms and
//! litres to a thousandth), the most one line may ask for, and the
//! product's own rule (minimum, multiple, maximum). Every check here is
//! total over any decimal a caller can send: nothing overflows or panics.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::product::{Product, UnitOfMeasure};

/// The most one line may ask for, in the product's sales unit, whatever
/// the product's own rule: a million pieces (or metres, or kilograms) is
/// far past any real order and far below anything that could overflow a
/// price or a tax computation.
pub const MAX_LINE_QUANTITY: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Decimals a measured unit is ordered in: a millimetre, a gram, a millilitre.
pub const MEASURED_DECIMALS: u32 = 3;

/// Units that are measured rather than counted (UN/ECE Recommendation 20
/// codes and their common spellings). Every other unit counts whole things.
const MEASURED: &[&str] = &[
    // length
    "M", "MTR", "KM", "KMT", "CM", "CMT", "MM", "MMT", "FT", "FOT", "IN", "INH", "YD", "YRD",
    // mass
    "KG", "KGM", "G", "GRM", "T", "TNE", "LB", "LBR", // volume and area
    "L", "LTR", "ML", "MLT", "M2", "MTK", "M3", "MTQ", "SQM", "CBM", // time
    "H", "HUR",
];

/// Decimals a quantity in the unit `code` may have: 0 for counted units
/// (EA, BOX10, ROLL, PACK…), [`MEASURED_DECIMALS`] for measured ones.
pub fn unit_decimals(code: &str) -> u32 {
    if MEASURED.iter().any(|m| m.eq_ignore_ascii_case(code.trim())) {
        MEASURED_DECIMALS
    } else {
        0
    }
}

/// Quantities a product may be ordered in, in its sales unit. Zero minimum
/// and no multiple mean "any positive quantity".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QuantityRule {
    pub minimum: Decimal,
    pub multiple: Option<Decimal>,
    pub maximum: Option<Decimal>,
}

/// Why a quantity cannot be ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityProblem {
    NotPositive,
    BelowMinimum {
        minimum: Decimal,
    },
    NotMultiple {
        multiple: Decimal,
        nearest: Decimal,
    },
    AboveMaximum {
        maximum: Decimal,
    },
    /// Finer than the unit is counted in: 1.5 pieces, 0.0001 m.
    TooPrecise {
        unit: String,
        decimals: u32,
    },
    /// More than one line may ask for ([`MAX_LINE_QUANTITY`]).
    AboveLineLimit {
        maximum: Decimal,
    },
    /// So little that its price rounds to nothing in the currency.
    PricedAtNothing,
    /// So much that the line's amount is past any real order.
    TooLargeToPrice,
}

impl QuantityProblem {
    pub fn describe(&self) -> String {
        match self {
            Self::NotPositive => "must be greater than zero".into(),
            Self::BelowMinimum { minimum } => {
                format!(
                    "is below the minimum order quantity {}",
                    minimum.normalize()
                )
            }
            Self::NotMultiple { multiple, nearest } => format!(
                "must be a multiple of {}; the nearest is {}",
                multiple.normalize(),
                nearest.normalize()
            ),
            Self::AboveMaximum { maximum } => {
                format!(
                    "is above the maximum order quantity {}",
                    maximum.normalize()
                )
            }
            Self::TooPrecise { unit, decimals: 0 } => {
                format!("must be a whole number of {unit}")
            }
            Self::TooPrecise { unit, decimals } => {
                format!("must have at most {decimals} decimals in {unit}")
            }
            Self::AboveLineLimit { maximum } => format!(
                "is above {} per line, the most one line may ask for",
                maximum.normalize()
            ),
            Self::PricedAtNothing => {
                "is too small: its price rounds to nothing in the currency".into()
            }
            Self::TooLargeToPrice => {
                "is too large: the line comes to more than any order may".into()
            }
        }
    }
}

/// Whether `quantity` has more decimals than `unit` is counted in.
fn too_precise(quantity: Decimal, unit: &UnitOfMeasure) -> Option<QuantityProblem> {
    let decimals = unit_decimals(&unit.code);
    (quantity.normalize().scale() > decimals).then(|| QuantityProblem::TooPrecise {
        unit: unit.code.clone(),
        decimals,
    })
}

impl QuantityRule {
    /// Every rule `quantity` breaks (in the sales unit).
    pub fn problems(&self, quantity: Decimal) -> Vec<QuantityProblem> {
        if quantity <= Decimal::ZERO {
            return vec![QuantityProblem::NotPositive];
        }
        let mut problems = Vec::new();
        if quantity < self.minimum {
            problems.push(QuantityProblem::BelowMinimum {
                minimum: self.minimum,
            });
        }
        if let Some(multiple) = self.multiple.filter(|m| *m > Decimal::ZERO)
            && quantity.checked_rem(multiple).is_some_and(|r| !r.is_zero())
        {
            // Round up: a buyer who asked for 13 of a pack of 12 needs 24
            // more often than 12, and never less than they asked for.
            let nearest = quantity
                .checked_div(multiple)
                .and_then(|n| n.ceil().checked_mul(multiple));
            match nearest {
                Some(nearest) => problems.push(QuantityProblem::NotMultiple { multiple, nearest }),
                None => problems.push(QuantityProblem::AboveLineLimit {
                    maximum: MAX_LINE_QUANTITY,
                }),
            }
        }
        if let Some(maximum) = self.maximum
            && quantity > maximum
        {
            problems.push(QuantityProblem::AboveMaximum { maximum });
        }
        problems
    }
}

impl Product {
    /// Every reason `quantity` (in the sales unit) cannot be ordered on one
    /// line: not positive, finer than the sales unit is counted in, above
    /// the line limit, or against the product's own rule.
    pub fn quantity_problems(&self, quantity: Decimal) -> Vec<QuantityProblem> {
        if quantity <= Decimal::ZERO {
            return vec![QuantityProblem::NotPositive];
        }
        let mut problems: Vec<QuantityProblem> = too_precise(quantity, &self.sales_unit)
            .into_iter()
            .collect();
        if quantity > MAX_LINE_QUANTITY {
            problems.push(QuantityProblem::AboveLineLimit {
                maximum: MAX_LINE_QUANTITY,
            });
        }
        problems.extend(self.quantity_rule.problems(quantity));
        problems
    }

    /// Why `quantity` of the order unit `code` cannot be asked for, before
    /// it is converted to the sales unit: finer than that unit is counted
    /// in (1.5 boxes). `None` for a unit the product is not sold in.
    pub fn unit_quantity_problem(&self, quantity: Decimal, code: &str) -> Option<QuantityProblem> {
        too_precise(quantity, self.unit(code)?)
    }
}

#[cfg(test)]
#[path = "quantity_tests.rs"]
mod tests;
