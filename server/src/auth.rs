//! Who is calling. One tower layer, in front of every service, resolves the
//! `authorization: Bearer …` credential (a session's access token or an API
//! key) to a [`Principal`] and attaches it to the request; it decides
//! nothing else. What that principal may do is decided in the use cases,
//! each of which authorises its caller. Only the open RPCs — health,
//! reflection, applying for an account, enrolment, sign-in and refresh —
//! are served without a credential.
//!
//! A sales rep acts for a customer by adding `x-tradeport-on-behalf-of:
//! <account id>`; the identity use case `act_on_behalf` checks the
//! assignment and records the call in that account's audit trail. A
//! signed-in caller denied something that exists but is not theirs is
//! answered as if it did not exist, and the attempt is recorded in the
//! brand's trail once the call has answered (`identity::denied`).

use crate::service::ServiceError;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use crate::api::errors::Failure;
use crate::service::identity::denied;
use crate::service::identity::{Identity, Origin};
use crate::transport::client_address::ClientAddress;
use tradeport_domain::DomainError;
pub use tradeport_domain::identity::Principal;

pub const ON_BEHALF_OF: &str = "x-tradeport-on-behalf-of";

/// RPCs served without credentials.
const OPEN: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/tradeport.identity.v1.IdentityService/ApplyForAccount",
    "/tradeport.identity.v1.IdentityService/StartEnrolment",
    "/tradeport.identity.v1.IdentityService/FinishEnrolment",
    "/tradeport.identity.v1.IdentityService/StartLogin",
    "/tradeport.identity.v1.IdentityService/FinishLogin",
    "/tradeport.identity.v1.IdentityService/RefreshSession",
];

pub fn is_open(path: &str) -> bool {
    OPEN.iter().any(|open| {
        if open.ends_with('/') {
            path.starts_with(open)
        } else {
            path == *open
        }
    })
}

/// The caller's address, over TLS or plaintext.
pub fn peer(extensions: &http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|t| t.get_ref().remote_addr())
        })
}

/// Where a call comes from: the client address the transport found (a
/// trusted proxy's client), else the peer's.
pub fn origin_of(extensions: &http::Extensions) -> Origin {
    let address = extensions
        .get::<ClientAddress>()
        .map(|c| c.0)
        .or_else(|| peer(extensions).map(|a| a.ip()));
    Origin {
        source: address.map(|a| a.to_string()).unwrap_or_default(),
    }
}

#[derive(Clone)]
pub struct PrincipalLayer {
    identity: Arc<Identity>,
    fixed: Option<Principal>,
}

impl PrincipalLayer {
    pub fn new(identity: Arc<Identity>) -> Self {
        Self {
            identity,
            fixed: None,
        }
    }

    /// Every call is `principal`, with no credential checked: only for
    /// measuring what the credential check costs (the load benchmark). No
    /// configuration of the server binary can select it.
    pub fn unchecked_for_benchmarks(identity: Arc<Identity>, principal: Principal) -> Self {
        Self {
            identity,
            fixed: Some(principal),
        }
    }
}

impl<S> Layer<S> for PrincipalLayer {
    type Service = ResolvePrincipal<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ResolvePrincipal {
            inner,
            identity: Arc::clone(&self.identity),
            fixed: self.fixed.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ResolvePrincipal<S> {
    inner: S,
    identity: Arc<Identity>,
    fixed: Option<Principal>,
}

impl<S> ResolvePrincipal<S> {
    fn principal<B>(&self, request: &Request<B>) -> Result<Principal, ServiceError> {
        if let Some(fixed) = &self.fixed {
            return Ok(fixed.clone());
        }
        let path = request.uri().path();
        let bearer = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(bearer) = bearer else {
            return if is_open(path) {
                Ok(Principal::Anonymous)
            } else {
                Err(DomainError::unauthenticated(
                    "CREDENTIALS_REQUIRED",
                    "sign in: send \"authorization: Bearer <access token or API key>\"",
                )
                .into())
            };
        };
        let caller = match self.identity.resolve(bearer) {
            Ok(caller) => caller,
            // A stale token must not stand in the way of signing in again.
            Err(ServiceError::Domain(DomainError::Unauthenticated { .. })) if is_open(path) => {
                return Ok(Principal::Anonymous);
            }
            Err(e) => return Err(e),
        };
        let Some(account) = request
            .headers()
            .get(ON_BEHALF_OF)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
        else {
            return Ok(Principal::Caller(caller));
        };
        let origin = origin_of(request.extensions());
        let acting = self
            .identity
            .act_on_behalf(caller, account, path, &origin)?;
        Ok(Principal::Caller(acting))
    }
}

impl<S, B> Service<Request<B>> for ResolvePrincipal<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        match self.principal(&request) {
            Ok(principal) => {
                let watched = match &principal {
                    Principal::Caller(caller) => Some((
                        caller.clone(),
                        request.uri().path().to_string(),
                        origin_of(request.extensions()),
                    )),
                    _ => None,
                };
                // Extensions do not cross the wire, so a client cannot have
                // put a Principal there: this insert is the only source.
                request.extensions_mut().insert(principal);
                let call = self.inner.call(request);
                let Some((caller, rpc, origin)) = watched else {
                    return Box::pin(call);
                };
                // A signed-in caller's denied attempts are recorded once the
                // call has answered (see `identity::denied`).
                let identity = Arc::clone(&self.identity);
                Box::pin(denied::recorded(identity, caller, rpc, origin, call))
            }
            Err(e) => {
                let status = tonic::Status::from(Failure::from(e));
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}
