//! Every product's place in name order (ties by id): the order a search
//! breaks ties in. Sorting a search's hits compares ranks, two numbers,
//! instead of reading both products and comparing their names; a category
//! browse, whose hits all tie on relevance, sorted thousands of names per
//! call before.

use std::sync::Arc;

use super::Product;

/// Above this share of the catalog changed at once, the order is sorted
/// afresh rather than patched.
const RESORT_ABOVE: usize = 16;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct NameOrder {
    /// Slots in name order.
    slots: Vec<u32>,
    /// Per slot: its position in `slots`.
    rank: Vec<u32>,
}

fn slot_u32(slot: usize) -> u32 {
    u32::try_from(slot).unwrap_or(u32::MAX)
}

impl NameOrder {
    pub(super) fn of(products: &[Arc<Product>]) -> Self {
        let mut slots: Vec<u32> = (0..products.len()).map(slot_u32).collect();
        slots.sort_unstable_by(|&a, &b| by_name(products, a, b));
        Self::ranked(slots)
    }

    /// The order after the products at `changed` slots (renamed, or new
    /// at the end of `products`) changed.
    pub(super) fn with_changed(&self, products: &[Arc<Product>], changed: &[usize]) -> Self {
        if changed.len() * RESORT_ABOVE > products.len() {
            return Self::of(products);
        }
        let mut moved = vec![false; products.len()];
        for &slot in changed {
            if let Some(m) = moved.get_mut(slot) {
                *m = true;
            }
        }
        let mut slots = self.slots.clone();
        slots.retain(|&s| !moved[s as usize]);
        for (slot, _) in moved.iter().enumerate().filter(|(_, m)| **m) {
            let slot = slot_u32(slot);
            let at = slots.partition_point(|&s| by_name(products, s, slot).is_lt());
            slots.insert(at, slot);
        }
        Self::ranked(slots)
    }

    fn ranked(slots: Vec<u32>) -> Self {
        let mut rank = vec![0; slots.len()];
        for (position, &slot) in slots.iter().enumerate() {
            rank[slot as usize] = slot_u32(position);
        }
        Self { slots, rank }
    }

    /// Where `slot` stands in name order.
    pub(super) fn rank(&self, slot: usize) -> u32 {
        self.rank.get(slot).copied().unwrap_or(u32::MAX)
    }
}

fn by_name(products: &[Arc<Product>], a: u32, b: u32) -> std::cmp::Ordering {
    let (pa, pb) = (&products[a as usize], &products[b as usize]);
    pa.name.cmp(&pb.name).then_with(|| pa.id.cmp(&pb.id))
}
