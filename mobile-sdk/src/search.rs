//! Offline product search: an in-memory inverted index over the local
//! catalog's names, SKUs and barcodes, built when the device opens and
//! patched as reference-data pages are applied.
//!
//! Every query token must match the start of some token of a product
//! (prefix matching, so results appear while typing). Ranking: an exact SKU
//! or barcode first, then SKUs starting with the query, then products with
//! more whole-token matches, then by name. It holds only what search needs
//! (id, SKU, barcode, name) and never touches the disk or the network:
//! the local database stays the source of truth, and the index can always
//! be rebuilt from it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Query tokens beyond this are ignored (they would only narrow further).
const MAX_QUERY_TOKENS: usize = 8;

/// What search knows of one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Indexed {
    pub id: String,
    pub sku: String,
    pub barcode: String,
    pub name: String,
}

/// Why a product is in the results, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The query is the product's SKU or barcode.
    ExactCode,
    /// The product's SKU starts with the query.
    SkuPrefix,
    /// Every query word starts a word of the name, SKU or barcode.
    Words,
}

/// One search result. The full product is [`crate::Device::product`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The product's id, for [`crate::Device::product`].
    pub id: String,
    /// The product's SKU, for prices ([`crate::Device::price`]) and draft
    /// lines.
    pub sku: String,
    /// Its barcode (GTIN/EAN); empty when it has none.
    pub barcode: String,
    /// Its name, to show.
    pub name: String,
    /// Why it matched, e.g. to jump straight to an exact code scanned.
    pub matched: MatchKind,
}

struct Doc {
    item: Indexed,
    /// Lower-cased, for comparisons that ignore case.
    sku_key: Box<str>,
    name_key: Box<str>,
}

struct Candidate {
    kind: MatchKind,
    fewer_whole_words: u8,
    name_prefix: u128,
    slot: u32,
}

#[derive(Default)]
pub(crate) struct SearchIndex {
    /// Slots; a removed product leaves `None` until its slot is reused.
    docs: Vec<Option<Doc>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
    by_sku: HashMap<Box<str>, u32>,
    by_barcode: HashMap<Box<str>, u32>,
    /// Token → slots holding it, unordered, each slot once.
    tokens: BTreeMap<Box<str>, Vec<u32>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("products", &self.by_id.len())
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// Lower-cased words: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn doc_tokens(item: &Indexed) -> Vec<String> {
    // Codes are split into their words like names are, as queries are: a
    // whole code typed is found by the exact-code maps and by its words,
    // and one token per code would put 100,000 keys under "tp".
    let mut tokens: Vec<String> = words(&item.name)
        .chain(words(&item.sku))
        .chain(words(&item.barcode))
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

impl SearchIndex {
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// The id of the product with this SKU (exact, case-insensitive).
    pub(crate) fn id_of_sku(&self, sku: &str) -> Option<&str> {
        let slot = *self.by_sku.get(sku.trim().to_lowercase().as_str())?;
        self.doc(slot).map(|d| d.item.id.as_str())
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Indexed> {
        let slot = *self.by_id.get(id)?;
        self.doc(slot).map(|d| &d.item)
    }

    fn doc(&self, slot: u32) -> Option<&Doc> {
        self.docs.get(slot as usize).and_then(Option::as_ref)
    }

    /// Adds or replaces a product; unchanged text leaves the index as is
    /// (most feed changes are prices and stock).
    pub(crate) fn upsert(&mut self, item: Indexed) {
        if self.get(&item.id) == Some(&item) {
            return;
        }
        self.remove(&item.id);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.docs.push(None);
                // A phone holds far fewer than 4 billion products.
                u32::try_from(self.docs.len() - 1).unwrap_or(u32::MAX)
            }
        };
        for token in doc_tokens(&item) {
            self.tokens.entry(token.into()).or_default().push(slot);
        }
        let sku_key: Box<str> = item.sku.trim().to_lowercase().into();
        if !sku_key.is_empty() {
            self.by_sku.insert(sku_key.clone(), slot);
        }
        let barcode_key = item.barcode.trim().to_lowercase();
        if !barcode_key.is_empty() {
            self.by_barcode.insert(barcode_key.into(), slot);
        }
        self.by_id.insert(item.id.clone(), slot);
        let name_key = item.name.to_lowercase().into();
        if let Some(entry) = self.docs.get_mut(slot as usize) {
            *entry = Some(Doc {
                item,
                sku_key,
                name_key,
            });
        }
    }

    pub(crate) fn remove(&mut self, id: &str) {
        let Some(slot) = self.by_id.remove(id) else {
            return;
        };
        let Some(doc) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        for token in doc_tokens(&doc.item) {
            if let Some(slots) = self.tokens.get_mut(token.as_str()) {
                if let Some(at) = slots.iter().position(|s| *s == slot) {
                    slots.swap_remove(at);
                }
                if slots.is_empty() {
                    self.tokens.remove(token.as_str());
                }
            }
        }
        if self.by_sku.get(&doc.sku_key) == Some(&slot) {
            self.by_sku.remove(&doc.sku_key);
        }
        let barcode_key = doc.item.barcode.trim().to_lowercase();
        if self.by_barcode.get(barcode_key.as_str()) == Some(&slot) {
            self.by_barcode.remove(barcode_key.as_str());
        }
        self.free.push(slot);
    }

    pub(crate) fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let whole = query.trim().to_lowercase();
        if whole.is_empty() || limit == 0 {
            return Vec::new();
        }
        let exact = self
            .by_sku
            .get(whole.as_str())
            .or_else(|| self.by_barcode.get(whole.as_str()))
            .copied();

        let mut query_tokens: Vec<String> = words(&whole).collect();
        query_tokens.sort_unstable();
        query_tokens.dedup();
        // A query word that is a prefix of another adds nothing.
        let all = query_tokens.clone();
        query_tokens.retain(|t| !all.iter().any(|o| o != t && o.starts_with(t.as_str())));
        query_tokens.truncate(MAX_QUERY_TOKENS);

        // Per slot: how many query words matched so far, and how many of
        // them matched a whole word.
        let mut matched = vec![0u8; self.docs.len()];
        let mut whole_words = vec![0u8; self.docs.len()];
        for (i, token) in query_tokens.iter().enumerate() {
            let (before, after) = (i as u8, i as u8 + 1);
            let range = self
                .tokens
                .range::<str, _>((
                    std::ops::Bound::Included(token.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(t, _)| t.starts_with(token.as_str()));
            for (indexed, slots) in range {
                // The exact word sorts first in its range, so a slot
                // counted here is not counted again by a longer word.
                let is_whole = indexed.as_ref() == token.as_str();
                for &slot in slots {
                    let s = slot as usize;
                    if matched[s] == before {
                        matched[s] = after;
                        if is_whole {
                            whole_words[s] += 1;
                        }
                    }
                }
            }
        }

        let wanted = query_tokens.len() as u8;
        // Each candidate's rank packed into integers — its kind, whole-word
        // matches and the first 16 bytes of its name — so ordering tens of
        // thousands of them (a one-letter query) compares integers; the
        // full name and SKU break the rare ties.
        let mut candidates: Vec<Candidate> = Vec::new();
        if wanted > 0 {
            for (slot, m) in matched.iter().enumerate() {
                if *m != wanted || Some(slot as u32) == exact {
                    continue;
                }
                let Some(doc) = self.doc(slot as u32) else {
                    continue;
                };
                let kind = if doc.sku_key.starts_with(whole.as_str()) {
                    MatchKind::SkuPrefix
                } else {
                    MatchKind::Words
                };
                let mut prefix = [0u8; 16];
                let name = doc.name_key.as_bytes();
                let n = name.len().min(16);
                prefix[..n].copy_from_slice(&name[..n]);
                candidates.push(Candidate {
                    kind,
                    fewer_whole_words: u8::MAX - whole_words[slot],
                    name_prefix: u128::from_be_bytes(prefix),
                    slot: slot as u32,
                });
            }
        }
        let rank = |a: &Candidate, b: &Candidate| -> Ordering {
            (a.kind, a.fewer_whole_words, a.name_prefix)
                .cmp(&(b.kind, b.fewer_whole_words, b.name_prefix))
                .then_with(|| match (self.doc(a.slot), self.doc(b.slot)) {
                    (Some(da), Some(db)) => {
                        (&da.name_key, &da.sku_key).cmp(&(&db.name_key, &db.sku_key))
                    }
                    _ => a.slot.cmp(&b.slot),
                })
        };
        let room = limit.saturating_sub(usize::from(exact.is_some()));
        if candidates.len() > room && room > 0 {
            candidates.select_nth_unstable_by(room - 1, rank);
        }
        candidates.truncate(room);
        candidates.sort_unstable_by(rank);

        exact
            .map(|slot| (slot, MatchKind::ExactCode))
            .into_iter()
            .chain(candidates.into_iter().map(|c| (c.slot, c.kind)))
            .filter_map(|(slot, matched)| {
                self.doc(slot).map(|d| SearchHit {
                    id: d.item.id.clone(),
                    sku: d.item.sku.clone(),
                    barcode: d.item.barcode.clone(),
                    name: d.item.name.clone(),
                    matched,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item(id: &str, sku: &str, barcode: &str, name: &str) -> Indexed {
        Indexed {
            id: id.into(),
            sku: sku.into(),
            barcode: barcode.into(),
            name: name.into(),
        }
    }

    fn index() -> SearchIndex {
        let mut index = SearchIndex::default();
        index.upsert(item(
            "p1",
            "TP-EL-00007",
            "4006381333931",
            "LED panel 60x60 warm white",
        ));
        index.upsert(item("p2", "TP-EL-00070", "", "LED strip 5 m"));
        index.upsert(item(
            "p3",
            "TP-LI-01001",
            "",
            "Cable ladder TP-EL-00007 bracket",
        ));
        index.upsert(item("p4", "TP-EL-00071", "", "Panel mount kit for LED"));
        index
    }

    fn ids(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn an_exact_sku_or_barcode_comes_first() {
        let index = index();
        let hits = index.search("tp-el-00007", 10);
        assert_eq!(hits[0].id, "p1");
        assert_eq!(hits[0].matched, MatchKind::ExactCode);
        // The bracket names the SKU in its name: found, but after it.
        assert!(ids(&hits).contains(&"p3"), "{hits:?}");

        let hits = index.search(" 4006381333931 ", 10);
        assert_eq!(ids(&hits), ["p1"]);
        assert_eq!(hits[0].matched, MatchKind::ExactCode);
    }

    #[test]
    fn a_sku_prefix_ranks_above_words_and_words_match_by_prefix() {
        let index = index();
        let hits = index.search("TP-EL-0007", 10);
        assert_eq!(ids(&hits), ["p2", "p4"], "{hits:?}");
        assert!(hits.iter().all(|h| h.matched == MatchKind::SkuPrefix));

        // "pan" starts "panel": both panels, the whole-word "led" match ties,
        // so by name.
        let hits = index.search("led pan", 10);
        assert_eq!(ids(&hits), ["p1", "p4"], "{hits:?}");
        // Every word must match.
        assert!(index.search("led ladder", 10).is_empty());
        // Whole-word matches rank above prefix-only ones.
        let mut index = index;
        index.upsert(item("p5", "X-1", "", "Ledger book"));
        let hits = index.search("led", 10);
        assert_eq!(hits.last().unwrap().id, "p5", "{hits:?}");
    }

    #[test]
    fn a_limit_keeps_the_best_and_updates_and_removals_are_seen() {
        let mut index = index();
        assert_eq!(ids(&index.search("tp", 2)), ["p3", "p1"]);
        assert_eq!(index.search("tp", 2).len(), 2);

        index.upsert(item("p2", "TP-EL-00070", "", "Cable tie 100 pcs"));
        assert!(!ids(&index.search("strip", 10)).contains(&"p2"));
        assert_eq!(ids(&index.search("cable tie", 10)), ["p2"]);

        index.remove("p1");
        assert!(index.search("tp-el-00007", 10).iter().all(|h| h.id != "p1"));
        assert_eq!(index.id_of_sku("TP-EL-00007"), None);
        assert_eq!(index.len(), 3);
        // The freed slot is reused cleanly.
        index.upsert(item("p9", "NEW-1", "", "Fresh thing"));
        assert_eq!(ids(&index.search("fresh", 10)), ["p9"]);
        assert_eq!(index.id_of_sku("new-1"), Some("p9"));
        assert!(index.search("warm", 10).is_empty());
        assert!(index.search("   ", 10).is_empty());
    }
}
