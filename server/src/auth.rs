//! Who is calling. Every request passes through [`PrincipalLayer`], which
//! attaches the caller's [`Principal`] to the request for the api layer to
//! authorise against. Today every caller is anonymous and only the catalog
//! is served; token and API-key resolution plug in here, in this one layer.

use std::task::{Context, Poll};

use http::Request;
use tower::{Layer, Service};

/// The caller of an RPC, as established by the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were presented.
    Anonymous,
}

#[derive(Debug, Clone, Default)]
pub struct PrincipalLayer;

impl<S> Layer<S> for PrincipalLayer {
    type Service = ResolvePrincipal<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ResolvePrincipal { inner }
    }
}

#[derive(Debug, Clone)]
pub struct ResolvePrincipal<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for ResolvePrincipal<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // A client-supplied Principal extension cannot exist (extensions do
        // not cross the wire), so this insert is the only source of truth.
        request.extensions_mut().insert(Principal::Anonymous);
        self.inner.call(request)
    }
}
