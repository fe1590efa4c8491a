//! The request message size limit, enforced on the gRPC frame headers as the
//! body streams in, so an oversize message is refused before it is buffered
//! and the caller gets RESOURCE_EXHAUSTED with details (tonic's own limit,
//! kept as a backstop, answers OUT_OF_RANGE without them). It sits inside
//! the gRPC-web layer, so browsers' requests are already plain gRPC frames.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http_body::{Body, Frame, SizeHint};
use tonic::Status;
use tower::{Layer, Service};

use crate::api::errors::Failure;

const FRAME_HEADER: usize = 5;

#[derive(Debug, Clone)]
pub struct MessageLimitLayer {
    limit: usize,
}

impl MessageLimitLayer {
    pub fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for MessageLimitLayer {
    type Service = MessageLimit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MessageLimit {
            inner,
            limit: self.limit,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MessageLimit<S> {
    inner: S,
    limit: usize,
}

impl<S> Service<Request<tonic::body::Body>> for MessageLimit<S>
where
    S: Service<Request<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        let limit = self.limit;
        self.inner.call(request.map(|body| {
            tonic::body::Body::new(LimitedBody {
                inner: body,
                limit,
                header: [0; FRAME_HEADER],
                header_len: 0,
                remaining: 0,
            })
        }))
    }
}

/// Walks the gRPC framing (1 flag byte, 4 length bytes, message) of the
/// bytes passing through, checking each declared message length.
struct LimitedBody {
    inner: tonic::body::Body,
    limit: usize,
    header: [u8; FRAME_HEADER],
    header_len: usize,
    /// Message bytes still to pass before the next header.
    remaining: usize,
}

impl LimitedBody {
    fn inspect(&mut self, mut data: &[u8]) -> Result<(), Status> {
        while !data.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(data.len());
                self.remaining -= skip;
                data = &data[skip..];
                continue;
            }
            let take = (FRAME_HEADER - self.header_len).min(data.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
            self.header_len += take;
            data = &data[take..];
            if self.header_len == FRAME_HEADER {
                let len = u32::from_be_bytes([
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ]) as usize;
                if len > self.limit {
                    return Err(Failure::MessageTooLarge {
                        size: len,
                        limit: self.limit,
                    }
                    .into());
                }
                self.header_len = 0;
                self.remaining = len;
            }
        }
        Ok(())
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Err(status) = self.inspect(data)
                {
                    return Poll::Ready(Some(Err(status)));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(limit: usize) -> LimitedBody {
        LimitedBody {
            inner: tonic::body::Body::empty(),
            limit,
            header: [0; FRAME_HEADER],
            header_len: 0,
            remaining: 0,
        }
    }

    fn frame(len: u32) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend(std::iter::repeat_n(7u8, len as usize));
        out
    }

    #[test]
    fn messages_within_the_limit_pass_even_split_across_chunks() {
        let mut b = body(10);
        let stream = [frame(10), frame(3), frame(0)].concat();
        for chunk in stream.chunks(2) {
            assert!(b.inspect(chunk).is_ok());
        }
    }

    #[test]
    fn a_header_declaring_too_much_is_refused_even_when_split() {
        let mut b = body(10);
        let stream = [frame(4), frame(11)].concat();
        let (first, rest) = stream.split_at(11);
        assert!(b.inspect(first).is_ok());
        let status = b.inspect(rest).unwrap_err();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    }
}
