//! The catalog manager's writes: create a product, change the fields an
//! update mask names. Each is validated against the catalog as it stands
//! under the write lock, committed with its request id (AIP-155), and
//! published before the call returns.

use super::{Catalog, CatalogView, Result};
use crate::service::ServiceError;
use crate::store::idempotency;
use tradeport_domain::DomainError;
use tradeport_domain::catalog::Product;
use tradeport_domain::catalog::product::{apply_mask, parse_mask, validate};
use tradeport_domain::catalog::{Assortment, AssortmentScope};
use tradeport_domain::feed::{FeedEntry, assortment_audience, product_changed};

// Reached through a `CatalogManager`, which front ends must hold first.
impl Catalog {
    pub(in crate::service) fn create_product(
        &self,
        actor: &str,
        request_id: &str,
        product: Product,
    ) -> Result<Product> {
        self.write_product(actor, "CreateProduct", request_id, |view| {
            if view.index.get(&product.id).is_some() {
                return Err(DomainError::AlreadyExists {
                    resource: "product",
                    id: product.id.clone(),
                }
                .into());
            }
            Ok(product)
        })
    }

    pub(in crate::service) fn update_product(
        &self,
        actor: &str,
        request_id: &str,
        patch: Product,
        mask: &[String],
    ) -> Result<Product> {
        let fields = parse_mask(mask)?;
        self.write_product(actor, "UpdateProduct", request_id, |view| {
            let current = view
                .index
                .get(&patch.id)
                .ok_or_else(|| DomainError::NotFound {
                    resource: "product",
                    id: patch.id.clone(),
                })?;
            Ok(apply_mask(current, patch, &fields))
        })
    }

    /// Writes the product `make` derives from the current view, once per
    /// request id, after checking it against the catalog; publishes it.
    fn write_product(
        &self,
        actor: &str,
        rpc: &str,
        request_id: &str,
        make: impl FnOnce(&CatalogView) -> Result<Product>,
    ) -> Result<Product> {
        let _writes = self.lock_writes();
        let view = self.view();
        let mut written = None;
        let result = idempotency::once::<_, ServiceError, _>(
            self.repo.store(),
            actor,
            rpc,
            request_id,
            |commit| {
                let product = make(&view)?;
                check(&product, &view.index)?;
                let commit = self
                    .repo
                    .put_products_in(commit, std::slice::from_ref(&product))?;
                // Feed readers render products from the view: they wait
                // until this one is published, not just committed.
                let (commit, published) = self
                    .feed
                    .stage(commit, [product_changed(&view.index, &product.id)])?;
                written = Some((product.clone(), published));
                Ok((commit, product))
            },
        )?;
        // A replay answers as the first call did and publishes nothing: the
        // catalog may have moved on since.
        if let Some((product, published)) = written {
            self.publish(vec![product])?;
            drop(published);
        }
        Ok(result)
    }
}

impl Catalog {
    /// Creates or replaces an assortment (by id): what its customers may
    /// see changes as a whole, so their devices start over from a snapshot
    /// and products they may no longer see leave them.
    pub fn put_assortment(&self, assortment: Assortment) -> Result<()> {
        if assortment.id.trim().is_empty() {
            return Err(DomainError::invalid("MISSING_ID", "id", "is required").into());
        }
        let id = assortment.id.clone();
        self.write_assortments(&id, Some(assortment))
    }

    /// Removes an assortment; a missing one is NOT_FOUND.
    pub fn remove_assortment(&self, id: &str) -> Result<()> {
        if !self.view().assortments.iter().any(|a| a.id == id) {
            return Err(DomainError::NotFound {
                resource: "assortment",
                id: id.to_string(),
            }
            .into());
        }
        self.write_assortments(id, None)
    }

    /// Replaces assortment `id` by `new` (none: removed), in the store and
    /// the feed in one commit, then in the view.
    fn write_assortments(&self, id: &str, new: Option<Assortment>) -> Result<()> {
        let _writes = self.lock_writes();
        let current = self.view();
        let old = current.assortments.iter().find(|a| a.id == id);
        let scopes: Vec<&AssortmentScope> = old
            .map(|a| &a.scope)
            .into_iter()
            .chain(new.as_ref().map(|a| &a.scope))
            .collect();
        let mut entries: Vec<FeedEntry> = Vec::new();
        for scope in scopes {
            let entry = FeedEntry::Visibility {
                audience: assortment_audience(scope),
            };
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        let commit = self
            .repo
            .assortment_in(crate::store::Commit::new(), id, new.as_ref())?;
        let (commit, published) = self.feed.stage(commit, entries)?;
        self.repo.store().commit(commit)?;
        let mut assortments: Vec<Assortment> = current
            .assortments
            .iter()
            .filter(|a| a.id != id)
            .cloned()
            .collect();
        assortments.extend(new);
        self.swap(CatalogView {
            index: current.index.clone(),
            pricebook: current.pricebook.clone(),
            assortments,
        });
        drop(published);
        Ok(())
    }
}

fn check(product: &Product, facts: &dyn tradeport_domain::catalog::CatalogFacts) -> Result<()> {
    let violations = validate(product, facts);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(DomainError::InvalidArgument {
            reason: "INVALID_PRODUCT",
            violations,
        }
        .into())
    }
}
