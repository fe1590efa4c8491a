//! CSV imports and exports over the wire: uploads streamed in chunks, the
//! row report, the modes (dry run, all or nothing, valid rows), replays,
//! templates, and an export that imports back as it is.

use std::sync::OnceLock;

use rust_decimal::Decimal;
use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{
    CartLineInput, DataKind, ExportDataRequest, GetImportTemplateRequest, GetProductRequest,
    ImportDataRequest, ImportHeader, ImportMode, PriceCartRequest, PricingRule,
    SearchProductsRequest, import_data_request::Part,
};
use tradeport_proto::identity as pb;
use tradeport_tests::catalog_csv::{MINIMAL_HEADER as HEADER, rows};
use tradeport_tests::clients::{bulk, catalog};
use tradeport_tests::imports::{PRICES_HEADER, import};
use tradeport_tests::money::amount;
use tradeport_tests::people::brand_api_key;
use tradeport_tests::stock::levels;
use tradeport_tests::{TestServer, bad_fields, error_reason};

/// This module's server: imports here change its catalog only.
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start(|_| {}).unwrap())
}

/// A catalog manager's API key, made once by the demo brand admin.
fn manager() -> Client {
    static KEY: OnceLock<String> = OnceLock::new();
    let key = KEY.get_or_init(|| brand_api_key(server(), "ERP import", pb::Role::CatalogManager));
    server().anonymous_client().with_bearer(key.clone())
}

async fn export(client: &Client, kind: DataKind) -> String {
    let mut stream = bulk(client)
        .export_data(ExportDataRequest { kind: kind as i32 })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(part) = stream.message().await.unwrap() {
        out.extend(part.chunk);
    }
    String::from_utf8(out).unwrap()
}

async fn exists(id: &str) -> bool {
    catalog(&manager())
        .get_product(GetProductRequest { id: id.into() })
        .await
        .is_ok()
}

#[tokio::test]
async fn bad_rows_get_the_exact_report_and_all_or_nothing_changes_nothing() {
    let manager = manager();
    let csv = format!(
        "{HEADER}\n\
         imp-1,IMP-1,Good row,cat-el-00,active,EA,EUR,10\n\
         imp-2,IMP-2,Bad price,cat-el-00,active,EA,EUR,ten\n\
         imp-3,IMP-1,Taken SKU,cat-el-00,active,EA,EUR,1\n\
         imp-4,IMP-4,Nowhere,cat-nope,active,EA,EUR,1\n\
         imp-5,IMP-5,Also good,cat-el-00,active,EA,EUR,2\n"
    );
    let report = import(
        &manager,
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "",
        csv.as_bytes(),
        7,
    )
    .await
    .unwrap();
    let at: Vec<(u64, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect();
    assert_eq!(at, [(3, "price_amount"), (4, "sku"), (5, "category_id")]);
    assert!(
        report.errors[1].reason.contains("imp-1"),
        "{:?}",
        report.errors[1]
    );
    assert_eq!(
        (
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected,
            report.applied
        ),
        (5, 2, 3, false)
    );
    assert!(!exists("imp-1").await, "all or nothing: nothing");

    let dry = import(
        &manager,
        DataKind::Catalog,
        ImportMode::DryRun,
        "",
        csv.as_bytes(),
        64,
    )
    .await
    .unwrap();
    assert_eq!((dry.rows_accepted, dry.applied), (2, false));
    assert!(!exists("imp-5").await, "a dry run changes nothing");

    let some = import(
        &manager,
        DataKind::Catalog,
        ImportMode::ValidRows,
        "",
        csv.as_bytes(),
        64,
    )
    .await
    .unwrap();
    assert!(some.applied);
    assert!(exists("imp-1").await && exists("imp-5").await);
    assert!(!exists("imp-2").await);
    let found = catalog(&server().client())
        .search_products(SearchProductsRequest {
            query: "IMP-5".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found.products[0].id, "imp-5",
        "searchable as soon as imported"
    );
}

#[tokio::test]
async fn a_replayed_import_answers_with_the_first_report_and_customers_cannot_import() {
    let manager = manager();
    let first = import(
        &manager,
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "import-7",
        rows(1, 3, "rep").as_bytes(),
        1024,
    )
    .await
    .unwrap();
    assert!(first.applied);
    // The same request again, even with another file, does not act again.
    let again = import(
        &manager,
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "import-7",
        rows(100, 3, "rep").as_bytes(),
        1024,
    )
    .await
    .unwrap();
    assert_eq!(again, first);
    assert!(!exists("rep-100").await);

    let err = import(
        &server().client(),
        DataKind::Catalog,
        ImportMode::DryRun,
        "",
        rows(1, 1, "x").as_bytes(),
        1024,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let headless = bulk(&manager)
        .import_data(tokio_stream::iter(vec![ImportDataRequest {
            part: Some(Part::Chunk(b"id\n".to_vec())),
        }]))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&headless), ["header"]);
}

#[tokio::test]
async fn a_hundred_thousand_rows_import_in_one_step() {
    let manager = manager();
    let csv = rows(0, 100_000, "big");
    let report = import(
        &manager,
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "",
        csv.as_bytes(),
        256 * 1024,
    )
    .await
    .unwrap();
    assert_eq!(report.errors, []);
    assert_eq!((report.rows_accepted, report.applied), (100_000, true));
    assert!(exists("big-0").await && exists("big-99999").await);
}

#[tokio::test]
async fn prices_and_stock_import_and_every_export_imports_back() {
    let manager = manager();
    let customer = server().client();
    let account = server().account(0);
    let prices = format!(
        "{PRICES_HEADER}\n\
         pl-imported,Imported for one,EUR,customer:{account},TP-EL-00042,0,1.23\n\
         pl-imported,,,,TP-EL-00042,50,1.11\n"
    );
    let report = import(
        &manager,
        DataKind::Prices,
        ImportMode::AllOrNothing,
        "",
        prices.as_bytes(),
        16,
    )
    .await
    .unwrap();
    assert!(report.applied, "{report:?}");
    let cart = catalog(&customer)
        .price_cart(PriceCartRequest {
            lines: vec![CartLineInput {
                sku: "TP-EL-00042".into(),
                quantity: "60".into(),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let line = &cart.lines[0];
    assert_eq!(
        amount(&line.list_unit_price),
        "1.23".parse::<Decimal>().unwrap(),
        "the imported customer list prices at once"
    );
    let volume = line
        .explanation
        .iter()
        .find(|s| s.rule == PricingRule::VolumeBreak as i32)
        .unwrap();
    assert_eq!(volume.source_id, "pl-imported");
    assert_eq!(
        amount(&volume.unit_price),
        "1.11".parse::<Decimal>().unwrap()
    );

    let stock = "warehouse_id,sku,on_hand,reserved,safety_stock,incoming\n\
                 WH-HAM,TP-EL-00043,777,7,10,2027-01-15:100\n";
    let report = import(
        &manager,
        DataKind::Stock,
        ImportMode::AllOrNothing,
        "",
        stock.as_bytes(),
        10,
    )
    .await
    .unwrap();
    assert!(report.applied, "{report:?}");
    let levels = levels(&customer, "TP-EL-00043").await;
    let ham = levels.iter().find(|l| l.warehouse_id == "WH-HAM").unwrap();
    assert_eq!(
        (ham.on_hand.as_str(), ham.available.as_str()),
        ("777", "770")
    );

    for kind in [DataKind::Catalog, DataKind::Prices, DataKind::Stock] {
        let csv = export(&manager, kind).await;
        assert!(csv.lines().count() > 1, "{kind:?} exports rows");
        let back = import(
            &manager,
            kind,
            ImportMode::DryRun,
            "",
            csv.as_bytes(),
            64 * 1024,
        )
        .await
        .unwrap();
        assert_eq!(back.errors, [], "{kind:?} export imports back");
        assert_eq!(back.rows_rejected, 0);
    }
    let prices = export(&manager, DataKind::Prices).await;
    assert!(prices.contains(&format!(
        "pl-imported,Imported for one,EUR,customer:{account}"
    )));
}

#[tokio::test]
async fn each_kind_has_a_template_whose_example_imports() {
    let manager = manager();
    for kind in [DataKind::Catalog, DataKind::Prices, DataKind::Stock] {
        let template = bulk(&manager)
            .get_import_template(GetImportTemplateRequest { kind: kind as i32 })
            .await
            .unwrap()
            .into_inner();
        assert!(template.columns.iter().any(|c| c.required));
        let header: Vec<&str> = template.csv.lines().next().unwrap().split(',').collect();
        let names: Vec<&str> = template.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(header, names);
        let report = import(
            &manager,
            kind,
            ImportMode::DryRun,
            "",
            template.csv.as_bytes(),
            1024,
        )
        .await
        .unwrap();
        assert_eq!(
            (report.rows_accepted, report.errors.len()),
            (1, 0),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn full_rows_fill_every_column_of_the_template_and_import() {
    use tradeport_tests::catalog_csv::{CatalogCsv, Detail, FULL_HEADER};
    let manager = manager();
    let template = bulk(&manager)
        .get_import_template(GetImportTemplateRequest {
            kind: DataKind::Catalog as i32,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(template.csv.lines().next(), Some(FULL_HEADER));
    let file = CatalogCsv::new("full", Detail::Full, 1);
    let report = import(
        &manager,
        DataKind::Catalog,
        ImportMode::AllOrNothing,
        "",
        file.file(400).as_bytes(),
        4096,
    )
    .await
    .unwrap();
    assert_eq!(report.errors, []);
    assert_eq!((report.rows_accepted, report.applied), (400, true));
    let product = catalog(&manager)
        .get_product(GetProductRequest { id: file.id(5) })
        .await
        .unwrap()
        .into_inner();
    let product = product.product.unwrap();
    assert_eq!(product.sku, file.sku(5));
    assert!(!product.barcode.is_empty() && product.family_id.starts_with("full-fam-"));
    assert_eq!((product.attributes.len(), product.image_urls.len()), (3, 2));
}

#[tokio::test]
async fn a_chunk_over_the_message_limit_is_resource_exhausted() {
    let limit = tradeport_server::config::Config::default().max_message_bytes;
    let csv = format!("{HEADER}\n").into_bytes();
    let mut oversize = csv.clone();
    oversize.resize(limit + 1, b'x');
    // The header goes alone and is read first: the chunk after it is what
    // the limit refuses, while the upload is being read.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let sending = tokio::spawn(async move {
        let header = ImportDataRequest {
            part: Some(Part::Header(ImportHeader {
                kind: DataKind::Catalog as i32,
                mode: ImportMode::DryRun as i32,
                request_id: String::new(),
            })),
        };
        tx.send(header).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let chunk = ImportDataRequest {
            part: Some(Part::Chunk(oversize)),
        };
        let _ = tx.send(chunk).await;
        // Held open until the answer: the upload never ends by itself.
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    });
    let status = bulk(&manager())
        .import_data(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap_err();
    sending.abort();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status), "MESSAGE_TOO_LARGE");
    // The server goes on importing.
    import(
        &manager(),
        DataKind::Catalog,
        ImportMode::DryRun,
        "",
        &csv,
        64,
    )
    .await
    .unwrap();
}
