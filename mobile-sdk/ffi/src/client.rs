//! [`Client`]: the connection to a Tradeport server and the person's
//! session on it — enrolment, sign-in, who is signed in — and the door to
//! the offline [`Device`].

use std::sync::Arc;
use std::time::Duration;

use tradeport_mobile::{ClientConfig, Url};

use crate::authenticator::{Authenticator, Bridge};
use crate::device::Device;
use crate::error::TradeportError;
use crate::runtime;

/// A connection to one server. Connects lazily and reconnects by itself;
/// the session it signs in is used by every call and by devices opened
/// with it.
#[derive(uniffi::Object)]
pub struct Client {
    inner: tradeport_mobile::Client,
}

/// Who is signed in.
#[derive(Debug, uniffi::Record)]
pub struct Caller {
    pub user_id: String,
    /// The customer account the person buys for; empty for the brand's staff.
    pub account_id: String,
    pub display_name: String,
}

fn origin(text: &str) -> Result<Url, TradeportError> {
    Url::parse(text).map_err(|e| TradeportError::InvalidInput {
        field: "origin".to_owned(),
        reason: format!("{text:?} is not a URL: {e}"),
    })
}

#[uniffi::export]
impl Client {
    /// A client of the server at `address` (`https://host:port`; `http://`
    /// only on loopback). `ca_certificate_pem` replaces the system's roots,
    /// for private deployments and development servers; `deadline_ms`
    /// bounds each attempt of a call (0: the SDK's default).
    #[uniffi::constructor]
    pub fn connect(
        address: String,
        ca_certificate_pem: Option<String>,
        deadline_ms: u64,
    ) -> Result<Arc<Self>, TradeportError> {
        let mut config = ClientConfig::new(address);
        config.ca_certificate_pem = ca_certificate_pem.map(String::into_bytes);
        if deadline_ms > 0 {
            config.deadline = Duration::from_millis(deadline_ms);
        }
        // Building the channel needs a runtime to connect on later.
        let _runtime = runtime::enter();
        let inner = tradeport_mobile::Client::connect_lazy(config)?;
        Ok(Arc::new(Self { inner }))
    }

    /// Enrols this device's first passkey with a one-time invitation code
    /// and signs in. `origin` is the app's WebAuthn origin.
    pub async fn enrol(
        &self,
        authenticator: Arc<dyn Authenticator>,
        origin_url: String,
        invitation_code: String,
        passkey_name: String,
        device_name: String,
    ) -> Result<(), TradeportError> {
        let identity = self.inner.identity();
        let origin = origin(&origin_url)?;
        runtime::run(async move {
            let mut bridge = Bridge(authenticator);
            identity
                .enrol(
                    &mut bridge,
                    &origin,
                    &invitation_code,
                    &passkey_name,
                    &device_name,
                )
                .await?;
            Ok(())
        })
        .await
    }

    /// Signs in with a passkey: for the person with this email, or, with
    /// `None`, with any passkey the device holds for the portal.
    pub async fn sign_in(
        &self,
        authenticator: Arc<dyn Authenticator>,
        origin_url: String,
        username: Option<String>,
        device_name: String,
    ) -> Result<(), TradeportError> {
        let identity = self.inner.identity();
        let origin = origin(&origin_url)?;
        runtime::run(async move {
            let mut bridge = Bridge(authenticator);
            identity
                .login(&mut bridge, &origin, username.as_deref(), &device_name)
                .await?;
            Ok(())
        })
        .await
    }

    /// Whether this client holds a session.
    pub fn is_signed_in(&self) -> bool {
        self.inner.tokens().is_some()
    }

    /// Who the server says is signed in.
    pub async fn caller(&self) -> Result<Caller, TradeportError> {
        let identity = self.inner.identity();
        runtime::run(async move {
            let caller = identity
                .get_caller()
                .await
                .map_err(tradeport_mobile::Error::from)?;
            Ok(Caller {
                user_id: caller.user_id,
                account_id: caller.account_id,
                display_name: caller.display_name,
            })
        })
        .await
    }

    /// Opens (or creates) the signed-in person's local database in `dir`,
    /// which belongs to the device from then on: signing out deletes it.
    pub async fn open_device(&self, dir: String) -> Result<Arc<Device>, TradeportError> {
        let client = self.inner.clone();
        runtime::run_blocking(move || {
            let device = tradeport_mobile::Device::open(dir, client)?;
            Ok(Arc::new(Device::new(device)))
        })
        .await
    }
}
