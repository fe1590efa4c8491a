//! Bulk imports: an upload is read row by row as it arrives, checked
//! against the catalog as it stands (and the rows before it), and the
//! accepted rows are then written in one commit — or none, as the mode
//! says. What is held in memory is the accepted records, never the file.
//!
//! The check runs without the write lock (an upload arrives at the
//! sender's pace); the lock is taken only to write. If the catalog changed
//! in between, the checked rows may no longer hold, and the import is
//! refused as a whole rather than written half-checked.

use crate::service::ServiceError;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use super::{Catalog, CatalogView, Result};
use crate::service::inventory::Inventory;
use crate::store::{StoreError, idempotency};
use tradeport_domain::DomainError;
use tradeport_domain::bulk::{self, ImportMode, ImportReport, prices, products, stock};
use tradeport_domain::catalog::Product;
use tradeport_domain::feed::{price_changes, product_changed};

impl Catalog {
    /// Imports products; see the module comment. Reached, as every
    /// import, through a `CatalogManager`.
    pub(super) fn import_products(
        &self,
        actor: &str,
        request_id: &str,
        mode: ImportMode,
        input: impl Read,
    ) -> Result<ImportReport> {
        const RPC: &str = "ImportData/catalog";
        if let Some(report) = self.replayed(actor, RPC, request_id, mode)? {
            return Ok(report);
        }
        let view = self.view();
        let mut batch = products::Batch::new(&view.index);
        let mut accepted: Vec<(u64, Product)> = Vec::new();
        let mut report = bulk::read_rows(input, products::COLUMNS, |row| {
            let Some(product) = products::parse_row(row) else {
                return false;
            };
            match batch.accept(row.line, &product) {
                Ok(()) => {
                    accepted.push((row.line, product));
                    true
                }
                Err(errors) => {
                    row.errors.extend(errors);
                    false
                }
            }
        })
        .map_err(interrupted)?;
        drop(batch);
        if !report.should_apply(mode) {
            return Ok(report);
        }
        let _writes = self.lock_writes();
        let current = self.view();
        if !Arc::ptr_eq(&view, &current) {
            // Written meanwhile: a SKU a row claims may have been taken.
            // The rows are checked again, in memory, against what is now.
            accepted = recheck(&current.index, accepted, &mut report);
            if !report.should_apply(mode) {
                return Ok(report);
            }
        }
        report.applied = true;
        let products: Vec<Product> = accepted.into_iter().map(|(_, p)| p).collect();
        let mut published = None;
        let report = idempotency::once::<_, ServiceError, _>(
            self.repo.store(),
            actor,
            RPC,
            request_id,
            |commit| {
                let commit = self.repo.put_products_in(commit, &products)?;
                let entries = products
                    .iter()
                    .map(|p| product_changed(&current.index, &p.id));
                let (commit, ticket) = self.feed.stage(commit, entries)?;
                published = Some(ticket);
                Ok((commit, report))
            },
        )?;
        self.publish(products)?;
        drop(published);
        Ok(report)
    }

    /// Imports price list breaks; `account_exists` tells whether a
    /// customer or contract list names a real account.
    pub(super) fn import_prices(
        &self,
        actor: &str,
        request_id: &str,
        mode: ImportMode,
        input: impl Read,
        account_exists: &dyn Fn(&str) -> bool,
    ) -> Result<ImportReport> {
        const RPC: &str = "ImportData/prices";
        if let Some(report) = self.replayed(actor, RPC, request_id, mode)? {
            return Ok(report);
        }
        let view = self.view();
        // What each list named was read from, so the commit can expect it.
        let mut read: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        let mut failed: Option<StoreError> = None;
        let mut load = |id: &str| match self.pricing.list(id) {
            Ok(list) => {
                let (list, raw) = list.map(|l| (l.value, l.raw)).unzip();
                read.insert(id.to_string(), raw);
                list
            }
            Err(error) => {
                failed.get_or_insert(error);
                None
            }
        };
        let mut batch = prices::PriceBatch::new(&view.index, &mut load, account_exists);
        let mut report =
            bulk::read_rows(input, prices::COLUMNS, |row| batch.add(row)).map_err(interrupted)?;
        let lists = batch.into_lists();
        if let Some(error) = failed {
            return Err(error.into());
        }
        if !report.should_apply(mode) {
            return Ok(report);
        }
        let _writes = self.lock_writes();
        report.applied = true;
        let mut published = None;
        let report = idempotency::once::<_, ServiceError, _>(
            self.pricing.store(),
            actor,
            RPC,
            request_id,
            |commit| {
                // The batch holds whole lists as read before the upload:
                // had another import changed one since, writing it would
                // undo that import. (SKUs cannot vanish meanwhile: products
                // are never deleted and a SKU never changes.)
                let commit = read.iter().fold(commit, |commit, (id, raw)| {
                    self.pricing.expect_list(commit, id, raw.as_deref())
                });
                let commit = self.pricing.put_lists_in(commit, &lists.after)?;
                let changes = price_changes(&lists.before, &lists.after);
                let (commit, ticket) = self.feed.stage(commit, changes)?;
                published = Some(ticket);
                Ok((commit, report))
            },
        )
        .map_err(|error| match error {
            ServiceError::Store(StoreError::Conflict { .. }) => DomainError::precondition(
                "PRICES_CHANGED",
                "price lists changed while the file was being checked; import it again",
            )
            .into(),
            other => other,
        })?;
        let current = self.view();
        self.swap(CatalogView {
            pricebook: current.pricebook.with_changed_lists(lists.after),
            assortments: current.assortments.clone(),
            index: current.index.clone(),
        });
        drop(published);
        Ok(report)
    }

    /// Imports stock levels into `inventory`, every warehouse in one step.
    pub(super) fn import_stock(
        &self,
        actor: &str,
        request_id: &str,
        mode: ImportMode,
        input: impl Read,
        inventory: &Inventory,
    ) -> Result<ImportReport> {
        const RPC: &str = "ImportData/stock";
        if let Some(report) = self.replayed(actor, RPC, request_id, mode)? {
            return Ok(report);
        }
        let view = self.view();
        let mut batch = stock::StockBatch::new(&view.index);
        let mut report =
            bulk::read_rows(input, stock::COLUMNS, |row| batch.add(row)).map_err(interrupted)?;
        if !report.should_apply(mode) {
            return Ok(report);
        }
        inventory.import_levels(&batch.into_levels())?;
        report.applied = true;
        // Remembered after the fact: stock sets absolute levels, so a
        // replay racing this line would set the same levels again.
        if !request_id.is_empty() {
            idempotency::once::<_, ServiceError, _>(
                self.repo.store(),
                actor,
                RPC,
                request_id,
                |commit| Ok((commit, report.clone())),
            )?;
        }
        Ok(report)
    }

    /// Every product, for an export.
    pub fn all_products(&self) -> Vec<Arc<Product>> {
        self.view()
            .index
            .products()
            .map(|(_, p)| Arc::clone(p))
            .collect()
    }

    /// The first report of an applying import repeated with its request id.
    fn replayed(
        &self,
        actor: &str,
        rpc: &str,
        request_id: &str,
        mode: ImportMode,
    ) -> Result<Option<ImportReport>> {
        if mode == ImportMode::DryRun {
            return Ok(None);
        }
        idempotency::recall::<ImportReport, ServiceError>(self.repo.store(), actor, rpc, request_id)
    }
}

/// Checks accepted rows again against `index`, moving those that no
/// longer hold to the report's rejections.
fn recheck(
    index: &tradeport_domain::catalog::CatalogIndex,
    accepted: Vec<(u64, Product)>,
    report: &mut ImportReport,
) -> Vec<(u64, Product)> {
    let mut batch = products::Batch::new(index);
    let mut still = Vec::with_capacity(accepted.len());
    for (line, product) in accepted {
        match batch.accept(line, &product) {
            Ok(()) => still.push((line, product)),
            Err(errors) => {
                report.rows_accepted -= 1;
                report.reject(errors);
            }
        }
    }
    // Rejections were added out of file order; the report lists by line.
    report.errors.sort_by_key(|e| e.line);
    still
}

fn interrupted(e: bulk::Interrupted) -> ServiceError {
    DomainError::precondition("UPLOAD_INTERRUPTED", e.to_string()).into()
}

#[cfg(test)]
#[path = "bulk_tests.rs"]
mod tests;
