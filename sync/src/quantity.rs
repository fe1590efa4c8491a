//! Line quantities: exact decimals, written as strings in the document.

use rust_decimal::Decimal;

use crate::Error;

/// Most significant digits, and most decimal places, a quantity may have
/// (what `Decimal` holds exactly).
pub const MAX_QUANTITY_DIGITS: usize = 28;

/// Parses a quantity as people and clients write it: `3`, `2.5`, `0.125`.
///
/// Accepted: an optional sign, one or more ASCII digits, optionally `.` and
/// one or more digits; at most [`MAX_QUANTITY_DIGITS`] significant digits
/// (leading zeros do not count) and as many decimal places; the
/// value must be greater than zero. Nothing else — no spaces, exponents,
/// `_` separators, `.5` or `5.` — so every client writes the same text for
/// the same number and a peer cannot sneak in a form another parser reads
/// differently. The scale is kept (`2.50` stays `2.50`).
///
/// Errors are [`Error::InvalidField`] with `field` set to `"quantity"`.
pub fn parse_quantity(input: &str) -> Result<Decimal, Error> {
    let field = "quantity";
    if input.is_empty() {
        return Err(Error::invalid(field, input, "must not be empty"));
    }
    if !is_plain_decimal(input) {
        return Err(Error::invalid(
            field,
            input,
            "must be a decimal number such as 3 or 2.5",
        ));
    }
    // Both limits together guarantee the value fits a `Decimal` exactly
    // (mantissa below 10^28 < 2^96, scale at most 28), so nothing is rounded.
    let decimals = input.split_once('.').map_or(0, |(_, frac)| frac.len());
    if decimals > MAX_QUANTITY_DIGITS {
        return Err(Error::invalid(
            field,
            input,
            "must have at most 28 decimal places",
        ));
    }
    let significant = input
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count();
    if significant > MAX_QUANTITY_DIGITS {
        return Err(Error::invalid(field, input, "must have at most 28 digits"));
    }
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
        assert_eq!(
            parse_quantity("0.0000000000000000000000000001")
                .unwrap()
                .to_string(),
            "0.0000000000000000000000000001"
        );
        // 28 nines is the largest 28-digit value and fits a Decimal.
        let nines = "9".repeat(28);
        assert_eq!(parse_quantity(&nines).unwrap().to_string(), nines);
    }

    #[test]
    fn rejects_non_positive_and_non_numbers_with_a_reason() {
        assert_eq!(reason_for("0"), "must be greater than zero");
        assert_eq!(reason_for("-1"), "must be greater than zero");
        assert_eq!(reason_for("-0.0"), "must be greater than zero");
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
        assert_eq!(reason_for(&"1".repeat(29)), "must have at most 28 digits");
        assert_eq!(
            reason_for(&format!("1.{}", "1".repeat(28))),
            "must have at most 28 digits"
        );
        assert_eq!(
            reason_for(&format!("0.{}1", "0".repeat(28))),
            "must have at most 28 decimal places"
        );
        // Leading zeros are not significant.
        assert!(parse_quantity(&format!("000{}", "9".repeat(28))).is_ok());
        assert!(parse_quantity(&format!("0.{}", "1".repeat(28))).is_ok());
    }

    #[test]
    fn long_rejected_input_is_cut_in_the_message() {
        let err = parse_quantity(&"x".repeat(10_000)).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
        assert!(err.starts_with("invalid quantity \"xxxx"), "{err}");
    }
}
