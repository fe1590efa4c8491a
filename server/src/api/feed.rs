//! SyncService's PullReferenceData on the wire: decode the request, pull a
//! page from the feed use case (`crate::service::feed`) off the async threads, and
//! encode it. The feed decides what the caller sees; this only translates.

use tonic::Status;
use tradeport_proto::sync as pb;
use tradeport_proto::sync::reference_change::Change as WireChange;

use super::errors::Failure;
use super::orders::order_to;
use super::product::{money_to, priced_product_to};
use super::stock::level_to;
use crate::service::catalog::PricedProduct;
use crate::service::feed::{Change, Feed, FeedPage};
use tradeport_domain::identity::Caller;

/// The next page of `caller`'s reference data after `request.cursor`.
pub async fn pull_reference_data(
    feed: &Feed,
    caller: &Caller,
    request: pb::PullReferenceDataRequest,
) -> Result<pb::PullReferenceDataResponse, Status> {
    let feed = feed.clone();
    let caller = caller.clone();
    let page =
        tokio::task::spawn_blocking(move || feed.pull(&caller, &request.cursor, request.page_size))
            .await
            .map_err(|e| Failure::internal(format!("reference-data task: {e}")))?
            .map_err(Failure::from)?;
    Ok(page_to(page))
}

fn page_to(page: FeedPage) -> pb::PullReferenceDataResponse {
    pb::PullReferenceDataResponse {
        changes: page
            .changes
            .iter()
            .map(|change| pb::ReferenceChange {
                change: Some(change_to(change)),
            })
            .collect(),
        next_cursor: page.next_cursor,
        up_to_date: page.up_to_date,
        reset: page.reset,
        snapshot_pages: page.snapshot_pages,
    }
}

fn change_to(change: &Change) -> WireChange {
    match change {
        Change::Product(priced) => WireChange::Product(product_entry_to(priced)),
        Change::ProductRemoved(id) => WireChange::ProductRemoved(id.clone()),
        Change::Stock(level) => WireChange::Stock(level_to(level)),
        Change::Order(order) => WireChange::Order(order_to(order)),
    }
}

fn product_entry_to(priced: &PricedProduct) -> pb::ProductEntry {
    let product = priced_product_to(priced);
    let currency = priced.currency();
    pb::ProductEntry {
        product: Some(product),
        price_breaks: priced
            .price_breaks
            .iter()
            .map(|(min_quantity, price)| pb::PriceBreak {
                min_quantity: min_quantity.normalize().to_string(),
                unit_price: Some(money_to(currency, *price)),
            })
            .collect(),
    }
}
