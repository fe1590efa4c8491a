//! The shopping list's tests: each merge rule of `shopping_list.rs` under
//! its own name, and the hostile lists a peer could send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::ActorId;
use rust_decimal::Decimal;

use super::*;
use crate::parse_quantity;
use crate::testing::{merge_both_ways, refused_field};

fn qty(s: &str) -> Decimal {
    parse_quantity(s).unwrap()
}

fn base_and_two_devices() -> (ShoppingList, ShoppingList, LineId) {
    let mut base = ShoppingList::new("acct-1", "Weekly restock").unwrap();
    let item = base.add_item("SKU-1", "4").unwrap();
    let a = base.fork_for_device();
    let b = base.fork_for_device();
    (a, b, item)
}

#[test]
fn local_edits_read_back_and_survive_save_and_load() {
    let mut list = ShoppingList::new("acct-1", "Site kit").unwrap();
    let a = list.add_item("SKU-A", "2").unwrap();
    let b = list.add_item("SKU-B", "0.5").unwrap();
    list.set_quantity(&a, "3").unwrap();
    list.set_item_note(&b, "the blue ones").unwrap();
    list.set_name("Site opening kit").unwrap();
    list.remove_item(&a).unwrap();

    let mut loaded = ShoppingList::load(&list.save()).unwrap();
    let header = loaded.header().unwrap();
    assert_eq!(header.name, "Site opening kit");
    assert_eq!(header.account_id, "acct-1");
    assert_eq!(header.list_id, list.list_id().unwrap());
    let items = loaded.items().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, b);
    assert_eq!(items[0].quantity, qty("0.5"));
    assert_eq!(items[0].note, "the blue ones");
    assert_eq!(loaded.item(&b).unwrap(), items[0]);
    assert_ne!(loaded.actor_id(), list.actor_id());
    assert!(matches!(loaded.item(&a), Err(Error::UnknownLine(_))));
    let _ = loaded.save();
}

#[test]
fn invalid_input_is_refused_naming_the_field() {
    let field_of = |err: Error| match err {
        Error::InvalidField { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field_of(ShoppingList::new("", "x").unwrap_err()),
        "account_id"
    );
    assert_eq!(field_of(ShoppingList::new("a", " ").unwrap_err()), "name");
    let mut list = ShoppingList::new("acct-1", "x").unwrap();
    assert_eq!(
        field_of(list.set_name(&"n".repeat(201)).unwrap_err()),
        "name"
    );
    assert_eq!(field_of(list.add_item("", "1").unwrap_err()), "sku");
    assert_eq!(field_of(list.add_item("SKU", "0").unwrap_err()), "quantity");
    assert!(list.items().unwrap().is_empty());
}

#[test]
fn concurrent_adds_keep_both_items() {
    let (mut a, mut b, first) = base_and_two_devices();
    let ia = a.add_item("SKU-A", "1").unwrap();
    let ib = b.add_item("SKU-B", "1").unwrap();
    merge_both_ways(&mut a, &mut b);
    let items = a.items().unwrap();
    assert_eq!(items, b.items().unwrap());
    let ids: Vec<&LineId> = items.iter().map(|i| &i.id).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], &first);
    assert!(ids.contains(&&ia) && ids.contains(&&ib));
}

#[test]
fn concurrent_quantity_edits_converge() {
    let (a, b, item) = base_and_two_devices();
    let mut a = a.with_actor(ActorId::from([0x01_u8; 16]));
    let mut b = b.with_actor(ActorId::from([0x02_u8; 16]));
    a.set_quantity(&item, "10").unwrap();
    b.set_quantity(&item, "12").unwrap();
    merge_both_ways(&mut a, &mut b);
    // Same counter on both sides: the greater actor's write wins, everywhere.
    assert_eq!(a.item(&item).unwrap().quantity, qty("12"));
    assert_eq!(b.item(&item).unwrap().quantity, qty("12"));
}

#[test]
fn concurrent_renames_converge_to_one_name() {
    let (mut a, mut b, _) = base_and_two_devices();
    a.set_name("Monday restock").unwrap();
    b.set_name("Restock (main site)").unwrap();
    merge_both_ways(&mut a, &mut b);
    let name = a.header().unwrap().name;
    assert_eq!(name, b.header().unwrap().name);
    assert!(name == "Monday restock" || name == "Restock (main site)");
}

#[test]
fn delete_wins_over_concurrent_edit() {
    let (mut a, mut b, item) = base_and_two_devices();
    a.remove_item(&item).unwrap();
    b.set_quantity(&item, "40").unwrap();
    merge_both_ways(&mut a, &mut b);
    assert!(a.items().unwrap().is_empty());
    assert!(b.items().unwrap().is_empty());
    assert!(matches!(
        b.set_quantity(&item, "1"),
        Err(Error::UnknownLine(_))
    ));
}

#[test]
fn merge_refuses_an_unrelated_list() {
    let mut a = ShoppingList::new("acct-1", "A").unwrap();
    let mut b = ShoppingList::new("acct-1", "A").unwrap();
    let err = a.merge(&mut b).unwrap_err();
    assert!(matches!(err, Error::DifferentDraft { .. }), "{err}");
}

#[test]
fn merge_refuses_a_list_moved_to_another_account() {
    let (mut a, mut b, _) = base_and_two_devices();
    b.doc.put(ROOT, "account_id", "acct-evil").unwrap();
    b.doc.commit();
    let before = a.doc.get_heads();
    let err = a.merge(&mut b).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { field, .. } if field == "account_id"),
        "{err}"
    );
    assert_eq!(a.doc.get_heads(), before);
}

#[test]
fn hostile_lists_are_refused_naming_the_field() {
    let (mut a, _, _) = base_and_two_devices();
    a.add_item("SKU-2", "1").unwrap();
    let items = ITEMS.obj(&a.doc).unwrap();
    let (_, second) = a.doc.get(&items, 1).unwrap().unwrap();

    let mut bad_sku = a.fork_for_device();
    bad_sku.doc.put(&second, "sku", "S".repeat(65)).unwrap();
    bad_sku.doc.commit();
    assert_eq!(refused_field(&mut bad_sku), "items[1].sku");

    let mut bad_quantity = a.fork_for_device();
    bad_quantity.doc.put(&second, "quantity", "-2").unwrap();
    bad_quantity.doc.commit();
    assert_eq!(refused_field(&mut bad_quantity), "items[1].quantity");

    let mut extra_key = a.fork_for_device();
    extra_key.doc.put(ROOT, "shared_with", "everyone").unwrap();
    extra_key.doc.commit();
    assert_eq!(refused_field(&mut extra_key), "shared_with");

    let mut long_name = a.fork_for_device();
    long_name.doc.put(ROOT, "name", "n".repeat(201)).unwrap();
    long_name.doc.commit();
    assert_eq!(refused_field(&mut long_name), "name");

    let mut as_draft = a.fork_for_device();
    as_draft.doc.put(ROOT, "schema", crate::SCHEMA).unwrap();
    as_draft.doc.commit();
    assert_eq!(refused_field(&mut as_draft), "schema");
}
