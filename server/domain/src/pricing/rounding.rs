//! Money rounding. Amounts are rounded to the currency's minor unit (ISO
//! 4217: two decimals unless listed here), half away from zero — the
//! commercial rounding invoices use. Unit prices are rounded once all
//! rules have applied; a line total is the rounded unit price times the
//! quantity, rounded again; a cart's subtotal is the sum of its line totals.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of a currency's minor unit.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "UGX" | "XOF" | "XAF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

pub fn round_money(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        minor_units(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn halves_round_away_from_zero_to_the_minor_unit() {
        assert_eq!(round_money(d("2.345"), "EUR"), d("2.35"));
        assert_eq!(round_money(d("2.344"), "EUR"), d("2.34"));
        assert_eq!(round_money(d("-2.345"), "EUR"), d("-2.35"));
        assert_eq!(round_money(d("150.5"), "JPY"), d("151"));
        assert_eq!(round_money(d("1.2345"), "KWD"), d("1.235"));
    }
}
