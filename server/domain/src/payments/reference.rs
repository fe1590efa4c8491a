//! Pro-forma references: what a buyer paying by bank transfer writes in the
//! transfer's remittance field, so the incoming money can be matched to its
//! order without a person reading it.
//!
//! The scheme: `PF-` + the order number + `-` + two check digits, e.g.
//! `PF-SO-2026-000123-19`. The reference is derived from the order number
//! alone, so it is the same every time it is asked for and needs no
//! counter of its own.
//!
//! The check digits are ISO 7064 MOD 97-10, the algorithm of IBANs and of
//! ISO 11649 creditor references, computed over the reference's letters and
//! digits only (hyphens, spaces and case are ignored): each letter becomes
//! two digits (A = 10 … Z = 35), the two check digits are appended, and the
//! whole number must leave 1 when divided by 97. The check digits are
//! therefore 98 minus the remainder of the number with "00" appended. MOD
//! 97-10 catches every single mistyped character and every swap of two
//! neighbouring characters, which is what goes wrong when people copy a
//! reference into their banking app.

/// What every pro-forma reference starts with.
pub const PROFORMA_PREFIX: &str = "PF-";

/// The pro-forma reference of the order numbered `order_number`
/// ("SO-2026-000123" → "PF-SO-2026-000123-19").
pub fn proforma_reference(order_number: &str) -> String {
    let body = format!("{PROFORMA_PREFIX}{order_number}");
    let check = 98 - mod97(body.chars().chain("00".chars()));
    format!("{body}-{check:02}")
}

/// Whether `reference` is a well-formed pro-forma reference with correct
/// check digits. Case and surrounding or inner spaces are forgiven, as
/// banks pass remittance text on the way the payer typed it.
pub fn is_valid_proforma_reference(reference: &str) -> bool {
    let compact: String = reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let Some(rest) = compact.strip_prefix(PROFORMA_PREFIX) else {
        return false;
    };
    let Some((number, check)) = rest.rsplit_once('-') else {
        return false;
    };
    !number.is_empty()
        && check.len() == 2
        && check.chars().all(|c| c.is_ascii_digit())
        && compact
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && mod97(compact.chars()) == 1
}

/// The remainder modulo 97 of the number `chars` spell, letters as two
/// digits (A = 10 … Z = 35), anything else skipped.
fn mod97(chars: impl Iterator<Item = char>) -> u32 {
    chars.fold(0, |rem, c| match c.to_ascii_uppercase().to_digit(36) {
        Some(v) if v >= 10 => (rem * 100 + v) % 97,
        Some(v) => (rem * 10 + v) % 97,
        None => rem,
    })
}
