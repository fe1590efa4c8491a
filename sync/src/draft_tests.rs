//! The order draft's tests: each merge rule of `draft.rs` under its own
//! name, and every kind of hostile document a peer could send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::ActorId;
use rust_decimal::Decimal;

use super::*;
use crate::parse_quantity;
use crate::testing::{heads, merge_both_ways, refused_field};

fn qty(s: &str) -> Decimal {
    parse_quantity(s).unwrap()
}

/// A draft with one line, plus two device copies forked from it.
fn base_and_two_devices() -> (OrderDraft, OrderDraft, OrderDraft, LineId) {
    let mut base = OrderDraft::new("acct-1").unwrap();
    let line = base.add_line("SKU-1", "1").unwrap();
    let a = base.fork_for_device();
    let b = base.fork_for_device();
    (base, a, b, line)
}

/// Writes past the typed API, as a hostile or buggy peer would.
fn put_in_line(d: &mut OrderDraft, index: usize, key: &str, value: &str) {
    let lines = LINES.obj(&d.doc).unwrap();
    let (_, line) = d.doc.get(&lines, index).unwrap().unwrap();
    d.doc.put(&line, key, value).unwrap();
    d.doc.commit();
}

fn put_in_root(d: &mut OrderDraft, key: &str, value: &str) {
    d.doc.put(ROOT, key, value).unwrap();
    d.doc.commit();
}

#[test]
fn new_draft_has_header_and_no_lines() {
    let d = OrderDraft::new("acct-1").unwrap();
    let h = d.header().unwrap();
    assert_eq!(h.account_id, "acct-1");
    assert_eq!(h.ship_to_id, "");
    assert!(!h.draft_id.is_empty());
    assert_eq!(h.draft_id, d.draft_id().unwrap());
    assert!(d.lines().unwrap().is_empty());
    validate(&d.doc).unwrap();
}

#[test]
fn new_rejects_blank_account() {
    let err = OrderDraft::new("  ").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidField {
                field: "account_id",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn local_edits_read_back() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.set_ship_to_id("ship-9").unwrap();
    d.set_po_reference("PO-77").unwrap();
    d.set_notes("deliver before noon").unwrap();
    let l1 = d.add_line("SKU-1", "2").unwrap();
    let l2 = d.add_line("SKU-2", "0.5").unwrap();
    d.set_quantity(&l1, "3.50").unwrap();
    d.set_line_note(&l2, "cut to size").unwrap();

    let h = d.header().unwrap();
    assert_eq!(
        (
            h.ship_to_id.as_str(),
            h.po_reference.as_str(),
            h.notes.as_str()
        ),
        ("ship-9", "PO-77", "deliver before noon")
    );
    let lines = d.lines().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].id, l1);
    assert_eq!(lines[0].sku, "SKU-1");
    assert_eq!(lines[0].quantity.to_string(), "3.50");
    assert_eq!(lines[1].id, l2);
    assert_eq!(lines[1].quantity, qty("0.5"));
    assert_eq!(lines[1].note, "cut to size");
    assert_eq!(d.line(&l2).unwrap(), lines[1]);
    assert_ne!(l1, l2);

    d.remove_line(&l1).unwrap();
    assert_eq!(d.lines().unwrap(), vec![lines[1].clone()]);
}

#[test]
fn setting_the_same_value_writes_nothing() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    let l = d.add_line("SKU-1", "2").unwrap();
    d.set_notes("x").unwrap();
    let before = heads(&mut d);
    d.set_quantity(&l, "2").unwrap();
    d.set_quantity(&l, "+2").unwrap();
    d.set_notes("x").unwrap();
    assert_eq!(heads(&mut d), before);
}

#[test]
fn concurrent_adds_keep_both_lines_in_the_same_order() {
    let (_, mut a, mut b, first) = base_and_two_devices();
    let la = a.add_line("SKU-A", "2").unwrap();
    let lb = b.add_line("SKU-B", "3").unwrap();
    assert_ne!(la, lb, "line ids from two devices must differ");

    merge_both_ways(&mut a, &mut b);

    let lines_a = a.lines().unwrap();
    assert_eq!(lines_a, b.lines().unwrap());
    assert_eq!(lines_a.len(), 3);
    assert_eq!(lines_a[0].id, first);
    let mut ids: Vec<_> = lines_a[1..].iter().map(|l| l.id.clone()).collect();
    ids.sort();
    let mut expected = vec![la, lb];
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn concurrent_adds_from_fresh_copies_converge_after_save_and_load() {
    // Devices that load the saved draft (fresh actor each) instead of forking.
    let mut base = OrderDraft::new("acct-1").unwrap();
    let bytes = base.save();
    let mut a = OrderDraft::load(&bytes).unwrap();
    let mut b = OrderDraft::load(&bytes).unwrap();
    assert_ne!(a.actor_id(), b.actor_id());
    for i in 0..3 {
        a.add_line(&format!("A-{i}"), "1").unwrap();
        b.add_line(&format!("B-{i}"), "1").unwrap();
    }
    merge_both_ways(&mut a, &mut b);
    let lines = a.lines().unwrap();
    assert_eq!(lines, b.lines().unwrap());
    assert_eq!(lines.len(), 6);
    // Each device's own lines keep their relative order.
    let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
    let a_skus: Vec<&str> = skus
        .iter()
        .copied()
        .filter(|s| s.starts_with("A-"))
        .collect();
    assert_eq!(a_skus, ["A-0", "A-1", "A-2"]);
}

#[test]
fn concurrent_quantity_edits_converge_to_one_value() {
    let (_, mut a, mut b, line) = base_and_two_devices();
    a.set_quantity(&line, "5").unwrap();
    b.set_quantity(&line, "7").unwrap();

    merge_both_ways(&mut a, &mut b);

    let qa = a.line(&line).unwrap().quantity;
    let qb = b.line(&line).unwrap().quantity;
    assert_eq!(qa, qb);
    assert!(
        qa == qty("5") || qa == qty("7"),
        "got {qa}, not one of the two edits"
    );
}

#[test]
fn concurrent_quantity_edits_greater_actor_wins_the_tie() {
    // Same Lamport counter on both sides, so the greater actor id wins;
    // pin actors to make the documented rule observable.
    let (_, a, b, line) = base_and_two_devices();
    let mut a = a.with_actor(ActorId::from([0xaa_u8; 16]));
    let mut b = b.with_actor(ActorId::from([0xbb_u8; 16]));
    a.set_quantity(&line, "5").unwrap();
    b.set_quantity(&line, "7").unwrap();
    merge_both_ways(&mut a, &mut b);
    assert_eq!(a.line(&line).unwrap().quantity, qty("7"));
    assert_eq!(b.line(&line).unwrap().quantity, qty("7"));
}

#[test]
fn an_edit_made_after_seeing_another_wins() {
    let (_, a, b, line) = base_and_two_devices();
    // b has the greater actor, so it would win a tie; causality beats that.
    let mut a = a.with_actor(ActorId::from([0x01_u8; 16]));
    let mut b = b.with_actor(ActorId::from([0xff_u8; 16]));
    b.set_quantity(&line, "7").unwrap();
    a.merge(&mut b).unwrap();
    a.set_quantity(&line, "5").unwrap();
    merge_both_ways(&mut a, &mut b);
    assert_eq!(b.line(&line).unwrap().quantity, qty("5"));
}

#[test]
fn concurrent_header_edits_converge() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    a.set_po_reference("PO-A").unwrap();
    b.set_po_reference("PO-B").unwrap();
    a.set_ship_to_id("ship-a").unwrap();
    merge_both_ways(&mut a, &mut b);
    let ha = a.header().unwrap();
    assert_eq!(ha, b.header().unwrap());
    assert!(ha.po_reference == "PO-A" || ha.po_reference == "PO-B");
    assert_eq!(ha.ship_to_id, "ship-a");
}

#[test]
fn delete_wins_over_concurrent_edit() {
    let (_, mut a, mut b, line) = base_and_two_devices();
    let kept = a.add_line("SKU-KEPT", "1").unwrap();
    a.remove_line(&line).unwrap();
    b.set_quantity(&line, "9").unwrap();
    b.set_line_note(&line, "urgent").unwrap();
    assert_eq!(b.line(&line).unwrap().quantity, qty("9"));

    merge_both_ways(&mut a, &mut b);

    for d in [&a, &b] {
        let lines = d.lines().unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].id, kept);
        assert!(matches!(d.line(&line), Err(Error::UnknownLine(_))));
    }
    let err = b.set_quantity(&line, "10").unwrap_err();
    assert!(
        matches!(&err, Error::UnknownLine(id) if id == line.as_str()),
        "{err}"
    );
    assert!(err.to_string().contains(line.as_str()));
}

#[test]
fn save_load_roundtrip() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.set_po_reference("PO-1").unwrap();
    let l = d.add_line("SKU-1", "12.250").unwrap();
    d.set_line_note(&l, "note").unwrap();
    d.add_line("SKU-2", "1").unwrap();

    let bytes = d.save();
    let mut loaded = OrderDraft::load(&bytes).unwrap();
    assert_eq!(loaded.header().unwrap(), d.header().unwrap());
    assert_eq!(loaded.lines().unwrap(), d.lines().unwrap());
    assert_eq!(loaded.lines().unwrap()[0].quantity.to_string(), "12.250");
    assert_eq!(heads(&mut loaded), heads(&mut d));
    assert_ne!(
        loaded.actor_id(),
        d.actor_id(),
        "a loaded copy needs its own actor"
    );

    // The loaded copy is the same draft: it edits and merges back.
    loaded.set_quantity(&l, "1").unwrap();
    d.merge(&mut loaded).unwrap();
    assert_eq!(d.line(&l).unwrap().quantity, qty("1"));
}

#[test]
fn invalid_quantity_is_rejected_naming_the_field_and_changes_nothing() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    let l = d.add_line("SKU-1", "2").unwrap();
    let before_heads = heads(&mut d);
    let before_lines = d.lines().unwrap();

    for bad in ["-1", "abc", "0", "", "1e9", &"9".repeat(29)] {
        for err in [
            d.add_line("SKU-2", bad).unwrap_err(),
            d.set_quantity(&l, bad).unwrap_err(),
        ] {
            assert!(
                matches!(
                    err,
                    Error::InvalidField {
                        field: "quantity",
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains("quantity"), "{err}");
        }
    }
    assert_eq!(heads(&mut d), before_heads);
    assert_eq!(d.lines().unwrap(), before_lines);

    let err = d.set_quantity(&l, "-1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid quantity \"-1\": must be greater than zero"
    );
}

#[test]
fn blank_sku_and_unknown_line_are_rejected() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    let before = heads(&mut d);
    let err = d.add_line(" ", "1").unwrap_err();
    assert!(
        matches!(err, Error::InvalidField { field: "sku", .. }),
        "{err}"
    );
    let ghost = LineId::from("1@00");
    for err in [
        d.set_quantity(&ghost, "1").unwrap_err(),
        d.set_line_note(&ghost, "x").unwrap_err(),
        d.remove_line(&ghost).unwrap_err(),
    ] {
        assert_eq!(err.to_string(), "unknown line id \"1@00\"");
    }
    assert_eq!(heads(&mut d), before);
}

#[test]
fn loading_garbage_is_an_error_not_a_panic() {
    let mut good = OrderDraft::new("acct-1").unwrap().save();
    let mut inputs: Vec<Vec<u8>> = vec![
        b"not an automerge document".to_vec(),
        vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0],
        vec![0xff; 64],
        good[..good.len() / 2].to_vec(),
    ];
    // Flip a byte in the middle of a valid save.
    let mid = good.len() / 2;
    good[mid] ^= 0x55;
    inputs.push(good);
    for bytes in inputs {
        let result = OrderDraft::load(&bytes);
        assert!(result.is_err(), "loaded {bytes:?}");
    }
    assert!(matches!(
        OrderDraft::load(b"garbage"),
        Err(Error::Decode(_))
    ));
}

#[test]
fn loading_a_document_that_is_not_a_draft_is_malformed() {
    // Empty input is an empty automerge document: valid automerge, not a draft.
    let err = OrderDraft::load(&[]).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "schema"),
        "{err}"
    );

    let mut other = AutoCommit::new();
    other.put(ROOT, "schema", "something.else/1").unwrap();
    let err = OrderDraft::load(&other.save()).unwrap_err();
    assert!(err.to_string().contains("schema"), "{err}");
}

#[test]
fn loading_a_draft_with_a_bad_quantity_names_the_line_field() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-1", "1").unwrap();
    d.add_line("SKU-2", "1").unwrap();
    // A peer that bypassed the typed API.
    put_in_line(&mut d, 1, "quantity", "-3");
    let err = OrderDraft::load(&d.save()).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "lines[1].quantity"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "malformed document: field lines[1].quantity: \"-3\" must be greater than zero"
    );
}

#[test]
fn merge_refuses_a_malformed_peer_and_changes_nothing() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    a.add_line("SKU-A", "1").unwrap();
    put_in_line(&mut b, 0, "quantity", "abc");

    let before_heads = heads(&mut a);
    let before_lines = a.lines().unwrap();
    let err = a.merge(&mut b).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "lines[0].quantity"),
        "{err}"
    );
    assert_eq!(heads(&mut a), before_heads);
    assert_eq!(a.lines().unwrap(), before_lines);
}

#[test]
fn merge_refuses_an_unrelated_draft() {
    let mut a = OrderDraft::new("acct-1").unwrap();
    let mut b = OrderDraft::new("acct-1").unwrap();
    a.add_line("SKU-A", "1").unwrap();
    let before = heads(&mut a);
    let err = a.merge(&mut b).unwrap_err();
    assert!(matches!(err, Error::DifferentDraft { .. }), "{err}");
    assert_eq!(heads(&mut a), before);
}

#[test]
fn merge_keeps_our_actor() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    let actor = a.actor_id();
    a.merge(&mut b).unwrap();
    assert_eq!(a.actor_id(), actor);
}

// ---- requested_date ----

#[test]
fn requested_date_is_set_cleared_and_validated() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    assert_eq!(d.header().unwrap().requested_date, "");
    d.set_requested_date("2026-12-01").unwrap();
    assert_eq!(d.header().unwrap().requested_date, "2026-12-01");
    let before = heads(&mut d);
    for bad in ["2026-02-30", "01.12.2026", "2026-12-1", "tomorrow"] {
        let err = d.set_requested_date(bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidField {
                    field: "requested_date",
                    ..
                }
            ),
            "{bad}: {err}"
        );
    }
    assert_eq!(heads(&mut d), before);
    d.set_requested_date("").unwrap();
    assert_eq!(d.header().unwrap().requested_date, "");
}

#[test]
fn a_malformed_requested_date_from_a_peer_is_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    put_in_root(&mut d, "requested_date", "2026-13-01");
    let err = OrderDraft::load(&d.save()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed document: field requested_date: \"2026-13-01\" must be a date that exists"
    );
    put_in_root(&mut d, "requested_date", "next week");
    assert_eq!(refused_field(&mut d), "requested_date");
}

/// A draft exactly as the first version of this schema wrote it, before
/// `requested_date` existed.
fn draft_made_before_requested_date() -> Vec<u8> {
    let mut doc = AutoCommit::new();
    let lines = doc.put_object(ROOT, "lines", ObjType::List).unwrap();
    let draft_id = layout::op_id_string(&lines, "lines").unwrap();
    doc.put(ROOT, "schema", SCHEMA).unwrap();
    doc.put(ROOT, "draft_id", draft_id).unwrap();
    doc.put(ROOT, "account_id", "acct-1").unwrap();
    doc.put(ROOT, "ship_to_id", "").unwrap();
    doc.put(ROOT, "po_reference", "PO-OLD").unwrap();
    doc.put(ROOT, "notes", "").unwrap();
    doc.commit();
    doc.save()
}

#[test]
fn a_draft_made_before_requested_date_loads_with_an_empty_date() {
    let bytes = draft_made_before_requested_date();
    let mut old = OrderDraft::load(&bytes).unwrap();
    let h = old.header().unwrap();
    assert_eq!(h.requested_date, "");
    assert_eq!(h.po_reference, "PO-OLD");
    // Both an old and a new copy edit it, and they merge.
    let mut other = OrderDraft::load(&bytes).unwrap();
    old.set_requested_date("2027-01-15").unwrap();
    other.add_line("SKU-1", "2").unwrap();
    merge_both_ways(&mut old, &mut other);
    assert_eq!(other.header().unwrap().requested_date, "2027-01-15");
    assert_eq!(old.lines().unwrap().len(), 1);
    let mut server = automerge::Automerge::load(&old.save()).unwrap();
    assert_eq!(validate(&server).unwrap().account_id, "acct-1");
    server
        .merge(&mut automerge::Automerge::load(&bytes).unwrap())
        .unwrap();
    validate(&server).unwrap();
}

#[test]
fn concurrent_requested_dates_converge_to_one() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    a.set_requested_date("2026-12-01").unwrap();
    b.set_requested_date("2026-12-24").unwrap();
    merge_both_ways(&mut a, &mut b);
    let date = a.header().unwrap().requested_date;
    assert_eq!(date, b.header().unwrap().requested_date);
    assert!(date == "2026-12-01" || date == "2026-12-24", "{date}");
}

// ---- limits on input ----

#[test]
fn over_long_input_is_refused_naming_the_field() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    let l = d.add_line("SKU-1", "1").unwrap();
    let before = heads(&mut d);
    let field_of = |err: Error| match err {
        Error::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(d.add_line(&"S".repeat(65), "1").unwrap_err()),
        "sku"
    );
    assert_eq!(
        field_of(d.set_notes(&"n".repeat(4_001)).unwrap_err()),
        "notes"
    );
    assert_eq!(
        field_of(d.set_line_note(&l, &"n".repeat(4_001)).unwrap_err()),
        "note"
    );
    assert_eq!(
        field_of(d.set_po_reference(&"p".repeat(129)).unwrap_err()),
        "po_reference"
    );
    assert_eq!(
        field_of(d.set_ship_to_id(&"s".repeat(129)).unwrap_err()),
        "ship_to_id"
    );
    assert_eq!(
        field_of(OrderDraft::new(&"a".repeat(129)).unwrap_err()),
        "account_id"
    );
    assert_eq!(heads(&mut d), before);
    // The limits themselves are allowed.
    d.add_line(&"S".repeat(64), "1").unwrap();
    d.set_notes(&"n".repeat(4_000)).unwrap();
    OrderDraft::load(&d.save()).unwrap();
}

#[test]
fn the_typed_api_stops_at_the_line_limit() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    fill_lines(&mut d, crate::MAX_LINES);
    let err = d.add_line("SKU-X", "1").unwrap_err();
    assert!(
        matches!(err, Error::InvalidField { field: "lines", .. }),
        "{err}"
    );
    OrderDraft::load(&d.save()).unwrap();
}

/// Appends `n` lines in one change (the typed API would take `n` changes).
fn fill_lines(d: &mut OrderDraft, n: usize) {
    let lines = LINES.obj(&d.doc).unwrap();
    let start = d.doc.length(&lines);
    for i in start..start + n {
        let line = d.doc.insert_object(&lines, i, ObjType::Map).unwrap();
        let id = layout::op_id_string(&line, "lines").unwrap();
        d.doc.put(&line, "id", id).unwrap();
        d.doc.put(&line, "sku", format!("SKU-{i}")).unwrap();
        d.doc.put(&line, "quantity", "1").unwrap();
        d.doc.put(&line, "note", "").unwrap();
    }
    d.doc.commit();
}

// ---- hostile documents ----

#[test]
fn a_peer_quantity_that_does_not_parse_is_refused_naming_the_line() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    for i in 0..4 {
        d.add_line(&format!("SKU-{i}"), "1").unwrap();
    }
    for bad in ["1e9", "", "0", "lots", "1000000000", "0.0000001"] {
        put_in_line(&mut d, 3, "quantity", bad);
        assert_eq!(refused_field(&mut d), "lines[3].quantity", "{bad:?}");
    }
    let lines = LINES.obj(&d.doc).unwrap();
    let (_, line) = d.doc.get(&lines, 3).unwrap().unwrap();
    d.doc.put(&line, "quantity", 5_i64).unwrap();
    d.doc.commit();
    let err = OrderDraft::load(&d.save()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed document: field lines[3].quantity: expected a string"
    );
}

#[test]
fn a_peer_sku_that_is_empty_or_too_long_is_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-0", "1").unwrap();
    d.add_line("SKU-1", "1").unwrap();
    put_in_line(&mut d, 1, "sku", &"S".repeat(65));
    let err = OrderDraft::load(&d.save()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed document: field lines[1].sku: must be at most 64 characters"
    );
    put_in_line(&mut d, 1, "sku", " ");
    assert_eq!(refused_field(&mut d), "lines[1].sku");
}

#[test]
fn more_than_a_thousand_lines_are_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    fill_lines(&mut d, 1_001);
    let err = OrderDraft::load(&d.save()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed document: field lines: has 1001 entries, at most 1000 are allowed"
    );
}

#[test]
fn over_long_notes_from_a_peer_are_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-0", "1").unwrap();
    put_in_root(&mut d, "notes", &"n".repeat(4_001));
    assert_eq!(refused_field(&mut d), "notes");
    put_in_root(&mut d, "notes", "");
    put_in_line(&mut d, 0, "note", &"n".repeat(4_001));
    assert_eq!(refused_field(&mut d), "lines[0].note");
}

#[test]
fn unknown_fields_are_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-0", "1").unwrap();
    let mut root = d.fork_for_device();
    put_in_root(&mut root, "discount_percent", "90");
    let err = OrderDraft::load(&root.save()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed document: field discount_percent: unknown field"
    );
    put_in_line(&mut d, 0, "unit_price", "0.01");
    assert_eq!(refused_field(&mut d), "lines[0].unit_price");
}

#[test]
fn fields_of_the_wrong_type_are_refused() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-0", "1").unwrap();

    let mut lines_as_map = d.fork_for_device();
    lines_as_map
        .doc
        .put_object(ROOT, "lines", ObjType::Map)
        .unwrap();
    lines_as_map.doc.commit();
    assert_eq!(refused_field(&mut lines_as_map), "lines");

    let mut line_as_text = d.fork_for_device();
    let lines = LINES.obj(&line_as_text.doc).unwrap();
    line_as_text.doc.insert(&lines, 1, "SKU-9 x 3").unwrap();
    line_as_text.doc.commit();
    assert_eq!(refused_field(&mut line_as_text), "lines[1]");

    let mut account_as_number = d.fork_for_device();
    account_as_number
        .doc
        .put(ROOT, "account_id", 42_i64)
        .unwrap();
    account_as_number.doc.commit();
    assert_eq!(refused_field(&mut account_as_number), "account_id");

    let mut no_draft_id = d.fork_for_device();
    no_draft_id.doc.delete(ROOT, "draft_id").unwrap();
    no_draft_id.doc.commit();
    assert_eq!(refused_field(&mut no_draft_id), "draft_id");
}

#[test]
fn a_validator_reads_the_servers_automerge_as_well() {
    let mut d = OrderDraft::new("acct-1").unwrap();
    d.add_line("SKU-0", "1").unwrap();
    let server = automerge::Automerge::load(&d.save()).unwrap();
    let ids = validate(&server).unwrap();
    assert_eq!(ids.account_id, "acct-1");
    assert_eq!(ids.document_id, d.draft_id().unwrap());
}

// ---- merges that would break the rules ----

#[test]
fn merge_refuses_a_draft_moved_to_another_account() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    put_in_root(&mut b, "account_id", "acct-2");
    let before = heads(&mut a);
    let err = a.merge(&mut b).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "account_id"),
        "{err}"
    );
    assert!(err.to_string().contains("acct-2"), "{err}");
    assert_eq!(heads(&mut a), before);
    assert_eq!(a.header().unwrap().account_id, "acct-1");
}

#[test]
fn merge_over_the_line_limit_is_refused() {
    let (_, mut a, mut b, _) = base_and_two_devices();
    fill_lines(&mut a, 600);
    fill_lines(&mut b, 600);
    let before = heads(&mut a);
    let err = a.merge(&mut b).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "lines"),
        "{err}"
    );
    assert_eq!(heads(&mut a), before);
}

#[test]
fn an_edit_finds_its_line_from_a_hint_and_a_wrong_hint_never_picks_another_line() {
    let (_base, mut a, mut b, first) = base_and_two_devices();
    let from_a = a.add_line("SKU-A", "1").unwrap();
    let from_b = b.add_line("SKU-B", "2").unwrap();
    a.set_quantity(&from_a, "3").unwrap();
    // Placed by the scan that edit made: the next edit reads one line.
    let list = LINES.obj(&a.doc).unwrap();
    let index = a
        .lines()
        .unwrap()
        .iter()
        .position(|l| l.id == from_a)
        .unwrap();
    assert_eq!(
        LINES
            .find_hinted(&a.doc, &mut a.line_hints.clone(), &from_a)
            .unwrap(),
        (index, LINES.find(&a.doc, &from_a).unwrap().1)
    );
    // A merge moves lines under the hints; a removal shifts them.
    merge_both_ways(&mut a, &mut b);
    a.remove_line(&first).unwrap();
    a.set_quantity(&from_b, "5").unwrap();
    a.set_quantity(&from_a, "7").unwrap();
    let lines = a.lines().unwrap();
    let quantity = |id: &LineId| lines.iter().find(|l| l.id == *id).unwrap().quantity;
    assert_eq!((quantity(&from_a), quantity(&from_b)), (qty("7"), qty("5")));
    // Every hint pointing at the wrong place: still the right line.
    let mut wrong = a.line_hints.clone();
    for index in wrong.0.values_mut() {
        *index = (*index + 1) % lines.len();
    }
    let (at, _) = LINES.find_hinted(&a.doc, &mut wrong, &from_a).unwrap();
    assert_eq!(lines[at].id, from_a);
    assert!(LINES.obj(&a.doc).unwrap() == list);
    assert!(matches!(
        a.set_quantity(&first, "3"),
        Err(Error::UnknownLine(_))
    ));
}
