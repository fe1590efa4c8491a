//! The gRPC services: decode the request, call one use case (`service`),
//! encode the answer. Nothing is decided here, not even who may call what
//! (the use cases authorise); every failure leaves through
//! [`errors::Failure`], the one place errors become `tonic::Status`.

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
