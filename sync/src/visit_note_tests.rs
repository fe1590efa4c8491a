//! The visit note's tests: each merge rule of `visit_note.rs` under its
//! own name, and the hostile notes a peer could send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::testing::{merge_both_ways, refused_field};

fn base_and_two_devices(text: &str) -> (VisitNote, VisitNote) {
    let mut base = VisitNote::new("acct-1", "user-rep-7", "2026-11-24").unwrap();
    base.set_text(text).unwrap();
    let a = base.fork_for_device();
    let b = base.fork_for_device();
    (a, b)
}

#[test]
fn local_edits_read_back_and_survive_save_and_load() {
    let mut note = VisitNote::new("acct-1", "user-rep-7", "2026-11-24").unwrap();
    note.set_text("Met the buyer.").unwrap();
    note.splice_text(14, 0, " Wants samples.").unwrap();
    note.splice_text(0, 3, "Saw").unwrap();
    note.set_visited_on("2026-11-23").unwrap();
    note.add_follow_up("Send samples of TP-EL-00042").unwrap();
    note.add_follow_up("Call back Friday").unwrap();
    note.remove_follow_up(0).unwrap();

    let loaded = VisitNote::load(&note.save()).unwrap();
    assert_eq!(loaded.text().unwrap(), "Saw the buyer. Wants samples.");
    assert_eq!(loaded.follow_ups().unwrap(), ["Call back Friday"]);
    let header = loaded.header().unwrap();
    assert_eq!(
        header,
        VisitNoteHeader {
            note_id: note.note_id().unwrap(),
            account_id: "acct-1".into(),
            author: "user-rep-7".into(),
            visited_on: "2026-11-23".into(),
        }
    );
}

#[test]
fn invalid_input_is_refused_and_changes_nothing() {
    let field_of = |err: Error| match err {
        Error::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(VisitNote::new("acct-1", "", "2026-11-24").unwrap_err()),
        "author"
    );
    assert_eq!(
        field_of(VisitNote::new("acct-1", "u", "24.11.2026").unwrap_err()),
        "visited_on"
    );
    let mut note = VisitNote::new("acct-1", "u", "2026-11-24").unwrap();
    note.set_text("abc").unwrap();
    let before = note.doc.get_heads();
    assert_eq!(
        field_of(note.set_visited_on("2026-02-30").unwrap_err()),
        "visited_on"
    );
    assert_eq!(field_of(note.splice_text(4, 0, "x").unwrap_err()), "text");
    assert_eq!(field_of(note.splice_text(1, 3, "").unwrap_err()), "text");
    assert_eq!(
        field_of(note.set_text(&"t".repeat(MAX_TEXT_CHARS + 1)).unwrap_err()),
        "text"
    );
    assert_eq!(
        field_of(
            note.splice_text(3, 0, &"t".repeat(MAX_TEXT_CHARS - 2))
                .unwrap_err()
        ),
        "text"
    );
    assert_eq!(field_of(note.add_follow_up(" ").unwrap_err()), "follow_ups");
    assert_eq!(
        field_of(note.add_follow_up(&"f".repeat(501)).unwrap_err()),
        "follow_ups"
    );
    assert_eq!(
        field_of(note.remove_follow_up(0).unwrap_err()),
        "follow_ups"
    );
    note.set_text("abc").unwrap();
    assert_eq!(note.doc.get_heads(), before);
    for i in 0..MAX_FOLLOW_UPS {
        note.add_follow_up(&format!("follow-up {i}")).unwrap();
    }
    assert_eq!(
        field_of(note.add_follow_up("one more").unwrap_err()),
        "follow_ups"
    );
}

#[test]
fn concurrent_body_edits_in_different_places_both_survive() {
    let (mut a, mut b) = base_and_two_devices("Met the buyer.");
    // Whole-text saves, as a text box gives them.
    a.set_text("Met the buyer. Wants samples.").unwrap();
    b.set_text("Today: met the buyer.").unwrap();
    merge_both_ways(&mut a, &mut b);
    assert_eq!(a.text().unwrap(), "Today: met the buyer. Wants samples.");
    assert_eq!(b.text().unwrap(), a.text().unwrap());
}

#[test]
fn concurrent_insertions_at_one_place_both_survive() {
    let (mut a, mut b) = base_and_two_devices("Order: ");
    a.splice_text(7, 0, "cable").unwrap();
    b.splice_text(7, 0, "valves").unwrap();
    merge_both_ways(&mut a, &mut b);
    let text = a.text().unwrap();
    assert_eq!(text, b.text().unwrap());
    assert!(
        text == "Order: cablevalves" || text == "Order: valvescable",
        "{text}"
    );
}

#[test]
fn concurrent_visit_dates_converge_to_one() {
    let (mut a, mut b) = base_and_two_devices("");
    a.set_visited_on("2026-11-20").unwrap();
    b.set_visited_on("2026-11-21").unwrap();
    merge_both_ways(&mut a, &mut b);
    let date = a.header().unwrap().visited_on;
    assert_eq!(date, b.header().unwrap().visited_on);
    assert!(date == "2026-11-20" || date == "2026-11-21");
}

#[test]
fn concurrent_follow_ups_are_all_kept() {
    let (mut a, mut b) = base_and_two_devices("");
    a.add_follow_up("Send catalog").unwrap();
    b.add_follow_up("Check credit limit").unwrap();
    b.add_follow_up("Book next visit").unwrap();
    merge_both_ways(&mut a, &mut b);
    let mut all = a.follow_ups().unwrap();
    assert_eq!(all, b.follow_ups().unwrap());
    let b_order: Vec<&String> = all.iter().filter(|f| !f.starts_with("Send")).collect();
    assert_eq!(b_order, ["Check credit limit", "Book next visit"]);
    all.sort();
    assert_eq!(
        all,
        ["Book next visit", "Check credit limit", "Send catalog"]
    );
}

#[test]
fn removing_one_follow_up_twice_removes_only_it() {
    let mut base = VisitNote::new("acct-1", "u", "2026-11-24").unwrap();
    base.add_follow_up("first").unwrap();
    base.add_follow_up("second").unwrap();
    let mut a = base.fork_for_device();
    let mut b = base.fork_for_device();
    a.remove_follow_up(0).unwrap();
    b.remove_follow_up(0).unwrap();
    b.add_follow_up("third").unwrap();
    merge_both_ways(&mut a, &mut b);
    assert_eq!(a.follow_ups().unwrap(), ["second", "third"]);
}

#[test]
fn merge_refuses_an_unrelated_note() {
    let mut a = VisitNote::new("acct-1", "u", "2026-11-24").unwrap();
    let mut b = VisitNote::new("acct-1", "u", "2026-11-24").unwrap();
    let err = a.merge(&mut b).unwrap_err();
    assert!(matches!(err, Error::DifferentDraft { .. }), "{err}");
}

#[test]
fn merge_refuses_a_note_moved_to_another_account_or_author() {
    for (key, value) in [("account_id", "acct-2"), ("author", "user-other")] {
        let (mut a, mut b) = base_and_two_devices("x");
        b.doc.put(ROOT, key, value).unwrap();
        b.doc.commit();
        let before = a.doc.get_heads();
        let err = a.merge(&mut b).unwrap_err();
        assert!(
            matches!(&err, Error::Malformed { field, .. } if field == key),
            "{key}: {err}"
        );
        assert_eq!(a.doc.get_heads(), before);
    }
}

#[test]
fn hostile_notes_are_refused_naming_the_field() {
    let (mut a, _) = base_and_two_devices("hello");
    a.add_follow_up("one").unwrap();

    let mut long_text = a.fork_for_device();
    let text = text_obj(&long_text.doc).unwrap();
    long_text
        .doc
        .splice_text(&text, 0, 0, &"t".repeat(MAX_TEXT_CHARS))
        .unwrap();
    long_text.doc.commit();
    assert_eq!(refused_field(&mut long_text), "text");

    let mut text_as_string = a.fork_for_device();
    text_as_string.doc.put(ROOT, "text", "plain").unwrap();
    text_as_string.doc.commit();
    assert_eq!(refused_field(&mut text_as_string), "text");

    let mut with_block = a.fork_for_device();
    let text = text_obj(&with_block.doc).unwrap();
    with_block.doc.split_block(&text, 2).unwrap();
    with_block.doc.commit();
    assert_eq!(refused_field(&mut with_block), "text");

    let mut bad_follow_up = a.fork_for_device();
    let list = follow_ups_obj(&bad_follow_up.doc).unwrap();
    bad_follow_up.doc.insert(&list, 1, 7_i64).unwrap();
    bad_follow_up.doc.commit();
    assert_eq!(refused_field(&mut bad_follow_up), "follow_ups[1]");

    let mut too_many = a.fork_for_device();
    let list = follow_ups_obj(&too_many.doc).unwrap();
    for i in 1..=MAX_FOLLOW_UPS {
        too_many.doc.insert(&list, i, "more").unwrap();
    }
    too_many.doc.commit();
    assert_eq!(refused_field(&mut too_many), "follow_ups");

    let mut bad_date = a.fork_for_device();
    bad_date.doc.put(ROOT, "visited_on", "yesterday").unwrap();
    bad_date.doc.commit();
    assert_eq!(refused_field(&mut bad_date), "visited_on");

    let mut extra = a.fork_for_device();
    extra.doc.put(ROOT, "rating", 5_i64).unwrap();
    extra.doc.commit();
    assert_eq!(refused_field(&mut extra), "rating");
}
