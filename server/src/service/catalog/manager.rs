//! The catalog manager's use cases: creating and changing products, and
//! moving catalog data in bulk (imports, exports, templates). A caller
//! becomes a [`CatalogManager`] only through [`Catalog::manager`], which
//! asks the permission rules, and every one of these use cases wants one:
//! no front end writes the catalog without that check. A front end asks
//! for it before it reads the rest of a request, so a caller who may not
//! manage the catalog is told so, whatever else their request got wrong.

use std::io::Read;
use std::sync::Arc;

use super::{Catalog, PricedProduct, Result};
use crate::service::ServiceError;
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use crate::store::idempotency;
use tradeport_domain::bulk::{self, ChunkWriter, Column, ImportKind, ImportMode, ImportReport};
use tradeport_domain::catalog::Product;
use tradeport_domain::identity::{Action, Caller};

/// Size of an export chunk.
const EXPORT_CHUNK: usize = 64 * 1024;
/// Stock levels read per store scan of an export.
const STOCK_PAGE: usize = 1000;

/// A caller the permission rules let manage the catalog.
pub struct CatalogManager {
    catalog: Arc<Catalog>,
    /// Who remembers the manager's request ids.
    actor: String,
}

impl Catalog {
    /// `caller` as a catalog manager: catalog managers, brand admins and
    /// the ERP change products and move catalog data.
    pub fn manager(self: &Arc<Self>, caller: &Caller) -> Result<CatalogManager> {
        caller.authorize_action(Action::ManageCatalog)?;
        Ok(CatalogManager {
            catalog: Arc::clone(self),
            actor: idempotency::owner(caller),
        })
    }
}

/// The columns of `kind`'s files.
fn columns(kind: ImportKind) -> &'static [Column] {
    match kind {
        ImportKind::Catalog => bulk::products::COLUMNS,
        ImportKind::Prices => bulk::prices::COLUMNS,
        ImportKind::Stock => bulk::stock::COLUMNS,
    }
}

impl CatalogManager {
    pub fn create_product(&self, request_id: &str, product: Product) -> Result<PricedProduct> {
        let created = self
            .catalog
            .create_product(&self.actor, request_id, product)?;
        Ok(self.listed(created))
    }

    /// Changes the fields `mask` names to `patch`'s.
    pub fn update_product(
        &self,
        request_id: &str,
        patch: Product,
        mask: &[String],
    ) -> Result<PricedProduct> {
        let updated = self
            .catalog
            .update_product(&self.actor, request_id, patch, mask)?;
        Ok(self.listed(updated))
    }

    /// A product as written, at its list price, with its category path.
    fn listed(&self, product: Product) -> PricedProduct {
        PricedProduct::shown(&self.catalog.view(), None, &Arc::new(product))
    }

    /// Imports an upload of `kind`, read as it arrives; `identity` tells
    /// which accounts a price list may name, stock lands in `inventory`.
    pub fn import(
        &self,
        kind: ImportKind,
        mode: ImportMode,
        request_id: &str,
        upload: impl Read,
        identity: &Identity,
        inventory: &Inventory,
    ) -> Result<ImportReport> {
        let (catalog, actor) = (&self.catalog, self.actor.as_str());
        match kind {
            ImportKind::Prices => {
                let account_exists = |id: &str| matches!(identity.account_record(id), Ok(Some(_)));
                catalog.import_prices(actor, request_id, mode, upload, &account_exists)
            }
            ImportKind::Stock => catalog.import_stock(actor, request_id, mode, upload, inventory),
            ImportKind::Catalog => catalog.import_products(actor, request_id, mode, upload),
        }
    }

    /// Writes every record of `kind` as CSV, handing chunks to `send`
    /// until it says the caller has gone.
    pub fn export(
        &self,
        kind: ImportKind,
        inventory: &Inventory,
        mut send: impl FnMut(Vec<u8>) -> bool,
    ) -> Result<()> {
        let failed = |e: csv::Error| ServiceError::internal(format!("export: {e}"));
        let mut out = ChunkWriter::new(columns(kind), EXPORT_CHUNK).map_err(failed)?;
        let mut put = |row: Vec<String>, out: &mut ChunkWriter| -> Result<bool> {
            match out.row(row).map_err(failed)? {
                Some(chunk) => Ok(send(chunk)),
                None => Ok(true),
            }
        };
        match kind {
            ImportKind::Prices => {
                let lists = self.catalog.pricing().price_lists()?;
                for list in &lists {
                    for row in bulk::prices::write_rows(list) {
                        if !put(row, &mut out)? {
                            return Ok(());
                        }
                    }
                }
            }
            ImportKind::Stock => {
                let mut after: Option<Vec<u8>> = None;
                loop {
                    let page = inventory.all_levels(after.as_deref(), STOCK_PAGE)?;
                    let Some((last, _)) = page.last() else { break };
                    after = Some(last.clone());
                    for (_, level) in &page {
                        if !put(bulk::stock::write_row(level), &mut out)? {
                            return Ok(());
                        }
                    }
                }
            }
            ImportKind::Catalog => {
                for product in self.catalog.all_products() {
                    if !put(bulk::products::write_row(&product), &mut out)? {
                        return Ok(());
                    }
                }
            }
        }
        let rest = out.finish().map_err(failed)?;
        if !rest.is_empty() {
            send(rest);
        }
        Ok(())
    }

    /// The template of `kind`'s files: a header line, and what each
    /// column holds.
    pub fn template(&self, kind: ImportKind) -> (String, Vec<Column>) {
        bulk::template(columns(kind))
    }
}
