//! Amounts as the API sends them, decimal strings in a `Money`, read as
//! numbers so tests compare values rather than spellings.

use rust_decimal::Decimal;
use tradeport_proto::common::Money;

/// The amount of a money field the answer must have.
pub fn amount(money: &Option<Money>) -> Decimal {
    let money = money
        .as_ref()
        .unwrap_or_else(|| panic!("the answer has no amount"));
    money
        .amount
        .parse()
        .unwrap_or_else(|e| panic!("{:?} is no decimal: {e}", money.amount))
}
