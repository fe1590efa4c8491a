//! Full-text matching of products over a tantivy index kept in RAM.
//!
//! This module answers one question: which products match this text, and
//! how well. Filters, facets, visibility, sorting and paging stay with the
//! catalog, which is why [`TextIndex::search`] returns *every* match with
//! its score rather than a top-N. The index lives in a tantivy
//! `RamDirectory` and is rebuilt from the store at start (one
//! [`TextIndex::upsert`] with the whole catalog, a single commit); later
//! changes are upserted or removed by the caller's numeric key.
//!
//! # Relevance policy
//!
//! **Words.** Text is cut into words at every non-alphanumeric character,
//! lowercased and ASCII-folded ("Kühl-Schrank 230V" → `kuhl`, `schrank`,
//! `230v`), by the same analyzer at indexing and at query time, so a query
//! word and a product word compare like for like. No stemming and no stop
//! words: product text is short and full of codes and units, where
//! "cleverness" about language does more harm than good. Indexed words
//! longer than 64 bytes are dropped (blobs pasted into descriptions, not
//! words anyone types).
//!
//! **Every query word must match (AND).** Buyers refine by adding words
//! ("cable 3x1.5 black"); each word should narrow the list, never widen it.
//! A query word matches a product word when it is
//! - *equal* to it;
//! - a *prefix* of it, for the **last** query word only and only from 2
//!   characters: search runs as the user types, so the last word is often
//!   unfinished ("steel cab" → "steel cable"), while earlier words were
//!   finished on purpose and would match far too much as prefixes;
//! - within a *typo distance* of it: Levenshtein distance 1 for words of
//!   4–7 characters and 2 for words of 8 or more, a transposition counting
//!   as one edit ("cabel", "kable" and "cabe" find "cable"; German
//!   "kabel" is two edits away and does not). Shorter words get no typo
//!   tolerance: one edit in a 3-letter word ("box" → "bix", "fox", "bog")
//!   is a different word, not a typo. **Words containing a digit get no
//!   typo tolerance either**: in codes and dimensions one edit is another
//!   product — "1234" is not a typo of "1235", nor "m12" of "m10", nor
//!   "230v" of "280v" (they still match as a typed prefix when last).
//!
//! Only the first [`MAX_QUERY_WORDS`] words of a query are used, which
//! bounds the work a pasted paragraph can cause.
//!
//! **Field weights.** SKU and barcode 8, name 4, attributes 2, category
//! names (the product's category and its ancestors) 1.5, description 1: a
//! word in the product's code or name says far more about what the product
//! *is* than one in its description. Per query word and field, the exact
//! word scores BM25 × weight (rare words count more than common ones, short
//! fields more than long ones), while prefix and typo matches score a flat
//! half weight. The flat "loose" clause also matches the exact word, so an
//! exact hit scores `weight × (BM25 + ½)` against `weight × ½` for a loose
//! one: an exact word always beats a typo or prefix in the same field,
//! whatever its frequency. A product's score is the sum over query words
//! and fields.
//!
//! **Exact codes.** A query that, trimmed and case-insensitively, *is* a
//! product's SKU or barcode (looked up in an untokenised field, so
//! "AB-1234/X" matches only that code) returns that product flagged
//! [`TextMatch::exact_code`] with [`EXACT_CODE_SCORE`] added, above any sum
//! of word scores: a buyer who types a code wants that product, first. The
//! code's parts are ordinary words too ("ab-1234" → `ab`, `1234`), so a
//! partial code still finds the product.
//!
//! # Cost
//!
//! Each query word becomes, per text field, a term query and (when the word
//! is eligible) a Levenshtein-automaton and/or prefix-automaton query on the
//! term dictionary; there is no scan of the products. A custom collector
//! gathers every hit's key (from a fast field) and score across segments.
//! Since that work is per segment, a bulk load is merged into one segment
//! and later small writes are merged as they pile up (see `merge`).
//! Measured once with a throwaway 100k-document test (dev profile, whose
//! dependencies are built at opt-level 2; 2 cores; 100,000 generated
//! products with a 30,000-word description vocabulary): the bulk load takes
//! about 1.5–2.7 s, a one-word query matching 20,000 products about 1.5–2.5
//! ms (exact, typo or prefix), a two-word query with two typos about 3 ms,
//! an upsert of one product 5–60 ms (a commit), a removal about 1 ms.

use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::index::SegmentId;
use tantivy::indexer::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::{
    DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal,
    SegmentReader, TERMINATED, TantivyDocument, Term,
};

/// Weight of a word of the SKU or barcode.
pub const WEIGHT_CODE: f32 = 8.0;
/// Weight of a word of the product's name.
pub const WEIGHT_NAME: f32 = 4.0;
/// Weight of a word of an attribute value.
pub const WEIGHT_ATTRIBUTE: f32 = 2.0;
/// Weight of a word of the names of the product's category and ancestors.
pub const WEIGHT_CATEGORY: f32 = 1.5;
/// Weight of a word of the description.
pub const WEIGHT_DESCRIPTION: f32 = 1.0;
/// A prefix or typo match scores this fraction of the field's weight.
pub const LOOSE_FACTOR: f32 = 0.5;
/// Added to the score of the product whose SKU or barcode the query is:
/// above any sum of word scores.
pub const EXACT_CODE_SCORE: f32 = 1.0e6;

/// Words shorter than this (in characters) get no typo tolerance.
const MIN_FUZZY_CHARS: usize = 4;
/// Words this long or longer (in characters) tolerate two edits.
const MIN_FUZZY2_CHARS: usize = 8;
/// The last query word matches as a prefix from this many characters.
const MIN_PREFIX_CHARS: usize = 2;
/// Only the first this many words of a query are used.
pub const MAX_QUERY_WORDS: usize = 32;
/// Indexed words longer than this (in bytes) are dropped.
const MAX_WORD_BYTES: usize = 64;
/// The index writer's memory budget, for its one indexing thread: the
/// least tantivy allows. Writes after the initial load are a few documents
/// each, and a larger arena would only stay resident.
const WRITER_MEMORY_BYTES: usize = 15_000_000;
/// An upsert of at least this many documents is a bulk load (the catalog
/// at start, an import): it is merged into one segment before returning.
/// The writer's small arena cuts 100,000 products into about twenty
/// segments, and every query walks each segment's term dictionaries once
/// per field and word, which made text matching several times dearer.
const BULK_DOCS: usize = 10_000;

const TOKENIZER: &str = "tradeport_words";
const KEY: &str = "key";

/// One product as the text index sees it. `key` is a stable numeric id the
/// caller assigns (a slot number).
#[derive(Debug, Clone)]
pub struct TextDoc<'a> {
    pub key: u64,
    pub sku: &'a str,
    pub barcode: Option<&'a str>,
    pub name: &'a str,
    pub description: &'a str,
    /// Attribute values as labels, e.g. "230 V", "steel".
    pub attributes: Vec<String>,
    /// Names of the product's category and its ancestors.
    pub categories: Vec<&'a str>,
}

/// A product that matched a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextMatch {
    pub key: u64,
    /// Higher is better; only comparable between matches of one query.
    pub score: f32,
    /// The query is this product's SKU or barcode (trimmed, any case).
    pub exact_code: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TextIndexError {
    #[error("text index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// The full-text index of the catalog, in RAM. `Send + Sync`: share it
/// behind an `Arc`. Writes are serialised by an internal lock; searches run
/// concurrently with them and see each write once it has returned.
pub struct TextIndex {
    fields: Fields,
    /// Tokenises queries; cloned per search (cheap) because a token stream
    /// borrows its analyzer mutably.
    query_analyzer: TextAnalyzer,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    /// SKU and barcode, trimmed and lowercased but not tokenised.
    code: Field,
    sku: Field,
    barcode: Field,
    name: Field,
    attributes: Field,
    categories: Field,
    description: Field,
}

impl Fields {
    /// The tokenised fields with their weights.
    fn weighted(&self) -> [(Field, f32); 6] {
        [
            (self.sku, WEIGHT_CODE),
            (self.barcode, WEIGHT_CODE),
            (self.name, WEIGHT_NAME),
            (self.attributes, WEIGHT_ATTRIBUTE),
            (self.categories, WEIGHT_CATEGORY),
            (self.description, WEIGHT_DESCRIPTION),
        ]
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Frequencies and field norms for BM25; no positions (no phrase
    // queries), which keeps indexing fast and the index small.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs)
            .set_fieldnorms(true),
    );
    let fields = Fields {
        key: builder.add_u64_field(KEY, INDEXED | FAST),
        code: builder.add_text_field("code", STRING),
        sku: builder.add_text_field("sku", words.clone()),
        barcode: builder.add_text_field("barcode", words.clone()),
        name: builder.add_text_field("name", words.clone()),
        attributes: builder.add_text_field("attributes", words.clone()),
        categories: builder.add_text_field("categories", words.clone()),
        description: builder.add_text_field("description", words),
    };
    (builder.build(), fields)
}

/// Splits on non-alphanumerics, lowercases, folds to ASCII.
fn analyzer(drop_long_words: bool) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default()).dynamic();
    let builder = if drop_long_words {
        builder.filter_dynamic(RemoveLongFilter::limit(MAX_WORD_BYTES))
    } else {
        builder
    };
    builder
        .filter_dynamic(LowerCaser)
        .filter_dynamic(AsciiFoldingFilter)
        .build()
}

/// A SKU or barcode (or a query) as the exact-code lookup compares it.
fn code_key(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_lowercase())
}

/// The Levenshtein distance a query word tolerates, if any: 1 for 4–7
/// characters, 2 from 8. None for shorter words, where one edit makes
/// another word, and none for words with a digit, where one edit makes
/// another code or size ("1234"/"1235", "m12"/"m10", "230v"/"280v").
fn fuzzy_distance(word: &str) -> Option<u8> {
    if word.chars().any(char::is_numeric) {
        return None;
    }
    match word.chars().count() {
        n if n < MIN_FUZZY_CHARS => None,
        n if n < MIN_FUZZY2_CHARS => Some(1),
        _ => Some(2),
    }
}

impl TextIndex {
    pub fn new() -> Result<Self, TextIndexError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(TOKENIZER, analyzer(true));
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        // `commit` merges, under the writer lock: a bulk load's merge then
        // never finds a segment already taken by a background merge.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            fields,
            // Long query words are kept: they match nothing rather than
            // vanishing and leaving a query that matches everything.
            query_analyzer: analyzer(false),
            writer: Mutex::new(writer),
            reader,
        })
    }

    /// Adds or replaces (by key) documents, then commits and reloads the
    /// reader: on return, searches see them. All of them or, on error, none.
    /// Give a bulk load as one call: it is one commit, merged into one
    /// segment (see [`BULK_DOCS`]).
    pub fn upsert<'a>(
        &self,
        docs: impl IntoIterator<Item = TextDoc<'a>>,
    ) -> Result<(), TextIndexError> {
        let mut writer = self.lock_writer()?;
        let mut count = 0;
        let staged = docs.into_iter().try_for_each(|doc| {
            count += 1;
            // A delete applies to documents added before it, including
            // earlier in this batch, so a key given twice keeps the last.
            writer.delete_term(Term::from_field_u64(self.fields.key, doc.key));
            writer.add_document(self.document(&doc)).map(drop)
        });
        if count == 0 {
            return Ok(());
        }
        self.commit(&mut writer, staged)?;
        self.merge(&mut writer, count >= BULK_DOCS);
        Ok(())
    }

    /// Removes documents by key, commits, reloads. Unknown keys are ignored.
    pub fn remove(&self, keys: &[u64]) -> Result<(), TextIndexError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut writer = self.lock_writer()?;
        for &key in keys {
            writer.delete_term(Term::from_field_u64(self.fields.key, key));
        }
        self.commit(&mut writer, Ok(()))?;
        self.merge(&mut writer, false);
        Ok(())
    }

    /// Every document matching `query` with its score, in no particular
    /// order: the caller filters first and sorts what is left (sorting all
    /// matches here would cost more than the search itself). `None` when
    /// the query has no words: it matches everything, and the caller
    /// handles that.
    pub fn search(&self, query: &str) -> Result<Option<Vec<TextMatch>>, TextIndexError> {
        let (words, last_is_typed) = self.query_words(query);
        let Some(last) = words.len().checked_sub(1) else {
            return Ok(None);
        };
        let all_words: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let typing = last_is_typed && i == last;
                (Occur::Must, self.word_query(word, typing))
            })
            .collect();
        let mut either: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, Box::new(BooleanQuery::new(all_words)))];
        let code = code_key(query).map(|code| Term::from_field_text(self.fields.code, &code));
        if let Some(code) = &code {
            let exact = TermQuery::new(code.clone(), IndexRecordOption::Basic);
            either.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(exact), EXACT_CODE_SCORE)),
            ));
        }
        let query = BooleanQuery::new(either);
        let matches = self
            .reader
            .searcher()
            .search(&query, &AllMatches { code })?;
        Ok(Some(matches))
    }

    /// Live documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The query's words, and whether the last of them is the query's last
    /// (so possibly still being typed) rather than cut off by the limit.
    fn query_words(&self, query: &str) -> (Vec<String>, bool) {
        let mut analyzer = self.query_analyzer.clone();
        let mut stream = analyzer.token_stream(query);
        let mut words = Vec::new();
        while stream.advance() {
            if words.len() == MAX_QUERY_WORDS {
                return (words, false);
            }
            words.push(stream.token().text.clone());
        }
        (words, true)
    }

    /// Matches documents having `word` in any field: per field, the exact
    /// word (BM25 × weight) and, if eligible, typo and prefix matches (flat
    /// weight × [`LOOSE_FACTOR`], which the exact word also earns).
    fn word_query(&self, word: &str, typing: bool) -> Box<dyn Query> {
        let distance = fuzzy_distance(word);
        let prefix = typing && word.chars().count() >= MIN_PREFIX_CHARS;
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, weight) in self.fields.weighted() {
            let term = Term::from_field_text(field, word);
            let mut loose: Vec<Box<dyn Query>> = Vec::new();
            if let Some(distance) = distance {
                loose.push(Box::new(FuzzyTermQuery::new(term.clone(), distance, true)));
            }
            if prefix {
                // A distance-0 prefix automaton: every word starting with it.
                loose.push(Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true)));
            }
            let exact = TermQuery::new(term, IndexRecordOption::WithFreqs);
            per_field.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(exact), weight)),
            ));
            let loose: Box<dyn Query> = match loose.len() {
                0 => continue,
                1 => loose.swap_remove(0),
                _ => Box::new(BooleanQuery::union(loose)),
            };
            per_field.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(loose, weight * LOOSE_FACTOR)),
            ));
        }
        Box::new(BooleanQuery::new(per_field))
    }

    fn document(&self, doc: &TextDoc<'_>) -> TantivyDocument {
        let fields = &self.fields;
        let mut document = TantivyDocument::new();
        document.add_u64(fields.key, doc.key);
        document.add_text(fields.sku, doc.sku);
        if let Some(code) = code_key(doc.sku) {
            document.add_text(fields.code, code);
        }
        if let Some(barcode) = doc.barcode {
            document.add_text(fields.barcode, barcode);
            if let Some(code) = code_key(barcode) {
                document.add_text(fields.code, code);
            }
        }
        document.add_text(fields.name, doc.name);
        for attribute in &doc.attributes {
            document.add_text(fields.attributes, attribute);
        }
        for category in &doc.categories {
            document.add_text(fields.categories, category);
        }
        document.add_text(fields.description, doc.description);
        document
    }

    /// The writer. A panic while it was held may have left half a batch
    /// staged: roll that back before anyone commits it.
    fn lock_writer(&self) -> Result<MutexGuard<'_, IndexWriter<TantivyDocument>>, TextIndexError> {
        match self.writer.lock() {
            Ok(writer) => Ok(writer),
            Err(poisoned) => {
                let mut writer = poisoned.into_inner();
                writer.rollback()?;
                self.writer.clear_poison();
                Ok(writer)
            }
        }
    }

    /// Commits what was staged (or rolls it back if staging or the commit
    /// failed), then makes it visible to searches. Should the reload fail
    /// after a commit, the change is in and shows from the next write.
    fn commit(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        staged: tantivy::Result<()>,
    ) -> Result<(), TextIndexError> {
        if let Err(error) = staged.and_then(|()| writer.commit().map(drop)) {
            if let Err(rollback) = writer.rollback() {
                tracing::warn!(%rollback, "rolling back the text index failed");
            }
            return Err(error.into());
        }
        // Under the writer lock, so reloads happen in commit order.
        self.reader.reload()?;
        Ok(())
    }

    /// After a commit, merges segments: all of them after a bulk load,
    /// else as tantivy's default (log-size) policy would, which joins a
    /// level's small segments once there are eight. The commit is already
    /// visible: a merge that fails leaves more segments, not wrong answers,
    /// so it is logged rather than returned.
    fn merge(&self, writer: &mut IndexWriter<TantivyDocument>, bulk: bool) {
        let merged = (|| -> tantivy::Result<bool> {
            let segments = writer.index().searchable_segment_metas()?;
            let groups: Vec<Vec<SegmentId>> = if bulk {
                let all: Vec<SegmentId> = segments.iter().map(|s| s.id()).collect();
                if all.len() > 1 { vec![all] } else { Vec::new() }
            } else {
                LogMergePolicy::default()
                    .compute_merge_candidates(&segments)
                    .into_iter()
                    .map(|candidate| candidate.0)
                    .collect()
            };
            for group in &groups {
                writer.merge(group).wait()?;
            }
            Ok(!groups.is_empty())
        })();
        if let Err(error) = merged.and_then(|any| if any { self.reader.reload() } else { Ok(()) }) {
            tracing::warn!(%error, "merging text index segments failed");
        }
    }
}

/// Collects every hit: its key from the `key` fast field, its score, and
/// whether it is the document the exact-code lookup names.
struct AllMatches {
    /// The query as an exact-code term, if it can be one.
    code: Option<Term>,
}

struct SegmentMatches {
    keys: Arc<dyn ColumnValues<u64>>,
    /// This segment's documents with the exact code (almost always 0 or 1).
    exact: Vec<DocId>,
    hits: Vec<TextMatch>,
}

impl Collector for AllMatches {
    type Fruit = Vec<TextMatch>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        // Every document has a key, so the column is full and the default
        // is never used.
        let keys = reader.fast_fields().u64(KEY)?.first_or_default_col(0);
        let mut exact = Vec::new();
        if let Some(code) = &self.code {
            let postings = reader
                .inverted_index(code.field())?
                .read_postings(code, IndexRecordOption::Basic)?;
            if let Some(mut postings) = postings {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    exact.push(doc);
                    doc = postings.advance();
                }
            }
        }
        Ok(SegmentMatches {
            keys,
            exact,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<TextMatch>>) -> tantivy::Result<Vec<TextMatch>> {
        let mut all = Vec::with_capacity(fruits.iter().map(Vec::len).sum());
        for fruit in fruits {
            all.extend(fruit);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<TextMatch>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.hits.push(TextMatch {
            key: self.keys.get_val(doc),
            score,
            exact_code: self.exact.contains(&doc),
        });
    }

    fn harvest(self) -> Vec<TextMatch> {
        self.hits
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
