//! Server streams held open: one caller may hold at most
//! `open_streams::PER_CALLER` watches of a service at once, gets a place
//! back when one ends, and does not take anyone else's.

use tonic::Code;
use tradeport_proto::orders::WatchOrdersRequest;
use tradeport_server::api::open_streams::PER_CALLER;
use tradeport_tests::clients::orders;
use tradeport_tests::people::enrolled;
use tradeport_tests::{TestServer, error_reason};

#[tokio::test]
async fn a_caller_holds_a_bounded_number_of_watches_open() {
    let server = TestServer::start(|_| {}).unwrap();
    let mut watches = orders(&server.client());
    let mut open = Vec::new();
    for _ in 0..PER_CALLER {
        open.push(
            watches
                .watch_orders(WatchOrdersRequest::default())
                .await
                .unwrap()
                .into_inner(),
        );
    }
    let refused = watches
        .watch_orders(WatchOrdersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&refused), "RATE_LIMITED");

    // Someone else is not affected.
    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    orders(&buyer)
        .watch_orders(WatchOrdersRequest::default())
        .await
        .unwrap();

    // A watch that ends gives its place back.
    drop(open.pop());
    let mut again = Err(Code::Unknown);
    for _ in 0..50 {
        again = watches
            .watch_orders(WatchOrdersRequest::default())
            .await
            .map(|_| ())
            .map_err(|s| s.code());
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(again, Ok(()));
}
