//! The connection to a Tradeport server and the typed service clients on it.

use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Request, Status};
use tradeport_proto::catalog::{self as pb, catalog_service_client::CatalogServiceClient};

use crate::RetryPolicy;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid server address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host:port`; `http://` only for a server on loopback.
    pub address: String,
    /// PEM CA certificate to trust instead of the web PKI roots (private
    /// deployments, the dev server's self-signed certificate).
    pub ca_certificate_pem: Option<Vec<u8>>,
    /// Longest one attempt of a call may take.
    pub deadline: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
}

impl ClientConfig {
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
#[derive(Debug, Clone)]
pub struct Client {
    channel: Channel,
    config: ClientConfig,
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
        })
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn catalog(&self) -> CatalogClient {
        CatalogClient {
            inner: CatalogServiceClient::new(self.channel.clone()),
            config: self.config.clone(),
        }
    }
}

/// CatalogService, with deadlines and retries.
#[derive(Debug, Clone)]
pub struct CatalogClient {
    inner: CatalogServiceClient<Channel>,
    config: ClientConfig,
}

impl CatalogClient {
    /// One RPC with this client's deadline on each attempt and its retry
    /// policy around them.
    async fn call<M, R, F, Fut>(&self, message: M, rpc: F) -> Result<R, Status>
    where
        M: Clone,
        F: Fn(CatalogServiceClient<Channel>, Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        self.config
            .retry
            .run(|| {
                let mut request = Request::new(message.clone());
                request.set_timeout(self.config.deadline);
                let response = rpc(self.inner.clone(), request);
                async move { response.await.map(tonic::Response::into_inner) }
            })
            .await
    }

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

    pub async fn get_product(&self, id: impl Into<String>) -> Result<pb::Product, Status> {
        let message = pb::GetProductRequest { id: id.into() };
        self.call(message, |mut c, r| async move { c.get_product(r).await })
            .await?
            .product
            .ok_or_else(|| Status::internal("server answered GetProduct without a product"))
    }
}
