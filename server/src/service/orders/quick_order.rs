//! Orders as quick orders: SubmitOrder's pasted lines, and a past order's
//! lines offered again, both checked and priced by the catalog's quick
//! order (`service::catalog`), as the buyer would see them in QuickOrder.

use super::{Orders, Result};
use crate::service::catalog::Buyer;
use tradeport_domain::DomainError;
use tradeport_domain::FieldViolation;
use tradeport_domain::catalog::quick_order::{self, QuickOrderInput, QuickOrderLine};
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::orders::submission::{LineInput, invalid_order};

impl Orders {
    /// Pasted quick-order lines as order lines, in sales units; any line
    /// with a blocking problem refuses them all, naming its line number.
    pub(super) fn lines_from_text(&self, buyer: &Buyer, text: &str) -> Result<Vec<LineInput>> {
        let inputs = quick_order::parse_pasted(text).map_err(|e| match e {
            DomainError::InvalidArgument { reason, violations } => DomainError::InvalidArgument {
                reason,
                violations: violations
                    .into_iter()
                    .map(|v| FieldViolation::new("lines_text", v.description))
                    .collect(),
            },
            other => other,
        })?;
        let checked =
            self.catalog
                .quick_order(buyer, &buyer.account.currency, inputs, &self.inventory)?;
        let mut v = Vec::new();
        let mut lines = Vec::new();
        for line in &checked {
            for problem in line.problems.iter().filter(|p| p.blocking()) {
                v.push(FieldViolation::new(
                    "lines_text",
                    format!(
                        "line {} ({}): {}",
                        line.input.line_number,
                        line.input.code,
                        problem.describe()
                    ),
                ));
            }
            if let (Some(product), Some(quantity)) = (&line.product, line.quantity) {
                lines.push(LineInput {
                    sku: product.sku.clone(),
                    quantity: quantity.normalize().to_string(),
                    expected_unit_price: String::new(),
                });
            }
        }
        if v.is_empty() {
            Ok(lines)
        } else {
            Err(invalid_order(v).into())
        }
    }

    /// A past order's lines, re-priced and checked as a quick order.
    pub fn reorder(&self, caller: &Caller, id: &str) -> Result<(Vec<QuickOrderLine>, String)> {
        let order = self.order_for(caller, Action::ReadOrders, id)?.value;
        let buyer = Buyer::for_account(self.account(&order.account_id)?, &self.catalog)?;
        let inputs = order
            .lines
            .iter()
            .map(|l| QuickOrderInput {
                line_number: l.line_no,
                code: l.sku.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit: String::new(),
            })
            .collect();
        let lines =
            self.catalog
                .quick_order(&buyer, &buyer.account.currency, inputs, &self.inventory)?;
        Ok((lines, buyer.currency))
    }
}
