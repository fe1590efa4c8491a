//! Lists of product lines — SKU, quantity, note, each with a stable id — as
//! held by order drafts (`lines`) and shopping lists (`items`), with one set
//! of limits and one set of merge rules for both.
//!
//! Layout of one entry (a map in an automerge list):
//!
//! ```text
//! id        string, the op id of this map, fixed at creation
//! sku       string, 1 to 64 characters
//! quantity  string, a decimal > 0 (see `parse_quantity`)
//! note      string, at most 4,000 characters
//! ```
//!
//! What this module must never do: decide anything about the product (that
//! it exists, its price or stock — the server does), or write a line that
//! validation would refuse.

use std::fmt;

use automerge::transaction::Transactable;
use std::collections::HashMap;

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc};
use rust_decimal::Decimal;

use crate::Error;
use crate::error::echo;
use crate::layout::{self, ID, Rule};
use crate::quantity::parse_quantity;

/// Most lines a draft (or items a shopping list) may hold.
pub const MAX_LINES: usize = 1_000;
/// Longest SKU, in characters.
pub const MAX_SKU_CHARS: usize = 64;

// These limits are part of the document format, which every device checks
// on load and merge, so they are not read from the domain: a change there
// would make new devices write documents older ones refuse. They are held
// to the domain's instead, so that changing either makes a decision (and,
// for a wider document, a new schema string): every SKU the catalog holds
// fits a line, and a draft never holds more lines than one cart may.
const _: () = assert!(MAX_SKU_CHARS >= tradeport_domain::catalog::product::MAX_CODE_CHARS);
const _: () = assert!(MAX_LINES <= tradeport_domain::pricing::MAX_CART_LINES);
/// Longest note (a line's note, or a draft's notes), in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

const LINE_ID: &str = "id";
const SKU: &str = "sku";
const QUANTITY: &str = "quantity";
const NOTE: &str = "note";
const LINE_KEYS: &[&str] = &[LINE_ID, SKU, QUANTITY, NOTE];

pub(crate) const SKU_RULE: Rule = Rule {
    max_chars: MAX_SKU_CHARS,
    required: true,
    too_long: "must be at most 64 characters",
};

pub(crate) const NOTE_RULE: Rule = Rule {
    max_chars: MAX_NOTE_CHARS,
    required: false,
    too_long: "must be at most 4,000 characters",
};

/// The stable id of a draft line or a shopping-list item, unique across devices.
///
/// Returned by `add_line` / `add_item`; build one from a string received
/// from a client with `LineId::from`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineId(String);

impl LineId {
    /// The id as text, e.g. for the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for LineId {
    fn from(id: String) -> Self {
        LineId(id)
    }
}

impl From<&str> for LineId {
    fn from(id: &str) -> Self {
        LineId(id.to_owned())
    }
}

impl AsRef<str> for LineId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// One line of an order draft ([`DraftLine`](crate::DraftLine)) or item of
/// a shopping list ([`ListItem`](crate::ListItem)), as read from the
/// document: the same thing under two names, since people move lines
/// between the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Stable id, unique across devices.
    pub id: LineId,
    /// The product, as the buyer chose it; the server checks it exists.
    pub sku: String,
    /// Exact quantity, greater than zero, scale as entered (`2.50` stays `2.50`).
    pub quantity: Decimal,
    /// Free text for this line, empty until set.
    pub note: String,
}

/// Where each line of a document was last seen, by id: guesses that
/// spare an edit a scan of every line (see [`LineList::find_hinted`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct LineHints(pub(crate) HashMap<String, usize>);

/// A list of lines at `ROOT[key]`; `key` (`lines` or `items`) also names
/// the fields in errors (`lines[3].quantity`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineList {
    pub(crate) key: &'static str,
}

impl LineList {
    pub(crate) fn field(&self, index: usize, key: &str) -> String {
        format!("{}[{index}].{key}", self.key)
    }

    pub(crate) fn obj<R: ReadDoc>(&self, doc: &R) -> Result<ObjId, Error> {
        layout::object_at(doc, &ROOT, self.key, ObjType::List, self.key)
    }

    /// Every line, fully checked: at most [`MAX_LINES`], only known keys,
    /// every field valid, no id twice. This is the validation on load and
    /// merge as well as the reader.
    pub(crate) fn read_all<R: ReadDoc>(&self, doc: &R) -> Result<Vec<Line>, Error> {
        let list = self.obj(doc)?;
        let len = layout::check_list_len(doc, &list, MAX_LINES, self.key)?;
        let lines = (0..len)
            .map(|index| {
                let obj = self.entry(doc, &list, index)?;
                self.read(doc, &obj, index)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut ids: Vec<&LineId> = lines.iter().map(|l| &l.id).collect();
        ids.sort();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(Error::malformed(
                self.key,
                format!("id {:?} appears more than once", pair[0].as_str()),
            ));
        }
        Ok(lines)
    }

    fn entry<R: ReadDoc>(&self, doc: &R, list: &ObjId, index: usize) -> Result<ObjId, Error> {
        layout::map_in_list(doc, list, index, &format!("{}[{index}]", self.key))
    }

    /// The line in map `obj`, which is at `index`; checked like [`Self::read_all`].
    pub(crate) fn read<R: ReadDoc>(
        &self,
        doc: &R,
        obj: &ObjId,
        index: usize,
    ) -> Result<Line, Error> {
        layout::check_keys(doc, obj, LINE_KEYS, &format!("{}[{index}]", self.key))?;
        let field = |key| self.field(index, key);
        let id = layout::read_str(doc, obj, LINE_ID, &field(LINE_ID))?;
        ID.stored(&field(LINE_ID), &id)?;
        let sku = layout::read_str(doc, obj, SKU, &field(SKU))?;
        SKU_RULE.stored(&field(SKU), &sku)?;
        let quantity_text = layout::read_str(doc, obj, QUANTITY, &field(QUANTITY))?;
        let quantity = parse_quantity(&quantity_text).map_err(|e| match e {
            Error::InvalidField { reason, .. } => Error::malformed(
                field(QUANTITY),
                format!("{:?} {reason}", echo(&quantity_text)),
            ),
            other => other,
        })?;
        let note = layout::read_str(doc, obj, NOTE, &field(NOTE))?;
        NOTE_RULE.stored(&field(NOTE), &note)?;
        Ok(Line {
            id: LineId(id),
            sku,
            quantity,
            note,
        })
    }

    /// The line with this id, checked like [`Self::read_all`].
    pub(crate) fn get<R: ReadDoc>(&self, doc: &R, line: &LineId) -> Result<Line, Error> {
        let (index, obj) = self.find(doc, line)?;
        self.read(doc, &obj, index)
    }

    /// Index and object of the line with this id.
    pub(crate) fn find<R: ReadDoc>(&self, doc: &R, line: &LineId) -> Result<(usize, ObjId), Error> {
        let list = self.obj(doc)?;
        for index in 0..doc.length(&list) {
            let obj = self.entry(doc, &list, index)?;
            let id = layout::read_str(doc, &obj, LINE_ID, &self.field(index, LINE_ID))?;
            if id == line.as_str() {
                return Ok((index, obj));
            }
        }
        Err(Error::UnknownLine(line.0.clone()))
    }

    /// Index and object of the line with this id, for an edit: where
    /// `hints` places it if the line there holds this id, or else from a
    /// scan that places every line anew. An edit of a 1,000-line draft
    /// then reads one line, not a thousand; a hint never decides, so one
    /// gone stale (a merge moved the lines) costs a scan, never a wrong
    /// line.
    pub(crate) fn find_hinted(
        &self,
        doc: &AutoCommit,
        hints: &mut LineHints,
        line: &LineId,
    ) -> Result<(usize, ObjId), Error> {
        let list = self.obj(doc)?;
        if let Some(&index) = hints.0.get(line.as_str())
            && let Ok(at) = self.entry(doc, &list, index)
            && layout::read_str(doc, &at, LINE_ID, LINE_ID).is_ok_and(|id| id == line.as_str())
        {
            return Ok((index, at));
        }
        hints.0.clear();
        let mut found = None;
        for index in 0..doc.length(&list) {
            let obj = self.entry(doc, &list, index)?;
            let id = layout::read_str(doc, &obj, LINE_ID, &self.field(index, LINE_ID))?;
            if id == line.as_str() {
                found = Some((index, obj));
            }
            hints.0.insert(id, index);
        }
        found.ok_or_else(|| Error::UnknownLine(line.0.clone()))
    }

    /// Appends a line as one change and returns its id.
    pub(crate) fn add(
        &self,
        doc: &mut AutoCommit,
        sku: &str,
        quantity: &str,
    ) -> Result<LineId, Error> {
        SKU_RULE.input(SKU, sku)?;
        let quantity = parse_quantity(quantity)?;
        let list = self.obj(doc)?;
        let index = doc.length(&list);
        if index >= MAX_LINES {
            return Err(Error::invalid(
                self.key,
                &index.to_string(),
                "has reached the limit of 1,000 entries",
            ));
        }
        layout::change(doc, "add line", |doc| {
            let line = doc.insert_object(&list, index, ObjType::Map)?;
            let id = layout::op_id_string(&line, self.key)?;
            doc.put(&line, LINE_ID, id.as_str())?;
            doc.put(&line, SKU, sku)?;
            doc.put(&line, QUANTITY, quantity.to_string())?;
            doc.put(&line, NOTE, "")?;
            Ok(LineId(id))
        })
    }

    /// Sets a line's quantity; the same value writes nothing.
    pub(crate) fn set_quantity(
        &self,
        doc: &mut AutoCommit,
        hints: &mut LineHints,
        line: &LineId,
        quantity: &str,
    ) -> Result<(), Error> {
        let quantity = parse_quantity(quantity)?.to_string();
        self.set_field(doc, hints, line, QUANTITY, &quantity)
    }

    /// Sets a line's note; the same value writes nothing.
    pub(crate) fn set_note(
        &self,
        doc: &mut AutoCommit,
        hints: &mut LineHints,
        line: &LineId,
        note: &str,
    ) -> Result<(), Error> {
        NOTE_RULE.input(NOTE, note)?;
        self.set_field(doc, hints, line, NOTE, note)
    }

    fn set_field(
        &self,
        doc: &mut AutoCommit,
        hints: &mut LineHints,
        line: &LineId,
        key: &'static str,
        value: &str,
    ) -> Result<(), Error> {
        let (index, obj) = self.find_hinted(doc, hints, line)?;
        layout::put_if_changed(doc, &obj, key, &self.field(index, key), value)
    }

    /// Removes a line as one change.
    pub(crate) fn remove(
        &self,
        doc: &mut AutoCommit,
        hints: &mut LineHints,
        line: &LineId,
    ) -> Result<(), Error> {
        let (index, _) = self.find_hinted(doc, hints, line)?;
        let list = self.obj(doc)?;
        // The lines after it move up: every hint may be off now.
        hints.0.clear();
        layout::change(doc, "remove line", |doc| {
            doc.delete(&list, index)?;
            Ok(())
        })
    }
}
