//! [`OrderDraft`]: a cart several devices edit, offline and at the same time.
//!
//! # Document layout (schema `tradeport.order_draft/1`)
//!
//! ```text
//! ROOT (map)
//!   schema        "tradeport.order_draft/1"
//!   draft_id      string, fixed at creation
//!   account_id    string, fixed at creation
//!   ship_to_id    string
//!   po_reference  string
//!   notes         string
//!   lines         list of map:
//!     id          string, the line's stable id
//!     sku         string
//!     quantity    string, a decimal > 0 (see `parse_quantity`)
//!     note        string
//! ```
//!
//! Only this module knows these paths. Other implementations (the browser
//! editing a draft through automerge-js) must keep to the same layout; a
//! document that does not is rejected by [`OrderDraft::load`] and
//! [`OrderDraft::merge`] with [`Error::Malformed`].
//!
//! # Merge semantics
//!
//! Chosen on purpose; each rule has a test below.
//!
//! * **Concurrent adds keep both lines.** `lines` is an automerge list, and
//!   inserts into a list never overwrite each other. After a merge every
//!   device sees the same order: a device's own lines in the order it added
//!   them, and lines appended concurrently by different devices interleaved
//!   deterministically by automerge (by op id), the same on every device.
//! * **Concurrent edits of one field converge to one value.** A header field,
//!   a line's `quantity` or a line's `note` is a single map key. When two
//!   devices set it without having seen each other's change, automerge keeps
//!   both internally and every device reads the same winner: the write with
//!   the greater op id, i.e. the higher Lamport counter, ties broken by the
//!   greater actor id. This is *not* wall-clock time: the winner of truly
//!   concurrent edits is arbitrary but identical everywhere. An edit made
//!   *after* seeing another always wins over it. Quantities are not added
//!   up: if one person sets 5 and another 7, the line ends at 5 or 7, never 12.
//!   `notes` is a plain string too, so concurrent note edits do not combine
//!   character by character; one whole text wins.
//! * **Delete wins over a concurrent edit.** Removing a line deletes its
//!   element from `lines`; an edit made concurrently elsewhere writes into the
//!   line's own map, which no longer appears in the list, so after the merge
//!   the line is gone on every device and further edits of it fail with
//!   [`Error::UnknownLine`]. We chose this over resurrecting the line because
//!   a removed line reappearing with the other device's quantity would be
//!   ordered by surprise; re-adding is one tap away.
//! * **Unrelated drafts are never merged.** Two drafts made by separate
//!   [`OrderDraft::new`] calls have different `draft_id`s; merging them would
//!   make their `lines` lists conflict and silently hide one of them, so
//!   [`OrderDraft::merge`] refuses with [`Error::DifferentDraft`].
//!
//! # Ids and actors
//!
//! A line id (and the draft id) is the automerge op id of the object that
//! holds it, written `"<counter>@<actor hex>"`. Op ids are unique as long as
//! no two live copies of a document share an actor id, which is why
//! [`OrderDraft::load`] and [`OrderDraft::fork_for_device`] pick a fresh
//! random actor. Use [`OrderDraft::with_actor`] only with an actor that no
//! other live copy uses.

use std::fmt;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use rust_decimal::Decimal;

use crate::Error;
use crate::quantity::parse_quantity;

/// Value of the root `schema` key; bump the suffix on incompatible layout changes.
pub const SCHEMA: &str = "tradeport.order_draft/1";

const SCHEMA_KEY: &str = "schema";
const DRAFT_ID: &str = "draft_id";
const ACCOUNT_ID: &str = "account_id";
const SHIP_TO_ID: &str = "ship_to_id";
const PO_REFERENCE: &str = "po_reference";
const NOTES: &str = "notes";
const LINES: &str = "lines";
const LINE_ID: &str = "id";
const SKU: &str = "sku";
const QUANTITY: &str = "quantity";
const LINE_NOTE: &str = "note";

/// The stable id of a draft line, unique across devices.
///
/// Returned by [`OrderDraft::add_line`]; build one from a string received from
/// a client with `LineId::from`.
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

/// The header of a draft, as read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftHeader {
    /// Identifies the draft across all its copies; fixed at creation.
    pub draft_id: String,
    /// The buying account; fixed at creation.
    pub account_id: String,
    /// Chosen delivery address, empty until set.
    pub ship_to_id: String,
    /// The buyer's purchase-order reference, empty until set.
    pub po_reference: String,
    /// Free text for the whole order, empty until set.
    pub notes: String,
}

/// One line of a draft, as read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLine {
    /// Stable id, unique across devices.
    pub id: LineId,
    /// The product, as the buyer chose it; the server checks it exists.
    pub sku: String,
    /// Exact quantity, greater than zero, scale as entered (`2.50` stays `2.50`).
    pub quantity: Decimal,
    /// Free text for this line, empty until set.
    pub note: String,
}

/// An order draft (cart) backed by an automerge document.
///
/// Every method that changes the draft validates its input first, then
/// writes and commits one automerge change; if it returns an error the
/// document is unchanged. Reading methods return [`Error::Malformed`] rather
/// than panicking should the document ever not match the layout, though
/// `load` and `merge` already refuse such documents.
pub struct OrderDraft {
    doc: AutoCommit,
}

impl fmt::Debug for OrderDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderDraft")
            .field("draft_id", &self.draft_id().ok())
            .field("actor", &self.actor_id())
            .finish_non_exhaustive()
    }
}

impl OrderDraft {
    /// Starts an empty draft for `account_id`, with a random actor id.
    pub fn new(account_id: &str) -> Result<Self, Error> {
        if account_id.trim().is_empty() {
            return Err(Error::invalid(ACCOUNT_ID, account_id, "must not be empty"));
        }
        let mut draft = OrderDraft {
            doc: AutoCommit::new(),
        };
        draft.change("create draft", |doc| {
            let lines = doc.put_object(ROOT, LINES, ObjType::List)?;
            let draft_id = op_id_string(&lines, LINES)?;
            doc.put(ROOT, SCHEMA_KEY, SCHEMA)?;
            doc.put(ROOT, DRAFT_ID, draft_id)?;
            doc.put(ROOT, ACCOUNT_ID, account_id)?;
            doc.put(ROOT, SHIP_TO_ID, "")?;
            doc.put(ROOT, PO_REFERENCE, "")?;
            doc.put(ROOT, NOTES, "")?;
            Ok(())
        })?;
        Ok(draft)
    }

    /// Loads a draft saved by [`save`](Self::save) (here or by any other copy).
    ///
    /// The loaded copy gets a fresh random actor id. Fails with
    /// [`Error::Decode`] for bytes that are not an automerge document and
    /// [`Error::Malformed`] for a document that is not a valid order draft.
    pub fn load(bytes: &[u8]) -> Result<Self, Error> {
        let doc = AutoCommit::load(bytes).map_err(Error::Decode)?;
        validate(&doc)?;
        Ok(OrderDraft { doc })
    }

    /// The whole document with its history, compact, for storage or transfer.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// A copy of this draft for another device (or browser tab), with a new
    /// random actor id; edit both and [`merge`](Self::merge) them later.
    pub fn fork_for_device(&mut self) -> Self {
        OrderDraft {
            doc: self.doc.fork(),
        }
    }

    /// This draft with the given actor id for its future changes.
    ///
    /// The actor must not be used by any other live copy of the draft at the
    /// same time, or line ids and merges break.
    pub fn with_actor(self, actor: ActorId) -> Self {
        OrderDraft {
            doc: self.doc.with_actor(actor),
        }
    }

    /// The actor id this copy writes with, in hex.
    pub fn actor_id(&self) -> String {
        self.doc.get_actor().to_hex_string()
    }

    /// The id shared by all copies of this draft.
    pub fn draft_id(&self) -> Result<String, Error> {
        read_str(&self.doc, &ROOT, DRAFT_ID, DRAFT_ID)
    }

    /// Reads the header fields.
    pub fn header(&self) -> Result<DraftHeader, Error> {
        read_header(&self.doc)
    }

    /// Sets the delivery address id.
    pub fn set_ship_to_id(&mut self, ship_to_id: &str) -> Result<(), Error> {
        self.set_header_field(SHIP_TO_ID, ship_to_id)
    }

    /// Sets the buyer's purchase-order reference.
    pub fn set_po_reference(&mut self, po_reference: &str) -> Result<(), Error> {
        self.set_header_field(PO_REFERENCE, po_reference)
    }

    /// Sets the order notes (whole text; concurrent edits: one text wins).
    pub fn set_notes(&mut self, notes: &str) -> Result<(), Error> {
        self.set_header_field(NOTES, notes)
    }

    /// Appends a line and returns its new id.
    ///
    /// `sku` must not be blank; `quantity` must pass [`parse_quantity`].
    pub fn add_line(&mut self, sku: &str, quantity: &str) -> Result<LineId, Error> {
        if sku.trim().is_empty() {
            return Err(Error::invalid(SKU, sku, "must not be empty"));
        }
        let quantity = parse_quantity(quantity)?;
        self.change("add line", |doc| {
            let lines = lines_obj(doc)?;
            let index = doc.length(&lines);
            let line = doc.insert_object(&lines, index, ObjType::Map)?;
            let id = op_id_string(&line, LINES)?;
            doc.put(&line, LINE_ID, id.as_str())?;
            doc.put(&line, SKU, sku)?;
            doc.put(&line, QUANTITY, quantity.to_string())?;
            doc.put(&line, LINE_NOTE, "")?;
            Ok(LineId(id))
        })
    }

    /// Sets a line's quantity. Setting the value it already has writes nothing.
    pub fn set_quantity(&mut self, line: &LineId, quantity: &str) -> Result<(), Error> {
        let quantity = parse_quantity(quantity)?.to_string();
        self.set_line_field(line, QUANTITY, &quantity)
    }

    /// Sets a line's note. Setting the value it already has writes nothing.
    pub fn set_line_note(&mut self, line: &LineId, note: &str) -> Result<(), Error> {
        self.set_line_field(line, LINE_NOTE, note)
    }

    /// Removes a line. A concurrent edit of it on another device will not
    /// bring it back (delete wins, see the module docs).
    pub fn remove_line(&mut self, line: &LineId) -> Result<(), Error> {
        self.change("remove line", |doc| {
            let lines = lines_obj(doc)?;
            let (index, _) = find_line(doc, &lines, line)?;
            doc.delete(&lines, index)?;
            Ok(())
        })
    }

    /// One line by id.
    pub fn line(&self, line: &LineId) -> Result<DraftLine, Error> {
        let lines = lines_obj(&self.doc)?;
        let (index, obj) = find_line(&self.doc, &lines, line)?;
        read_line(&self.doc, &obj, index)
    }

    /// All lines, in list order (see the module docs for how concurrent
    /// additions are ordered — the same on every device after a merge).
    pub fn lines(&self) -> Result<Vec<DraftLine>, Error> {
        read_lines(&self.doc)
    }

    /// Takes in every change `other` has that this copy lacks.
    ///
    /// `other` is only read (it needs `&mut` because automerge closes its
    /// pending transaction; this crate never leaves one open). The merge is
    /// all-or-nothing: it is done on a copy, the result is validated, and
    /// only a valid result replaces this document, so a bad peer cannot leave
    /// this draft half-merged or unreadable. Merge both ways (or exchange
    /// sync messages) for two copies to become equal.
    pub fn merge(&mut self, other: &mut OrderDraft) -> Result<(), Error> {
        let ours = self.draft_id()?;
        let theirs = other.draft_id()?;
        if ours != theirs {
            return Err(Error::DifferentDraft { ours, theirs });
        }
        let actor = self.doc.get_actor().clone();
        let mut candidate = self.doc.fork().with_actor(actor);
        candidate.merge(&mut other.doc)?;
        validate(&candidate)?;
        self.doc = candidate;
        Ok(())
    }

    fn set_header_field(&mut self, key: &'static str, value: &str) -> Result<(), Error> {
        if read_str(&self.doc, &ROOT, key, key)? == value {
            return Ok(());
        }
        self.change(key, |doc| {
            doc.put(ROOT, key, value)?;
            Ok(())
        })
    }

    fn set_line_field(
        &mut self,
        line: &LineId,
        key: &'static str,
        value: &str,
    ) -> Result<(), Error> {
        let lines = lines_obj(&self.doc)?;
        let (index, obj) = find_line(&self.doc, &lines, line)?;
        if read_str(&self.doc, &obj, key, &line_field(index, key))? == value {
            return Ok(());
        }
        self.change(key, |doc| {
            doc.put(&obj, key, value)?;
            Ok(())
        })
    }

    /// Runs `edit` as one automerge change: committed if it succeeds, rolled
    /// back if it fails, so every public method leaves either its whole
    /// change or nothing.
    fn change<T>(
        &mut self,
        message: &str,
        edit: impl FnOnce(&mut AutoCommit) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match edit(&mut self.doc) {
            Ok(value) => {
                self.doc
                    .commit_with(CommitOptions::default().with_message(message));
                Ok(value)
            }
            Err(e) => {
                self.doc.rollback();
                Err(e)
            }
        }
    }
}

/// Checks everything the typed API relies on.
fn validate(doc: &AutoCommit) -> Result<(), Error> {
    let schema = read_str(doc, &ROOT, SCHEMA_KEY, SCHEMA_KEY)?;
    if schema != SCHEMA {
        return Err(Error::malformed(
            SCHEMA_KEY,
            format!("expected {SCHEMA:?}, found {schema:?}"),
        ));
    }
    let header = read_header(doc)?;
    if header.draft_id.is_empty() {
        return Err(Error::malformed(DRAFT_ID, "must not be empty"));
    }
    if header.account_id.trim().is_empty() {
        return Err(Error::malformed(ACCOUNT_ID, "must not be empty"));
    }
    let lines = read_lines(doc)?;
    let mut ids: Vec<&LineId> = lines.iter().map(|l| &l.id).collect();
    ids.sort();
    if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::malformed(
            LINES,
            format!("line id {:?} appears more than once", pair[0].as_str()),
        ));
    }
    Ok(())
}

fn read_header(doc: &AutoCommit) -> Result<DraftHeader, Error> {
    Ok(DraftHeader {
        draft_id: read_str(doc, &ROOT, DRAFT_ID, DRAFT_ID)?,
        account_id: read_str(doc, &ROOT, ACCOUNT_ID, ACCOUNT_ID)?,
        ship_to_id: read_str(doc, &ROOT, SHIP_TO_ID, SHIP_TO_ID)?,
        po_reference: read_str(doc, &ROOT, PO_REFERENCE, PO_REFERENCE)?,
        notes: read_str(doc, &ROOT, NOTES, NOTES)?,
    })
}

fn read_lines(doc: &AutoCommit) -> Result<Vec<DraftLine>, Error> {
    let lines = lines_obj(doc)?;
    (0..doc.length(&lines))
        .map(|index| {
            let obj = line_obj(doc, &lines, index)?;
            read_line(doc, &obj, index)
        })
        .collect()
}

fn read_line(doc: &AutoCommit, obj: &ObjId, index: usize) -> Result<DraftLine, Error> {
    let id = read_str(doc, obj, LINE_ID, &line_field(index, LINE_ID))?;
    if id.is_empty() {
        return Err(Error::malformed(
            line_field(index, LINE_ID),
            "must not be empty",
        ));
    }
    let sku = read_str(doc, obj, SKU, &line_field(index, SKU))?;
    if sku.trim().is_empty() {
        return Err(Error::malformed(
            line_field(index, SKU),
            "must not be empty",
        ));
    }
    let quantity_text = read_str(doc, obj, QUANTITY, &line_field(index, QUANTITY))?;
    let quantity = parse_quantity(&quantity_text).map_err(|e| match e {
        Error::InvalidField { reason, .. } => Error::malformed(
            line_field(index, QUANTITY),
            format!("{quantity_text:?} {reason}"),
        ),
        other => other,
    })?;
    Ok(DraftLine {
        id: LineId(id),
        sku,
        quantity,
        note: read_str(doc, obj, LINE_NOTE, &line_field(index, LINE_NOTE))?,
    })
}

fn line_field(index: usize, key: &str) -> String {
    format!("{LINES}[{index}].{key}")
}

fn lines_obj(doc: &AutoCommit) -> Result<ObjId, Error> {
    match doc.get(ROOT, LINES)? {
        Some((Value::Object(ObjType::List), id)) => Ok(id),
        Some(_) => Err(Error::malformed(LINES, "expected a list")),
        None => Err(Error::malformed(LINES, "missing")),
    }
}

fn line_obj(doc: &AutoCommit, lines: &ObjId, index: usize) -> Result<ObjId, Error> {
    match doc.get(lines, index)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        Some(_) => Err(Error::malformed(
            format!("{LINES}[{index}]"),
            "expected a map",
        )),
        None => Err(Error::malformed(format!("{LINES}[{index}]"), "missing")),
    }
}

/// Index and object of the line with this id.
fn find_line(doc: &AutoCommit, lines: &ObjId, line: &LineId) -> Result<(usize, ObjId), Error> {
    for index in 0..doc.length(lines) {
        let obj = line_obj(doc, lines, index)?;
        if read_str(doc, &obj, LINE_ID, &line_field(index, LINE_ID))? == line.as_str() {
            return Ok((index, obj));
        }
    }
    Err(Error::UnknownLine(line.0.clone()))
}

/// The string at `obj[key]`; `field` names it in errors.
fn read_str(doc: &AutoCommit, obj: &ObjId, key: &str, field: &str) -> Result<String, Error> {
    match doc.get(obj, key)? {
        Some((Value::Scalar(value), _)) => match value.as_ref() {
            ScalarValue::Str(s) => Ok(s.to_string()),
            _ => Err(Error::malformed(field, "expected a string")),
        },
        Some((Value::Object(_), _)) => Err(Error::malformed(field, "expected a string")),
        None => Err(Error::malformed(field, "missing")),
    }
}

/// `"<counter>@<actor hex>"` for an object created in this document.
fn op_id_string(id: &ObjId, field: &str) -> Result<String, Error> {
    match id {
        ObjId::Id(counter, actor, _) => Ok(format!("{counter}@{actor}")),
        ObjId::Root => Err(Error::malformed(field, "object id is the document root")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn qty(s: &str) -> Decimal {
        parse_quantity(s).unwrap()
    }

    /// A draft with one line, plus two device copies forked from it.
    fn base_and_two_devices() -> (OrderDraft, OrderDraft, OrderDraft, LineId) {
        let mut base = OrderDraft::new("acct-1").unwrap();
        let line = base.add_line("SKU-1", "1").unwrap();
        let a = base.fork_for_device();
        let b = base.fork_for_device();
        (base, a, b, line)
    }

    fn merge_both_ways(a: &mut OrderDraft, b: &mut OrderDraft) {
        a.merge(b).unwrap();
        b.merge(a).unwrap();
        assert_eq!(
            a.doc.get_heads(),
            b.doc.get_heads(),
            "copies did not converge"
        );
    }

    fn heads(d: &mut OrderDraft) -> Vec<automerge::ChangeHash> {
        d.doc.get_heads()
    }

    #[test]
    fn new_draft_has_header_and_no_lines() {
        let d = OrderDraft::new("acct-1").unwrap();
        let h = d.header().unwrap();
        assert_eq!(h.account_id, "acct-1");
        assert_eq!(h.ship_to_id, "");
        assert!(!h.draft_id.is_empty());
        assert_eq!(h.draft_id, d.draft_id().unwrap());
        assert!(d.lines().unwrap().is_empty());
        validate(&d.doc).unwrap();
    }

    #[test]
    fn new_rejects_blank_account() {
        let err = OrderDraft::new("  ").unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidField {
                    field: "account_id",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn local_edits_read_back() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        d.set_ship_to_id("ship-9").unwrap();
        d.set_po_reference("PO-77").unwrap();
        d.set_notes("deliver before noon").unwrap();
        let l1 = d.add_line("SKU-1", "2").unwrap();
        let l2 = d.add_line("SKU-2", "0.5").unwrap();
        d.set_quantity(&l1, "3.50").unwrap();
        d.set_line_note(&l2, "cut to size").unwrap();

        let h = d.header().unwrap();
        assert_eq!(
            (
                h.ship_to_id.as_str(),
                h.po_reference.as_str(),
                h.notes.as_str()
            ),
            ("ship-9", "PO-77", "deliver before noon")
        );
        let lines = d.lines().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].id, l1);
        assert_eq!(lines[0].sku, "SKU-1");
        assert_eq!(lines[0].quantity.to_string(), "3.50");
        assert_eq!(lines[1].id, l2);
        assert_eq!(lines[1].quantity, qty("0.5"));
        assert_eq!(lines[1].note, "cut to size");
        assert_eq!(d.line(&l2).unwrap(), lines[1]);
        assert_ne!(l1, l2);

        d.remove_line(&l1).unwrap();
        assert_eq!(d.lines().unwrap(), vec![lines[1].clone()]);
    }

    #[test]
    fn setting_the_same_value_writes_nothing() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        let l = d.add_line("SKU-1", "2").unwrap();
        d.set_notes("x").unwrap();
        let before = heads(&mut d);
        d.set_quantity(&l, "2").unwrap();
        d.set_quantity(&l, "+2").unwrap();
        d.set_notes("x").unwrap();
        assert_eq!(heads(&mut d), before);
    }

    #[test]
    fn concurrent_adds_keep_both_lines_in_the_same_order() {
        let (_, mut a, mut b, first) = base_and_two_devices();
        let la = a.add_line("SKU-A", "2").unwrap();
        let lb = b.add_line("SKU-B", "3").unwrap();
        assert_ne!(la, lb, "line ids from two devices must differ");

        merge_both_ways(&mut a, &mut b);

        let lines_a = a.lines().unwrap();
        assert_eq!(lines_a, b.lines().unwrap());
        assert_eq!(lines_a.len(), 3);
        assert_eq!(lines_a[0].id, first);
        let mut ids: Vec<_> = lines_a[1..].iter().map(|l| l.id.clone()).collect();
        ids.sort();
        let mut expected = vec![la, lb];
        expected.sort();
        assert_eq!(ids, expected);
    }

    #[test]
    fn concurrent_adds_from_fresh_copies_converge_after_save_and_load() {
        // Devices that load the saved draft (fresh actor each) instead of forking.
        let mut base = OrderDraft::new("acct-1").unwrap();
        let bytes = base.save();
        let mut a = OrderDraft::load(&bytes).unwrap();
        let mut b = OrderDraft::load(&bytes).unwrap();
        assert_ne!(a.actor_id(), b.actor_id());
        for i in 0..3 {
            a.add_line(&format!("A-{i}"), "1").unwrap();
            b.add_line(&format!("B-{i}"), "1").unwrap();
        }
        merge_both_ways(&mut a, &mut b);
        let lines = a.lines().unwrap();
        assert_eq!(lines, b.lines().unwrap());
        assert_eq!(lines.len(), 6);
        // Each device's own lines keep their relative order.
        let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
        let a_skus: Vec<&str> = skus
            .iter()
            .copied()
            .filter(|s| s.starts_with("A-"))
            .collect();
        assert_eq!(a_skus, ["A-0", "A-1", "A-2"]);
    }

    #[test]
    fn concurrent_quantity_edits_converge_to_one_value() {
        let (_, mut a, mut b, line) = base_and_two_devices();
        a.set_quantity(&line, "5").unwrap();
        b.set_quantity(&line, "7").unwrap();

        merge_both_ways(&mut a, &mut b);

        let qa = a.line(&line).unwrap().quantity;
        let qb = b.line(&line).unwrap().quantity;
        assert_eq!(qa, qb);
        assert!(
            qa == qty("5") || qa == qty("7"),
            "got {qa}, not one of the two edits"
        );
    }

    #[test]
    fn concurrent_quantity_edits_greater_actor_wins_the_tie() {
        // Same Lamport counter on both sides, so the greater actor id wins;
        // pin actors to make the documented rule observable.
        let (_, a, b, line) = base_and_two_devices();
        let mut a = a.with_actor(ActorId::from([0xaa_u8; 16]));
        let mut b = b.with_actor(ActorId::from([0xbb_u8; 16]));
        a.set_quantity(&line, "5").unwrap();
        b.set_quantity(&line, "7").unwrap();
        merge_both_ways(&mut a, &mut b);
        assert_eq!(a.line(&line).unwrap().quantity, qty("7"));
        assert_eq!(b.line(&line).unwrap().quantity, qty("7"));
    }

    #[test]
    fn an_edit_made_after_seeing_another_wins() {
        let (_, a, b, line) = base_and_two_devices();
        // b has the greater actor, so it would win a tie; causality beats that.
        let mut a = a.with_actor(ActorId::from([0x01_u8; 16]));
        let mut b = b.with_actor(ActorId::from([0xff_u8; 16]));
        b.set_quantity(&line, "7").unwrap();
        a.merge(&mut b).unwrap();
        a.set_quantity(&line, "5").unwrap();
        merge_both_ways(&mut a, &mut b);
        assert_eq!(b.line(&line).unwrap().quantity, qty("5"));
    }

    #[test]
    fn concurrent_header_edits_converge() {
        let (_, mut a, mut b, _) = base_and_two_devices();
        a.set_po_reference("PO-A").unwrap();
        b.set_po_reference("PO-B").unwrap();
        a.set_ship_to_id("ship-a").unwrap();
        merge_both_ways(&mut a, &mut b);
        let ha = a.header().unwrap();
        assert_eq!(ha, b.header().unwrap());
        assert!(ha.po_reference == "PO-A" || ha.po_reference == "PO-B");
        assert_eq!(ha.ship_to_id, "ship-a");
    }

    #[test]
    fn delete_wins_over_concurrent_edit() {
        let (_, mut a, mut b, line) = base_and_two_devices();
        let kept = a.add_line("SKU-KEPT", "1").unwrap();
        a.remove_line(&line).unwrap();
        b.set_quantity(&line, "9").unwrap();
        b.set_line_note(&line, "urgent").unwrap();
        assert_eq!(b.line(&line).unwrap().quantity, qty("9"));

        merge_both_ways(&mut a, &mut b);

        for d in [&a, &b] {
            let lines = d.lines().unwrap();
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert_eq!(lines[0].id, kept);
            assert!(matches!(d.line(&line), Err(Error::UnknownLine(_))));
        }
        let err = b.set_quantity(&line, "10").unwrap_err();
        assert!(
            matches!(&err, Error::UnknownLine(id) if id == line.as_str()),
            "{err}"
        );
        assert!(err.to_string().contains(line.as_str()));
    }

    #[test]
    fn save_load_roundtrip() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        d.set_po_reference("PO-1").unwrap();
        let l = d.add_line("SKU-1", "12.250").unwrap();
        d.set_line_note(&l, "note").unwrap();
        d.add_line("SKU-2", "1").unwrap();

        let bytes = d.save();
        let mut loaded = OrderDraft::load(&bytes).unwrap();
        assert_eq!(loaded.header().unwrap(), d.header().unwrap());
        assert_eq!(loaded.lines().unwrap(), d.lines().unwrap());
        assert_eq!(loaded.lines().unwrap()[0].quantity.to_string(), "12.250");
        assert_eq!(heads(&mut loaded), heads(&mut d));
        assert_ne!(
            loaded.actor_id(),
            d.actor_id(),
            "a loaded copy needs its own actor"
        );

        // The loaded copy is the same draft: it edits and merges back.
        loaded.set_quantity(&l, "1").unwrap();
        d.merge(&mut loaded).unwrap();
        assert_eq!(d.line(&l).unwrap().quantity, qty("1"));
    }

    #[test]
    fn invalid_quantity_is_rejected_naming_the_field_and_changes_nothing() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        let l = d.add_line("SKU-1", "2").unwrap();
        let before_heads = heads(&mut d);
        let before_lines = d.lines().unwrap();

        for bad in ["-1", "abc", "0", "", "1e9", &"9".repeat(29)] {
            for err in [
                d.add_line("SKU-2", bad).unwrap_err(),
                d.set_quantity(&l, bad).unwrap_err(),
            ] {
                assert!(
                    matches!(
                        err,
                        Error::InvalidField {
                            field: "quantity",
                            ..
                        }
                    ),
                    "{bad:?}: {err:?}"
                );
                assert!(err.to_string().contains("quantity"), "{err}");
            }
        }
        assert_eq!(heads(&mut d), before_heads);
        assert_eq!(d.lines().unwrap(), before_lines);

        let err = d.set_quantity(&l, "-1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid quantity \"-1\": must be greater than zero"
        );
    }

    #[test]
    fn blank_sku_and_unknown_line_are_rejected() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        let before = heads(&mut d);
        let err = d.add_line(" ", "1").unwrap_err();
        assert!(
            matches!(err, Error::InvalidField { field: "sku", .. }),
            "{err}"
        );
        let ghost = LineId::from("1@00");
        for err in [
            d.set_quantity(&ghost, "1").unwrap_err(),
            d.set_line_note(&ghost, "x").unwrap_err(),
            d.remove_line(&ghost).unwrap_err(),
        ] {
            assert_eq!(err.to_string(), "unknown line id \"1@00\"");
        }
        assert_eq!(heads(&mut d), before);
    }

    #[test]
    fn loading_garbage_is_an_error_not_a_panic() {
        let mut good = OrderDraft::new("acct-1").unwrap().save();
        let mut inputs: Vec<Vec<u8>> = vec![
            b"not an automerge document".to_vec(),
            vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0],
            vec![0xff; 64],
            good[..good.len() / 2].to_vec(),
        ];
        // Flip a byte in the middle of a valid save.
        let mid = good.len() / 2;
        good[mid] ^= 0x55;
        inputs.push(good);
        for bytes in inputs {
            let result = OrderDraft::load(&bytes);
            assert!(result.is_err(), "loaded {bytes:?}");
        }
        assert!(matches!(
            OrderDraft::load(b"garbage"),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn loading_a_document_that_is_not_a_draft_is_malformed() {
        // Empty input is an empty automerge document: valid automerge, not a draft.
        let err = OrderDraft::load(&[]).unwrap_err();
        assert!(
            matches!(&err, Error::Malformed { field, .. } if field == "schema"),
            "{err}"
        );

        let mut other = AutoCommit::new();
        other.put(ROOT, "schema", "something.else/1").unwrap();
        let err = OrderDraft::load(&other.save()).unwrap_err();
        assert!(err.to_string().contains("schema"), "{err}");
    }

    #[test]
    fn loading_a_draft_with_a_bad_quantity_names_the_line_field() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        d.add_line("SKU-1", "1").unwrap();
        d.add_line("SKU-2", "1").unwrap();
        // A peer that bypassed the typed API.
        let lines = lines_obj(&d.doc).unwrap();
        let second = line_obj(&d.doc, &lines, 1).unwrap();
        d.doc.put(&second, QUANTITY, "-3").unwrap();
        let err = OrderDraft::load(&d.save()).unwrap_err();
        assert!(
            matches!(&err, Error::Malformed { field, .. } if field == "lines[1].quantity"),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "malformed order draft: field lines[1].quantity: \"-3\" must be greater than zero"
        );
    }

    #[test]
    fn merge_refuses_a_malformed_peer_and_changes_nothing() {
        let (_, mut a, mut b, _) = base_and_two_devices();
        a.add_line("SKU-A", "1").unwrap();
        let lines = lines_obj(&b.doc).unwrap();
        let first = line_obj(&b.doc, &lines, 0).unwrap();
        b.doc.put(&first, QUANTITY, "abc").unwrap();
        b.doc.commit();

        let before_heads = heads(&mut a);
        let before_lines = a.lines().unwrap();
        let err = a.merge(&mut b).unwrap_err();
        assert!(
            matches!(&err, Error::Malformed { field, .. } if field == "lines[0].quantity"),
            "{err}"
        );
        assert_eq!(heads(&mut a), before_heads);
        assert_eq!(a.lines().unwrap(), before_lines);
    }

    #[test]
    fn merge_refuses_an_unrelated_draft() {
        let mut a = OrderDraft::new("acct-1").unwrap();
        let mut b = OrderDraft::new("acct-1").unwrap();
        a.add_line("SKU-A", "1").unwrap();
        let before = heads(&mut a);
        let err = a.merge(&mut b).unwrap_err();
        assert!(matches!(err, Error::DifferentDraft { .. }), "{err}");
        assert_eq!(heads(&mut a), before);
    }

    #[test]
    fn merge_keeps_our_actor() {
        let (_, mut a, mut b, _) = base_and_two_devices();
        let actor = a.actor_id();
        a.merge(&mut b).unwrap();
        assert_eq!(a.actor_id(), actor);
    }
}
