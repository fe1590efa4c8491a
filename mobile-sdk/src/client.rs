//! The connection to a Tradeport server, who the calls on it are made as,
//! and the typed service clients on it. Credentials are attached in one
//! place, [`AuthInterceptor`], and never written to logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};
use tradeport_proto::catalog::{self as pb, catalog_service_client::CatalogServiceClient};
use tradeport_proto::identity::SessionTokens;

use crate::RetryPolicy;
use crate::credentials::{Credential, Credentials};
pub use crate::error::Error;
use crate::identity::IdentityClient;
use crate::session_store::SessionStore;

/// The metadata key a sales rep's calls name the customer account with.
pub const ON_BEHALF_OF_METADATA: &str = "x-tradeport-on-behalf-of";

/// How a [`Client`] reaches its server: the address, whom to trust, and
/// how long to wait and retry. Start from [`ClientConfig::new`] and change
/// the fields that differ.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host:port`; `http://` only for a server on loopback.
    pub address: String,
    /// PEM CA certificate to trust instead of the web PKI roots (private
    /// deployments, the dev server's self-signed certificate).
    pub ca_certificate_pem: Option<Vec<u8>>,
    /// Longest one attempt of a call may take; past it the call fails as
    /// [`Error::Offline`] and is not retried. Each retry of an UNAVAILABLE
    /// attempt gets the full deadline again.
    pub deadline: Duration,
    /// Longest opening the connection (TCP and TLS) may take before the
    /// server is taken as unreachable. Keep it short: a device out of
    /// coverage should learn so quickly.
    pub connect_timeout: Duration,
    /// How reads are retried while the server is UNAVAILABLE, and how the
    /// background sync loop backs off after a failure.
    pub retry: RetryPolicy,
}

impl ClientConfig {
    /// The configuration for the server at `address` (`https://host:port`),
    /// trusting the web PKI roots, with a 10 s deadline per attempt, a 5 s
    /// connect timeout and the default [`RetryPolicy`].
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            ca_certificate_pem: None,
            deadline: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }
}

/// A connection to one server, cheap to clone, shared by every service
/// client. Connects lazily and reconnects by itself.
///
/// Clones share the credentials: tokens set or refreshed through one clone
/// are used by all of them. [`Client::with_bearer`] starts a separate set,
/// and [`Client::with_on_behalf_of`] applies to the client it returns only.
#[derive(Debug, Clone)]
pub struct Client {
    channel: Channel,
    pub(crate) config: ClientConfig,
    pub(crate) credentials: Arc<Credentials>,
    on_behalf_of: Option<String>,
}

/// Adds the client's credentials to each call, read afresh for every
/// attempt so a refreshed token is picked up: `authorization: Bearer <token>`
/// when a session or a static bearer is held, and
/// `x-tradeport-on-behalf-of: <account id>` when set. Use it with any
/// generated client through [`Client::authorized_channel`].
#[derive(Debug, Clone)]
pub struct AuthInterceptor {
    credentials: Arc<Credentials>,
    on_behalf_of: Option<String>,
}

impl AuthInterceptor {
    fn apply(&self, metadata: &mut MetadataMap) -> Result<(), Status> {
        if let Some(token) = self.credentials.bearer() {
            let mut value =
                AsciiMetadataValue::try_from(format!("Bearer {token}")).map_err(|_| {
                    Status::unauthenticated("the bearer token is not valid header text")
                })?;
            // Keeps the token out of HTTP/2 header compression tables and
            // out of debug output.
            value.set_sensitive(true);
            metadata.insert("authorization", value);
        }
        if let Some(account) = &self.on_behalf_of {
            let value = AsciiMetadataValue::try_from(account.as_str()).map_err(|_| {
                Status::invalid_argument("the on-behalf-of account id is not valid header text")
            })?;
            metadata.insert(ON_BEHALF_OF_METADATA, value);
        }
        Ok(())
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        self.apply(request.metadata_mut())?;
        Ok(request)
    }
}

/// The channel with the client's credentials on every call.
pub type AuthorizedChannel = InterceptedService<Channel, AuthInterceptor>;

/// Whether a call may be sent again when the server is UNAVAILABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads, and calls whose repetition changes nothing that matters.
    Safe,
    /// Calls that consume single-use server state or act: a retry after an
    /// attempt that did reach the server would fail or act twice.
    Never,
}

impl ClientConfig {
    /// One RPC with the deadline on each attempt and, for [`Retry::Safe`]
    /// calls, the retry policy around them.
    pub(crate) async fn call<C, M, R, F, Fut>(
        &self,
        retry: Retry,
        client: &C,
        message: M,
        rpc: F,
    ) -> Result<R, Status>
    where
        C: Clone,
        M: Clone,
        F: Fn(C, Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let attempt = || {
            let mut request = Request::new(message.clone());
            request.set_timeout(self.deadline);
            let response = rpc(client.clone(), request);
            async move { response.await.map(tonic::Response::into_inner) }
        };
        match retry {
            Retry::Safe => self.retry.run(attempt).await,
            Retry::Never => attempt().await,
        }
    }
}

impl Client {
    /// Prepares the connection without dialling: the first call connects, so
    /// an app can start offline.
    pub fn connect_lazy(config: ClientConfig) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidAddress {
            address: config.address.clone(),
            reason,
        };
        let mut endpoint = Endpoint::from_shared(config.address.clone())
            .map_err(|e| invalid(e.to_string()))?
            .connect_timeout(config.connect_timeout)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10))
            .tcp_nodelay(true);
        match endpoint.uri().scheme_str() {
            Some("https") => {
                let tls = match &config.ca_certificate_pem {
                    Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                    None => ClientTlsConfig::new().with_webpki_roots(),
                };
                endpoint = endpoint
                    .tls_config(tls)
                    .map_err(|e| Error::Tls(e.to_string()))?;
            }
            Some("http") => {}
            other => return Err(invalid(format!("scheme {other:?} is not https or http"))),
        }
        Ok(Self {
            channel: endpoint.connect_lazy(),
            config,
            credentials: Arc::default(),
            on_behalf_of: None,
        })
    }

    /// The bare channel: no credentials are added to calls made on it.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The channel with this client's credentials on every call, for the
    /// generated clients of services this SDK does not wrap yet.
    pub fn authorized_channel(&self) -> AuthorizedChannel {
        InterceptedService::new(self.channel.clone(), self.interceptor())
    }

    /// What adds this client's credentials to a call, for building a
    /// channel of one's own (e.g. with other tower layers); most apps use
    /// [`Client::authorized_channel`].
    pub fn interceptor(&self) -> AuthInterceptor {
        AuthInterceptor {
            credentials: self.credentials.clone(),
            on_behalf_of: self.on_behalf_of.clone(),
        }
    }

    /// This client with a static bearer, such as a partner app's API key,
    /// sent on every call. The returned client has its own credentials: the
    /// clones of `self` keep theirs.
    pub fn with_bearer(self, token: impl Into<String>) -> Self {
        Self {
            credentials: Arc::new(Credentials {
                current: Mutex::new(Credential::Bearer(token.into())),
                ..Credentials::default()
            }),
            ..self
        }
    }

    /// This client acting for a customer account, as a sales rep does: every
    /// call names the account in `x-tradeport-on-behalf-of`. `None` acts for
    /// the caller's own account. The server decides whether the caller may.
    pub fn with_on_behalf_of(self, account_id: Option<String>) -> Self {
        Self {
            on_behalf_of: account_id,
            ..self
        }
    }

    /// The customer account this client acts for (see
    /// [`Client::with_on_behalf_of`]); `None` when it acts for the caller's
    /// own account.
    pub fn on_behalf_of(&self) -> Option<&str> {
        self.on_behalf_of.as_deref()
    }

    /// This client keeping its session in `store` (the platform keystore,
    /// see [`SessionStore`]): the session saved there is restored now, and
    /// from here on every sign-in and refresh saves the new tokens and
    /// signing out clears them. The returned client has its own
    /// credentials (those of `self` are not carried over); its clones
    /// share them.
    pub fn with_session_store(self, store: Arc<dyn SessionStore>) -> Result<Self, Error> {
        Ok(Self {
            credentials: Arc::new(Credentials::restored(store)?),
            ..self
        })
    }

    /// This client signed in with `tokens` alone, sharing nothing with
    /// `self`'s credentials and saving nothing: for ending a session that
    /// is no longer the client's own.
    pub(crate) fn with_session_only(&self, tokens: SessionTokens) -> Self {
        Self {
            credentials: Arc::new(Credentials {
                current: Mutex::new(Credential::Session(tokens)),
                ..Credentials::default()
            }),
            ..self.clone()
        }
    }

    /// Signs this client (and its clones) in with a session's tokens, e.g.
    /// ones the app kept itself since its last run (with a
    /// [`SessionStore`], the client restores them on its own). The identity
    /// flows call it themselves. They are saved to the session store if
    /// there is one; a failure to save is logged, and the session works
    /// for this run all the same.
    pub fn set_tokens(&self, tokens: SessionTokens) {
        if let Err(error) = self.credentials.set_session(tokens) {
            tracing::warn!(%error, "the session could not be saved");
        }
    }

    /// The current session's tokens, for the app to keep in the platform
    /// keystore; `None` when not signed in with a session.
    pub fn tokens(&self) -> Option<SessionTokens> {
        self.credentials.session()
    }

    /// Forgets the session or bearer locally (and in the session store);
    /// calls go out anonymous.
    pub fn clear_tokens(&self) {
        if let Err(error) = self.credentials.clear() {
            tracing::warn!(%error, "the saved session could not be cleared");
        }
    }

    /// How many sign-outs the server has not confirmed yet (made offline):
    /// they are sent again with the next sync or sign-in.
    pub fn pending_logouts(&self) -> usize {
        self.credentials.pending_logouts().len()
    }

    /// The online catalog (live search with filters and facets, the
    /// category tree), called with this client's credentials. Offline
    /// search is [`Device::search`](crate::Device::search).
    pub fn catalog(&self) -> CatalogClient {
        CatalogClient {
            inner: CatalogServiceClient::new(self.authorized_channel()),
            config: self.config.clone(),
        }
    }

    /// Passkey enrolment and sign-in, session refresh, and the caller's
    /// devices and passkeys; sessions it starts are stored in this client.
    pub fn identity(&self) -> IdentityClient {
        IdentityClient::new(self.clone())
    }
}

/// CatalogService, with deadlines and retries.
#[derive(Debug, Clone)]
pub struct CatalogClient {
    inner: CatalogServiceClient<AuthorizedChannel>,
    config: ClientConfig,
}

impl CatalogClient {
    /// Every CatalogService RPC is a read, so each may be retried.
    async fn call<M, R, F, Fut>(&self, message: M, rpc: F) -> Result<R, Status>
    where
        M: Clone,
        F: Fn(CatalogServiceClient<AuthorizedChannel>, Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        self.config
            .call(Retry::Safe, &self.inner, message, rpc)
            .await
    }

    /// The brand's category tree, depth first, each category with its
    /// parent, for building a category browser.
    pub async fn list_categories(
        &self,
        message: pb::ListCategoriesRequest,
    ) -> Result<pb::ListCategoriesResponse, Status> {
        self.call(
            message,
            |mut c, r| async move { c.list_categories(r).await },
        )
        .await
    }

    /// Searches the catalog on the server: full text with category and
    /// attribute filters, sorting, paging and facet counts. Needs the
    /// network; the local copy's search is [`Device::search`](crate::Device::search).
    pub async fn search_products(
        &self,
        message: pb::SearchProductsRequest,
    ) -> Result<pb::SearchProductsResponse, Status> {
        self.call(
            message,
            |mut c, r| async move { c.search_products(r).await },
        )
        .await
    }

    /// One product by its id, with the other variants of its family;
    /// NOT_FOUND when it does not exist or the caller may not see it.
    pub async fn get_product(&self, id: impl Into<String>) -> Result<pb::Product, Status> {
        let message = pb::GetProductRequest { id: id.into() };
        self.call(message, |mut c, r| async move { c.get_product(r).await })
            .await?
            .product
            .ok_or_else(|| Status::internal("server answered GetProduct without a product"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::connect_lazy(ClientConfig::new("http://127.0.0.1:9")).unwrap()
    }

    fn metadata_of(client: &Client) -> Result<MetadataMap, Status> {
        client
            .interceptor()
            .call(Request::new(()))
            .map(|r| r.metadata().clone())
    }

    fn tokens(access_token: &str) -> SessionTokens {
        SessionTokens {
            access_token: access_token.to_string(),
            refresh_token: "tpr_secret".to_string(),
            user_id: "usr_1".to_string(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn anonymous_calls_carry_no_credentials() {
        let metadata = metadata_of(&client()).unwrap();
        assert!(metadata.get("authorization").is_none());
        assert!(metadata.get(ON_BEHALF_OF_METADATA).is_none());
    }

    #[tokio::test]
    async fn tokens_are_shared_by_clones_and_read_on_every_call() {
        let client = client();
        let clone = client.clone();
        client.set_tokens(tokens("tpa_one"));
        assert_eq!(
            metadata_of(&clone).unwrap().get("authorization").unwrap(),
            "Bearer tpa_one"
        );
        clone.set_tokens(tokens("tpa_two"));
        assert_eq!(
            metadata_of(&client).unwrap().get("authorization").unwrap(),
            "Bearer tpa_two"
        );
        client.clear_tokens();
        assert!(metadata_of(&clone).unwrap().get("authorization").is_none());
    }

    #[tokio::test]
    async fn a_bearer_and_an_account_apply_to_the_returned_client_only() {
        let client = client();
        let partner = client
            .clone()
            .with_bearer("tpk_key")
            .with_on_behalf_of(Some("acc_7".to_string()));
        let metadata = metadata_of(&partner).unwrap();
        assert_eq!(metadata.get("authorization").unwrap(), "Bearer tpk_key");
        assert_eq!(metadata.get(ON_BEHALF_OF_METADATA).unwrap(), "acc_7");
        assert_eq!(partner.tokens(), None);
        assert!(metadata_of(&client).unwrap().is_empty());

        let broken = client.with_bearer("line\nbreak");
        let status = metadata_of(&broken).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert!(!status.message().contains("line"));
    }

    #[tokio::test]
    async fn debug_output_never_shows_a_token() {
        let client = client();
        client.set_tokens(tokens("tpa_secret"));
        let session = format!("{client:?}");
        assert!(session.contains("usr_1"), "{session}");
        let partner = format!("{:?}", client.with_bearer("tpk_secret"));
        for shown in [session, partner] {
            assert!(!shown.contains("secret"), "{shown}");
        }
    }
}
