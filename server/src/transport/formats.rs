//! Refuses requests in a message format the server does not speak — JSON
//! over gRPC-web (`application/grpc-web+json`, which connect-web sends
//! unless told to use binary) or gRPC (`application/grpc+json`) — with a
//! gRPC status a client can read (UNIMPLEMENTED, reason
//! `UNSUPPORTED_FORMAT`) instead of the bare HTTP 400 of the gRPC-web
//! layer. It sits outside that layer and inside CORS, so browsers can read
//! the answer; it never looks at a body and never touches other requests.

use std::task::{Context, Poll};

use futures::future::{Either, Ready, ready};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use crate::api::errors::Failure;

/// How much of the content type the refusal echoes.
const ECHOED: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct RefuseUnsupportedFormatsLayer;

impl<S> Layer<S> for RefuseUnsupportedFormatsLayer {
    type Service = RefuseUnsupportedFormats<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RefuseUnsupportedFormats { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RefuseUnsupportedFormats<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for RefuseUnsupportedFormats<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    R: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match refusal(content_type) {
            Some(response) => Either::Left(ready(Ok(response))),
            None => Either::Right(self.inner.call(request)),
        }
    }
}

/// The answer to a request in `content_type`, if it is a gRPC or gRPC-web
/// content type with a codec other than protobuf: the status in the
/// headers, no body (a trailers-only response, which gRPC-web clients read
/// as the call's status).
fn refusal<R: Default>(content_type: &str) -> Option<Response<R>> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let protocol = [
        "application/grpc-web-text",
        "application/grpc-web",
        "application/grpc",
    ]
    .into_iter()
    .find(|p| essence.starts_with(p))?;
    let codec = &essence[protocol.len()..];
    if !codec.starts_with('+') || codec == "+proto" {
        return None;
    }
    let echoed: String = content_type.chars().take(ECHOED).collect();
    let status = Status::from(Failure::UnsupportedFormat {
        content_type: echoed,
    });
    let mut response = status.into_http::<R>();
    // The family the caller speaks, in the codec it can decode.
    let answer = if protocol == "application/grpc" {
        "application/grpc+proto"
    } else {
        "application/grpc-web+proto"
    };
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(answer));
    Some(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused(content_type: &str) -> Option<Response<()>> {
        refusal(content_type)
    }

    #[test]
    fn json_over_grpc_web_and_grpc_is_refused_with_a_status() {
        for content_type in [
            "application/grpc-web+json",
            "application/grpc-web-text+json",
            "application/grpc-web+json; charset=utf-8",
            "Application/gRPC-Web+JSON",
            "application/grpc+json",
        ] {
            let response = refused(content_type).unwrap();
            assert_eq!(response.status(), 200, "{content_type}");
            assert_eq!(
                response.headers()["grpc-status"],
                (tonic::Code::Unimplemented as i32).to_string().as_str()
            );
            assert!(response.headers().contains_key("grpc-status-details-bin"));
        }
    }

    #[test]
    fn protobuf_and_everything_else_pass() {
        for content_type in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/grpc-web-text",
            "application/grpc-web-text+proto",
            "application/json",
            "text/plain",
            "",
        ] {
            assert!(refused(content_type).is_none(), "{content_type}");
        }
    }
}
