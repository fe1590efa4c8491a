//! The wire as the load generator uses it: a plaintext HTTP/2 connection
//! of its own per caller (no SDK in the way, so its cost is not measured),
//! and the bearer token parsed once and attached to each request.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use tonic::Request;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};

/// `authorization: Bearer <key>`, parsed once.
pub fn bearer(key: &str) -> Result<AsciiMetadataValue> {
    format!("Bearer {key}")
        .parse()
        .context("an API key is not a valid header value")
}

/// `message` with the `authorization` header `token`.
pub fn authorized<T>(message: T, token: &AsciiMetadataValue) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", MetadataValue::clone(token));
    request
}

/// A new connection to `addr`, with Nagle's delay off as gRPC clients set.
pub async fn connect(addr: SocketAddr) -> Result<Channel> {
    let url = format!("http://{addr}");
    Endpoint::from_shared(url.clone())
        .with_context(|| format!("endpoint {url}"))?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}
