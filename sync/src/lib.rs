//! Tradeport's offline drafts: order drafts (carts), shopping lists and
//! visit notes as automerge documents, with a typed API shared by the server
//! and the device SDK.
//!
//! A draft is what buyers edit together, possibly offline and at the same
//! time, on phones, tablets and in the browser. Copies of a draft are merged
//! without asking anyone (see `DESIGN.md`, "Offline and sync"): two people
//! adding lines keep both lines, two people changing one line's quantity
//! converge to one value, and a line removed on one device stays removed
//! even if another device edited it meanwhile. The exact rules are documented
//! and tested per kind in [`draft`], [`shopping_list`] and [`visit_note`];
//! what every kind shares (load, save, fork, merge) is [`Document`]'s.
//!
//! [`OrderDraft`], [`ShoppingList`] and [`VisitNote`] are the only ways in:
//! callers never see automerge paths or values, every edit is validated
//! before it is written, and documents from peers are checked on `load` and
//! `merge`. The server, which holds plain automerge documents, checks them
//! with [`inspect`], the same validation for every kind.
//!
//! What this crate must never do:
//!
//! * **Decide anything the server decides.** A draft holds what the buyer
//!   wants (SKUs, quantities, notes), never prices, stock, totals or approval
//!   state. It becomes an order only through `OrderService`, which re-prices
//!   and re-validates; nothing here submits, prices or reserves.
//! * **Panic on input from a peer.** Bytes and changes from other devices are
//!   untrusted: garbage, truncated or malformed documents are an [`Error`],
//!   and a failed merge leaves the local draft as it was.
//! * **Do I/O.** No network, storage, clocks or threads: the server and the
//!   SDK move and store the bytes; this crate only turns them into drafts.
//! * **Resolve conflicts by asking or by wall-clock time.** Merges are
//!   automatic and deterministic, identical on every device.

pub mod document;
pub mod draft;
mod error;
mod layout;
mod lines;
mod quantity;
mod replica;
pub mod shopping_list;
pub mod visit_note;

#[cfg(test)]
mod testing;

pub use automerge::{ActorId, ChangeHash};
pub use document::{
    Document, DocumentInfo, DocumentKind, OrderDraftSchema, Schema, ShoppingListSchema,
    VisitNoteSchema, inspect,
};
pub use draft::{DraftHeader, DraftLine, LineId, OrderDraft, SCHEMA};
pub use error::Error;
pub use lines::{MAX_LINES, MAX_NOTE_CHARS, MAX_SKU_CHARS};
pub use quantity::{
    MAX_QUANTITY_DIGITS, MAX_QUANTITY_INTEGER_DIGITS, MAX_QUANTITY_SCALE, parse_quantity,
};
pub use replica::{Applied, MAX_DOCUMENTS_PER_ROUND, Replica, SyncState, Waiting, sync_pair};
pub use shopping_list::{ListItem, ShoppingList, ShoppingListHeader};
pub use visit_note::{VisitNote, VisitNoteHeader};
