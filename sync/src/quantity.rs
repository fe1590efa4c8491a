//! Line quantities: exact decimals, written as strings in the document.
//!
//! What this module must never do: round, or accept a quantity that
//! arithmetic downstream (quantity × price, in `Decimal`) could overflow.
//!
//! Why the domain's quantity rules (`tradeport_domain::catalog::quantity`,
//! `tradeport_domain::decimal`) are not used here: this is the text of a
//! document that every version of every device, and the browser through
//! automerge-js, writes and must read alike, so its grammar and bounds are
//! part of the document format, fixed by the schema string — a draft an
//! older device wrote must still load, and a newer device must not write
//! what an older one refuses. A draft line also does not know its product,
//! so a product's unit decimals, minimum and multiple cannot be checked
//! here; the server checks them with the domain's rules when it prices or
//! submits the draft. The bounds are wider than the domain's on purpose
//! (6 decimal places against 3 for measured units, below 10^9 against a
//! line limit of 10^6), so that every quantity the domain accepts can be
//! drafted; a test holds them to the domain's constants.

use rust_decimal::Decimal;

use crate::Error;

/// Most digits a quantity may have before the decimal point, leading zeros
/// not counted: quantities are below one billion.
pub const MAX_QUANTITY_INTEGER_DIGITS: usize = 9;

/// Most decimal places a quantity may have (a milligram of a kilogram,
/// a micrometre of a metre).
pub const MAX_QUANTITY_SCALE: usize = 6;

/// Most significant digits a quantity may have: integer digits plus
/// decimal places.
pub const MAX_QUANTITY_DIGITS: usize = MAX_QUANTITY_INTEGER_DIGITS + MAX_QUANTITY_SCALE;

/// Longest quantity text, sign and leading zeros included, so a peer cannot
/// make every device parse a megabyte of zeros.
const MAX_QUANTITY_CHARS: usize = 32;

/// Parses a quantity as people and clients write it: `3`, `2.5`, `0.125`.
///
/// Accepted: an optional sign, one or more ASCII digits, optionally `.` and
/// one or more digits; at most [`MAX_QUANTITY_INTEGER_DIGITS`] digits before
/// the point (leading zeros do not count), at most [`MAX_QUANTITY_SCALE`]
/// after it, at most 32 characters in all; the value must be greater than
/// zero. Nothing else — no spaces, exponents, `_` separators, `.5` or `5.` —
/// so every client writes the same text for the same number and a peer
/// cannot sneak in a form another parser reads differently. The scale is
/// kept (`2.50` stays `2.50`).
///
/// Why these bounds: no B2B line orders a billion units or a millionth of
/// a gram, and a quantity below 10^9 with 6 places, times any price the
/// catalog holds, stays far inside the 28 digits `Decimal` computes exactly —
/// a 28-digit quantity (what `Decimal` alone would allow) makes
/// `quantity * price` overflow, which panics.
///
/// Errors are [`Error::InvalidField`] with `field` set to `"quantity"`.
pub fn parse_quantity(input: &str) -> Result<Decimal, Error> {
    let field = "quantity";
    if input.is_empty() {
        return Err(Error::invalid(field, input, "must not be empty"));
    }
    if input.len() > MAX_QUANTITY_CHARS {
        return Err(Error::invalid(
            field,
            input,
            "must be at most 32 characters",
        ));
    }
    if !is_plain_decimal(input) {
        return Err(Error::invalid(
            field,
            input,
            "must be a decimal number such as 3 or 2.5",
        ));
    }
    let unsigned = input.strip_prefix(['+', '-']).unwrap_or(input);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if frac.len() > MAX_QUANTITY_SCALE {
        return Err(Error::invalid(
            field,
            input,
            "must have at most 6 decimal places",
        ));
    }
    if int.trim_start_matches('0').len() > MAX_QUANTITY_INTEGER_DIGITS {
        return Err(Error::invalid(
            field,
            input,
            "must be less than 1,000,000,000",
        ));
    }
    // Within these bounds the value fits a `Decimal` exactly; nothing is rounded.
    let value = Decimal::from_str_exact(input)
        .map_err(|_| Error::invalid(field, input, "is out of range"))?;
    if value <= Decimal::ZERO {
        return Err(Error::invalid(field, input, "must be greater than zero"));
    }
    Ok(value)
}

/// `[+-]?[0-9]+(\.[0-9]+)?`
fn is_plain_decimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn reason_for(input: &str) -> &'static str {
        match parse_quantity(input) {
            Err(Error::InvalidField { field, reason, .. }) => {
                assert_eq!(field, "quantity");
                reason
            }
            other => panic!("{input:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn accepts_plain_positive_decimals_and_keeps_scale() {
        assert_eq!(parse_quantity("3").unwrap(), Decimal::from(3));
        assert_eq!(parse_quantity("+3").unwrap(), Decimal::from(3));
        assert_eq!(parse_quantity("2.50").unwrap().to_string(), "2.50");
        assert_eq!(parse_quantity("0.000001").unwrap().to_string(), "0.000001");
        // The largest quantity: 9 integer digits, 6 places.
        assert_eq!(
            parse_quantity("999999999.999999").unwrap().to_string(),
            "999999999.999999"
        );
        // Leading zeros are not significant.
        assert_eq!(
            parse_quantity("000999999999").unwrap().to_string(),
            "999999999"
        );
    }

    #[test]
    fn rejects_non_positive_and_non_numbers_with_a_reason() {
        assert_eq!(reason_for("0"), "must be greater than zero");
        assert_eq!(reason_for("-1"), "must be greater than zero");
        assert_eq!(reason_for("-0.0"), "must be greater than zero");
        assert_eq!(reason_for("0.000000"), "must be greater than zero");
        assert_eq!(reason_for(""), "must not be empty");
        for bad in [
            "abc", " 1", "1 ", "1e3", "1_000", ".5", "5.", "1.2.3", "--1", "+", "NaN", "٣",
        ] {
            assert_eq!(
                reason_for(bad),
                "must be a decimal number such as 3 or 2.5",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_absurd_magnitudes_and_scales() {
        assert_eq!(reason_for("1000000000"), "must be less than 1,000,000,000");
        assert_eq!(
            reason_for(&"9".repeat(28)),
            "must be less than 1,000,000,000"
        );
        assert_eq!(
            reason_for("0.0000001"),
            "must have at most 6 decimal places"
        );
        assert_eq!(
            reason_for("1.1234567"),
            "must have at most 6 decimal places"
        );
        assert_eq!(
            reason_for(&format!("{}1", "0".repeat(40))),
            "must be at most 32 characters"
        );
        assert_eq!(
            reason_for(&"1".repeat(100)),
            "must be at most 32 characters"
        );
    }

    #[test]
    fn the_largest_quantity_times_a_large_price_does_not_overflow() {
        let max = parse_quantity("999999999.999999").unwrap();
        let price = Decimal::from_str_exact("9999999999.9999").unwrap();
        assert!(max.checked_mul(price).is_some());
    }

    #[test]
    fn every_quantity_the_domain_orders_fits_a_draft() {
        use tradeport_domain::catalog::quantity::{MAX_LINE_QUANTITY, MEASURED_DECIMALS};
        // The largest line, written at the finest scale a unit is ordered in.
        let mut largest = MAX_LINE_QUANTITY;
        largest.rescale(MEASURED_DECIMALS);
        assert_eq!(parse_quantity(&largest.to_string()).unwrap(), largest);
        let finest = Decimal::new(1, MEASURED_DECIMALS);
        assert_eq!(parse_quantity(&finest.to_string()).unwrap(), finest);
    }

    #[test]
    fn long_rejected_input_is_cut_in_the_message() {
        let err = parse_quantity(&"x".repeat(10_000)).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
        assert!(err.starts_with("invalid quantity \"xxxx"), "{err}");
    }
}
