//! A minimal gRPC-web client over HTTP/1.1, speaking the wire format a
//! browser's grpc-web library sends (`application/grpc-web+proto`), so tests
//! check what browsers get, not what a gRPC client library smooths over.

use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// One gRPC-web exchange as seen on the wire.
#[derive(Debug)]
pub struct GrpcWebReply {
    pub http_status: http::StatusCode,
    pub headers: http::HeaderMap,
    /// The message frames' payloads.
    pub messages: Vec<Bytes>,
    /// Trailers from the trailer frame (or, for trailers-only replies, the
    /// headers): lower-cased name → value.
    pub trailers: Vec<(String, String)>,
}

impl GrpcWebReply {
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .or_else(|| self.headers.get(name).and_then(|v| v.to_str().ok()))
    }

    pub fn grpc_status(&self) -> Option<i32> {
        self.trailer("grpc-status").and_then(|s| s.parse().ok())
    }
}

/// Calls `path` (e.g. `/tradeport.catalog.v1.CatalogService/GetProduct`)
/// with one encoded message over HTTP/1.1.
pub async fn call(
    addr: std::net::SocketAddr,
    path: &str,
    message: &impl prost::Message,
    origin: Option<&str>,
    bearer: Option<&str>,
) -> anyhow::Result<GrpcWebReply> {
    call_as(
        addr,
        path,
        "application/grpc-web+proto",
        &message.encode_to_vec(),
        origin,
        bearer,
    )
    .await
}

/// Calls `path` with one message `payload` already encoded as
/// `content_type` says, framed as gRPC-web frames it.
pub async fn call_as(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    payload: &[u8],
    origin: Option<&str>,
    bearer: Option<&str>,
) -> anyhow::Result<GrpcWebReply> {
    anyhow::ensure!(u32::try_from(payload.len()).is_ok(), "a message over 4 GiB");
    let body = frame(payload);

    let client = http1_client::<Full<Bytes>>();
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .version(http::Version::HTTP_11)
        .header("content-type", content_type)
        .header("x-grpc-web", "1")
        .header("accept", content_type);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(bearer) = bearer {
        request = request.header("authorization", format!("Bearer {bearer}"));
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body)))?)
        .await?;
    let (parts, body) = response.into_parts();
    let mut bytes = body.collect().await?.to_bytes();

    let mut messages = Vec::new();
    let mut trailers = Vec::new();
    while bytes.remaining() >= 5 {
        let flag = bytes.get_u8();
        let len = bytes.get_u32() as usize;
        anyhow::ensure!(bytes.remaining() >= len, "truncated gRPC-web frame");
        let frame = bytes.split_to(len);
        if flag & 0x80 != 0 {
            for line in std::str::from_utf8(&frame)?
                .split("\r\n")
                .filter(|l| !l.is_empty())
            {
                let (k, v) = line.split_once(':').unwrap_or((line, ""));
                trailers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        } else {
            messages.push(frame);
        }
    }
    anyhow::ensure!(
        !bytes.has_remaining(),
        "trailing bytes after the last frame"
    );
    Ok(GrpcWebReply {
        http_status: parts.status,
        headers: parts.headers,
        messages,
        trailers,
    })
}

/// One message as gRPC and gRPC-web frame it: a flag byte (0: a message,
/// not trailers), its length as four big-endian bytes, then the message.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(0);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A plain HTTP/1.1 client, as a browser's connection to the server is.
pub fn http1_client<B>() -> Client<hyper_util::client::legacy::connect::HttpConnector, B>
where
    B: hyper::body::Body + Send,
    B::Data: Send,
{
    Client::builder(TokioExecutor::new()).build_http::<B>()
}
