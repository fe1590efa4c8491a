//! Human-readable text from callers — names, emails, addresses, labels,
//! notes — and the one set of rules every such field is checked by: a
//! bounded length, no control characters (ANSI escapes, NUL, CR, LF) or
//! bidirectional overrides anywhere, line breaks only in fields documented
//! as multi-line, and emails parsed as addresses. These values end up in
//! lists, exports, notifications and the audit trail, which people read in
//! terminals and log viewers that would obey an escape sequence.
//!
//! A violation names the field and the rule, never the value: an echoed
//! 100,000-character name would make the error itself unusable.

use super::FieldViolation;

/// What one kind of text field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// At most this many characters (Unicode scalar values), after
    /// trimming whitespace at both ends.
    pub max_chars: usize,
    /// Whether an empty value is refused.
    pub required: bool,
    /// Whether line breaks (`\n`, or `\r\n`) and tabs are allowed inside.
    pub multi_line: bool,
}

impl Rule {
    /// An optional single-line field.
    pub const fn line(max_chars: usize) -> Self {
        Self {
            max_chars,
            required: false,
            multi_line: false,
        }
    }

    /// The same field, refused when empty.
    pub const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    /// The same field, allowing line breaks.
    pub const fn multi_line(self) -> Self {
        Self {
            multi_line: true,
            ..self
        }
    }
}

/// People's and companies' names.
pub const NAME: Rule = Rule::line(200);
/// Short names people give things: devices, passkeys, API keys, units,
/// delivery addresses.
pub const LABEL: Rule = Rule::line(120);
/// Identifiers and codes people type: tax ids, postal codes, regions,
/// tiers, territories, payment terms.
pub const CODE: Rule = Rule::line(64);
/// One line of a postal address, or a city.
pub const ADDRESS_LINE: Rule = Rule::line(200);
/// A telephone number as written.
pub const PHONE: Rule = Rule::line(40);
/// A job title or function.
pub const FUNCTION: Rule = Rule::line(100);
/// Free text of several lines: a reason, a note.
pub const NOTE: Rule = Rule::line(2000).multi_line();
/// An email address (RFC 5321's limit on a path).
pub const EMAIL_MAX_CHARS: usize = 254;
const EMAIL_LOCAL_MAX: usize = 64;
const DOMAIN_LABEL_MAX: usize = 63;

/// Characters that reorder or hide text when displayed: bidirectional
/// embeddings, overrides and isolates ("Trojan Source"), line and
/// paragraph separators, the byte-order mark and interlinear annotations.
fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

fn allowed_char(c: char, multi_line: bool) -> bool {
    if multi_line && matches!(c, '\n' | '\t') {
        return true;
    }
    !c.is_control() && !is_invisible_control(c)
}

/// Checks `value` against `rule`: the trimmed value (a multi-line value's
/// `\r\n` become `\n`), or what is wrong with it.
pub fn check(value: &str, rule: Rule) -> Result<String, String> {
    // Counting a huge value's characters is cheap, but decide on bytes
    // first so that nothing below walks more than it must.
    if value.len() > rule.max_chars.saturating_mul(4).saturating_add(64) {
        return Err(too_long(rule.max_chars));
    }
    let normalised;
    let value = if rule.multi_line && value.contains("\r\n") {
        normalised = value.replace("\r\n", "\n");
        normalised.as_str()
    } else {
        value
    };
    // Whitespace at the ends (a pasted trailing newline) is dropped, not
    // refused; inside, a control character is refused.
    let trimmed = value.trim();
    if let Some(c) = trimmed.chars().find(|c| !allowed_char(*c, rule.multi_line)) {
        return Err(if !rule.multi_line && matches!(c, '\n' | '\r') {
            "must be a single line".to_string()
        } else {
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            )
        });
    }
    if rule.required && trimmed.is_empty() {
        return Err("is required".into());
    }
    if trimmed.chars().count() > rule.max_chars {
        return Err(too_long(rule.max_chars));
    }
    Ok(trimmed.to_string())
}

fn too_long(max: usize) -> String {
    format!("must be at most {max} characters")
}

fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        // RFC 6531: internationalised local parts.
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn domain_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= DOMAIN_LABEL_MAX
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || c.is_alphanumeric())
}

/// Parses an email address as a mailbox `local@domain.tld`: a dot-atom
/// local part (no quoted strings, no comments, no spaces), a domain of at
/// least two labels whose last is not numeric (no address literals). The
/// trimmed address, or what is wrong with it.
pub fn email(value: &str, required: bool) -> Result<String, String> {
    let rule = Rule {
        max_chars: EMAIL_MAX_CHARS,
        required,
        multi_line: false,
    };
    let address = check(value, rule)?;
    if address.is_empty() {
        return Ok(address);
    }
    let not_an_address = || "is not an email address (name@example.com)".to_string();
    let Some((local, domain)) = address.split_once('@') else {
        return Err(not_an_address());
    };
    let local_ok = !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| domain_label(l))
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    if local_ok && domain_ok {
        Ok(address)
    } else {
        Err(not_an_address())
    }
}

/// Collects the violations of many fields, so that a caller hears of every
/// bad field at once, and hands back each value checked and trimmed.
#[derive(Debug, Default)]
pub struct TextCheck {
    violations: Vec<FieldViolation>,
}

impl TextCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// `value` under `rule`: trimmed, or (a violation noted) unchanged.
    pub fn text(&mut self, field: impl Into<String>, value: &str, rule: Rule) -> String {
        self.note(field, value, check(value, rule))
    }

    /// An email address; empty is refused unless `required` is false.
    pub fn email(&mut self, field: impl Into<String>, value: &str, required: bool) -> String {
        self.note(field, value, email(value, required))
    }

    /// A violation found by another rule, in among these.
    pub fn violation(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations
            .push(FieldViolation::new(field, description));
    }

    fn note(
        &mut self,
        field: impl Into<String>,
        value: &str,
        result: Result<String, String>,
    ) -> String {
        match result {
            Ok(clean) => clean,
            Err(description) => {
                self.violation(field, description);
                value.to_string()
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.violations
    }

    /// Ok when every field passed, else INVALID_ARGUMENT with `reason`.
    pub fn finish(self, reason: &'static str) -> Result<(), super::DomainError> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(super::DomainError::InvalidArgument {
                reason,
                violations: self.violations,
            })
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
