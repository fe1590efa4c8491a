//! Reading, checking and changing Tradeport's document layouts: the parts the
//! document kinds (order drafts, shopping lists, visit notes) share.
//!
//! Everything here reads through [`ReadDoc`], so one validator serves the
//! device's `AutoCommit` and the server's plain `Automerge` alike. Every
//! reading helper names the field it reads (`lines[3].quantity`) in its
//! errors, because that name is what reaches the log or the person.
//!
//! What this module must never do: know one kind's keys (those live in the
//! kind's module), panic on a peer's document, or write to a document other
//! than inside [`change`], which commits all of an edit or none of it.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Span, Value};

use crate::Error;
use crate::error::echo;

/// The root key every Tradeport document carries, naming its kind and version.
pub(crate) const SCHEMA_KEY: &str = "schema";

/// The root key every kind fixes at creation: whose document it is.
pub(crate) const ACCOUNT_ID: &str = "account_id";

/// Ids, account ids, ship-to ids, references, authors: at most this many characters.
pub(crate) const MAX_ID_CHARS: usize = 128;

/// How long one string field may be, and whether it may be empty.
///
/// A rule is applied twice: to what a caller passes to a setter (an
/// [`Error::InvalidField`]) and to what a peer's document holds (an
/// [`Error::Malformed`]), so the typed API never writes what validation refuses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// Upper bound in Unicode scalar values (what people call characters).
    pub(crate) max_chars: usize,
    /// Whether an empty (or all-blank) value is refused.
    pub(crate) required: bool,
    /// The reason given for a value over `max_chars`; spelled out here because
    /// [`Error::InvalidField`] carries a `&'static str`.
    pub(crate) too_long: &'static str,
}

impl Rule {
    /// Why `value` breaks the rule, if it does.
    pub(crate) fn check(&self, value: &str) -> Result<(), &'static str> {
        if self.required && value.trim().is_empty() {
            return Err("must not be empty");
        }
        // `len` bounds the char count from above, so most values skip the count.
        if value.len() > self.max_chars && value.chars().count() > self.max_chars {
            return Err(self.too_long);
        }
        Ok(())
    }

    /// Checks a value passed in by a caller.
    pub(crate) fn input(&self, field: &'static str, value: &str) -> Result<(), Error> {
        self.check(value)
            .map_err(|reason| Error::invalid(field, value, reason))
    }

    /// Checks a value read from a document.
    pub(crate) fn stored(&self, field: &str, value: &str) -> Result<(), Error> {
        self.check(value)
            .map_err(|reason| Error::malformed(field, reason))
    }
}

/// A required id (account, document, line, author).
pub(crate) const ID: Rule = Rule {
    max_chars: MAX_ID_CHARS,
    required: true,
    too_long: "must be at most 128 characters",
};

/// An optional id or reference (ship-to, PO reference).
pub(crate) const OPTIONAL_ID: Rule = Rule {
    required: false,
    ..ID
};

/// The two ids that say which document this is and whose it is; both are
/// fixed at creation, and a merge that would change either is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentIds {
    /// Shared by all copies of one document.
    pub(crate) document_id: String,
    /// The account the document belongs to.
    pub(crate) account_id: String,
}

/// The string at `obj[key]`; `field` names it in errors.
pub(crate) fn read_str<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &str,
    field: &str,
) -> Result<String, Error> {
    read_opt_str(doc, obj, key, field)?.ok_or_else(|| Error::malformed(field, "missing"))
}

/// The string at `obj[key]`, or `None` if the key is absent.
pub(crate) fn read_opt_str<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &str,
    field: &str,
) -> Result<Option<String>, Error> {
    match doc.get(obj, key)? {
        Some((value, _)) => as_str(value, field).map(Some),
        None => Ok(None),
    }
}

/// The string at `ROOT[key]`, checked against `rule`; `key` names it in errors.
pub(crate) fn read_root<R: ReadDoc>(doc: &R, key: &str, rule: Rule) -> Result<String, Error> {
    let value = read_str(doc, &ROOT, key, key)?;
    rule.stored(key, &value)?;
    Ok(value)
}

/// The string at `list[index]`.
pub(crate) fn str_in_list<R: ReadDoc>(
    doc: &R,
    list: &ObjId,
    index: usize,
    field: &str,
) -> Result<String, Error> {
    match doc.get(list, index)? {
        Some((value, _)) => as_str(value, field),
        None => Err(Error::malformed(field, "missing")),
    }
}

fn as_str(value: Value<'_>, field: &str) -> Result<String, Error> {
    match value {
        Value::Scalar(value) => match value.as_ref() {
            ScalarValue::Str(s) => Ok(s.to_string()),
            _ => Err(Error::malformed(field, "expected a string")),
        },
        Value::Object(_) => Err(Error::malformed(field, "expected a string")),
    }
}

/// The object of type `expected` at `obj[key]`.
pub(crate) fn object_at<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &str,
    expected: ObjType,
    field: &str,
) -> Result<ObjId, Error> {
    match doc.get(obj, key)? {
        Some((Value::Object(found), id)) if found == expected => Ok(id),
        Some(_) => Err(Error::malformed(field, expected_a(expected))),
        None => Err(Error::malformed(field, "missing")),
    }
}

/// The map at `list[index]`.
pub(crate) fn map_in_list<R: ReadDoc>(
    doc: &R,
    list: &ObjId,
    index: usize,
    field: &str,
) -> Result<ObjId, Error> {
    match doc.get(list, index)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        Some(_) => Err(Error::malformed(field, "expected a map")),
        None => Err(Error::malformed(field, "missing")),
    }
}

fn expected_a(expected: ObjType) -> &'static str {
    match expected {
        ObjType::Map | ObjType::Table => "expected a map",
        ObjType::List => "expected a list",
        ObjType::Text => "expected text",
    }
}

/// The text of a text object, refused if longer than `max_chars` or if it
/// holds anything but characters (automerge's rich-text blocks).
pub(crate) fn read_text<R: ReadDoc>(
    doc: &R,
    text: &ObjId,
    max_chars: usize,
    field: &str,
) -> Result<String, Error> {
    // Length in code points (automerge's default text encoding), checked
    // before the text is built so a huge body costs nothing to refuse.
    if doc.length(text) > max_chars {
        return Err(Error::malformed(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let mut out = String::new();
    for span in doc.spans(text)? {
        match span {
            Span::Text { text, .. } => out.push_str(&text),
            Span::Block(_) => return Err(Error::malformed(field, "must be plain text")),
        }
    }
    if out.chars().count() > max_chars {
        return Err(Error::malformed(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(out)
}

/// Refuses a document whose `schema` is not `expected`.
pub(crate) fn check_schema<R: ReadDoc>(doc: &R, expected: &str) -> Result<(), Error> {
    let schema = read_str(doc, &ROOT, SCHEMA_KEY, SCHEMA_KEY)?;
    if schema != expected {
        return Err(Error::malformed(
            SCHEMA_KEY,
            format!("expected {expected:?}, found {:?}", echo(&schema)),
        ));
    }
    Ok(())
}

/// Refuses keys of `obj` outside `allowed`: a document carrying fields the
/// schema does not define is not ours, or was written by a newer layout that
/// must use a new schema string. `prefix` is the path of `obj` (`""` for the
/// root, `lines[3]` for a line); the error names the first unknown key.
pub(crate) fn check_keys<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), Error> {
    if let Some(unknown) = doc.keys(obj).find(|key| !allowed.contains(&key.as_str())) {
        let field = if prefix.is_empty() {
            unknown
        } else {
            format!("{prefix}.{unknown}")
        };
        return Err(Error::malformed(field, "unknown field"));
    }
    Ok(())
}

/// Refuses a list with more than `max` elements, before any is read.
pub(crate) fn check_list_len<R: ReadDoc>(
    doc: &R,
    list: &ObjId,
    max: usize,
    field: &str,
) -> Result<usize, Error> {
    let len = doc.length(list);
    if len > max {
        return Err(Error::malformed(
            field,
            format!("has {len} entries, at most {max} are allowed"),
        ));
    }
    Ok(len)
}

/// Whether `value` is a calendar date written `YYYY-MM-DD` (ISO 8601, no
/// sign, no time, a day that exists: `2025-02-29` is refused).
pub(crate) fn check_date(value: &str) -> Result<(), &'static str> {
    const REASON: &str = "must be a date written YYYY-MM-DD";
    let bytes = value.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if bytes.len() != 10
        || bytes.get(4) != Some(&b'-')
        || bytes.get(7) != Some(&b'-')
        || !digits_at(0..4)
        || !digits_at(5..7)
        || !digits_at(8..10)
    {
        return Err(REASON);
    }
    // All ASCII digits at known places: the slices are on char boundaries.
    let number = |range: std::ops::Range<usize>| {
        value
            .get(range)
            .and_then(|part| part.parse::<u16>().ok())
            .ok_or(REASON)
    };
    let year = i32::from(number(0..4)?);
    let month = u8::try_from(number(5..7)?).map_err(|_| REASON)?;
    let day = u8::try_from(number(8..10)?).map_err(|_| REASON)?;
    let month = time::Month::try_from(month).map_err(|_| "must be a date that exists")?;
    time::Date::from_calendar_date(year, month, day).map_err(|_| "must be a date that exists")?;
    Ok(())
}

/// Checks a date passed in by a caller for `field`.
pub(crate) fn date_input(field: &'static str, value: &str) -> Result<(), Error> {
    check_date(value).map_err(|reason| Error::invalid(field, value, reason))
}

/// Checks a date read from a document's `field`.
pub(crate) fn stored_date(field: &str, value: &str) -> Result<(), Error> {
    check_date(value)
        .map_err(|reason| Error::malformed(field, format!("{:?} {reason}", echo(value))))
}

/// `"<counter>@<actor hex>"` for an object created in this document.
pub(crate) fn op_id_string(id: &ObjId, field: &str) -> Result<String, Error> {
    match id {
        ObjId::Id(counter, actor, _) => Ok(format!("{counter}@{actor}")),
        ObjId::Root => Err(Error::malformed(field, "object id is the document root")),
    }
}

/// Runs `edit` as one automerge change: committed if it succeeds, rolled
/// back if it fails, so every public method leaves either its whole change
/// or nothing.
pub(crate) fn change<T>(
    doc: &mut AutoCommit,
    message: &str,
    edit: impl FnOnce(&mut AutoCommit) -> Result<T, Error>,
) -> Result<T, Error> {
    match edit(doc) {
        Ok(value) => {
            doc.commit_with(CommitOptions::default().with_message(message));
            Ok(value)
        }
        Err(e) => {
            doc.rollback();
            Err(e)
        }
    }
}

/// Writes `obj[key] = value` as one change, unless it already holds `value`.
pub(crate) fn put_if_changed(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &'static str,
    field: &str,
    value: &str,
) -> Result<(), Error> {
    if read_opt_str(doc, obj, key, field)?.as_deref() == Some(value) {
        return Ok(());
    }
    change(doc, key, |doc| {
        doc.put(obj, key, value)?;
        Ok(())
    })
}

/// `ours` with every change of `theirs` merged in, validated, as a new
/// document; `ours` itself is not touched, so a refused merge leaves nothing
/// behind.
///
/// Refused: two different documents ([`Error::DifferentDraft`]); a result
/// that `validate` refuses; a result whose document id or account id differs
/// from ours (a peer moving a draft to another account).
pub(crate) fn merged(
    ours: &mut AutoCommit,
    theirs: &mut AutoCommit,
    validate: impl Fn(&AutoCommit) -> Result<DocumentIds, Error>,
    id_key: &str,
) -> Result<AutoCommit, Error> {
    let our_id = read_str(ours, &ROOT, id_key, id_key)?;
    let their_id = read_str(theirs, &ROOT, id_key, id_key)?;
    if our_id != their_id {
        return Err(Error::DifferentDraft {
            ours: our_id,
            theirs: their_id,
        });
    }
    let before = validate(ours)?;
    let actor = ours.get_actor().clone();
    let mut candidate = ours.fork().with_actor(actor);
    candidate.merge(theirs)?;
    let after = validate(&candidate)?;
    check_same_owner(&before, &after, id_key)?;
    Ok(candidate)
}

/// Refuses `after` if it is another document or another account's than `before`.
pub(crate) fn check_same_owner(
    before: &DocumentIds,
    after: &DocumentIds,
    id_key: &str,
) -> Result<(), Error> {
    if after.document_id != before.document_id {
        return Err(Error::malformed(
            id_key,
            format!(
                "changed from {:?} to {:?}; it is fixed at creation",
                before.document_id,
                echo(&after.document_id)
            ),
        ));
    }
    if after.account_id != before.account_id {
        return Err(Error::malformed(
            ACCOUNT_ID,
            format!(
                "changed from {:?} to {:?}; a document never moves to another account",
                before.account_id,
                echo(&after.account_id)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_iso_calendar_dates() {
        for good in ["2026-11-24", "2024-02-29", "0001-01-01", "9999-12-31"] {
            assert_eq!(check_date(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "2026-1-24",
            "2026/11/24",
            "26-11-24",
            "2026-11-24T00:00",
            "+2026-11-24",
            "2026-11-2x",
            "２０２６-11-24",
            " 2026-11-24",
            "2026-11-24 ",
        ] {
            assert_eq!(
                check_date(bad),
                Err("must be a date written YYYY-MM-DD"),
                "{bad:?}"
            );
        }
        for impossible in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-01-00",
        ] {
            assert_eq!(
                check_date(impossible),
                Err("must be a date that exists"),
                "{impossible}"
            );
        }
    }

    #[test]
    fn rules_count_characters_not_bytes() {
        let rule = Rule {
            max_chars: 3,
            required: true,
            too_long: "too long",
        };
        assert_eq!(rule.check("äöü"), Ok(()));
        assert_eq!(rule.check("äöüx"), Err("too long"));
        assert_eq!(rule.check("  "), Err("must not be empty"));
        assert_eq!(OPTIONAL_ID.check(""), Ok(()));
        assert_eq!(
            ID.check(&"x".repeat(129)),
            Err("must be at most 128 characters")
        );
    }
}
