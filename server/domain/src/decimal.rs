//! Decimal input. Money and quantities arrive as strings and are parsed
//! exactly; a float never touches an amount. Exponents, thousands
//! separators and NaN are refused so "1e3" cannot sneak in as 1000.

use rust_decimal::Decimal;
use std::str::FromStr;

use super::DomainError;

/// Parses a plain decimal string ("12", "-3.50"), naming `field` on failure.
pub fn parse_decimal(field: &str, raw: &str) -> Result<Decimal, DomainError> {
    let trimmed = raw.trim();
    let well_formed = !trimmed.is_empty()
        && trimmed
            .strip_prefix('-')
            .unwrap_or(trimmed)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && trimmed.matches('.').count() <= 1
        && trimmed.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(DomainError::invalid(
            "INVALID_DECIMAL",
            field,
            format!("{raw:?} is not a decimal number like \"12.50\""),
        ));
    }
    Decimal::from_str(trimmed).map_err(|e| {
        DomainError::invalid(
            "INVALID_DECIMAL",
            field,
            format!("{raw:?} is out of range for a decimal: {e}"),
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals_exactly() {
        assert_eq!(parse_decimal("f", "12.50").unwrap().to_string(), "12.50");
        assert_eq!(parse_decimal("f", "-0.1").unwrap().to_string(), "-0.1");
    }

    #[test]
    fn refuses_floats_exponents_and_junk_naming_the_field() {
        for bad in ["", "1e3", "NaN", "1,5", "1.2.3", "-", ".", "12 kg"] {
            let err = parse_decimal("filters[0].min", bad).unwrap_err();
            match err {
                DomainError::InvalidArgument { violations, .. } => {
                    assert_eq!(violations[0].field, "filters[0].min", "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_more_digits_than_fit() {
        assert!(parse_decimal("f", "123456789012345678901234567890123").is_err());
    }
}
