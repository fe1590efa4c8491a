//! One pricing path: a cart costs the same wherever the caller sees it —
//! as a search result, a priced cart, a quick order — and what the order
//! then charges. Each of these RPCs reaches the pricing engine through a
//! different use case; a second path anywhere would show here as a price
//! that differs.

use rust_decimal::Decimal;
use tradeport_proto::catalog::{
    CartLineInput, PriceCartRequest, QuickOrderLineInput, QuickOrderRequest, SearchProductsRequest,
};
use tradeport_proto::orders::SubmitOrderRequest;
use tradeport_tests::TestServer;
use tradeport_tests::clients::catalog;
use tradeport_tests::money::amount;
use tradeport_tests::orders::{line, submit};

/// A cable in a quantity with a volume break and lighting under a
/// promotion, for the demo buyer's account.
const CART: [(&str, &str); 2] = [("TP-EL-00007", "150"), ("TP-LI-01001", "2")];

#[tokio::test]
async fn a_cart_costs_the_same_searched_priced_quick_ordered_and_ordered() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let mut catalog = catalog(&buyer);

    let priced = catalog
        .price_cart(PriceCartRequest {
            lines: CART
                .iter()
                .map(|(sku, quantity)| CartLineInput {
                    sku: (*sku).into(),
                    quantity: (*quantity).into(),
                })
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let quick = catalog
        .quick_order(QuickOrderRequest {
            lines: CART
                .iter()
                .map(|(sku, quantity)| QuickOrderLineInput {
                    code: (*sku).into(),
                    quantity: (*quantity).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let order = submit(
        &buyer,
        SubmitOrderRequest {
            lines: CART.iter().map(|(sku, q)| line(sku, q)).collect(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut discounted = 0;
    for (i, (sku, _)) in CART.iter().enumerate() {
        let cart_line = &priced.lines[i];
        let quick_line = quick.lines[i].priced.as_ref().unwrap();
        let order_line = &order.lines[i];
        assert_eq!(cart_line.sku, *sku);
        assert_eq!(order_line.sku, *sku);
        let unit = amount(&cart_line.unit_price);
        assert_eq!(amount(&quick_line.unit_price), unit, "{sku}: quick order");
        assert_eq!(amount(&order_line.unit_price), unit, "{sku}: order");
        let total = amount(&cart_line.line_total);
        assert_eq!(amount(&quick_line.line_total), total, "{sku}: quick order");
        assert_eq!(amount(&order_line.line_total), total, "{sku}: order");
        discounted += usize::from(unit < amount(&cart_line.list_unit_price));

        // A search shows the price of one unit: the cart's for one.
        let one = catalog
            .price_cart(PriceCartRequest {
                lines: vec![CartLineInput {
                    sku: (*sku).into(),
                    quantity: "1".into(),
                }],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let found = catalog
            .search_products(SearchProductsRequest {
                query: (*sku).into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let product = found.products.iter().find(|p| p.sku == *sku).unwrap();
        assert_eq!(
            amount(&product.your_price),
            amount(&one.lines[0].unit_price),
            "{sku}: search"
        );
    }
    assert_eq!(amount(&order.subtotal), amount(&priced.subtotal));
    // The cart is priced by the customer's own rules, not the list.
    assert!(discounted > 0, "{priced:?}");
    assert!(amount(&priced.subtotal) > Decimal::ZERO);
}
