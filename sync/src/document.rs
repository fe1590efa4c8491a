//! One entry point for the server: [`inspect`] tells what kind of Tradeport
//! document a plain automerge document is, and refuses it unless the whole
//! of it is valid for that kind.
//!
//! The server runs automerge's sync protocol on [`automerge::Automerge`]
//! (not the `AutoCommit` the typed kinds edit), so everything here reads
//! through `ReadDoc`, and each kind's validator is the same function its
//! own `load` and `merge` use.
//!
//! What this module must never do: decide who may see or sync a document
//! (the server's job, from [`DocumentInfo::account_id`]), or accept a
//! document whose `schema` it does not know.

use automerge::{Automerge, ROOT};

use crate::layout::{self, DocumentIds};
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
    } = match kind {
        DocumentKind::OrderDraft => draft::validate(doc)?,
        DocumentKind::ShoppingList => shopping_list::validate(doc)?,
        DocumentKind::VisitNote => visit_note::validate(doc)?,
    };
    Ok(DocumentInfo {
        kind,
        document_id,
        account_id,
    })
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
