//! The gRPC services: decode the request, authorise the caller, call the
//! domain, encode the answer. Nothing is decided here; every failure leaves
//! through [`status::Failure`], the one place errors become `tonic::Status`.

pub mod bulk;
pub mod catalog;
mod dates;
pub mod errors;
pub mod feed;
pub mod identity;
pub mod open_streams;
pub mod orders;
mod product;
mod profile;
mod stock;
pub mod sync;
mod watch;
