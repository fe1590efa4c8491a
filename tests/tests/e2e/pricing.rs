//! Pricing carts at the caller's own prices, over the wire: the demo's
//! contract, tier and customer price lists and promotions.

use rust_decimal::Decimal;
use tonic::Code;
use tradeport_proto::catalog::{
    CartLineInput, PriceCartRequest, PriceCartResponse, PricingRule, QuickOrderProblemKind,
    QuickOrderRequest, SearchProductsRequest,
};
use tradeport_proto::google::r#type::Date;
use tradeport_tests::clients::catalog;
use tradeport_tests::money::amount;
use tradeport_tests::people::enrolled;
use tradeport_tests::{TestServer, bad_fields, error_reason};

fn line(sku: &str, quantity: &str) -> CartLineInput {
    CartLineInput {
        sku: sku.into(),
        quantity: quantity.into(),
    }
}

/// A day to price for.
fn day(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

async fn price(
    client: &tradeport_mobile::Client,
    lines: Vec<CartLineInput>,
    date: Option<Date>,
) -> Result<PriceCartResponse, tonic::Status> {
    catalog(client)
        .price_cart(PriceCartRequest {
            lines,
            currency_code: String::new(),
            price_date: date,
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn each_customer_gets_their_own_prices_with_the_rules_explained() {
    let server = TestServer::start(|_| {}).unwrap();
    // A cable: the gold list gives 92 % of list, 88 % from 100 units.
    let cable = server
        .client()
        .catalog()
        .search_products(SearchProductsRequest {
            category_id: "cat-el-00".into(),
            order_by: "sku".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .products
        .into_iter()
        .find(|p| {
            !p.id.ends_with('7')
                && p.status == tradeport_proto::catalog::ProductStatus::Active as i32
        })
        .unwrap();
    let list: Decimal = cable.base_price.as_ref().unwrap().amount.parse().unwrap();
    let round = |d: Decimal| {
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };

    // Nordlicht is gold: tier price, then the 2 % partner bonus.
    let (gold, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let quote = price(
        &gold,
        vec![line(&cable.sku, "1"), line(&cable.sku, "100")],
        day(2026, 3, 2),
    )
    .await
    .unwrap();
    let tier = round(list * Decimal::new(92, 2));
    let expected_one = round(tier - tier * Decimal::new(2, 2));
    assert_eq!(amount(&quote.lines[0].unit_price), expected_one);
    let rules: Vec<i32> = quote.lines[0].explanation.iter().map(|s| s.rule).collect();
    assert_eq!(
        rules[..2],
        [PricingRule::PriceList as i32, PricingRule::Promotion as i32]
    );
    assert_eq!(quote.lines[0].explanation[0].source_id, "gold-2026");
    let volume = round(list * Decimal::new(88, 2));
    assert_eq!(
        amount(&quote.lines[1].unit_price),
        round(volume - volume * Decimal::new(2, 2))
    );
    assert!(
        quote.lines[1]
            .explanation
            .iter()
            .any(|s| s.rule == PricingRule::VolumeBreak as i32)
    );
    let subtotal = amount(&quote.lines[0].line_total) + amount(&quote.lines[1].line_total);
    assert_eq!(amount(&quote.subtotal), subtotal);
    assert_eq!(quote.price_date, day(2026, 3, 2), "the day priced for");

    // Sur is a standard customer: list prices, no bonus.
    let (standard, _) = enrolled(&server, "buyer@sur.example").await;
    let quote = price(&standard, vec![line(&cable.sku, "1")], day(2026, 3, 2))
        .await
        .unwrap();
    assert_eq!(amount(&quote.lines[0].unit_price), list);
    assert_eq!(quote.lines[0].explanation.len(), 1);
}

#[tokio::test]
async fn a_contract_price_is_its_customers_alone_and_only_while_it_runs() {
    let server = TestServer::start(|_| {}).unwrap();
    // The first electrical product whose id ends in 7 is on Nordlicht's contract.
    let product = server
        .client()
        .catalog()
        .get_product("prd-000007")
        .await
        .unwrap();
    let list: Decimal = product.base_price.as_ref().unwrap().amount.parse().unwrap();
    let (nordlicht, _) = enrolled(&server, "admin@nordlicht.example").await;
    let during = price(&nordlicht, vec![line(&product.sku, "1")], day(2026, 12, 31))
        .await
        .unwrap();
    assert_eq!(
        during.lines[0].explanation[0].source_id, "contract-nl-2026-01",
        "last day of the contract"
    );
    let contract = (list * Decimal::new(80, 2)).round_dp(2);
    let expected = (contract - contract * Decimal::new(2, 2))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(amount(&during.lines[0].unit_price), expected);
    let after = price(&nordlicht, vec![line(&product.sku, "1")], day(2027, 1, 1))
        .await
        .unwrap();
    assert_eq!(
        after.lines[0].explanation[0].source_id, "gold-2026",
        "the contract ended"
    );

    let (sur, _) = enrolled(&server, "admin@sur.example").await;
    let other = price(&sur, vec![line(&product.sku, "1")], day(2026, 6, 1))
        .await
        .unwrap();
    assert_eq!(
        amount(&other.lines[0].unit_price),
        list,
        "another customer's contract does not apply"
    );
}

#[tokio::test]
async fn bad_carts_name_their_lines_and_brand_staff_must_act_for_a_customer() {
    let server = TestServer::start(|_| {}).unwrap();
    let client = server.client();
    let status = price(
        &client,
        vec![
            line("TP-EL-00001", "0"),
            line("NOPE", "1"),
            line("TP-EL-00001", "2,5"),
        ],
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = bad_fields(&status);
    assert_eq!(
        fields,
        ["lines[0].quantity", "lines[1].sku", "lines[2].quantity"]
    );
    // 31/12/2026 read the wrong way round.
    let status = price(&client, vec![line("TP-EL-00001", "1")], day(31, 12, 2026))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&status)[0], "price_date");
    assert_eq!(error_reason(&status), "INVALID_DATE");

    let (brand_admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let status = price(&brand_admin, vec![line("TP-EL-00001", "1")], None)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let for_nordlicht = rep.with_on_behalf_of(Some(server.account(0)));
    let quote = price(&for_nordlicht, vec![line("TP-EL-00001", "1")], None)
        .await
        .unwrap();
    assert_eq!(
        quote.lines.len(),
        1,
        "a rep prices for the customer they act for"
    );
}

#[tokio::test]
async fn a_sku_outside_the_assortment_is_invisible_to_search_get_and_price() {
    let server = TestServer::start(|_| {}).unwrap();
    // Sur is a standard customer: its assortment leaves tools out.
    let (standard, _) = enrolled(&server, "buyer@sur.example").await;
    let (gold, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let tool_sku = "TP-TO-03601";
    let search = |query: &str, category: &str| SearchProductsRequest {
        query: query.into(),
        category_id: category.into(),
        ..Default::default()
    };

    let gold_tools = gold
        .catalog()
        .search_products(search("", "cat-to"))
        .await
        .unwrap();
    assert_eq!(gold_tools.total_size, 900);
    let tool = gold
        .catalog()
        .search_products(search(tool_sku, ""))
        .await
        .unwrap()
        .products
        .remove(0);
    assert_eq!(tool.sku, tool_sku);

    assert_eq!(
        standard
            .catalog()
            .search_products(search("", "cat-to"))
            .await
            .unwrap()
            .total_size,
        0
    );
    let by_sku = standard
        .catalog()
        .search_products(search(tool_sku, ""))
        .await
        .unwrap();
    assert!(by_sku.products.iter().all(|p| p.sku != tool_sku));
    assert_eq!(
        standard
            .catalog()
            .search_products(search("grinder", ""))
            .await
            .unwrap()
            .total_size,
        0
    );
    let everything = standard
        .catalog()
        .search_products(search("", ""))
        .await
        .unwrap();
    assert_eq!(everything.total_size, 4500, "5,400 products less 900 tools");

    let hidden = standard
        .catalog()
        .get_product(tool.id.clone())
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let missing = standard
        .catalog()
        .get_product("prd-999999")
        .await
        .unwrap_err();
    assert_eq!(
        hidden.message().replace(&tool.id, "ID"),
        missing.message().replace("prd-999999", "ID"),
        "hidden looks like missing"
    );

    let priced = price(&standard, vec![line(tool_sku, "1")], None)
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&priced)[0], "lines[0].sku");
    assert!(price(&gold, vec![line(tool_sku, "1")], None).await.is_ok());

    let quick = |client: &tradeport_mobile::Client| {
        let mut catalog = catalog(client);
        async move {
            catalog
                .quick_order(QuickOrderRequest {
                    text: format!("{tool_sku} 1"),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .lines
                .remove(0)
        }
    };
    let refused = quick(&standard).await;
    assert!(!refused.orderable && refused.priced.is_none() && refused.name.is_empty());
    assert_eq!(
        refused.problems[0].kind,
        QuickOrderProblemKind::NotInAssortment as i32
    );
    let accepted = quick(&gold).await;
    assert!(accepted.priced.is_some(), "{accepted:?}");
}

#[tokio::test]
async fn a_quick_order_prices_good_lines_and_names_each_problem() {
    let server = TestServer::shared();
    let client = server.client();
    let mut catalog = catalog(&client);
    // Every fifth demo product sells from 20 in tens, also by the box of 10.
    let pasted = "SKU\tQty\nTP-EL-00005\t2\tBOX10\nTP-EL-00005\t25\nTP-EL-00005\t10\nNOPE-1\t1\nTP-EL-00006\tlots\n4000000000068 3";
    let r = catalog
        .quick_order(QuickOrderRequest {
            text: pasted.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<(u32, Vec<i32>)> = r
        .lines
        .iter()
        .map(|l| (l.line_number, l.problems.iter().map(|p| p.kind).collect()))
        .collect();
    use QuickOrderProblemKind as K;
    assert_eq!(
        kinds,
        [
            (2, vec![]),
            (3, vec![K::NotAMultiple as i32]),
            (4, vec![K::BelowMinimum as i32]),
            (5, vec![K::UnknownCode as i32]),
            (6, vec![K::BadQuantity as i32]),
            (7, vec![]),
        ]
    );
    assert_eq!(r.lines[0].quantity, "20", "two boxes of ten");
    assert_eq!(
        r.lines[1].problems[0].quantity, "30",
        "the nearest multiple"
    );
    assert_eq!(r.lines[5].sku, "TP-EL-00006", "found by barcode");
    assert_eq!((r.orderable_lines, r.blocked_lines), (2, 4));
    let total: Decimal = [&r.lines[0], &r.lines[5]]
        .iter()
        .map(|l| amount(&l.priced.as_ref().unwrap().line_total))
        .sum();
    assert_eq!(amount(&r.subtotal), total);
}
