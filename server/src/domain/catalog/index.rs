//! The loaded catalog: products by slot with lookups by id, SKU, barcode and
//! family, the category tree with product counts, and the kind each
//! attribute key has. Immutable: a catalog change makes a new index from the
//! old one and swaps it in, so a search in flight never sees half a change.
//!
//! A product keeps its slot for the life of the process; the full-text index
//! names products by slot, so the two stay joined without string keys.

use std::collections::HashMap;
use std::sync::Arc;

use super::{AttributeKind, CatalogFacts, Category, CategoryTree, Product, Visible};

#[derive(Debug, Default)]
pub struct CatalogIndex {
    pub(super) tree: CategoryTree,
    pub(super) products: Vec<Arc<Product>>,
    by_id: HashMap<String, usize>,
    by_sku: HashMap<String, usize>,
    /// Lower-cased SKU or barcode → slot.
    codes: HashMap<String, usize>,
    /// Listed products per category, descendants included.
    counts: HashMap<String, u32>,
    attribute_kinds: HashMap<String, AttributeKind>,
    families: HashMap<String, Vec<usize>>,
    /// Per slot: the product's category's position in the tree, and
    /// whether it is listed — what a search's scope needs, without reading
    /// each product.
    category_of: Vec<u32>,
    listed: Vec<bool>,
}

/// Which products a search may look at: what the caller may see, within
/// the category asked for, decided once per category rather than per
/// product.
pub(super) struct Scope<'a> {
    visible: &'a Visible,
    /// Per category position: within the category asked for.
    within: Vec<bool>,
    /// Per category position: the caller's assortment holds it.
    allowed: Vec<bool>,
}

impl CatalogIndex {
    pub fn build(categories: Vec<Category>, products: Vec<Product>) -> Result<Self, String> {
        let tree = CategoryTree::build(categories)?;
        Self::index(tree, products.into_iter().map(Arc::new).collect())
    }

    /// A new index with `changed` products replacing those with the same id
    /// (keeping their slots) or added at new slots; also the slots touched.
    pub fn with_products(&self, changed: Vec<Product>) -> Result<(Self, Vec<usize>), String> {
        let mut products = self.products.clone();
        let mut added: HashMap<String, usize> = HashMap::new();
        let mut touched = Vec::with_capacity(changed.len());
        for product in changed {
            let slot = self
                .by_id
                .get(&product.id)
                .or_else(|| added.get(&product.id))
                .copied();
            let slot = match slot {
                Some(slot) => {
                    products[slot] = Arc::new(product);
                    slot
                }
                None => {
                    added.insert(product.id.clone(), products.len());
                    products.push(Arc::new(product));
                    products.len() - 1
                }
            };
            touched.push(slot);
        }
        Ok((Self::index(self.tree.clone(), products)?, touched))
    }

    fn index(tree: CategoryTree, products: Vec<Arc<Product>>) -> Result<Self, String> {
        let n = products.len();
        let mut index = Self {
            tree,
            by_id: HashMap::with_capacity(n),
            by_sku: HashMap::with_capacity(n),
            codes: HashMap::with_capacity(n * 2),
            counts: HashMap::new(),
            attribute_kinds: HashMap::new(),
            families: HashMap::new(),
            products: Vec::new(),
            category_of: Vec::with_capacity(n),
            listed: Vec::with_capacity(n),
        };
        for (slot, product) in products.iter().enumerate() {
            if !index.tree.contains(&product.category_id) {
                return Err(format!(
                    "product {} is in unknown category {}",
                    product.id, product.category_id
                ));
            }
            let position = index.tree.position(&product.category_id).unwrap_or(0);
            index
                .category_of
                .push(u32::try_from(position).unwrap_or(u32::MAX));
            index.listed.push(product.listed());
            index.by_id.insert(product.id.clone(), slot);
            index.by_sku.insert(product.sku.clone(), slot);
            index.codes.insert(product.sku.to_lowercase(), slot);
            if let Some(barcode) = &product.barcode {
                index.codes.insert(barcode.to_lowercase(), slot);
            }
            if product.listed() {
                for id in index.tree.path(&product.category_id) {
                    *index.counts.entry(id.clone()).or_default() += 1;
                }
            }
            for attribute in &product.attributes {
                index
                    .attribute_kinds
                    .entry(attribute.key.clone())
                    .or_insert_with(|| attribute.value.kind());
            }
            if let Some(family) = &product.family_id {
                index.families.entry(family.clone()).or_default().push(slot);
            }
        }
        index.products = products;
        Ok(index)
    }

    pub fn tree(&self) -> &CategoryTree {
        &self.tree
    }

    pub fn product_count(&self, category_id: &str) -> u32 {
        self.counts.get(category_id).copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// Every product with its slot.
    pub fn products(&self) -> impl Iterator<Item = (usize, &Arc<Product>)> {
        self.products.iter().enumerate()
    }

    pub fn at(&self, slot: usize) -> Option<&Arc<Product>> {
        self.products.get(slot)
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Product>> {
        self.by_id.get(id).map(|&i| &self.products[i])
    }

    pub fn get_sku(&self, sku: &str) -> Option<&Arc<Product>> {
        self.by_sku.get(sku).map(|&i| &self.products[i])
    }

    /// The product whose SKU or barcode is `code`, ignoring case, as typed
    /// or scanned into a quick order.
    pub fn by_code(&self, code: &str) -> Option<&Arc<Product>> {
        self.by_sku
            .get(code)
            .or_else(|| self.codes.get(&code.trim().to_lowercase()))
            .map(|&i| &self.products[i])
    }

    /// The category path of a product, root first.
    pub fn path(&self, product: &Product) -> &[String] {
        self.tree.path(&product.category_id)
    }

    /// The names of a product's category and its ancestors.
    pub fn category_names(&self, product: &Product) -> Vec<&str> {
        self.path(product)
            .iter()
            .filter_map(|id| self.tree.get(id).map(|c| c.name.as_str()))
            .collect()
    }

    /// The other variants of the product's family that `visible` lets the
    /// caller see, in SKU order.
    pub fn variants(&self, product: &Product, visible: &Visible) -> Vec<&Arc<Product>> {
        let Some(slots) = product
            .family_id
            .as_ref()
            .and_then(|f| self.families.get(f))
        else {
            return Vec::new();
        };
        let mut variants: Vec<&Arc<Product>> = slots
            .iter()
            .map(|&slot| &self.products[slot])
            .filter(|p| p.id != product.id && self.may_see(p, visible))
            .collect();
        variants.sort_by(|a, b| a.sku.cmp(&b.sku));
        variants
    }

    /// Whether the product with this exact SKU exists and `visible` lets
    /// the caller see it.
    pub fn sku_visible(&self, sku: &str, visible: &Visible) -> bool {
        self.get_sku(sku).is_some_and(|p| self.may_see(p, visible))
    }

    /// Whether product `id` exists and is visible.
    pub fn product_visible(&self, id: &str, visible: &Visible) -> bool {
        self.get(id).is_some_and(|p| self.may_see(p, visible))
    }

    /// The scope of a search by a caller who sees `visible`, within
    /// `category_id` (empty: the whole tree).
    pub(super) fn scope<'a>(&self, visible: &'a Visible, category_id: &str) -> Scope<'a> {
        let positions = 0..self.tree.len();
        Scope {
            visible,
            within: positions
                .clone()
                .map(|i| {
                    category_id.is_empty() || self.tree.path_at(i).iter().any(|c| c == category_id)
                })
                .collect(),
            allowed: positions
                .map(|i| match visible {
                    Visible::Only { categories, .. } => {
                        self.tree.path_at(i).iter().any(|c| categories.contains(c))
                    }
                    Visible::Everything | Visible::AllListed => true,
                })
                .collect(),
        }
    }

    /// Whether the product at `slot` is in `scope`: exactly
    /// `may_see(product) && (no category || is_within(category))`.
    pub(super) fn in_scope(&self, scope: &Scope<'_>, slot: usize) -> bool {
        let (Some(&position), Some(&listed)) = (self.category_of.get(slot), self.listed.get(slot))
        else {
            return false;
        };
        let position = position as usize;
        if !scope.within.get(position).copied().unwrap_or(false) {
            return false;
        }
        match scope.visible {
            Visible::Everything => true,
            Visible::AllListed => listed,
            Visible::Only { skus, .. } => {
                listed
                    && (scope.allowed.get(position).copied().unwrap_or(false)
                        || self
                            .products
                            .get(slot)
                            .is_some_and(|p| skus.contains(&p.sku)))
            }
        }
    }

    pub fn may_see(&self, product: &Product, visible: &Visible) -> bool {
        // Most callers see every listed product: skip the path lookup.
        match visible {
            Visible::Everything => true,
            Visible::AllListed => product.listed(),
            Visible::Only { .. } => visible.allows(
                &product.sku,
                self.tree.path(&product.category_id),
                product.listed(),
            ),
        }
    }
}

impl CatalogFacts for CatalogIndex {
    fn category_exists(&self, id: &str) -> bool {
        self.tree.contains(id)
    }

    fn code_owner(&self, code: &str) -> Option<&str> {
        self.codes
            .get(&code.to_lowercase())
            .map(|&slot| self.products[slot].id.as_str())
    }

    fn product_exists(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    fn attribute_kind(&self, key: &str) -> Option<AttributeKind> {
        self.attribute_kinds.get(key).cloned()
    }
}

#[cfg(test)]
mod scope_tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_search_scope_holds_exactly_what_the_caller_may_see_in_the_category() {
        let demo = crate::demo::catalog();
        let tool = demo
            .products
            .iter()
            .find(|p| p.category_id.starts_with("cat-to") && p.listed())
            .map(|p| p.sku.clone())
            .unwrap();
        let index = CatalogIndex::build(demo.categories, demo.products).unwrap();
        let visibles = [
            Visible::Everything,
            Visible::AllListed,
            Visible::Only {
                categories: HashSet::from(["cat-el-0".to_string(), "cat-pl".to_string()]),
                skus: HashSet::from([tool]),
            },
        ];
        for visible in &visibles {
            for category in ["", "cat-el", "cat-el-00", "cat-to", "cat-pl-1"] {
                let scope = index.scope(visible, category);
                let mut held = 0;
                for (slot, product) in index.products() {
                    let expected = index.may_see(product, visible)
                        && (category.is_empty()
                            || index.tree.is_within(&product.category_id, category));
                    assert_eq!(index.in_scope(&scope, slot), expected, "{category} {slot}");
                    held += usize::from(expected);
                }
                assert!(held > 0 || category == "cat-el", "{category}");
            }
        }
    }
}
