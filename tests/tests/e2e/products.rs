//! The catalog manager's writes over the wire, and what customers see of
//! them: new and changed products searchable at once, hidden ones hidden,
//! variants, prices and stock filters at the caller's own terms.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{
    AttributeValue, CreateProductRequest, GetProductRequest, GetStockRequest, Product,
    ProductStatus, QuantityRule, SearchProductsRequest, UpdateProductRequest, attribute_value,
};
use tradeport_proto::common::{Money, UnitOfMeasure};
use tradeport_proto::identity as pb;
use tradeport_tests::clients::catalog;
use tradeport_tests::people::brand_api_key;
use tradeport_tests::{TestServer, bad_fields, error_reason};

/// This module's server: its writes stay out of other modules' catalog.
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start(|_| {}).unwrap())
}

/// A catalog manager's API key, made once by the demo brand admin.
fn manager() -> Client {
    static KEY: OnceLock<String> = OnceLock::new();
    let key = KEY.get_or_init(|| brand_api_key(server(), "catalog team", pb::Role::CatalogManager));
    server().anonymous_client().with_bearer(key.clone())
}

fn new_product(n: u32, name: &str) -> Product {
    Product {
        id: format!("prd-new-{n}"),
        sku: format!("TP-NEW-{n}"),
        name: name.into(),
        description: "Made for the product tests".into(),
        category_id: "cat-el-00".into(),
        sales_unit: Some(UnitOfMeasure {
            code: "EA".into(),
            name: "Each".into(),
            base_units: "1".into(),
        }),
        base_price: Some(Money {
            currency_code: "EUR".into(),
            amount: "19.90".into(),
        }),
        status: ProductStatus::Active as i32,
        quantity_rule: Some(QuantityRule {
            minimum: "6".into(),
            multiple: "6".into(),
            maximum: String::new(),
        }),
        image_urls: vec!["https://images.tradeport.example/new.jpg".into()],
        ..Default::default()
    }
}

async fn create(
    client: &Client,
    product: Product,
    request_id: &str,
) -> Result<Product, tonic::Status> {
    catalog(client)
        .create_product(CreateProductRequest {
            product: Some(product),
            request_id: request_id.into(),
        })
        .await
        .map(|r| r.into_inner().product.unwrap())
}

async fn search_ids(client: &Client, query: &str) -> Vec<String> {
    catalog(client)
        .search_products(SearchProductsRequest {
            query: query.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .products
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[tokio::test]
async fn a_new_product_is_found_within_a_second_and_its_sku_ranks_first() {
    let manager = manager();
    let written = Instant::now();
    create(&manager, new_product(1, "Zebrawood junction plate"), "")
        .await
        .unwrap();
    let customer = server().client();
    loop {
        if search_ids(&customer, "zebrawood").await == ["prd-new-1"] {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "not found in 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(search_ids(&customer, "tp-new-1").await[0], "prd-new-1");
    assert_eq!(
        search_ids(&customer, "zebrawod plate").await,
        ["prd-new-1"],
        "a typo still finds it"
    );
    let got = catalog(&customer)
        .get_product(GetProductRequest {
            id: "prd-new-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    assert_eq!(got.quantity_rule.unwrap().multiple, "6");
    assert!(got.your_price.is_some(), "a customer sees their own price");
}

#[tokio::test]
async fn an_update_changes_only_the_masked_fields() {
    let manager = manager();
    create(&manager, new_product(2, "Quokka cable gland"), "")
        .await
        .unwrap();
    let mut patch = new_product(2, "Wombat cable gland");
    patch.description = "not masked, not changed".into();
    let updated = catalog(&manager)
        .update_product(UpdateProductRequest {
            product: Some(patch),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    assert_eq!(updated.name, "Wombat cable gland");
    assert_eq!(updated.description, "Made for the product tests");
    let customer = server().client();
    assert_eq!(search_ids(&customer, "wombat").await, ["prd-new-2"]);
    assert!(search_ids(&customer, "quokka").await.is_empty());

    let err = catalog(&manager)
        .update_product(UpdateProductRequest {
            product: Some(new_product(2, "x")),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["sku".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["update_mask.paths[0]"]);
    let err = catalog(&manager)
        .update_product(UpdateProductRequest {
            product: Some(new_product(99, "x")),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn an_update_reads_only_what_its_mask_names() {
    let manager = manager();
    create(&manager, new_product(20, "Echidna socket"), "")
        .await
        .unwrap();
    let update = |product: Product, path: &str| {
        let request = UpdateProductRequest {
            product: Some(product),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![path.into()],
            }),
            request_id: String::new(),
        };
        let mut catalog = catalog(&manager);
        async move { catalog.update_product(request).await }
    };
    // As in the README: the id and the one field the mask names.
    let renamed = update(
        Product {
            id: "prd-new-20".into(),
            name: "Renamed".into(),
            ..Default::default()
        },
        "name",
    )
    .await
    .unwrap()
    .into_inner()
    .product
    .unwrap();
    assert_eq!(renamed.name, "Renamed");
    assert_eq!(
        renamed.base_price.unwrap().amount,
        "19.90",
        "kept as stored"
    );
    assert_eq!(renamed.status, ProductStatus::Active as i32);
    // A field the mask names is still checked, merged onto the stored one.
    let err = update(
        Product {
            id: "prd-new-20".into(),
            ..Default::default()
        },
        "base_price",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["product.base_price"]);
}

#[tokio::test]
async fn bad_products_name_every_field_and_nothing_is_created() {
    let mut bad = new_product(3, "Bad one");
    bad.sku = "TP-EL-00042".into(); // taken by a demo product
    bad.category_id = "cat-nowhere".into();
    bad.base_price = Some(Money {
        currency_code: "EUR".into(),
        amount: "1e3".into(),
    });
    bad.quantity_rule = Some(QuantityRule {
        minimum: "5".into(),
        multiple: "6".into(),
        maximum: String::new(),
    });
    bad.attributes = vec![AttributeValue {
        key: "voltage".into(),
        value: Some(attribute_value::Value::Text("high".into())),
    }];
    let err = create(&manager(), bad, "").await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let mut fields = bad_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        ["product.base_price.amount"],
        "decoding fails first"
    );

    let mut bad = new_product(3, "Bad one");
    bad.sku = "TP-EL-00042".into();
    bad.category_id = "cat-nowhere".into();
    bad.quantity_rule = Some(QuantityRule {
        minimum: "5".into(),
        multiple: "6".into(),
        maximum: String::new(),
    });
    bad.attributes = vec![AttributeValue {
        key: "voltage".into(),
        value: Some(attribute_value::Value::Text("high".into())),
    }];
    let err = create(&manager(), bad, "").await.unwrap_err();
    assert_eq!(error_reason(&err), "INVALID_PRODUCT");
    let mut fields = bad_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "product.attributes[0].value",
            "product.category_id",
            "product.quantity_rule.minimum",
            "product.sku",
        ]
    );
    let missing = catalog(&manager())
        .get_product(GetProductRequest {
            id: "prd-new-3".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn customers_cannot_write_and_a_replay_answers_as_the_first_call() {
    let err = create(&server().client(), new_product(4, "Sneaky"), "")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let manager = manager();
    let first = create(&manager, new_product(4, "Kookaburra bracket"), "req-4")
        .await
        .unwrap();
    let replay = create(&manager, new_product(4, "Another name"), "req-4")
        .await
        .unwrap();
    assert_eq!(replay, first);
    let err = create(&manager, new_product(4, "Kookaburra bracket"), "req-4b")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn a_hidden_product_is_for_brand_staff_only_and_variants_list_each_other() {
    let manager = manager();
    let mut red = new_product(5, "Platypus lamp red");
    red.family_id = "fam-platypus".into();
    red.variant_keys = vec!["colour".into()];
    red.attributes = vec![AttributeValue {
        key: "colour".into(),
        value: Some(attribute_value::Value::Option("red".into())),
    }];
    let mut blue = red.clone();
    blue.id = "prd-new-6".into();
    blue.sku = "TP-NEW-6".into();
    blue.name = "Platypus lamp blue".into();
    blue.attributes[0].value = Some(attribute_value::Value::Option("blue".into()));
    create(&manager, red, "").await.unwrap();
    create(&manager, blue.clone(), "").await.unwrap();

    let customer = server().client();
    let got = catalog(&customer)
        .get_product(GetProductRequest {
            id: "prd-new-5".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    assert_eq!(got.variants.len(), 1);
    assert_eq!(got.variants[0].id, "prd-new-6");
    assert_eq!(
        got.variants[0].attributes[0].value,
        Some(attribute_value::Value::Option("blue".into()))
    );

    blue.status = ProductStatus::Hidden as i32;
    catalog(&manager)
        .update_product(UpdateProductRequest {
            product: Some(blue),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(search_ids(&customer, "platypus").await, ["prd-new-5"]);
    let err = catalog(&customer)
        .get_product(GetProductRequest {
            id: "prd-new-6".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let mut staff = search_ids(&manager, "platypus").await;
    staff.sort();
    assert_eq!(staff, ["prd-new-5", "prd-new-6"]);
}

#[tokio::test]
async fn price_range_and_stock_filters_use_the_callers_terms() {
    let customer = server().client();
    let found = catalog(&customer)
        .search_products(SearchProductsRequest {
            category_id: "cat-el".into(),
            price_min: "10".into(),
            price_max: "20".into(),
            order_by: "price desc".into(),
            page_size: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(found.total_size > 0);
    let prices: Vec<Decimal> = found
        .products
        .iter()
        .map(|p| p.your_price.as_ref().unwrap().amount.parse().unwrap())
        .collect();
    assert!(
        prices
            .iter()
            .all(|p| *p >= Decimal::TEN && *p <= Decimal::from(20)),
        "{prices:?}"
    );
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "sorted by the customer's price"
    );
    // The customer's price is not the list price for every product: the
    // demo gives this account a tier list below list prices.
    assert!(
        found.products.iter().any(|p| p.your_price.as_ref().unwrap().amount
            != p.base_price.as_ref().unwrap().amount)
    );

    let stocked = catalog(&customer)
        .search_products(SearchProductsRequest {
            category_id: "cat-el-00".into(),
            in_stock_warehouse_id: "WH-HAM".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(stocked.total_size > 0);
    let skus: Vec<String> = stocked.products.iter().map(|p| p.sku.clone()).collect();
    let levels = catalog(&customer)
        .get_stock(GetStockRequest { skus: skus.clone() })
        .await
        .unwrap()
        .into_inner()
        .levels;
    for sku in &skus {
        let level = levels
            .iter()
            .find(|l| &l.sku == sku && l.warehouse_id == "WH-HAM")
            .unwrap_or_else(|| panic!("{sku} has no WH-HAM level"));
        assert!(level.available.parse::<Decimal>().unwrap() > Decimal::ZERO);
    }
    let err = catalog(&customer)
        .search_products(SearchProductsRequest {
            price_min: "cheap".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["price_min"]);
}
