//! End-to-end tests: real servers on 127.0.0.1:0, real clients (the SDK,
//! raw gRPC-web over HTTP/1.1, raw HTTP/2), one binary for fast linking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod bad_input;
mod bulk;
mod catalog;
mod denied_access;
mod drafts;
mod durability;
mod erasure;
mod free_text;
mod grpc_web;
mod offline;
mod open_streams;
mod orders;
mod outbox;
mod passkeys;
mod pricing;
mod products;
mod profile;
mod replays;
mod sessions;
mod shutdown;
mod sign_in_abuse;
mod stock;
mod store;
mod transport;
