//! [`ShoppingList`]: a named list of products a buyer keeps for reordering
//! (the weekly restock, the site-opening kit), edited on several devices.
//!
//! What this module must never do: price or order anything (a list becomes
//! an order only by being copied into a draft and submitted), or accept a
//! peer's document without checking all of it.
//!
//! # Document layout (schema `tradeport.shopping_list/1`)
//!
//! ```text
//! ROOT (map)
//!   schema      "tradeport.shopping_list/1"
//!   list_id     string, fixed at creation
//!   account_id  string, fixed at creation, 1 to 128 characters
//!   name        string, 1 to 200 characters
//!   items       list of at most 1,000 maps, laid out like draft lines:
//!     id        string, the item's stable id
//!     sku       string, 1 to 64 characters
//!     quantity  string, a decimal > 0 (see `parse_quantity`)
//!     note      string, at most 4,000 characters
//! ```
//!
//! A document that does not keep to this layout (a missing or mistyped
//! field, an unknown key, a value over a limit) is refused by
//! [`ShoppingList::load`], [`ShoppingList::merge`] and
//! [`inspect`](crate::inspect) with [`Error::Malformed`] naming the field
//! (`items[2].sku`).
//!
//! # Merge semantics
//!
//! The same rules as order-draft lines, because items are the same kind of
//! thing and people move between the two; each rule has a test in
//! `shopping_list_tests.rs`.
//!
//! * **Concurrent adds keep both items**, in one order on every device.
//!   (`concurrent_adds_keep_both_items`)
//! * **Concurrent edits of one field converge to one value**: an item's
//!   quantity or note, or the list's name, ends as one of the values written,
//!   the same everywhere (the greater op id wins; not wall-clock time);
//!   quantities are never added up. (`concurrent_quantity_edits_converge`,
//!   `concurrent_renames_converge_to_one_name`)
//! * **Delete wins over a concurrent edit**: an item removed on one device
//!   stays removed even if another device changed its quantity meanwhile.
//!   (`delete_wins_over_concurrent_edit`)
//! * **Unrelated lists are never merged, and a list never changes hands**:
//!   another `list_id` is [`Error::DifferentDraft`]; a result with another
//!   account is refused. (`merge_refuses_an_unrelated_list`,
//!   `merge_refuses_a_list_moved_to_another_account`)

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

use crate::Error;
use crate::document::{Document, ShoppingListSchema};
use crate::layout::{self, ACCOUNT_ID, DocumentIds, ID, Rule};
pub use crate::lines::Line as ListItem;
use crate::lines::{LineId, LineList};

/// Value of the root `schema` key of a shopping list.
pub const SCHEMA: &str = "tradeport.shopping_list/1";

pub(crate) const LIST_ID: &str = "list_id";
const NAME: &str = "name";
const ITEMS: LineList = LineList { key: "items" };
const ROOT_KEYS: &[&str] = &[layout::SCHEMA_KEY, LIST_ID, ACCOUNT_ID, NAME, ITEMS.key];

const NAME_RULE: Rule = Rule {
    max_chars: 200,
    required: true,
    too_long: "must be at most 200 characters",
};

/// The list's own fields, as read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShoppingListHeader {
    /// Identifies the list across all its copies; fixed at creation.
    pub list_id: String,
    /// The account the list belongs to; fixed at creation.
    pub account_id: String,
    /// What the buyer calls it.
    pub name: String,
}

/// A shopping list: loading, saving, forking and merging are those of
/// every [`Document`] (like [`OrderDraft`](crate::OrderDraft), every edit
/// is validated and written as one change or not at all, and peers'
/// documents are checked on load and merge); what is a list's own is below.
pub type ShoppingList = Document<ShoppingListSchema>;

impl ShoppingList {
    /// Starts an empty list called `name` for `account_id`, with a random actor id.
    pub fn new(account_id: &str, name: &str) -> Result<Self, Error> {
        ID.input(ACCOUNT_ID, account_id)?;
        NAME_RULE.input(NAME, name)?;
        let mut doc = AutoCommit::new();
        layout::change(&mut doc, "create shopping list", |doc| {
            let items = doc.put_object(ROOT, ITEMS.key, ObjType::List)?;
            let list_id = layout::op_id_string(&items, ITEMS.key)?;
            doc.put(ROOT, layout::SCHEMA_KEY, SCHEMA)?;
            doc.put(ROOT, LIST_ID, list_id)?;
            doc.put(ROOT, ACCOUNT_ID, account_id)?;
            doc.put(ROOT, NAME, name)?;
            Ok(())
        })?;
        Ok(Self::from_doc(doc))
    }

    /// The id shared by all copies of this list.
    pub fn list_id(&self) -> Result<String, Error> {
        self.document_id()
    }

    /// Reads the list's own fields.
    pub fn header(&self) -> Result<ShoppingListHeader, Error> {
        read_header(&self.doc)
    }

    /// Renames the list (1 to 200 characters; concurrent renames: one wins).
    pub fn set_name(&mut self, name: &str) -> Result<(), Error> {
        NAME_RULE.input(NAME, name)?;
        layout::put_if_changed(&mut self.doc, &ROOT, NAME, NAME, name)
    }

    /// Appends an item and returns its id (SKU 1 to 64 characters, a
    /// quantity [`parse_quantity`](crate::parse_quantity) accepts, at most
    /// 1,000 items).
    pub fn add_item(&mut self, sku: &str, quantity: &str) -> Result<LineId, Error> {
        ITEMS.add(&mut self.doc, sku, quantity)
    }

    /// Sets an item's quantity; the same value writes nothing.
    pub fn set_quantity(&mut self, item: &LineId, quantity: &str) -> Result<(), Error> {
        ITEMS.set_quantity(&mut self.doc, &mut self.line_hints, item, quantity)
    }

    /// Sets an item's note (at most 4,000 characters).
    pub fn set_item_note(&mut self, item: &LineId, note: &str) -> Result<(), Error> {
        ITEMS.set_note(&mut self.doc, &mut self.line_hints, item, note)
    }

    /// Removes an item; a concurrent edit elsewhere does not bring it back.
    pub fn remove_item(&mut self, item: &LineId) -> Result<(), Error> {
        ITEMS.remove(&mut self.doc, &mut self.line_hints, item)
    }

    /// One item by id.
    pub fn item(&self, item: &LineId) -> Result<ListItem, Error> {
        ITEMS.get(&self.doc, item)
    }

    /// All items, in list order (the same on every device after a merge).
    pub fn items(&self) -> Result<Vec<ListItem>, Error> {
        ITEMS.read_all(&self.doc)
    }
}

/// Checks a whole document against the shopping-list layout and limits.
pub(crate) fn validate<R: ReadDoc>(doc: &R) -> Result<DocumentIds, Error> {
    layout::check_schema(doc, SCHEMA)?;
    layout::check_keys(doc, &ROOT, ROOT_KEYS, "")?;
    let header = read_header(doc)?;
    ITEMS.read_all(doc)?;
    Ok(DocumentIds {
        document_id: header.list_id,
        account_id: header.account_id,
    })
}

fn read_header<R: ReadDoc>(doc: &R) -> Result<ShoppingListHeader, Error> {
    Ok(ShoppingListHeader {
        list_id: layout::read_root(doc, LIST_ID, ID)?,
        account_id: layout::read_root(doc, ACCOUNT_ID, ID)?,
        name: layout::read_root(doc, NAME, NAME_RULE)?,
    })
}

#[cfg(test)]
#[path = "shopping_list_tests.rs"]
mod tests;
