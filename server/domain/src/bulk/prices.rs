//! Price lists as CSV: one price break per row, the list it belongs to
//! repeated on each row. A SKU's breaks in the file replace that SKU's
//! breaks in the list; the list's other SKUs keep theirs. Base prices are
//! the products' list prices and come in with the catalog, not here.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use time::Date;

use super::{Column, Row, column};
use crate::catalog::CatalogIndex;
use crate::pricing::{PriceBreak, PriceList, PriceListScope};

pub const COLUMNS: &[Column] = &[
    column("price_list_id", true, "The list's stable id", "pl-gold"),
    column(
        "price_list_name",
        false,
        "Its name (required for a new list)",
        "Gold tier",
    ),
    column(
        "currency",
        false,
        "ISO 4217 (required for a new list)",
        "EUR",
    ),
    column(
        "scope",
        false,
        "tier:<tier>, customer:<account id> or contract:<account id>:<contract id> (required for a new list)",
        "tier:gold",
    ),
    column(
        "valid_from",
        false,
        "First day the list applies, YYYY-MM-DD",
        "2026-01-01",
    ),
    column("valid_until", false, "Last day it applies, YYYY-MM-DD", ""),
    column("sku", true, "An existing product's SKU", "TP-EL-00042"),
    column(
        "min_quantity",
        false,
        "The break starts at this quantity (default 0)",
        "0",
    ),
    column(
        "unit_price",
        true,
        "Unit price from that quantity, decimal",
        "39.90",
    ),
];

fn parse_scope(raw: &str) -> Option<PriceListScope> {
    let parts: Vec<&str> = raw.split(':').map(str::trim).collect();
    match parts.as_slice() {
        ["tier", tier] if !tier.is_empty() => Some(PriceListScope::Tier((*tier).into())),
        ["customer", account] if !account.is_empty() => {
            Some(PriceListScope::Customer((*account).into()))
        }
        ["contract", account, contract] if !account.is_empty() && !contract.is_empty() => {
            Some(PriceListScope::Contract {
                account_id: (*account).into(),
                contract_id: (*contract).into(),
            })
        }
        _ => None,
    }
}

fn scope_text(scope: &PriceListScope) -> String {
    match scope {
        PriceListScope::Base => "base".into(),
        PriceListScope::Tier(t) => format!("tier:{t}"),
        PriceListScope::Customer(a) => format!("customer:{a}"),
        PriceListScope::Contract {
            account_id,
            contract_id,
        } => format!("contract:{account_id}:{contract_id}"),
    }
}

fn date(row: &mut Row<'_>, column: &str) -> Option<Date> {
    let raw = row.text(column);
    if raw.is_empty() {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match Date::parse(raw, format) {
        Ok(d) => Some(d),
        Err(_) => {
            row.error(column, format!("{raw:?} is not a date like 2026-11-24"));
            None
        }
    }
}

/// Price lists being changed by an import: those it touches, as they
/// will be stored. Stored lists are read only when a row names them, so
/// an import of one customer's prices never reads the tier lists.
pub struct PriceBatch<'a> {
    catalog: &'a CatalogIndex,
    /// Reads a stored list by id.
    load: &'a mut dyn FnMut(&str) -> Option<PriceList>,
    /// Every list a row named, as stored before the import (`None`: new).
    stored: HashMap<String, Option<PriceList>>,
    account_exists: &'a dyn Fn(&str) -> bool,
    changed: BTreeMap<String, PriceList>,
    /// SKUs whose breaks this file has started to give, per list.
    replaced: HashSet<(String, String)>,
}

/// What an import changes: the lists it touches before and after.
pub struct ChangedLists {
    /// The touched lists that were stored, as they were.
    pub before: Vec<PriceList>,
    /// The touched lists whole, as they will be stored.
    pub after: Vec<PriceList>,
}

/// A list's columns as a row gives them.
struct ListColumns {
    name: String,
    currency: String,
    scope_raw: String,
    scope: Option<PriceListScope>,
    valid_from: Option<Date>,
    valid_until: Option<Date>,
}

impl<'a> PriceBatch<'a> {
    pub fn new(
        catalog: &'a CatalogIndex,
        load: &'a mut dyn FnMut(&str) -> Option<PriceList>,
        account_exists: &'a dyn Fn(&str) -> bool,
    ) -> Self {
        Self {
            catalog,
            load,
            stored: HashMap::new(),
            account_exists,
            changed: BTreeMap::new(),
            replaced: HashSet::new(),
        }
    }

    /// Reads one row into its list; `false` (with the row's errors) if it
    /// is rejected, leaving the batch as it was.
    pub fn add(&mut self, row: &mut Row<'_>) -> bool {
        let id = row.required("price_list_id");
        let sku = row.required("sku");
        let min_quantity = row.decimal("min_quantity").unwrap_or_default();
        let unit_price = row.required_decimal("unit_price");
        let valid_from = date(row, "valid_from");
        let valid_until = date(row, "valid_until");
        if min_quantity < Decimal::ZERO {
            row.error("min_quantity", "must not be negative");
        }
        if unit_price < Decimal::ZERO {
            row.error("unit_price", "must not be negative");
        }
        if !sku.is_empty() && self.catalog.get_sku(&sku).is_none() {
            row.error("sku", format!("no product has SKU {sku:?}"));
        }
        if let (Some(from), Some(until)) = (valid_from, valid_until)
            && from > until
        {
            row.error("valid_until", "is before valid_from");
        }
        let columns = self.list_columns(row, valid_from, valid_until);
        if !self.stored.contains_key(&id) {
            let stored = (self.load)(&id);
            self.stored.insert(id.clone(), stored);
        }
        let existing = self
            .changed
            .get(&id)
            .or_else(|| self.stored.get(&id).and_then(Option::as_ref));
        let key = (id.clone(), sku.clone());
        match existing {
            Some(list) => {
                check_same_list(row, list, &columns);
                let earlier = self.replaced.contains(&key).then(|| list.entries.get(&sku));
                if let Some(Some(breaks)) = earlier
                    && breaks.iter().any(|b| b.min_quantity == min_quantity)
                {
                    row.error(
                        "min_quantity",
                        format!(
                            "{sku} already has a break from {} in {id} on an earlier line",
                            min_quantity.normalize()
                        ),
                    );
                }
            }
            None => check_new_list(row, &columns),
        }
        if !row.errors.is_empty() {
            return false;
        }
        // Checked: from here on the row is taken.
        let list = match self.changed.entry(id.clone()) {
            std::collections::btree_map::Entry::Occupied(list) => list.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let list = match self.stored.get(&id).and_then(Option::as_ref) {
                    Some(stored) => stored.clone(),
                    None => new_list(&id, columns),
                };
                slot.insert(list)
            }
        };
        let breaks = list.entries.entry(sku).or_default();
        if !self.replaced.contains(&key) {
            breaks.clear();
        }
        breaks.push(PriceBreak {
            min_quantity,
            unit_price,
        });
        breaks.sort_by_key(|b| b.min_quantity);
        self.replaced.insert(key);
        true
    }

    /// The row's list columns, with errors for a scope that does not parse
    /// or names no customer.
    fn list_columns(
        &self,
        row: &mut Row<'_>,
        valid_from: Option<Date>,
        valid_until: Option<Date>,
    ) -> ListColumns {
        let name = row.text("price_list_name").to_string();
        let currency = row.text("currency").to_uppercase();
        let scope_raw = row.text("scope").to_string();
        let scope = (!scope_raw.is_empty()).then(|| parse_scope(&scope_raw));
        if let Some(None) = scope {
            row.error(
                "scope",
                format!("{scope_raw:?} is not tier:<tier>, customer:<account> or contract:<account>:<contract>"),
            );
        }
        let scope = scope.flatten();
        if let Some(PriceListScope::Customer(a) | PriceListScope::Contract { account_id: a, .. }) =
            &scope
            && !(self.account_exists)(a)
        {
            row.error("scope", format!("no customer account {a:?}"));
        }
        ListColumns {
            name,
            currency,
            scope_raw,
            scope,
            valid_from,
            valid_until,
        }
    }

    /// The touched lists; see [`ChangedLists`].
    pub fn into_lists(self) -> ChangedLists {
        ChangedLists {
            before: self.stored.into_values().flatten().collect(),
            after: self.changed.into_values().collect(),
        }
    }
}

/// Errors for list columns a row gives that disagree with `list`'s.
fn check_same_list(row: &mut Row<'_>, list: &PriceList, columns: &ListColumns) {
    let id = &list.id;
    let differs = |given: &str, has: &str| !given.is_empty() && given != has;
    if differs(&columns.name, &list.name) {
        row.error("price_list_name", format!("{id} is named {:?}", list.name));
    }
    if differs(&columns.currency, &list.currency) {
        row.error("currency", format!("{id} is in {}", list.currency));
    }
    if columns.scope.as_ref().is_some_and(|s| *s != list.scope) {
        row.error("scope", format!("{id} is for {}", scope_text(&list.scope)));
    }
    if columns
        .valid_from
        .is_some_and(|d| Some(d) != list.valid_from)
        || columns
            .valid_until
            .is_some_and(|d| Some(d) != list.valid_until)
    {
        row.error("valid_from", format!("{id} has other validity dates"));
    }
}

/// Errors for the list columns a new list needs and the row lacks.
fn check_new_list(row: &mut Row<'_>, columns: &ListColumns) {
    if columns.name.is_empty() {
        row.error("price_list_name", "is required for a new price list");
    }
    let currency = &columns.currency;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        row.error(
            "currency",
            "a new price list needs an ISO 4217 code like EUR",
        );
    }
    if columns.scope_raw.is_empty() {
        row.error("scope", "is required for a new price list");
    }
}

fn new_list(id: &str, columns: ListColumns) -> PriceList {
    PriceList {
        id: id.to_string(),
        name: columns.name,
        currency: columns.currency,
        scope: columns.scope.unwrap_or(PriceListScope::Base),
        valid_from: columns.valid_from,
        valid_until: columns.valid_until,
        entries: BTreeMap::new(),
    }
}

/// A list's rows, one per break, in [`COLUMNS`] order.
pub fn write_rows(list: &PriceList) -> impl Iterator<Item = Vec<String>> + '_ {
    let day = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    list.entries.iter().flat_map(move |(sku, breaks)| {
        breaks.iter().map(move |b| {
            vec![
                list.id.clone(),
                list.name.clone(),
                list.currency.clone(),
                scope_text(&list.scope),
                day(list.valid_from),
                day(list.valid_until),
                sku.clone(),
                b.min_quantity.normalize().to_string(),
                b.unit_price.to_string(),
            ]
        })
    })
}
