//! Browsing the local catalog by category, offline: the category tree as
//! the server last listed it (fetched with each pull of reference data and
//! kept in the reference tree, replaced whole), and an in-memory index of
//! the local products by every category on their path, so a category's
//! products (its subcategories' included) and their count come without a
//! scan of the catalog.
//!
//! The tree is the server's; which products sit where comes from the
//! products the device holds (their `category_path`), so a buyer with an
//! assortment sees the counts of what they may buy.

use std::collections::{BTreeSet, HashMap};
use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use prost::Message;
use tradeport_proto::catalog::{Category, Product};
use tradeport_proto::sync::ProductEntry;

use super::{PRODUCT, ReferenceData, decode, key};
use crate::Error;
use crate::local_db::LocalDb;

/// Key prefix of the stored categories, by their place in the server's
/// depth-first order (so reading them back keeps that order).
const CATEGORY: &[u8] = b"c/";

/// A category of the local catalog, with how many local products sit in
/// it or below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCategory {
    /// The category's id, as [`Device::products_in_category`](crate::Device::products_in_category) takes it.
    pub id: String,
    /// Empty for a root.
    pub parent_id: String,
    /// Its name, to show.
    pub name: String,
    /// Roots are 0.
    pub depth: u32,
    /// Products of the local catalog in this category or below it.
    pub products: usize,
}

/// The local products by category: each product is listed under every
/// category of its path, sorted by name.
#[derive(Debug, Default)]
pub(crate) struct CategoryIndex {
    /// Each product's path and sort key, to take it out again.
    placed: HashMap<String, (Vec<String>, (String, String))>,
    by_category: HashMap<String, BTreeSet<(String, String)>>,
}

impl CategoryIndex {
    pub(crate) fn upsert(&mut self, product: &Product) {
        self.remove(&product.id);
        let mut path = product.category_path.clone();
        if path.last() != Some(&product.category_id) && !product.category_id.is_empty() {
            path.push(product.category_id.clone());
        }
        let key = (product.name.to_lowercase(), product.id.clone());
        for category in &path {
            self.by_category
                .entry(category.clone())
                .or_default()
                .insert(key.clone());
        }
        self.placed.insert(product.id.clone(), (path, key));
    }

    pub(crate) fn remove(&mut self, id: &str) {
        let Some((path, key)) = self.placed.remove(id) else {
            return;
        };
        for category in path {
            if let Some(products) = self.by_category.get_mut(&category) {
                products.remove(&key);
                if products.is_empty() {
                    self.by_category.remove(&category);
                }
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    pub(crate) fn count(&self, category: &str) -> usize {
        self.by_category.get(category).map_or(0, BTreeSet::len)
    }

    /// Ids of the products in `category` or below, by name, from `offset`.
    pub(crate) fn page(&self, category: &str, offset: usize, limit: usize) -> Vec<String> {
        self.by_category
            .get(category)
            .into_iter()
            .flatten()
            .skip(offset)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect()
    }
}

impl ReferenceData {
    // A panic while patching cannot corrupt the tree it is rebuilt from.
    pub(super) fn categories_mut(&self) -> RwLockWriteGuard<'_, CategoryIndex> {
        self.categories
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn categories_index(&self) -> RwLockReadGuard<'_, CategoryIndex> {
        self.categories
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces the stored category tree with `categories` (the server's
    /// depth-first order) in one batch.
    pub(crate) fn store_categories(
        &self,
        db: &LocalDb,
        categories: &[Category],
    ) -> Result<(), Error> {
        let mut batch = sled::Batch::default();
        for key in self.tree.scan_prefix(CATEGORY).keys() {
            batch.remove(key?);
        }
        for (position, category) in categories.iter().enumerate() {
            let mut key = CATEGORY.to_vec();
            key.extend_from_slice(&(position as u32).to_be_bytes());
            batch.insert(key, category.encode_to_vec());
        }
        db.apply_batch(&self.tree, batch)
    }

    /// The children of `parent` (the roots for `None`), in the server's
    /// order, with their local product counts.
    pub(crate) fn categories(&self, parent: Option<&str>) -> Result<Vec<LocalCategory>, Error> {
        let parent = parent.unwrap_or("");
        let index = self.categories_index();
        let mut children = Vec::new();
        for value in self.tree.scan_prefix(CATEGORY).values() {
            let c: Category = decode(&value?, || "a local category".into())?;
            if c.parent_id == parent {
                children.push(LocalCategory {
                    products: index.count(&c.id),
                    id: c.id,
                    parent_id: c.parent_id,
                    name: c.name,
                    depth: c.depth,
                });
            }
        }
        Ok(children)
    }

    /// The local products in `category` or below it, by name.
    pub(crate) fn products_in_category(
        &self,
        category: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ProductEntry>, Error> {
        let ids = self.categories_index().page(category, offset, limit);
        let mut products = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(raw) = self.tree.get(key(PRODUCT, &[&id]))? {
                products.push(decode(&raw, || format!("local product {id}"))?);
            }
        }
        Ok(products)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn product(id: &str, name: &str, path: &[&str]) -> Product {
        Product {
            id: id.into(),
            name: name.into(),
            category_id: path.last().map(|c| c.to_string()).unwrap_or_default(),
            category_path: path.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn products_are_listed_under_every_category_of_their_path_by_name() {
        let mut index = CategoryIndex::default();
        index.upsert(&product("p1", "Valve", &["root", "plumbing"]));
        index.upsert(&product("p2", "brass elbow", &["root", "plumbing"]));
        index.upsert(&product("p3", "Cable", &["root", "electrical"]));
        assert_eq!(index.count("root"), 3);
        assert_eq!(index.page("plumbing", 0, 10), ["p2", "p1"]);
        assert_eq!(index.page("root", 1, 1), ["p3"]);
        // Moved to another category: out of the old one.
        index.upsert(&product("p1", "Valve", &["root", "electrical"]));
        assert_eq!(index.page("plumbing", 0, 10), ["p2"]);
        assert_eq!(index.count("electrical"), 2);
        index.remove("p2");
        assert_eq!(index.count("plumbing"), 0);
        assert!(index.page("plumbing", 0, 10).is_empty());
        assert_eq!(index.count("root"), 2);
    }
}
