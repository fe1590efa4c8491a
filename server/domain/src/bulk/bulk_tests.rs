#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use rust_decimal_macros::dec;

use super::*;
use crate::catalog::{
    CatalogIndex, Category, Money, Product, ProductStatus, QuantityRule, TaxClass, UnitOfMeasure,
};
use crate::pricing::{PriceBreak, PriceList, PriceListScope};

fn index() -> CatalogIndex {
    let category = Category {
        id: "cat-1".into(),
        parent_id: None,
        name: "Cables".into(),
        position: 0,
    };
    let product = Product {
        id: "prd-1".into(),
        sku: "TP-1".into(),
        barcode: None,
        name: "Cable".into(),
        description: String::new(),
        category_id: "cat-1".into(),
        attributes: vec![],
        sales_unit: UnitOfMeasure {
            code: "EA".into(),
            name: "Each".into(),
            base_units: dec!(1),
        },
        order_units: vec![],
        base_price: Money {
            currency: "EUR".into(),
            amount: dec!(10),
        },
        status: ProductStatus::Active,
        successor_id: None,
        quantity_rule: QuantityRule::default(),
        tax_class: TaxClass::Standard,
        image_urls: vec![],
        family_id: None,
        variant_keys: vec![],
    };
    CatalogIndex::build(vec![category], vec![product]).unwrap()
}

fn import_products(csv: &str) -> (ImportReport, Vec<Product>) {
    let index = index();
    let mut batch = products::Batch::new(&index);
    let mut accepted = Vec::new();
    let report = read_rows(csv.as_bytes(), products::COLUMNS, |row| {
        let Some(p) = products::parse_row(row) else {
            return false;
        };
        match batch.accept(row.line, &p) {
            Ok(()) => {
                accepted.push(p);
                true
            }
            Err(e) => {
                row.errors.extend(e);
                false
            }
        }
    })
    .unwrap();
    (report, accepted)
}

fn at(report: &ImportReport) -> Vec<(u64, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect()
}

const PRODUCT_HEADER: &str = "id,sku,name,category_id,status,sales_unit_code,price_currency,price_amount,attributes,order_units";

#[test]
fn product_rows_report_line_and_column_of_every_problem() {
    let csv = format!(
        "{PRODUCT_HEADER}\n\
         prd-2,TP-2,Good one,cat-1,active,EA,EUR,12.50,voltage:number=230 V|material:option=copper,BOX10:Box of 10:10\n\
         prd-3,TP-1,Taken SKU,cat-1,active,EA,EUR,1,,\n\
         prd-4,TP-4,,cat-9,sold,EA,EUR,1e3,voltage,\n\
         \n\
         prd-5,TP-2,Same SKU as line 2,cat-1,active,EA,EUR,1,,\n\
         prd-6,TP-6,Bad unit,cat-1,active,EA,EUR,1,,BOX:Box\n\
         prd-7,TP-7,Short row\n\
         \"prd-8\",TP-8,\"Quoted\n\nname\",nowhere,active,EA,EUR,1,,\n\
         \r\n\
         prd-9,TP-2,After a CRLF blank line,cat-1,active,EA,EUR,1,,\n"
    );
    let (report, accepted) = import_products(&csv);
    assert_eq!(
        at(&report),
        [
            (3, "sku"),
            (4, "name"),
            (4, "status"),
            (4, "price_amount"),
            (4, "attributes"),
            (6, "sku"),
            (7, "order_units"),
            (8, "category_id"),
            (8, "status"),
            (8, "sales_unit_code"),
            (8, "price_currency"),
            (8, "price_amount"),
            (9, "category_id"),
            (13, "sku"),
        ]
    );
    assert_eq!(
        (report.rows_read, report.rows_accepted, report.rows_rejected),
        (8, 1, 7)
    );
    assert_eq!(accepted[0].attributes.len(), 2);
    assert_eq!(accepted[0].order_units[0].base_units, dec!(10));
    assert!(!report.should_apply(ImportMode::AllOrNothing));
    assert!(report.should_apply(ImportMode::ValidRows));
    assert!(!report.should_apply(ImportMode::DryRun));
}

#[test]
fn a_bad_header_is_reported_on_line_one_and_reads_no_rows() {
    let (report, _) = import_products("id,sku,colour\nprd-2,TP-2,red\n");
    let got: Vec<(u64, &str)> = at(&report);
    assert_eq!(got[0], (1, "colour"));
    assert!(got.contains(&(1, "name")), "missing required column");
    assert_eq!(report.rows_read, 0);
    let (empty, _) = import_products("");
    assert_eq!(at(&empty), [(1, "")]);
}

#[test]
fn an_export_row_imports_back_unchanged() {
    let (_, accepted) = import_products(&format!(
        "{PRODUCT_HEADER}\nprd-2,TP-2,Round trip,cat-1,active,EA,EUR,12.50,voltage:number=230 V|finish:text=matt,BOX10:Box of 10:10\n"
    ));
    let original = &accepted[0];
    let mut out = ChunkWriter::new(products::COLUMNS, 1 << 20).unwrap();
    assert!(out.row(products::write_row(original)).unwrap().is_none());
    let csv = String::from_utf8(out.finish().unwrap()).unwrap();
    let mut again = Vec::new();
    read_rows(csv.as_bytes(), products::COLUMNS, |row| {
        again.extend(products::parse_row(row));
        true
    })
    .unwrap();
    assert_eq!(&again[0], original);
}

#[test]
fn price_rows_replace_a_skus_breaks_and_keep_the_lists_other_skus() {
    let index = index();
    let stored = PriceList {
        id: "pl-gold".into(),
        name: "Gold".into(),
        currency: "EUR".into(),
        scope: PriceListScope::Tier("gold".into()),
        valid_from: None,
        valid_until: None,
        entries: BTreeMap::from([
            (
                "TP-1".to_string(),
                vec![PriceBreak {
                    min_quantity: dec!(0),
                    unit_price: dec!(9),
                }],
            ),
            (
                "TP-OTHER".to_string(),
                vec![PriceBreak {
                    min_quantity: dec!(0),
                    unit_price: dec!(5),
                }],
            ),
        ]),
    };
    let known = |id: &str| id == "acc-1";
    let mut loaded = Vec::new();
    let mut load = |id: &str| {
        loaded.push(id.to_string());
        (id == stored.id).then(|| stored.clone())
    };
    let mut batch = prices::PriceBatch::new(&index, &mut load, &known);
    let csv = "price_list_id,price_list_name,currency,scope,sku,min_quantity,unit_price\n\
               pl-gold,,,,TP-1,0,8.50\n\
               pl-gold,,,,TP-1,100,7.90\n\
               pl-gold,,,,TP-1,100,7.00\n\
               pl-gold,,USD,,TP-1,200,7.00\n\
               pl-new,Mine,EUR,customer:acc-1,TP-1,0,8\n\
               pl-x,X,EUR,customer:acc-404,TP-1,0,8\n\
               pl-y,,EUR,tier:silver,TP-404,0,-1\n";
    let report = read_rows(csv.as_bytes(), prices::COLUMNS, |row| batch.add(row)).unwrap();
    assert_eq!(
        at(&report),
        [
            (4, "min_quantity"),
            (5, "currency"),
            (7, "scope"),
            (8, "unit_price"),
            (8, "sku"),
            (8, "price_list_name"),
        ]
    );
    let lists = batch.into_lists();
    assert_eq!(lists.before, std::slice::from_ref(&stored));
    let lists = lists.after;
    // Each list named is read once, however many rows name it.
    loaded.sort();
    assert_eq!(loaded, ["pl-gold", "pl-new", "pl-x", "pl-y"]);
    assert_eq!(lists.len(), 2);
    let gold = &lists[0];
    assert_eq!(
        gold.entries["TP-1"],
        [
            PriceBreak {
                min_quantity: dec!(0),
                unit_price: dec!(8.50)
            },
            PriceBreak {
                min_quantity: dec!(100),
                unit_price: dec!(7.90)
            }
        ]
    );
    assert_eq!(gold.entries["TP-OTHER"][0].unit_price, dec!(5));
    assert_eq!(lists[1].scope, PriceListScope::Customer("acc-1".into()));
}

#[test]
fn stock_rows_use_the_feeds_rules_and_group_by_warehouse() {
    let index = index();
    let mut batch = stock::StockBatch::new(&index);
    let csv = "warehouse_id,sku,on_hand,reserved,safety_stock,incoming\n\
               WH-1,TP-1,100,10,5,2026-12-01:50\n\
               WH-2,TP-1,3,,,\n\
               WH-1,TP-1,1,,,\n\
               WH-3,TP-404,-1,,,2026-13-01:5\n";
    let report = read_rows(csv.as_bytes(), stock::COLUMNS, |row| batch.add(row)).unwrap();
    assert_eq!(
        at(&report),
        [(4, "sku"), (5, "sku"), (5, "on_hand"), (5, "incoming")]
    );
    let levels = batch.into_levels();
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0].0, "WH-1");
    assert_eq!(
        levels[0].1[0].incoming,
        [("50".into(), "2026-12-01".into())]
    );
    assert_eq!(levels[1].1[0].reserved, "0");
}

#[test]
fn line_numbers_hold_with_crlf_lone_cr_and_blank_lines() {
    for (csv, expected) in [
        ("id,sku\r\nprd-1,A\r\nprd-2,B\r\n", vec![2, 3]),
        ("id,sku\rprd-1,A\r\rprd-2,B", vec![2, 4]),
        ("id,sku\n\n\nprd-1,\"A\n\nB\"\n\r\nprd-2,B\n", vec![4, 8]),
    ] {
        let mut lines = Vec::new();
        read_rows(csv.as_bytes(), products::COLUMNS[..2].as_ref(), |row| {
            lines.push(row.line);
            true
        })
        .unwrap();
        assert_eq!(lines, expected, "{csv:?}");
    }
}

#[test]
fn a_broken_upload_stops_the_import() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }
    assert!(read_rows(Broken, products::COLUMNS, |_| true).is_err());
}

#[test]
fn only_the_first_thousand_problems_are_listed_but_all_are_counted() {
    let mut csv = String::from(PRODUCT_HEADER);
    for n in 0..1500 {
        csv.push_str(&format!("\nprd-x{n},TP-X{n},,cat-1,active,EA,EUR,1,,"));
    }
    let (report, _) = import_products(&csv);
    assert_eq!(report.rows_rejected, 1500);
    assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
}

#[test]
fn templates_hold_the_header_and_an_example_that_parses() {
    let (csv, columns) = template(products::COLUMNS);
    assert_eq!(columns.len(), products::COLUMNS.len());
    assert!(csv.starts_with("id,sku,barcode,name"));
    let mut parsed = Vec::new();
    read_rows(csv.as_bytes(), products::COLUMNS, |row| {
        parsed.extend(products::parse_row(row));
        true
    })
    .unwrap();
    assert_eq!(parsed.len(), 1, "the example row is valid");
}
