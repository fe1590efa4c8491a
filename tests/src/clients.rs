//! The generated service clients over an SDK client's channel, which
//! carries its credential: for the calls the SDK wraps differently or not
//! at all, so tests send exactly the request they mean.

use tradeport_mobile::{AuthorizedChannel, Client};
use tradeport_proto::catalog::catalog_bulk_service_client::CatalogBulkServiceClient;
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::sync::sync_service_client::SyncServiceClient;

/// `tradeport.orders.v1.OrderService` as `client`.
pub fn orders(client: &Client) -> OrderServiceClient<AuthorizedChannel> {
    OrderServiceClient::new(client.authorized_channel())
}

/// `tradeport.catalog.v1.CatalogService` as `client`.
pub fn catalog(client: &Client) -> CatalogServiceClient<AuthorizedChannel> {
    CatalogServiceClient::new(client.authorized_channel())
}

/// `tradeport.catalog.v1.CatalogBulkService` as `client`.
pub fn bulk(client: &Client) -> CatalogBulkServiceClient<AuthorizedChannel> {
    CatalogBulkServiceClient::new(client.authorized_channel())
}

/// `tradeport.sync.v1.SyncService` as `client`.
pub fn sync(client: &Client) -> SyncServiceClient<AuthorizedChannel> {
    SyncServiceClient::new(client.authorized_channel())
}
