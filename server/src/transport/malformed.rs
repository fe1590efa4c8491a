//! Requests whose bytes are not a message of the method called (not
//! protobuf, invalid UTF-8 in a string field, a broken gRPC frame) are the
//! caller's fault. tonic's codec answers them INTERNAL, which reads as our
//! fault and logs as a failure; this layer answers INVALID_ARGUMENT with
//! details instead (see `api::errors`), logged at debug only. It must
//! never touch a status our own code chose: it looks only at the
//! INTERNAL answers tonic gives before any handler decided anything, which
//! are recognised by tonic's own wording.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::api::errors::Failure;

/// How tonic's codec begins the INTERNAL messages it gives for a request
/// it could not read: prost's decode errors, bad frame flags, a frame cut
/// short, no message at all, a compressed message that does not inflate.
const UNREADABLE: &[&str] = &[
    "failed to decode Protobuf message",
    "protocol error: received message with",
    "Unexpected EOF decoding stream",
    "Missing request message",
    "Error decompressing:",
];

/// Whether `status` is tonic's answer to a request it could not read.
pub fn unreadable(status: &Status) -> bool {
    status.code() == Code::Internal && UNREADABLE.iter().any(|p| status.message().starts_with(p))
}

#[derive(Debug, Clone, Default)]
pub struct MalformedRequestLayer;

impl<S> Layer<S> for MalformedRequestLayer {
    type Service = MalformedRequest<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MalformedRequest { inner }
    }
}

#[derive(Debug, Clone)]
pub struct MalformedRequest<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for MalformedRequest<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            // A status given before any message is sent travels in the
            // headers (a trailers-only answer).
            let status = response
                .extensions()
                .get::<Status>()
                .cloned()
                .or_else(|| Status::from_header_map(response.headers()));
            match status {
                Some(status) if unreadable(&status) => {
                    tracing::debug!(message = %status.message(), "unreadable request");
                    let (parts, _) = response.into_parts();
                    let mut answer: Response<tonic::body::Body> =
                        Status::from(Failure::Malformed(status.message().to_string())).into_http();
                    // Keep what outer layers and the router set (request
                    // id, CORS), but the status and its details are ours.
                    for (name, value) in &parts.headers {
                        if !name.as_str().starts_with("grpc-") {
                            answer.headers_mut().insert(name.clone(), value.clone());
                        }
                    }
                    Ok(answer)
                }
                _ => Ok(response),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tonics_own_unreadable_answers_are_the_callers_fault() {
        assert!(unreadable(&Status::internal(
            "failed to decode Protobuf message: invalid tag value: 0"
        )));
        assert!(unreadable(&Status::internal(
            "Unexpected EOF decoding stream."
        )));
        assert!(!unreadable(&Status::internal("internal failure")));
        assert!(!unreadable(&Status::invalid_argument(
            "failed to decode Protobuf message"
        )));
    }
}
