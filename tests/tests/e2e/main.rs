//! End-to-end tests: real servers on 127.0.0.1:0, real clients (the SDK,
//! raw gRPC-web over HTTP/1.1, raw HTTP/2), one binary for fast linking.
//! The helpers they share are in the `tradeport_tests` library.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod access_isolation;
mod access_roles;
mod accounts;
mod bad_input;
mod bulk;
mod catalog;
mod denied_access;
mod drafts;
mod drafts_access;
mod drafts_browser;
mod drafts_orders;
mod drafts_refusals;
mod drafts_streams;
mod durability;
mod erasure;
mod feed_prices;
mod free_text;
mod grpc_web;
mod offline;
mod offline_browse;
mod one_price;
mod open_streams;
mod orders_approvals;
mod orders_fulfilment;
mod orders_lists;
mod orders_submit;
mod outbox;
mod passkeys;
mod pricing;
mod products;
mod profile;
mod replays;
mod sdk_errors;
mod sdk_status;
mod sessions;
mod shutdown;
mod sign_in_abuse;
mod sign_out;
mod stock;
mod store;
mod transport;
