//! The harness for Tradeport's end-to-end tests and load benchmarks: real
//! servers on 127.0.0.1:0 with their own temporary stores, real clients,
//! and the helpers the tests and benchmarks share, each written once so a
//! change to a flow (enrolment, an import, a latency tally) is made once.
//!
//! - [`TestServer`] (in-process) and [`ServerProcess`] (a process of its
//!   own) run servers; [`people`] enrols people and makes API keys;
//!   [`clients`] gives the generated service clients; [`orders`], [`stock`],
//!   [`imports`] and [`money`] place and read what the API deals in;
//!   [`network`] takes a device offline and back;
//!   [`status`] reads refusals; [`grpc_web`] speaks to the server as a
//!   browser does; [`catalog_csv`] writes import files.
//! - [`bench`] holds what the load benchmarks share: settings, callers,
//!   the latency tally and its tables, memory readings.

pub mod bench;
pub mod catalog_csv;
pub mod clients;
pub mod grpc_web;
pub mod imports;
pub mod money;
pub mod network;
pub mod orders;
pub mod people;
mod process;
mod server;
pub mod status;
pub mod stock;

pub use process::{DEMO_SCALE_VAR, ServerProcess};
pub use server::{ANDROID_ORIGIN, ORIGIN, RP_ID, TestServer, dev_tls, server_runtime, test_config};
pub use status::{bad_fields, error_reason, status_of};
