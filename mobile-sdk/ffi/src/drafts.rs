//! Order drafts on the device: created and edited offline, saved before
//! each call returns, synced with every [`Device::sync_now`]. Quantities
//! are decimal strings, checked by the SDK's document rules.

use std::sync::Arc;

use tradeport_sync::LineId;

use crate::device::Device;
use crate::error::TradeportError;

/// One line of a draft.
#[derive(Debug, uniffi::Record)]
pub struct DraftLine {
    /// Stable across devices: name the line with it in edits.
    pub id: String,
    pub sku: String,
    /// Exact, as entered (`2.50` stays `2.50`).
    pub quantity: String,
    pub note: String,
}

/// A draft as this device holds it now.
#[derive(Debug, uniffi::Record)]
pub struct Draft {
    pub id: String,
    pub account_id: String,
    pub ship_to_id: String,
    pub po_reference: String,
    /// `YYYY-MM-DD`, empty until set.
    pub requested_date: String,
    pub notes: String,
    pub lines: Vec<DraftLine>,
}

/// Why a draft does not sync: the server refused it, or this device
/// refused what the server sent for it (e.g. two devices' lines merged
/// over the line limit). Removing what is wrong brings it back.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Refusal {
    /// Stable code: `DOCUMENT_INVALID`, `DOCUMENT_NOT_FOUND`, ...
    pub reason: String,
    /// The field at fault, e.g. `lines`; empty when none is named.
    pub field: String,
    /// What is wrong, for a person to read.
    pub detail: String,
    /// The server said so; `false` when this device refused.
    pub by_server: bool,
}

impl From<tradeport_mobile::Refusal> for Refusal {
    fn from(refusal: tradeport_mobile::Refusal) -> Self {
        Self {
            reason: refusal.reason,
            field: refusal.field,
            detail: refusal.message,
            by_server: refusal.by_server,
        }
    }
}

/// The drafts of a [`Device`], from [`Device::drafts`].
#[derive(uniffi::Object)]
pub struct Drafts {
    device: Arc<Device>,
}

#[uniffi::export]
impl Device {
    /// The device's drafts.
    pub fn drafts(self: Arc<Self>) -> Arc<Drafts> {
        Arc::new(Drafts { device: self })
    }
}

impl Drafts {
    /// Runs one edit of draft `id` through the SDK, which saves it.
    fn edit<T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut tradeport_sync::OrderDraft) -> Result<T, tradeport_sync::Error>,
    ) -> Result<T, TradeportError> {
        Ok(self.device.sdk()?.drafts().edit(id, edit)?)
    }
}

#[uniffi::export]
impl Drafts {
    /// Starts a draft for `account_id`; returns its id. It reaches the
    /// server with the next sync.
    pub fn create(&self, account_id: String) -> Result<String, TradeportError> {
        Ok(self.device.sdk()?.drafts().create(&account_id)?)
    }

    /// Ids of the drafts on this device.
    pub fn ids(&self) -> Result<Vec<String>, TradeportError> {
        Ok(self.device.sdk()?.drafts().ids()?)
    }

    /// The draft with its lines.
    pub fn read(&self, id: String) -> Result<Draft, TradeportError> {
        let draft = self.device.sdk()?.drafts().open(&id)?;
        let unreadable = |e: tradeport_sync::Error| TradeportError::Local {
            detail: format!("draft {id} is unreadable: {e}"),
        };
        let header = draft.header().map_err(unreadable)?;
        let lines = draft.lines().map_err(unreadable)?;
        Ok(Draft {
            id: header.draft_id,
            account_id: header.account_id,
            ship_to_id: header.ship_to_id,
            po_reference: header.po_reference,
            requested_date: header.requested_date,
            notes: header.notes,
            lines: lines
                .into_iter()
                .map(|l| DraftLine {
                    id: l.id.to_string(),
                    sku: l.sku,
                    quantity: l.quantity.to_string(),
                    note: l.note,
                })
                .collect(),
        })
    }

    /// Adds a line; returns its id.
    pub fn add_line(
        &self,
        id: String,
        sku: String,
        quantity: String,
    ) -> Result<String, TradeportError> {
        let line = self.edit(&id, |d| d.add_line(&sku, &quantity))?;
        Ok(line.to_string())
    }

    /// Changes a line's quantity.
    pub fn set_quantity(
        &self,
        id: String,
        line_id: String,
        quantity: String,
    ) -> Result<(), TradeportError> {
        self.edit(&id, |d| d.set_quantity(&LineId::from(line_id), &quantity))
    }

    /// Changes a line's note.
    pub fn set_line_note(
        &self,
        id: String,
        line_id: String,
        note: String,
    ) -> Result<(), TradeportError> {
        self.edit(&id, |d| d.set_line_note(&LineId::from(line_id), &note))
    }

    /// Removes a line.
    pub fn remove_line(&self, id: String, line_id: String) -> Result<(), TradeportError> {
        self.edit(&id, |d| d.remove_line(&LineId::from(line_id)))
    }

    /// Sets the buyer's purchase-order reference.
    pub fn set_po_reference(&self, id: String, po_reference: String) -> Result<(), TradeportError> {
        self.edit(&id, |d| d.set_po_reference(&po_reference))
    }

    /// Sets the free text for the whole order.
    pub fn set_notes(&self, id: String, notes: String) -> Result<(), TradeportError> {
        self.edit(&id, |d| d.set_notes(&notes))
    }

    /// Why the draft does not sync, if it was refused and has not synced
    /// since.
    pub fn refusal(&self, id: String) -> Result<Option<Refusal>, TradeportError> {
        Ok(self.device.sdk()?.drafts().refusal(&id)?.map(Refusal::from))
    }

    /// Tries a refused draft again with the next sync although it has not
    /// changed here (another device may have made it fit).
    pub fn retry(&self, id: String) -> Result<(), TradeportError> {
        Ok(self.device.sdk()?.drafts().retry(&id)?)
    }

    /// How many drafts hold changes the server has not confirmed.
    pub fn pending(&self) -> Result<u64, TradeportError> {
        Ok(self.device.sdk()?.drafts().pending()? as u64)
    }

    /// Asks the server which drafts this person may sync and fetches those
    /// the device lacks (they arrive with the next sync); returns their ids.
    pub async fn discover(&self) -> Result<Vec<String>, TradeportError> {
        let device = self.device.sdk()?;
        crate::runtime::run(async move {
            let client = device.client().clone();
            Ok(device.drafts().discover(&client).await?)
        })
        .await
    }
}
