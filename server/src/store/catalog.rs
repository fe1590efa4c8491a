//! Typed access to catalog records. Keys: `cat/<id>` for categories,
//! `prd/<id>` for products. Bulk writes go in chunks so one commit never
//! grows without bound.

use std::sync::Arc;

use super::{Commit, Store, StoreError, decode, encode, scan_all};
use tradeport_domain::catalog::{Assortment, Category, Product};

const CATEGORY_PREFIX: &[u8] = b"cat/";
const PRODUCT_PREFIX: &[u8] = b"prd/";
const ASSORTMENT_PREFIX: &[u8] = b"assort/";
const SCAN_PAGE: usize = 1024;
const WRITE_CHUNK: usize = 500;

#[derive(Clone)]
pub struct CatalogRepository {
    store: Arc<dyn Store>,
}

fn key(prefix: &[u8], id: &str) -> Vec<u8> {
    [prefix, id.as_bytes()].concat()
}

impl CatalogRepository {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn product(&self, id: &str) -> Result<Option<Product>, StoreError> {
        let key = key(PRODUCT_PREFIX, id);
        self.store
            .get(&key)?
            .map(|bytes| decode(&key, &bytes))
            .transpose()
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Adds `products` to `commit`.
    pub fn put_products_in(
        &self,
        commit: Commit,
        products: &[Product],
    ) -> Result<Commit, StoreError> {
        products.iter().try_fold(commit, |commit, product| {
            let k = key(PRODUCT_PREFIX, &product.id);
            let bytes = encode(&k, product)?;
            Ok(commit.put(k, bytes))
        })
    }

    pub fn categories(&self) -> Result<Vec<Category>, StoreError> {
        self.all(CATEGORY_PREFIX)
    }

    pub fn products(&self) -> Result<Vec<Product>, StoreError> {
        self.all(PRODUCT_PREFIX)
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self
            .store
            .scan(super::KeyRange::prefix(CATEGORY_PREFIX), 1)?
            .is_empty()
            && self
                .store
                .scan(super::KeyRange::prefix(PRODUCT_PREFIX), 1)?
                .is_empty())
    }

    /// Writes categories and products, overwriting records with the same id.
    pub fn put_all(&self, categories: &[Category], products: &[Product]) -> Result<(), StoreError> {
        self.put_chunked(CATEGORY_PREFIX, categories, |c| &c.id)?;
        self.put_chunked(PRODUCT_PREFIX, products, |p| &p.id)
    }

    fn put_chunked<T: serde::Serialize>(
        &self,
        prefix: &[u8],
        records: &[T],
        id: impl Fn(&T) -> &str,
    ) -> Result<(), StoreError> {
        for chunk in records.chunks(WRITE_CHUNK) {
            let mut commit = Commit::new();
            for record in chunk {
                let k = key(prefix, id(record));
                commit = commit.put(k.clone(), encode(&k, record)?);
            }
            self.store.commit(commit)?;
        }
        Ok(())
    }

    pub fn assortments(&self) -> Result<Vec<Assortment>, StoreError> {
        self.all(ASSORTMENT_PREFIX)
    }

    pub fn put_assortments(&self, assortments: &[Assortment]) -> Result<(), StoreError> {
        self.put_chunked(ASSORTMENT_PREFIX, assortments, |a| &a.id)
    }

    /// Adds writing assortment `id` as `assortment` (none: deleting it)
    /// to `commit`.
    pub fn assortment_in(
        &self,
        commit: Commit,
        id: &str,
        assortment: Option<&Assortment>,
    ) -> Result<Commit, StoreError> {
        let k = key(ASSORTMENT_PREFIX, id);
        Ok(match assortment {
            Some(a) => {
                let bytes = encode(&k, a)?;
                commit.put(k, bytes)
            }
            None => commit.delete(k),
        })
    }

    fn all<T: serde::de::DeserializeOwned>(&self, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        scan_all(self.store.as_ref(), prefix, SCAN_PAGE)?
            .into_iter()
            .map(|(k, v)| decode(&k, &v))
            .collect()
    }
}
