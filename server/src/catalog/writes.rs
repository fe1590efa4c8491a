//! The catalog manager's writes: create a product, change the fields an
//! update mask names. Each is validated against the catalog as it stands
//! under the write lock, committed with its request id (AIP-155), and
//! published before the call returns.

use super::{Catalog, CatalogError, CatalogView, Result};
use crate::domain::DomainError;
use crate::domain::catalog::Product;
use crate::domain::catalog::product::{apply_mask, parse_mask, validate};
use crate::store::idempotency;

impl Catalog {
    pub fn create_product(
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

    pub fn update_product(
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
        let result = idempotency::once::<_, CatalogError, _>(
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
                written = Some(product.clone());
                Ok((commit, product))
            },
        )?;
        // A replay answers as the first call did and publishes nothing: the
        // catalog may have moved on since.
        if let Some(product) = written {
            self.publish(vec![product])?;
        }
        Ok(result)
    }
}

fn check(product: &Product, facts: &dyn crate::domain::catalog::CatalogFacts) -> Result<()> {
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
