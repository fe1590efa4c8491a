//! The text index against its promises: matching, typos, prefixes, SKU
//! and barcode lookups, and updates visible to the next search.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

fn named<'a>(key: u64, sku: &'a str, name: &'a str) -> TextDoc<'a> {
    TextDoc {
        key,
        sku,
        barcode: None,
        name,
        description: "",
        attributes: Vec::new(),
        categories: Vec::new(),
    }
}

fn index_of(docs: Vec<TextDoc<'_>>) -> TextIndex {
    let index = TextIndex::new().unwrap();
    index.upsert(docs).unwrap();
    index
}

/// Matches, best first (ties by key).
fn search(index: &TextIndex, query: &str) -> Vec<TextMatch> {
    let mut matches = index.search(query).unwrap().expect("the query has words");
    matches.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    matches
}

/// Matching keys, best first.
fn keys(index: &TextIndex, query: &str) -> Vec<u64> {
    search(index, query).iter().map(|m| m.key).collect()
}

fn score(matches: &[TextMatch], key: u64) -> f32 {
    matches.iter().find(|m| m.key == key).unwrap().score
}

#[test]
fn is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<TextIndex>();
}

#[test]
fn exact_word_beats_a_typo_in_the_same_field() {
    let index = index_of(vec![
        named(1, "S-1", "Steel table"),
        named(2, "S-2", "Steel cable"),
    ]);
    // "cable" is a typo of "table" (distance 1) and a word of 2.
    for query in ["cable steel", "cable", "steel cable"] {
        let matches = search(&index, query);
        assert_eq!(
            matches.iter().map(|m| m.key).collect::<Vec<_>>(),
            [2, 1],
            "{query}"
        );
        assert!(score(&matches, 2) > score(&matches, 1), "{query}");
    }
}

#[test]
fn exact_word_beats_a_typo_even_when_common() {
    // A word in nearly every document has a tiny BM25 weight; the
    // exact hit must still beat the typo.
    let mut docs: Vec<TextDoc<'_>> = (1..=20).map(|key| named(key, "", "Cable")).collect();
    docs.push(named(99, "", "Table"));
    let index = index_of(docs);
    let matches = search(&index, "cable");
    assert_eq!(matches.len(), 21);
    assert_eq!(matches.last().unwrap().key, 99);
    assert!(matches[19].score > matches[20].score);
}

#[test]
fn exact_word_beats_a_prefix() {
    let index = index_of(vec![
        named(1, "", "Steel cables"),
        named(2, "", "Steel cable"),
    ]);
    assert_eq!(keys(&index, "steel cable"), [2, 1]);
}

#[test]
fn one_typo_is_tolerated_in_words_of_four_to_seven_letters() {
    let index = index_of(vec![named(1, "C-1", "Copper cable")]);
    assert_eq!(keys(&index, "cabel"), [1], "transposition");
    assert_eq!(keys(&index, "kable"), [1], "substitution");
    // German "kabel" is two edits from "cable" (k→c, then "el"→"le").
    assert!(
        keys(&index, "kabel").is_empty(),
        "two edits in five letters"
    );
    assert_eq!(keys(&index, "cabl copper"), [1], "deletion");
    assert_eq!(keys(&index, "caable copper"), [1], "insertion");
    assert_eq!(keys(&index, "coppre"), [1]);
    assert!(
        keys(&index, "kbael").is_empty(),
        "two edits in five letters"
    );
}

#[test]
fn two_typos_are_tolerated_in_words_of_eight_letters_or_more() {
    let index = index_of(vec![named(1, "", "Cable connector")]);
    assert_eq!(keys(&index, "conecter"), [1]);
    assert!(keys(&index, "konecter").is_empty(), "three edits");
}

#[test]
fn short_words_get_no_typo_tolerance() {
    let index = index_of(vec![named(1, "", "Cable box")]);
    assert_eq!(keys(&index, "box"), [1]);
    assert!(keys(&index, "bix").is_empty());
    assert!(keys(&index, "bix cable").is_empty());
    assert!(keys(&index, "cable bix").is_empty());
}

#[test]
fn words_with_digits_get_no_typo_tolerance() {
    let index = index_of(vec![named(1, "AB-1234", "Cable 230v")]);
    assert_eq!(keys(&index, "1234 cable"), [1]);
    assert!(keys(&index, "1235 cable").is_empty());
    assert!(keys(&index, "280v cable").is_empty());
}

#[test]
fn every_word_must_match() {
    let index = index_of(vec![
        named(1, "", "Steel cable"),
        named(2, "", "Copper cable"),
        named(3, "", "Steel pipe"),
    ]);
    assert_eq!(keys(&index, "steel cable"), [1]);
    let mut cables = keys(&index, "cable");
    cables.sort_unstable();
    assert_eq!(cables, [1, 2]);
    assert!(keys(&index, "copper pipe").is_empty());
}

#[test]
fn only_the_last_word_matches_as_a_prefix() {
    let index = index_of(vec![
        named(1, "", "Steel cable"),
        named(2, "", "Copper cable"),
    ]);
    assert_eq!(keys(&index, "steel cab"), [1]);
    assert_eq!(keys(&index, "steel ca"), [1]);
    assert!(keys(&index, "cab steel").is_empty());
    assert!(
        keys(&index, "steel c").is_empty(),
        "one letter is no prefix"
    );
}

#[test]
fn exact_sku_is_flagged_and_first() {
    let index = index_of(vec![
        named(1, "AB-12345", "Cable"),
        named(2, "AB-1234", "Cable"),
        named(3, "XY-1", "Pipe"),
    ]);
    let matches = search(&index, "  ab-1234 ");
    assert_eq!(matches.len(), 2, "AB-12345 matches by words");
    assert_eq!(matches[0].key, 2);
    assert!(matches[0].exact_code);
    assert!(matches[0].score >= EXACT_CODE_SCORE);
    assert!(!matches[1].exact_code);
    assert!(matches[1].score < EXACT_CODE_SCORE);
}

#[test]
fn exact_code_compares_the_whole_code() {
    // Same words, different codes: only the one typed is exact.
    let index = index_of(vec![
        named(1, "AB-12-X", "Cable"),
        named(2, "ab-12/x", "Cable"),
    ]);
    let matches = search(&index, "AB-12/X");
    assert_eq!(matches.len(), 2);
    assert_eq!((matches[0].key, matches[0].exact_code), (2, true));
    assert_eq!((matches[1].key, matches[1].exact_code), (1, false));
    let matches = search(&index, "ab 12 x");
    assert_eq!(matches.len(), 2);
    assert!(matches.iter().all(|m| !m.exact_code));
}

#[test]
fn exact_barcode_is_flagged() {
    let mut doc = named(1, "AB-1", "Cable");
    doc.barcode = Some("4006381333931");
    let index = index_of(vec![doc, named(2, "AB-2", "Cable")]);
    let matches = search(&index, "4006381333931");
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].key, 1);
    assert!(matches[0].exact_code);
    assert!(matches[0].score >= EXACT_CODE_SCORE);
    // A word query is not flagged.
    assert!(search(&index, "cable").iter().all(|m| !m.exact_code));
}

#[test]
fn sku_parts_are_words() {
    let index = index_of(vec![
        named(1, "AB-1234", "Cable"),
        named(2, "CD-77", "Cable"),
    ]);
    for query in ["1234", "ab 1234", "AB", "cable ab", "ab-12"] {
        let matches = search(&index, query);
        assert_eq!(
            matches.iter().map(|m| m.key).collect::<Vec<_>>(),
            [1],
            "{query}"
        );
        assert!(!matches[0].exact_code, "{query}");
    }
}

#[test]
fn fields_weigh_differently() {
    let index = index_of(vec![
        TextDoc {
            description: "A drill for steel",
            ..named(1, "D-1", "Bit")
        },
        TextDoc {
            categories: vec!["Tools", "Drill"],
            ..named(2, "D-2", "Bit")
        },
        TextDoc {
            attributes: vec!["drill".into()],
            ..named(3, "D-3", "Bit")
        },
        named(4, "D-4", "Drill"),
        named(5, "DRILL-5", "Bit"),
    ]);
    assert_eq!(keys(&index, "drill"), [5, 4, 3, 2, 1]);
}

#[test]
fn case_and_accents_are_ignored() {
    let index = index_of(vec![named(1, "", "Kühl-Schrank")]);
    assert_eq!(keys(&index, "KUHLSCHRANK kuhl"), Vec::<u64>::new());
    assert_eq!(keys(&index, "KÜHL schrank"), [1]);
    assert_eq!(keys(&index, "kuhl SCHRANK"), [1]);
}

#[test]
fn a_query_without_words_matches_everything() {
    let index = index_of(vec![named(1, "AB-1", "Cable")]);
    for query in ["", "   ", "-/-", "!!"] {
        assert!(index.search(query).unwrap().is_none(), "{query:?}");
    }
}

#[test]
fn upsert_replaces_by_key() {
    let index = index_of(vec![
        named(1, "AB-1", "Steel cable"),
        named(2, "AB-2", "Hose"),
    ]);
    index.upsert([named(1, "XY-9", "Copper pipe")]).unwrap();
    assert_eq!(index.len(), 2);
    assert!(keys(&index, "steel").is_empty());
    assert!(search(&index, "ab-1").is_empty());
    assert_eq!(keys(&index, "copper pipe"), [1]);
    assert!(search(&index, "xy-9")[0].exact_code);
}

#[test]
fn a_key_given_twice_in_one_batch_keeps_the_last() {
    let index = index_of(vec![
        named(1, "", "Steel cable"),
        named(1, "", "Copper pipe"),
    ]);
    assert_eq!(index.len(), 1);
    assert!(keys(&index, "steel").is_empty());
    assert_eq!(keys(&index, "pipe"), [1]);
}

#[test]
fn remove_deletes_by_key() {
    let index = index_of(vec![
        named(1, "AB-1", "Steel cable"),
        named(2, "AB-2", "Steel pipe"),
    ]);
    index.remove(&[1, 42]).unwrap();
    index.remove(&[]).unwrap();
    index.upsert([]).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(keys(&index, "steel"), [2]);
    assert!(search(&index, "ab-1").is_empty());
    index.remove(&[2]).unwrap();
    assert!(index.is_empty());
    assert!(keys(&index, "steel").is_empty());
}

const MATERIALS: [&str; 5] = ["steel", "copper", "brass", "nylon", "rubber"];
const NOUNS: [&str; 8] = [
    "cable", "pipe", "valve", "drill", "hose", "clamp", "socket", "bracket",
];
const FILLER: [&str; 12] = [
    "durable",
    "industrial",
    "grade",
    "for",
    "workshop",
    "and",
    "site",
    "use",
    "with",
    "long",
    "service",
    "life",
];

/// Deterministic products: the material cycles, so exactly one in five
/// is of each.
/// With `rare_words`, descriptions also draw 8 words from a vocabulary
/// of that many made-up words (a large term dictionary, full of near
/// neighbours, for the typo automata to walk).
fn generated(count: u64, rare_words: usize) -> Vec<(String, String, String, Vec<String>)> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        usize::try_from(state >> 33).unwrap() % n
    };
    let vocabulary: Vec<String> = (0..rare_words)
        .map(|_| {
            (0..2 + next(3))
                .map(|_| {
                    let consonant = "bcdfghklmnprstvz".as_bytes()[next(16)];
                    let vowel = "aeiou".as_bytes()[next(5)];
                    format!("{}{}", char::from(consonant), char::from(vowel))
                })
                .collect()
        })
        .collect();
    (0..count)
        .map(|i| {
            let material = MATERIALS[usize::try_from(i).unwrap() % MATERIALS.len()];
            let noun = NOUNS[next(NOUNS.len())];
            let sku = format!("TP-{i:06}");
            let name = format!("{material} {noun} {}", next(500));
            let mut description = (0..20)
                .map(|_| FILLER[next(FILLER.len())])
                .collect::<Vec<_>>()
                .join(" ");
            for _ in 0..if rare_words > 0 { 8 } else { 0 } {
                description.push(' ');
                description.push_str(&vocabulary[next(rare_words)]);
            }
            let attributes = vec![
                format!("{} mm", next(100)),
                format!("{} V", 12 * next(20)),
                material.to_owned(),
            ];
            (sku, name, description, attributes)
        })
        .collect()
}

fn docs(data: &[(String, String, String, Vec<String>)]) -> impl Iterator<Item = TextDoc<'_>> {
    data.iter()
        .enumerate()
        .map(|(i, (sku, name, description, attributes))| TextDoc {
            key: u64::try_from(i).unwrap(),
            sku,
            barcode: None,
            name,
            description,
            attributes: attributes.clone(),
            categories: vec!["Hardware", NOUNS[i % NOUNS.len()]],
        })
}

#[test]
fn twenty_thousand_documents_index_and_search() {
    let data = generated(20_000, 0);
    let index = TextIndex::new().unwrap();
    index.upsert(docs(&data)).unwrap();
    assert_eq!(index.len(), 20_000);
    // One in five is steel: as a word, as a typo, as a typed prefix.
    for query in ["steel", "stel", "STEEL", "ste"] {
        let matches = search(&index, query);
        assert_eq!(matches.len(), 4_000, "{query}");
    }
    let matches = search(&index, "tp-000123");
    assert_eq!(matches[0].key, 123);
    assert!(matches[0].exact_code);
}

fn segments(index: &TextIndex) -> usize {
    index.reader.searcher().segment_readers().len()
}

#[test]
fn a_bulk_load_is_one_segment_and_small_writes_merge_as_they_pile_up() {
    let data = generated(20_000, 0);
    let index = TextIndex::new().unwrap();
    index.upsert(docs(&data)).unwrap();
    // The writer's arena alone would cut these into several.
    assert_eq!(segments(&index), 1);
    // One product renamed per write, each write its own segment until
    // eight of them are joined.
    for n in 0..20u64 {
        let name = format!("Zinc plate {n}");
        index.upsert([named(n * 7, "", &name)]).unwrap();
        assert!(
            segments(&index) <= 8,
            "after write {n}: {}",
            segments(&index)
        );
    }
    assert_eq!(index.len(), 20_000);
    assert_eq!(keys(&index, "zinc").len(), 20);
    let steel_renamed = (0..20)
        .filter(|n| data[n * 7].1.to_lowercase().starts_with("steel"))
        .count();
    assert!(steel_renamed > 0);
    assert_eq!(search(&index, "steel").len(), 4_000 - steel_renamed);
}
