//! [`VisitNote`]: what a field rep wrote down at a customer's site — the
//! date, who wrote it, free text, and follow-ups — often offline, sometimes
//! amended by a colleague on another device before the first copy syncs.
//!
//! What this module must never do: decide anything about the account (a
//! note records, it does not act), or accept a peer's document without
//! checking all of it.
//!
//! # Document layout (schema `tradeport.visit_note/1`)
//!
//! ```text
//! ROOT (map)
//!   schema      "tradeport.visit_note/1"
//!   note_id     string, fixed at creation
//!   account_id  string, fixed at creation, 1 to 128 characters
//!   author      string, the writer's user id, fixed at creation
//!   visited_on  string, "YYYY-MM-DD"
//!   text        automerge Text, plain (no rich-text blocks), at most 20,000 characters
//!   follow_ups  list of at most 100 strings, each 1 to 500 characters
//! ```
//!
//! A document that does not keep to this layout is refused by
//! [`VisitNote::load`], [`VisitNote::merge`] and [`inspect`](crate::inspect)
//! with [`Error::Malformed`] naming the field (`follow_ups[4]`, `text`).
//!
//! # Why the body is automerge Text
//!
//! A draft's `notes` is a plain string: one short remark, and if two people
//! rewrite it at once one whole version wins. A visit note's body is the
//! document itself — paragraphs written on the phone in the car park and
//! completed later on a laptop, or corrected by a colleague. With a plain
//! string, two offline edits of the body would throw one of them away
//! entirely. As automerge Text, every character is its own list element, so
//! concurrent edits merge character by character: both insertions are kept,
//! deletions remove only what they deleted, and every device ends with the
//! same text. [`VisitNote::set_text`] takes the whole new body (what a text
//! box gives) and writes only the difference from the current body, so even
//! whole-text saves merge that way; [`VisitNote::splice_text`] takes a
//! single edit for editors that report them.
//!
//! # Merge semantics
//!
//! Each rule has a test in `visit_note_tests.rs`.
//!
//! * **Concurrent edits of the body merge character-wise.** Edits in
//!   different places both survive; two insertions at the same place both
//!   survive, one after the other, in the same order everywhere.
//!   (`concurrent_body_edits_in_different_places_both_survive`,
//!   `concurrent_insertions_at_one_place_both_survive`)
//! * **`visited_on` converges to one value** (the greater op id wins, not
//!   wall-clock time). (`concurrent_visit_dates_converge_to_one`)
//! * **Concurrent follow-ups are all kept**; removing a follow-up removes
//!   that one entry, even if another device removed it too or added others
//!   meanwhile. (`concurrent_follow_ups_are_all_kept`,
//!   `removing_one_follow_up_twice_removes_only_it`)
//! * **A note never changes hands or author**: another `note_id` is
//!   [`Error::DifferentDraft`]; a result with another account or author is
//!   refused and nothing of it kept. (`merge_refuses_an_unrelated_note`,
//!   `merge_refuses_a_note_moved_to_another_account_or_author`)

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc};

use crate::Error;
use crate::document::{Document, VisitNoteSchema};
use crate::layout::{self, ACCOUNT_ID, DocumentIds, ID, Rule};

/// Value of the root `schema` key of a visit note.
pub const SCHEMA: &str = "tradeport.visit_note/1";

/// Longest body, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most follow-ups one note may list.
pub const MAX_FOLLOW_UPS: usize = 100;
/// Longest follow-up, in characters.
pub const MAX_FOLLOW_UP_CHARS: usize = 500;

pub(crate) const NOTE_ID: &str = "note_id";
pub(crate) const AUTHOR: &str = "author";
const VISITED_ON: &str = "visited_on";
const TEXT: &str = "text";
const FOLLOW_UPS: &str = "follow_ups";
const ROOT_KEYS: &[&str] = &[
    layout::SCHEMA_KEY,
    NOTE_ID,
    ACCOUNT_ID,
    AUTHOR,
    VISITED_ON,
    TEXT,
    FOLLOW_UPS,
];

const FOLLOW_UP_RULE: Rule = Rule {
    max_chars: MAX_FOLLOW_UP_CHARS,
    required: true,
    too_long: "must be at most 500 characters",
};

/// A visit note's fields other than its body and follow-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNoteHeader {
    /// Identifies the note across all its copies; fixed at creation.
    pub note_id: String,
    /// The visited account; fixed at creation.
    pub account_id: String,
    /// User id of who wrote the note; fixed at creation.
    pub author: String,
    /// The day of the visit, `YYYY-MM-DD`.
    pub visited_on: String,
}

/// A visit note: loading, saving, forking and merging are those of every
/// [`Document`] (a merge is also refused if the result would name another
/// author); what is a note's own is below.
pub type VisitNote = Document<VisitNoteSchema>;

impl VisitNote {
    /// Starts an empty note of `author`'s visit to `account_id` on
    /// `visited_on` (`YYYY-MM-DD`), with a random actor id.
    pub fn new(account_id: &str, author: &str, visited_on: &str) -> Result<Self, Error> {
        ID.input(ACCOUNT_ID, account_id)?;
        ID.input(AUTHOR, author)?;
        layout::date_input(VISITED_ON, visited_on)?;
        let mut doc = AutoCommit::new();
        layout::change(&mut doc, "create visit note", |doc| {
            let text = doc.put_object(ROOT, TEXT, ObjType::Text)?;
            let note_id = layout::op_id_string(&text, TEXT)?;
            doc.put_object(ROOT, FOLLOW_UPS, ObjType::List)?;
            doc.put(ROOT, layout::SCHEMA_KEY, SCHEMA)?;
            doc.put(ROOT, NOTE_ID, note_id)?;
            doc.put(ROOT, ACCOUNT_ID, account_id)?;
            doc.put(ROOT, AUTHOR, author)?;
            doc.put(ROOT, VISITED_ON, visited_on)?;
            Ok(())
        })?;
        Ok(Self::from_doc(doc))
    }

    /// The id shared by all copies of this note.
    pub fn note_id(&self) -> Result<String, Error> {
        self.document_id()
    }

    /// Reads the note's fields other than body and follow-ups.
    pub fn header(&self) -> Result<VisitNoteHeader, Error> {
        read_header(&self.doc)
    }

    /// Sets the day of the visit (`YYYY-MM-DD`, a day that exists).
    pub fn set_visited_on(&mut self, visited_on: &str) -> Result<(), Error> {
        layout::date_input(VISITED_ON, visited_on)?;
        layout::put_if_changed(&mut self.doc, &ROOT, VISITED_ON, VISITED_ON, visited_on)
    }

    /// The body.
    pub fn text(&self) -> Result<String, Error> {
        let obj = text_obj(&self.doc)?;
        layout::read_text(&self.doc, &obj, MAX_TEXT_CHARS, TEXT)
    }

    /// Replaces the body with `text` (at most 20,000 characters), writing
    /// only the characters that differ so concurrent edits still merge
    /// character-wise. The same text writes nothing.
    pub fn set_text(&mut self, text: &str) -> Result<(), Error> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::invalid(
                TEXT,
                text,
                "must be at most 20,000 characters",
            ));
        }
        if self.text()? == text {
            return Ok(());
        }
        let obj = text_obj(&self.doc)?;
        layout::change(&mut self.doc, "edit text", |doc| {
            doc.update_text(&obj, text)?;
            Ok(())
        })
    }

    /// One edit of the body: at character `index`, delete `delete`
    /// characters and insert `insert`. Indexes count Unicode scalar values
    /// (Rust `char`s), as automerge does by default.
    pub fn splice_text(&mut self, index: usize, delete: usize, insert: &str) -> Result<(), Error> {
        let len = self.text()?.chars().count();
        if index > len || delete > len - index {
            return Err(Error::invalid(
                TEXT,
                &format!("{index}+{delete}"),
                "edit is outside the text",
            ));
        }
        if len - delete + insert.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::invalid(
                TEXT,
                insert,
                "must be at most 20,000 characters",
            ));
        }
        let delete = isize::try_from(delete)
            .map_err(|_| Error::invalid(TEXT, "", "edit is outside the text"))?;
        let obj = text_obj(&self.doc)?;
        layout::change(&mut self.doc, "edit text", |doc| {
            doc.splice_text(&obj, index, delete, insert)?;
            Ok(())
        })
    }

    /// The follow-ups, in list order (the same on every device after a merge).
    pub fn follow_ups(&self) -> Result<Vec<String>, Error> {
        read_follow_ups(&self.doc)
    }

    /// Appends a follow-up (1 to 500 characters; at most 100 per note).
    pub fn add_follow_up(&mut self, follow_up: &str) -> Result<(), Error> {
        FOLLOW_UP_RULE.input(FOLLOW_UPS, follow_up)?;
        let list = follow_ups_obj(&self.doc)?;
        let index = self.doc.length(&list);
        if index >= MAX_FOLLOW_UPS {
            return Err(Error::invalid(
                FOLLOW_UPS,
                follow_up,
                "has reached the limit of 100 follow-ups",
            ));
        }
        layout::change(&mut self.doc, "add follow-up", |doc| {
            doc.insert(&list, index, follow_up)?;
            Ok(())
        })
    }

    /// Removes the follow-up at `index` (as [`follow_ups`](Self::follow_ups)
    /// returned it on this copy).
    pub fn remove_follow_up(&mut self, index: usize) -> Result<(), Error> {
        let list = follow_ups_obj(&self.doc)?;
        if index >= self.doc.length(&list) {
            return Err(Error::invalid(
                FOLLOW_UPS,
                &index.to_string(),
                "no follow-up at this index",
            ));
        }
        layout::change(&mut self.doc, "remove follow-up", |doc| {
            doc.delete(&list, index)?;
            Ok(())
        })
    }
}

/// Checks a whole document against the visit-note layout and limits.
pub(crate) fn validate<R: ReadDoc>(doc: &R) -> Result<DocumentIds, Error> {
    layout::check_schema(doc, SCHEMA)?;
    layout::check_keys(doc, &ROOT, ROOT_KEYS, "")?;
    let header = read_header(doc)?;
    let text = text_obj(doc)?;
    layout::read_text(doc, &text, MAX_TEXT_CHARS, TEXT)?;
    read_follow_ups(doc)?;
    Ok(DocumentIds {
        document_id: header.note_id,
        account_id: header.account_id,
    })
}

fn read_header<R: ReadDoc>(doc: &R) -> Result<VisitNoteHeader, Error> {
    let visited_on = layout::read_str(doc, &ROOT, VISITED_ON, VISITED_ON)?;
    layout::stored_date(VISITED_ON, &visited_on)?;
    Ok(VisitNoteHeader {
        note_id: layout::read_root(doc, NOTE_ID, ID)?,
        account_id: layout::read_root(doc, ACCOUNT_ID, ID)?,
        author: layout::read_root(doc, AUTHOR, ID)?,
        visited_on,
    })
}

fn text_obj<R: ReadDoc>(doc: &R) -> Result<ObjId, Error> {
    layout::object_at(doc, &ROOT, TEXT, ObjType::Text, TEXT)
}

fn follow_ups_obj<R: ReadDoc>(doc: &R) -> Result<ObjId, Error> {
    layout::object_at(doc, &ROOT, FOLLOW_UPS, ObjType::List, FOLLOW_UPS)
}

fn read_follow_ups<R: ReadDoc>(doc: &R) -> Result<Vec<String>, Error> {
    let list = follow_ups_obj(doc)?;
    let len = layout::check_list_len(doc, &list, MAX_FOLLOW_UPS, FOLLOW_UPS)?;
    (0..len)
        .map(|index| {
            let field = format!("{FOLLOW_UPS}[{index}]");
            let value = layout::str_in_list(doc, &list, index, &field)?;
            FOLLOW_UP_RULE.stored(&field, &value)?;
            Ok(value)
        })
        .collect()
}

#[cfg(test)]
#[path = "visit_note_tests.rs"]
mod tests;
