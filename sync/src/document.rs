//! What every Tradeport document is, whatever its kind: its [`DocumentKind`]
//! (named by the root `schema` key), the [`DocumentInfo`] fixed at its
//! creation, and [`Document`], the typed copy a device edits. The kinds
//! ([`OrderDraft`](crate::OrderDraft), [`ShoppingList`](crate::ShoppingList),
//! [`VisitNote`](crate::VisitNote)) differ in their layout and edits, not in
//! how a copy is loaded, saved, forked or merged, so that is written once
//! here and every kind keeps the same merge guarantees.
//!
//! The server runs automerge's sync protocol on [`automerge::Automerge`]
//! (not the `AutoCommit` the typed kinds edit), so [`inspect`] reads
//! through `ReadDoc`, and each kind's validator is the same function its
//! own `load` and `merge` use.
//!
//! What this module must never do: decide who may see or sync a document
//! (the server's job, from [`DocumentInfo::account_id`]), or accept a
//! document whose `schema` it does not know.

use std::fmt;
use std::marker::PhantomData;

use automerge::{ActorId, AutoCommit, Automerge, ChangeHash, ROOT, ReadDoc};

use crate::layout::{self, DocumentIds};
use crate::lines::LineHints;
use crate::{Error, draft, shopping_list, visit_note};

/// The kinds of document Tradeport syncs, one per `schema` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// An order draft (cart), schema [`draft::SCHEMA`].
    OrderDraft,
    /// A shopping list, schema [`shopping_list::SCHEMA`].
    ShoppingList,
    /// A visit note, schema [`visit_note::SCHEMA`].
    VisitNote,
}

impl DocumentKind {
    /// The `schema` value documents of this kind carry.
    pub fn schema(self) -> &'static str {
        match self {
            DocumentKind::OrderDraft => draft::SCHEMA,
            DocumentKind::ShoppingList => shopping_list::SCHEMA,
            DocumentKind::VisitNote => visit_note::SCHEMA,
        }
    }

    /// The kind whose documents carry `schema`, if any.
    pub fn from_schema(schema: &str) -> Option<Self> {
        [
            DocumentKind::OrderDraft,
            DocumentKind::ShoppingList,
            DocumentKind::VisitNote,
        ]
        .into_iter()
        .find(|kind| kind.schema() == schema)
    }

    /// The root key holding the id all copies of a document share.
    pub(crate) fn id_key(self) -> &'static str {
        match self {
            DocumentKind::OrderDraft => draft::DRAFT_ID,
            DocumentKind::ShoppingList => shopping_list::LIST_ID,
            DocumentKind::VisitNote => visit_note::NOTE_ID,
        }
    }

    /// Root keys fixed at creation besides the id and the account, which
    /// every kind fixes: a merge that would change one is refused.
    fn also_fixed(self) -> &'static [&'static str] {
        match self {
            DocumentKind::OrderDraft | DocumentKind::ShoppingList => &[],
            DocumentKind::VisitNote => &[visit_note::AUTHOR],
        }
    }

    /// The name of the typed API's type, for `Debug`.
    fn type_name(self) -> &'static str {
        match self {
            DocumentKind::OrderDraft => "OrderDraft",
            DocumentKind::ShoppingList => "ShoppingList",
            DocumentKind::VisitNote => "VisitNote",
        }
    }

    /// The kind's whole check of a document: layout, types, unknown
    /// fields and limits.
    pub(crate) fn validate<R: ReadDoc>(self, doc: &R) -> Result<DocumentIds, Error> {
        match self {
            DocumentKind::OrderDraft => draft::validate(doc),
            DocumentKind::ShoppingList => shopping_list::validate(doc),
            DocumentKind::VisitNote => visit_note::validate(doc),
        }
    }
}

/// What a valid document is: its kind, id and account, all fixed at its
/// creation. The server files the document under `document_id` and lets
/// only `account_id`'s members and reps sync it; after applying a peer's
/// changes it compares the new info with the old one (a peer that rewrites
/// `account_id` is moving a draft to another account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentInfo {
    /// Which kind of document, from its `schema` key.
    pub kind: DocumentKind,
    /// `draft_id`, `list_id` or `note_id`: shared by all copies of the document.
    pub document_id: String,
    /// The account the document belongs to.
    pub account_id: String,
}

/// Validates a whole document as one of Tradeport's kinds (by its `schema` key).
///
/// Every check that the kind's `load` and `merge` make is made here:
/// layout, types, unknown fields, limits (lines, SKU and note lengths,
/// quantities, dates). Errors are [`Error::Malformed`] naming the field, e.g.
/// `schema`, `lines[3].quantity` or `colour` for a key the schema lacks.
pub fn inspect(doc: &Automerge) -> Result<DocumentInfo, Error> {
    let schema = layout::read_str(doc, &ROOT, layout::SCHEMA_KEY, layout::SCHEMA_KEY)?;
    let Some(kind) = DocumentKind::from_schema(&schema) else {
        return Err(Error::malformed(
            layout::SCHEMA_KEY,
            format!(
                "{:?} is not a Tradeport document kind",
                crate::error::echo(&schema)
            ),
        ));
    };
    let DocumentIds {
        document_id,
        account_id,
    } = kind.validate(doc)?;
    Ok(DocumentInfo {
        kind,
        document_id,
        account_id,
    })
}

mod sealed {
    /// Only this crate's kinds are kinds: a [`super::Document`] of any
    /// other type would have no layout to check.
    pub trait Sealed {}
}

/// A document kind as a type, so that [`Document`] is typed by its kind:
/// an [`OrderDraft`](crate::OrderDraft) is a `Document<OrderDraftSchema>`
/// and never merges with a shopping list. Implemented by this crate's
/// kinds only.
pub trait Schema: sealed::Sealed {
    /// The kind this type stands for.
    const KIND: DocumentKind;
}

/// The order-draft kind: [`OrderDraft`](crate::OrderDraft) is `Document<OrderDraftSchema>`.
#[derive(Debug)]
pub enum OrderDraftSchema {}

/// The shopping-list kind: [`ShoppingList`](crate::ShoppingList) is `Document<ShoppingListSchema>`.
#[derive(Debug)]
pub enum ShoppingListSchema {}

/// The visit-note kind: [`VisitNote`](crate::VisitNote) is `Document<VisitNoteSchema>`.
#[derive(Debug)]
pub enum VisitNoteSchema {}

impl sealed::Sealed for OrderDraftSchema {}
impl sealed::Sealed for ShoppingListSchema {}
impl sealed::Sealed for VisitNoteSchema {}

impl Schema for OrderDraftSchema {
    const KIND: DocumentKind = DocumentKind::OrderDraft;
}

impl Schema for ShoppingListSchema {
    const KIND: DocumentKind = DocumentKind::ShoppingList;
}

impl Schema for VisitNoteSchema {
    const KIND: DocumentKind = DocumentKind::VisitNote;
}

/// One copy of a document of kind `S`, backed by an automerge document.
///
/// Every method that changes it validates its input first, then writes and
/// commits one automerge change; if it returns an error the document is
/// unchanged. Reading methods return [`Error::Malformed`] rather than
/// panicking should the document ever not match the layout, though `load`
/// and `merge` already refuse such documents.
pub struct Document<S: Schema> {
    pub(crate) doc: AutoCommit,
    /// Where the lines (or items) were last seen, so an edit of one does
    /// not read them all; only ever a guess, checked before it is used.
    pub(crate) line_hints: LineHints,
    schema: PhantomData<S>,
}

impl<S: Schema> fmt::Debug for Document<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(S::KIND.type_name())
            .field(S::KIND.id_key(), &self.document_id().ok())
            .field("actor", &self.actor_id())
            .finish_non_exhaustive()
    }
}

impl<S: Schema> Document<S> {
    /// A copy around `doc`, which the caller has just built or validated.
    pub(crate) fn from_doc(doc: AutoCommit) -> Self {
        Document {
            doc,
            line_hints: LineHints::default(),
            schema: PhantomData,
        }
    }

    /// Loads a document saved by [`save`](Self::save) (here or by any other copy).
    ///
    /// The loaded copy gets a fresh random actor id. Fails with
    /// [`Error::Decode`] for bytes that are not an automerge document and
    /// [`Error::Malformed`] for a document that is not a valid one of this kind.
    pub fn load(bytes: &[u8]) -> Result<Self, Error> {
        let doc = AutoCommit::load(bytes).map_err(Error::decode)?;
        S::KIND.validate(&doc)?;
        Ok(Self::from_doc(doc))
    }

    /// The whole document with its history, compact, for storage or transfer.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Where this copy's history ends now: pass them to
    /// [`save_after`](Self::save_after) later to save only what changed since.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The changes made since `heads`, compact, to store after a
    /// [`save`](Self::save): [`load`](Self::load) reads a save followed by
    /// any number of these, so storing an edit costs what the edit changed,
    /// not the whole document. Empty when nothing changed since.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// A copy of this document for another device (or browser tab), with a
    /// new random actor id; edit both and [`merge`](Self::merge) them later.
    pub fn fork_for_device(&mut self) -> Self {
        Self::from_doc(self.doc.fork())
    }

    /// This copy with the given actor id for its future changes.
    ///
    /// The actor must not be used by any other live copy of the document at
    /// the same time, or line ids and merges break.
    pub fn with_actor(self, actor: ActorId) -> Self {
        Self::from_doc(self.doc.with_actor(actor))
    }

    /// The actor id this copy writes with, in hex.
    pub fn actor_id(&self) -> String {
        self.doc.get_actor().to_hex_string()
    }

    /// The id shared by all copies of this document (`draft_id`, `list_id`
    /// or `note_id`).
    pub fn document_id(&self) -> Result<String, Error> {
        let key = S::KIND.id_key();
        layout::read_str(&self.doc, &ROOT, key, key)
    }

    /// Takes in every change `other` has that this copy lacks.
    ///
    /// `other` is only read (it needs `&mut` because automerge closes its
    /// pending transaction; this crate never leaves one open). The merge is
    /// all-or-nothing: it is done on a copy, the result is validated, and
    /// only a valid result of the same document, account (and, for a visit
    /// note, author) replaces this document, so a bad peer cannot leave it
    /// half-merged, unreadable or moved. Merge both ways (or exchange sync
    /// messages) for two copies to become equal.
    pub fn merge(&mut self, other: &mut Self) -> Result<(), Error> {
        let kind = S::KIND;
        let fixed = kind
            .also_fixed()
            .iter()
            .map(|key| layout::read_str(&self.doc, &ROOT, key, key))
            .collect::<Result<Vec<_>, _>>()?;
        let candidate = layout::merged(
            &mut self.doc,
            &mut other.doc,
            |doc| kind.validate(doc),
            kind.id_key(),
        )?;
        for (key, before) in kind.also_fixed().iter().zip(fixed) {
            let after = layout::read_str(&candidate, &ROOT, key, key)?;
            if after != before {
                return Err(Error::malformed(
                    *key,
                    format!(
                        "changed from {before:?} to {:?}; it is fixed at creation",
                        crate::error::echo(&after)
                    ),
                ));
            }
        }
        self.doc = candidate;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ReadDoc};

    use super::*;
    use crate::{OrderDraft, ShoppingList, VisitNote};

    fn as_server_sees_it(bytes: &[u8]) -> Automerge {
        Automerge::load(bytes).unwrap()
    }

    fn refused_field(bytes: &[u8]) -> String {
        match inspect(&as_server_sees_it(bytes)) {
            Err(Error::Malformed { field, .. }) => field,
            other => panic!("expected a malformed document, got {other:?}"),
        }
    }

    #[test]
    fn an_order_draft_inspects_ok() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        d.add_line("SKU-1", "2").unwrap();
        let info = inspect(&as_server_sees_it(&d.save())).unwrap();
        assert_eq!(
            info,
            DocumentInfo {
                kind: DocumentKind::OrderDraft,
                document_id: d.draft_id().unwrap(),
                account_id: "acct-1".into(),
            }
        );
    }

    #[test]
    fn a_shopping_list_inspects_ok() {
        let mut list = ShoppingList::new("acct-2", "Restock").unwrap();
        list.add_item("SKU-1", "12").unwrap();
        let info = inspect(&as_server_sees_it(&list.save())).unwrap();
        assert_eq!(
            info,
            DocumentInfo {
                kind: DocumentKind::ShoppingList,
                document_id: list.list_id().unwrap(),
                account_id: "acct-2".into(),
            }
        );
    }

    #[test]
    fn a_visit_note_inspects_ok() {
        let mut note = VisitNote::new("acct-3", "user-9", "2026-11-24").unwrap();
        note.set_text("Met the buyer.").unwrap();
        note.add_follow_up("Send samples").unwrap();
        let info = inspect(&as_server_sees_it(&note.save())).unwrap();
        assert_eq!(
            info,
            DocumentInfo {
                kind: DocumentKind::VisitNote,
                document_id: note.note_id().unwrap(),
                account_id: "acct-3".into(),
            }
        );
    }

    #[test]
    fn each_kind_is_checked_by_its_own_rules() {
        // A shopping list relabelled as a draft has keys a draft lacks.
        let mut list = ShoppingList::new("acct-2", "Restock").unwrap();
        let mut doc = AutoCommit::load(&list.save()).unwrap();
        doc.put(ROOT, "schema", crate::SCHEMA).unwrap();
        assert_eq!(refused_field(&doc.save()), "items");
        // A visit note with a bad date.
        let mut note = VisitNote::new("acct-3", "user-9", "2026-11-24").unwrap();
        let mut doc = AutoCommit::load(&note.save()).unwrap();
        doc.put(ROOT, "visited_on", "2026-11-31").unwrap();
        assert_eq!(refused_field(&doc.save()), "visited_on");
    }

    #[test]
    fn a_draft_with_garbage_root_keys_is_refused() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        let mut doc = AutoCommit::load(&d.save()).unwrap();
        doc.put(ROOT, "zz_garbage", "x").unwrap();
        doc.put_object(ROOT, "another", ObjType::Map).unwrap();
        assert_eq!(refused_field(&doc.save()), "another");
    }

    #[test]
    fn a_wrong_or_missing_schema_is_refused() {
        let mut doc = AutoCommit::new();
        assert_eq!(refused_field(&doc.save()), "schema");
        doc.put(ROOT, "schema", "tradeport.order_draft/2").unwrap();
        let err = inspect(&as_server_sees_it(&doc.save())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed document: field schema: \"tradeport.order_draft/2\" is not a Tradeport document kind"
        );
        doc.put(ROOT, "schema", 1_i64).unwrap();
        assert_eq!(refused_field(&doc.save()), "schema");
    }

    #[test]
    fn a_draft_with_a_too_long_sku_is_refused_naming_the_line() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        d.add_line("SKU-1", "1").unwrap();
        d.add_line("SKU-2", "1").unwrap();
        let mut doc = AutoCommit::load(&d.save()).unwrap();
        let (_, lines) = doc.get(ROOT, "lines").unwrap().unwrap();
        let (_, second) = doc.get(&lines, 1).unwrap().unwrap();
        doc.put(&second, "sku", "S".repeat(65)).unwrap();
        let err = inspect(&as_server_sees_it(&doc.save())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed document: field lines[1].sku: must be at most 64 characters"
        );
    }

    #[test]
    fn a_save_followed_by_the_changes_saved_after_it_loads_whole() {
        let mut d = OrderDraft::new("acct-1").unwrap();
        let first = d.add_line("SKU-1", "1").unwrap();
        let mut stored = d.save();
        let mut heads = d.heads();
        assert!(d.save_after(&heads).is_empty(), "nothing changed since");
        let mut chunks = Vec::new();
        for q in ["2", "3"] {
            d.set_quantity(&first, q).unwrap();
            d.add_line(&format!("SKU-{q}"), q).unwrap();
            let chunk = d.save_after(&heads);
            heads = d.heads();
            stored.extend_from_slice(&chunk);
            chunks.push(chunk);
        }
        let lines = |d: &OrderDraft| -> Vec<(String, String)> {
            d.lines()
                .unwrap()
                .into_iter()
                .map(|l| (l.sku, l.quantity.to_string()))
                .collect()
        };
        let loaded = OrderDraft::load(&stored).unwrap();
        assert_eq!(lines(&loaded), lines(&d));
        // A full save followed by changes it holds already (a compaction
        // cut short before the old changes were deleted) loads the same.
        let mut again = d.save();
        for chunk in &chunks {
            again.extend_from_slice(chunk);
        }
        assert_eq!(lines(&OrderDraft::load(&again).unwrap()), lines(&d));
    }

    #[test]
    fn kinds_and_schemas_map_both_ways() {
        for kind in [
            DocumentKind::OrderDraft,
            DocumentKind::ShoppingList,
            DocumentKind::VisitNote,
        ] {
            assert_eq!(DocumentKind::from_schema(kind.schema()), Some(kind));
        }
        assert_eq!(DocumentKind::from_schema("tradeport.order_draft"), None);
    }
}
