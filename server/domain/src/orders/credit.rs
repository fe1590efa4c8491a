//! Credit: an account's exposure is its open invoices plus its confirmed
//! orders not yet invoiced. An order that would take the exposure past the
//! credit limit is held (not refused) for brand finance to release or
//! cancel; passing 80 % and 100 % of the limit raises warnings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What the account owes and has on order, kept as one record so that
/// two orders racing for the last headroom conflict on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    pub open_invoices: Decimal,
    pub uninvoiced_orders: Decimal,
}

impl Exposure {
    pub fn total(&self) -> Decimal {
        self.open_invoices + self.uninvoiced_orders
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreditWarning {
    /// Exposure passed 80 % of the limit.
    Near,
    /// Exposure reached or passed the limit.
    AtLimit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCheck {
    /// The order fits: confirm it. Otherwise hold it.
    pub fits: bool,
    /// The warning the order's confirmation newly raises, if any.
    pub warning: Option<CreditWarning>,
}

fn level(exposure: Decimal, limit: Decimal) -> Option<CreditWarning> {
    if exposure >= limit {
        Some(CreditWarning::AtLimit)
    } else if exposure * Decimal::TEN >= limit * Decimal::from(8) {
        Some(CreditWarning::Near)
    } else {
        None
    }
}

/// Checks an order of `amount` against `limit` given `exposure`. With no
/// limit set (zero), every order on account is held until brand finance
/// releases it or sets a limit.
pub fn check(limit: Decimal, exposure: &Exposure, amount: Decimal) -> CreditCheck {
    let before = exposure.total();
    let after = before + amount;
    let fits = after <= limit;
    let warning = if fits {
        match (level(before, limit), level(after, limit)) {
            (before, after) if before == after => None,
            (_, after) => after,
        }
    } else {
        None
    };
    CreditCheck { fits, warning }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn exposure(invoices: Decimal, orders: Decimal) -> Exposure {
        Exposure {
            open_invoices: invoices,
            uninvoiced_orders: orders,
        }
    }

    #[test]
    fn an_order_within_the_limit_fits_and_one_beyond_is_held() {
        let e = exposure(dec!(3000), dec!(2000));
        assert!(
            check(dec!(10000), &e, dec!(5000)).fits,
            "exactly to the limit"
        );
        assert!(!check(dec!(10000), &e, dec!(5000.01)).fits);
        assert!(!check(dec!(0), &Exposure::default(), dec!(1)).fits);
    }

    #[test]
    fn warnings_rise_once_at_eighty_and_at_a_hundred_percent() {
        let e = exposure(dec!(7000), dec!(0));
        assert_eq!(check(dec!(10000), &e, dec!(999)).warning, None);
        assert_eq!(
            check(dec!(10000), &e, dec!(1000)).warning,
            Some(CreditWarning::Near)
        );
        assert_eq!(
            check(dec!(10000), &e, dec!(3000)).warning,
            Some(CreditWarning::AtLimit)
        );
        let near = exposure(dec!(8500), dec!(0));
        assert_eq!(
            check(dec!(10000), &near, dec!(100)).warning,
            None,
            "already near"
        );
    }
}
