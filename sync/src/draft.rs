//! [`OrderDraft`]: a cart several devices edit, offline and at the same time.
//!
//! What this module must never do: price, check stock or submit (the server
//! decides those through `OrderService`), or accept a peer's document
//! without checking all of it.
//!
//! # Document layout (schema `tradeport.order_draft/1`)
//!
//! ```text
//! ROOT (map)
//!   schema          "tradeport.order_draft/1"
//!   draft_id        string, fixed at creation
//!   account_id      string, fixed at creation, 1 to 128 characters
//!   ship_to_id      string, at most 128 characters
//!   po_reference    string, at most 128 characters
//!   requested_date  string, "YYYY-MM-DD" or empty; may be absent (see below)
//!   notes           string, at most 4,000 characters
//!   lines           list of at most 1,000 maps (see `lines.rs`):
//!     id            string, the line's stable id
//!     sku           string, 1 to 64 characters
//!     quantity      string, a decimal > 0 (see `parse_quantity`)
//!     note          string, at most 4,000 characters
//! ```
//!
//! Only this module (and `lines.rs` for the lines) knows these paths. Other
//! implementations (the browser editing a draft through automerge-js) must
//! keep to the same layout; a document that does not — a missing or
//! mistyped field, a key the layout does not define, a value over a limit —
//! is refused by [`OrderDraft::load`], [`OrderDraft::merge`] and
//! [`inspect`](crate::inspect) with [`Error::Malformed`] naming the field
//! (`lines[3].quantity`, `requested_date`, `colour` for an unknown key).
//!
//! `requested_date` came after the first drafts of this schema were made.
//! Such drafts have no `requested_date` key; they load and read as an empty
//! date, and setting a date adds the key. The schema string did not change
//! because every older document is still a valid one.
//!
//! # Merge semantics
//!
//! Chosen on purpose; each rule has a test in `draft_tests.rs`, named after it.
//!
//! * **Concurrent adds keep both lines.** `lines` is an automerge list, and
//!   inserts into a list never overwrite each other. After a merge every
//!   device sees the same order: a device's own lines in the order it added
//!   them, and lines appended concurrently by different devices interleaved
//!   deterministically by automerge (by op id), the same on every device.
//!   (`concurrent_adds_keep_both_lines_in_the_same_order`,
//!   `concurrent_adds_from_fresh_copies_converge_after_save_and_load`)
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
//!   (`concurrent_quantity_edits_converge_to_one_value`,
//!   `concurrent_quantity_edits_greater_actor_wins_the_tie`,
//!   `an_edit_made_after_seeing_another_wins`, `concurrent_header_edits_converge`,
//!   `concurrent_requested_dates_converge_to_one`)
//! * **Delete wins over a concurrent edit.** Removing a line deletes its
//!   element from `lines`; an edit made concurrently elsewhere writes into the
//!   line's own map, which no longer appears in the list, so after the merge
//!   the line is gone on every device and further edits of it fail with
//!   [`Error::UnknownLine`]. We chose this over resurrecting the line because
//!   a removed line reappearing with the other device's quantity would be
//!   ordered by surprise; re-adding is one tap away. (`delete_wins_over_concurrent_edit`)
//! * **Unrelated drafts are never merged.** Two drafts made by separate
//!   [`OrderDraft::new`] calls have different `draft_id`s; merging them would
//!   make their `lines` lists conflict and silently hide one of them, so
//!   [`OrderDraft::merge`] refuses with [`Error::DifferentDraft`].
//!   (`merge_refuses_an_unrelated_draft`)
//! * **A draft never changes hands.** `draft_id` and `account_id` are fixed
//!   at creation; a merge whose result has another account (a peer that
//!   rewrote `account_id`) is refused and nothing of it is kept.
//!   (`merge_refuses_a_draft_moved_to_another_account`)
//! * **Limits hold after a merge too.** Two copies under a limit can merge
//!   into a draft over it (two devices each adding 600 lines); such a merge
//!   is refused like a hostile one, and the devices must remove lines first.
//!   (`merge_over_the_line_limit_is_refused`)
//!
//! # Ids and actors
//!
//! A line id (and the draft id) is the automerge op id of the object that
//! holds it, written `"<counter>@<actor hex>"`. Op ids are unique as long as
//! no two live copies of a document share an actor id, which is why
//! [`OrderDraft::load`] and [`OrderDraft::fork_for_device`] pick a fresh
//! random actor. Use [`OrderDraft::with_actor`] only with an actor that no
//! other live copy uses.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

use crate::Error;
use crate::document::{Document, OrderDraftSchema};
use crate::layout::{self, ACCOUNT_ID, DocumentIds, ID, OPTIONAL_ID};
pub use crate::lines::{Line as DraftLine, LineId};
use crate::lines::{LineList, NOTE_RULE};

/// Value of the root `schema` key; bump the suffix on incompatible layout changes.
pub const SCHEMA: &str = "tradeport.order_draft/1";

pub(crate) const DRAFT_ID: &str = "draft_id";
const SHIP_TO_ID: &str = "ship_to_id";
const PO_REFERENCE: &str = "po_reference";
const REQUESTED_DATE: &str = "requested_date";
const NOTES: &str = "notes";
const LINES: LineList = LineList { key: "lines" };
const ROOT_KEYS: &[&str] = &[
    layout::SCHEMA_KEY,
    DRAFT_ID,
    ACCOUNT_ID,
    SHIP_TO_ID,
    PO_REFERENCE,
    REQUESTED_DATE,
    NOTES,
    LINES.key,
];

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
    /// The delivery date the buyer asks for, `YYYY-MM-DD`, empty until set.
    pub requested_date: String,
    /// Free text for the whole order, empty until set.
    pub notes: String,
}

/// An order draft (cart): loading, saving, forking and merging are those
/// of every [`Document`]; what is a draft's own is below.
pub type OrderDraft = Document<OrderDraftSchema>;

impl OrderDraft {
    /// Starts an empty draft for `account_id`, with a random actor id.
    pub fn new(account_id: &str) -> Result<Self, Error> {
        ID.input(ACCOUNT_ID, account_id)?;
        let mut doc = AutoCommit::new();
        layout::change(&mut doc, "create draft", |doc| {
            let lines = doc.put_object(ROOT, LINES.key, ObjType::List)?;
            let draft_id = layout::op_id_string(&lines, LINES.key)?;
            doc.put(ROOT, layout::SCHEMA_KEY, SCHEMA)?;
            doc.put(ROOT, DRAFT_ID, draft_id)?;
            doc.put(ROOT, ACCOUNT_ID, account_id)?;
            doc.put(ROOT, SHIP_TO_ID, "")?;
            doc.put(ROOT, PO_REFERENCE, "")?;
            doc.put(ROOT, REQUESTED_DATE, "")?;
            doc.put(ROOT, NOTES, "")?;
            Ok(())
        })?;
        Ok(Self::from_doc(doc))
    }

    /// The id shared by all copies of this draft.
    pub fn draft_id(&self) -> Result<String, Error> {
        self.document_id()
    }

    /// Reads the header fields.
    pub fn header(&self) -> Result<DraftHeader, Error> {
        read_header(&self.doc)
    }

    /// Sets the delivery address id (at most 128 characters; empty clears it).
    pub fn set_ship_to_id(&mut self, ship_to_id: &str) -> Result<(), Error> {
        OPTIONAL_ID.input(SHIP_TO_ID, ship_to_id)?;
        self.set_header_field(SHIP_TO_ID, ship_to_id)
    }

    /// Sets the buyer's purchase-order reference (at most 128 characters).
    pub fn set_po_reference(&mut self, po_reference: &str) -> Result<(), Error> {
        OPTIONAL_ID.input(PO_REFERENCE, po_reference)?;
        self.set_header_field(PO_REFERENCE, po_reference)
    }

    /// Sets the requested delivery date, `YYYY-MM-DD` (a day that exists);
    /// empty clears it. Whether the date can be met is the server's call.
    pub fn set_requested_date(&mut self, date: &str) -> Result<(), Error> {
        if !date.is_empty() {
            layout::date_input(REQUESTED_DATE, date)?;
        }
        self.set_header_field(REQUESTED_DATE, date)
    }

    /// Sets the order notes (whole text, at most 4,000 characters;
    /// concurrent edits: one text wins).
    pub fn set_notes(&mut self, notes: &str) -> Result<(), Error> {
        NOTE_RULE.input(NOTES, notes)?;
        self.set_header_field(NOTES, notes)
    }

    /// Appends a line and returns its new id.
    ///
    /// `sku` must not be blank and at most 64 characters; `quantity` must
    /// pass [`parse_quantity`](crate::parse_quantity); a draft holds at most
    /// 1,000 lines.
    pub fn add_line(&mut self, sku: &str, quantity: &str) -> Result<LineId, Error> {
        LINES.add(&mut self.doc, sku, quantity)
    }

    /// Sets a line's quantity. Setting the value it already has writes nothing.
    pub fn set_quantity(&mut self, line: &LineId, quantity: &str) -> Result<(), Error> {
        LINES.set_quantity(&mut self.doc, &mut self.line_hints, line, quantity)
    }

    /// Sets a line's note (at most 4,000 characters). Setting the value it
    /// already has writes nothing.
    pub fn set_line_note(&mut self, line: &LineId, note: &str) -> Result<(), Error> {
        LINES.set_note(&mut self.doc, &mut self.line_hints, line, note)
    }

    /// Removes a line. A concurrent edit of it on another device will not
    /// bring it back (delete wins, see the module docs).
    pub fn remove_line(&mut self, line: &LineId) -> Result<(), Error> {
        LINES.remove(&mut self.doc, &mut self.line_hints, line)
    }

    /// One line by id.
    pub fn line(&self, line: &LineId) -> Result<DraftLine, Error> {
        LINES.get(&self.doc, line)
    }

    /// All lines, in list order (see the module docs for how concurrent
    /// additions are ordered — the same on every device after a merge).
    pub fn lines(&self) -> Result<Vec<DraftLine>, Error> {
        LINES.read_all(&self.doc)
    }

    fn set_header_field(&mut self, key: &'static str, value: &str) -> Result<(), Error> {
        layout::put_if_changed(&mut self.doc, &ROOT, key, key, value)
    }
}

/// Checks a whole document against the order-draft layout and limits:
/// everything the typed API relies on, and everything the server refuses.
pub(crate) fn validate<R: ReadDoc>(doc: &R) -> Result<DocumentIds, Error> {
    layout::check_schema(doc, SCHEMA)?;
    layout::check_keys(doc, &ROOT, ROOT_KEYS, "")?;
    let header = read_header(doc)?;
    LINES.read_all(doc)?;
    Ok(DocumentIds {
        document_id: header.draft_id,
        account_id: header.account_id,
    })
}

fn read_header<R: ReadDoc>(doc: &R) -> Result<DraftHeader, Error> {
    // Absent from drafts made before the key existed (see the module docs).
    let requested_date =
        layout::read_opt_str(doc, &ROOT, REQUESTED_DATE, REQUESTED_DATE)?.unwrap_or_default();
    if !requested_date.is_empty() {
        layout::stored_date(REQUESTED_DATE, &requested_date)?;
    }
    Ok(DraftHeader {
        draft_id: layout::read_root(doc, DRAFT_ID, ID)?,
        account_id: layout::read_root(doc, ACCOUNT_ID, ID)?,
        ship_to_id: layout::read_root(doc, SHIP_TO_ID, OPTIONAL_ID)?,
        po_reference: layout::read_root(doc, PO_REFERENCE, OPTIONAL_ID)?,
        requested_date,
        notes: layout::read_root(doc, NOTES, NOTE_RULE)?,
    })
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
