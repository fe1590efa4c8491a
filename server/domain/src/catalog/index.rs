//! The loaded catalog: products by slot with lookups by id, SKU, barcode and
//! family, the category tree with product counts, and the kind each
//! attribute key has. Immutable: a catalog change makes a new index from the
//! old one and swaps it in, so a search in flight never sees half a change.
//!
//! A product keeps its slot for the life of the process; the full-text index
//! names products by slot, so the two stay joined without string keys.

use std::collections::HashMap;
use std::sync::Arc;

use super::attributes::AttributeColumns;
use super::name_order::NameOrder;
use super::{AttributeKind, CatalogFacts, Category, CategoryTree, Product, Visible};

/// The lookups are each behind an `Arc`: a new index made from this one
/// shares those a change leaves alone, and copies (then patches) only those
/// it touches, so changing a product's price copies no map at all.
#[derive(Debug, Default, Clone)]
pub struct CatalogIndex {
    pub(super) tree: Arc<CategoryTree>,
    pub(super) products: Vec<Arc<Product>>,
    by_id: Arc<HashMap<String, usize>>,
    by_sku: Arc<HashMap<String, usize>>,
    /// Lower-cased SKU or barcode → slot.
    codes: Arc<HashMap<String, usize>>,
    /// Listed products per category, descendants included.
    counts: Arc<HashMap<String, u32>>,
    /// Each attribute key's kind, and how many attributes of products have
    /// the key (a key no product has any longer is forgotten).
    attribute_kinds: Arc<HashMap<String, (AttributeKind, u32)>>,
    /// Each attribute key's value per slot, for filters and facets.
    pub(super) attributes: AttributeColumns,
    /// Slots of each family's products, ascending.
    families: Arc<HashMap<String, Vec<usize>>>,
    /// Per slot: the product's category's position in the tree, and
    /// whether it is listed — what a search's scope needs, without reading
    /// each product.
    category_of: Vec<u32>,
    listed: Vec<bool>,
    /// Every slot's place in name order, for breaking ties.
    pub(super) name_order: Arc<NameOrder>,
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
        let n = products.len();
        let mut index = Self {
            tree: Arc::new(tree),
            by_id: Arc::new(HashMap::with_capacity(n)),
            by_sku: Arc::new(HashMap::with_capacity(n)),
            codes: Arc::new(HashMap::with_capacity(n * 2)),
            products: Vec::with_capacity(n),
            category_of: Vec::with_capacity(n),
            listed: Vec::with_capacity(n),
            ..Self::default()
        };
        for product in products {
            index.put(None, Arc::new(product))?;
        }
        index.name_order = Arc::new(NameOrder::of(&index.products));
        Ok(index)
    }

    /// A new index with `changed` products replacing those with the same id
    /// (keeping their slots) or added at new slots; also the slots touched.
    ///
    /// Only what the changed products touch is redone: the new index
    /// shares with this one every lookup they leave as it was.
    pub fn with_products(&self, changed: Vec<Product>) -> Result<(Self, Vec<usize>), String> {
        let mut index = self.clone();
        let mut touched = Vec::with_capacity(changed.len());
        let mut renamed = Vec::new();
        for product in changed {
            let slot = index.by_id.get(&product.id).copied();
            let old_name = slot
                .and_then(|s| index.products.get(s))
                .map(|p| p.name.clone());
            let at = index.put(slot, Arc::new(product))?;
            if old_name.as_ref() != index.products.get(at).map(|p| &p.name) {
                renamed.push(at);
            }
            touched.push(at);
        }
        if !renamed.is_empty() {
            index.name_order = Arc::new(index.name_order.with_changed(&index.products, &renamed));
        }
        Ok((index, touched))
    }

    /// Puts `product` at `slot` (replacing what is there) or, with `None`,
    /// at a new slot; returns its slot. Each lookup is copied (if shared)
    /// and patched only when the old and new product differ in it.
    fn put(&mut self, slot: Option<usize>, new: Arc<Product>) -> Result<usize, String> {
        let Some(position) = self.tree.position(&new.category_id) else {
            return Err(format!(
                "product {} is in unknown category {}",
                new.id, new.category_id
            ));
        };
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        let (slot, old) = match slot.filter(|&s| s < self.products.len()) {
            Some(slot) => {
                let old = std::mem::replace(&mut self.products[slot], Arc::clone(&new));
                self.category_of[slot] = position;
                self.listed[slot] = new.listed();
                (slot, Some(old))
            }
            None => {
                self.products.push(Arc::clone(&new));
                self.category_of.push(position);
                self.listed.push(new.listed());
                (self.products.len() - 1, None)
            }
        };
        let old = old.as_deref();

        if old.is_none_or(|o| o.id != new.id) {
            repoint(
                &mut self.by_id,
                old.map(|o| o.id.clone()),
                [new.id.clone()],
                slot,
            );
        }
        if old.is_none_or(|o| o.sku != new.sku) {
            repoint(
                &mut self.by_sku,
                old.map(|o| o.sku.clone()),
                [new.sku.clone()],
                slot,
            );
        }
        let codes = |p: &Product| {
            std::iter::once(p.sku.to_lowercase())
                .chain(p.barcode.as_ref().map(|b| b.to_lowercase()))
        };
        if old.is_none_or(|o| o.sku != new.sku || o.barcode != new.barcode) {
            repoint(
                &mut self.codes,
                old.into_iter().flat_map(codes),
                codes(&new),
                slot,
            );
        }

        fn counted(p: &Product) -> Option<&str> {
            p.listed().then_some(p.category_id.as_str())
        }
        let was = old.and_then(counted);
        let is = counted(&new);
        if was != is {
            let counts = Arc::make_mut(&mut self.counts);
            for id in was.map(|c| self.tree.path(c)).unwrap_or_default() {
                if let Some(n) = counts.get_mut(id) {
                    *n = n.saturating_sub(1);
                }
            }
            for id in is.map(|c| self.tree.path(c)).unwrap_or_default() {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }

        fn kinds(p: &Product) -> impl Iterator<Item = (&str, AttributeKind)> {
            p.attributes
                .iter()
                .map(|a| (a.key.as_str(), a.value.kind()))
        }
        let old_attributes: &[super::Attribute] =
            old.map(|o| o.attributes.as_slice()).unwrap_or_default();
        if !old.map(kinds).into_iter().flatten().eq(kinds(&new)) {
            let known = Arc::make_mut(&mut self.attribute_kinds);
            for attribute in old_attributes {
                if let Some((_, n)) = known.get_mut(&attribute.key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        known.remove(&attribute.key);
                    }
                }
            }
            for (key, kind) in kinds(&new) {
                match known.get_mut(key) {
                    Some((_, n)) => *n += 1,
                    None => {
                        known.insert(key.to_string(), (kind, 1));
                    }
                }
            }
        }

        self.attributes.put(slot, old, &new);

        let old_family = old.and_then(|o| o.family_id.as_ref());
        if old_family != new.family_id.as_ref() {
            let families = Arc::make_mut(&mut self.families);
            if let Some(family) = old_family
                && let Some(slots) = families.get_mut(family)
            {
                slots.retain(|&s| s != slot);
                if slots.is_empty() {
                    families.remove(family);
                }
            }
            if let Some(family) = &new.family_id {
                let slots = families.entry(family.clone()).or_default();
                if let Err(at) = slots.binary_search(&slot) {
                    slots.insert(at, slot);
                }
            }
        }
        Ok(slot)
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

/// Points the keys `new` at `slot` in `map` (copying it if shared), after
/// removing the keys `old` that pointed there.
fn repoint(
    map: &mut Arc<HashMap<String, usize>>,
    old: impl IntoIterator<Item = String>,
    new: impl IntoIterator<Item = String>,
    slot: usize,
) {
    let map = Arc::make_mut(map);
    for key in old {
        if map.get(&key) == Some(&slot) {
            map.remove(&key);
        }
    }
    for key in new {
        map.insert(key, slot);
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
        self.attribute_kinds.get(key).map(|(kind, _)| kind.clone())
    }
}

#[cfg(test)]
mod scope_tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_search_scope_holds_exactly_what_the_caller_may_see_in_the_category() {
        let demo = crate::fixtures::catalog::catalog();
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

    /// Every lookup of `a` and `b` holds the same.
    fn assert_same(a: &CatalogIndex, b: &CatalogIndex) {
        assert_eq!(a.by_id, b.by_id);
        assert_eq!(a.by_sku, b.by_sku);
        assert_eq!(a.codes, b.codes);
        let counts = |i: &CatalogIndex| {
            let mut c: Vec<(String, u32)> = i
                .counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| (k.clone(), *n))
                .collect();
            c.sort();
            c
        };
        assert_eq!(counts(a), counts(b));
        assert_eq!(a.attribute_kinds, b.attribute_kinds);
        assert_eq!(a.families, b.families);
        assert_eq!(a.category_of, b.category_of);
        assert_eq!(a.listed, b.listed);
        assert_eq!(a.name_order, b.name_order);
        assert_eq!(a.products, b.products);
    }

    #[test]
    fn a_patched_index_holds_what_a_rebuilt_one_does() {
        use crate::catalog::ProductStatus;

        let demo = crate::fixtures::catalog::catalog();
        let categories = demo.categories.clone();
        let mut products = demo.products.clone();
        let index = CatalogIndex::build(demo.categories, demo.products).unwrap();

        let mut changed = Vec::new();
        let mut price = products[3].clone();
        price.base_price.amount += rust_decimal::Decimal::ONE;
        changed.push(price);
        let mut moved = products[10].clone();
        moved.category_id = products[4000].category_id.clone();
        moved.barcode = Some("4000000000017".into());
        moved.family_id = products[20].family_id.clone().or(Some("fam-new".into()));
        changed.push(moved);
        let mut hidden = products[30].clone();
        hidden.status = ProductStatus::Hidden;
        hidden.attributes.clear();
        hidden.family_id = None;
        changed.push(hidden);
        // Renamed: its place in name order moves (to the front).
        let mut renamed = products[50].clone();
        renamed.name = "0 first by name".into();
        changed.push(renamed);
        let mut added = products[40].clone();
        added.id = "prd-new".into();
        added.sku = "TP-NEW-1".into();
        added.barcode = None;
        changed.push(added.clone());
        // The same new product twice in one change: one slot, the last wins.
        added.name = "Renamed".into();
        changed.push(added);

        let (patched, touched) = index.with_products(changed.clone()).unwrap();
        for p in changed {
            match products.iter().position(|q| q.id == p.id) {
                Some(i) => products[i] = p,
                None => products.push(p),
            }
        }
        let rebuilt = CatalogIndex::build(categories, products).unwrap();
        assert_same(&patched, &rebuilt);
        let last = rebuilt.len() - 1;
        assert_eq!(touched, vec![3, 10, 30, 50, last, last]);
        assert_eq!(patched.name_order.rank(50), 0);
        // The old index is untouched.
        let again = CatalogIndex::build(
            crate::fixtures::catalog::catalog().categories,
            crate::fixtures::catalog::catalog().products,
        )
        .unwrap();
        assert_same(&index, &again);
    }
}
