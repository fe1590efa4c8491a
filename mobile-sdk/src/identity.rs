//! IdentityService: passkey enrolment and sign-in as single calls, session
//! refresh, and the caller's devices and passkeys.
//!
//! A flow is StartX → the device's [`Authenticator`] → FinishX, with the
//! WebAuthn options and credential as JSON in between. Only calls whose
//! repetition is harmless are retried when the server is UNAVAILABLE:
//! reads, and the Start calls (a repeated start only opens another ceremony;
//! the unused one expires). Finish calls and RefreshSession are sent once:
//! they consume single-use server state (the ceremony and its challenge, the
//! invitation code, the refresh token), so if a first attempt did reach the
//! server, a second one would be refused, and a reused refresh token may be
//! taken for a stolen one. A failed finish is restarted from its Start.
//! Mutations (Logout, RevokeDevice, RemovePasskey) are not retried either.

use tonic::Status;
use tonic::transport::Channel;
use tradeport_proto::identity::{
    self as pb, SessionTokens, identity_service_client::IdentityServiceClient,
};
use url::Url;

use crate::client::{AuthorizedChannel, Client, Error, Retry};
use crate::passkey::{Authenticator, CreationChallengeResponse, RequestChallengeResponse};

/// IdentityService on a [`Client`], from [`Client::identity`]. Sessions it
/// starts or refreshes are stored in the client, and every later call of the
/// client and its clones is made with them.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    client: Client,
    /// For the public RPCs: no credentials are sent, so a stale or expired
    /// access token cannot get a sign-in or a refresh refused, and one
    /// user's token never accompanies another's sign-in.
    public: IdentityServiceClient<Channel>,
    authorized: IdentityServiceClient<AuthorizedChannel>,
}

impl IdentityClient {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            public: IdentityServiceClient::new(client.channel()),
            authorized: IdentityServiceClient::new(client.authorized_channel()),
            client,
        }
    }

    /// The generated client with this client's credentials on every call,
    /// for the RPCs without a wrapper here (invitations, users, API keys,
    /// applications, the audit log). It sets no deadline and never retries.
    pub fn raw(&self) -> IdentityServiceClient<AuthorizedChannel> {
        self.authorized.clone()
    }

    /// Enrols the device's first passkey with a one-time invitation code
    /// and signs in: the returned session is stored in the client.
    pub async fn enrol(
        &self,
        authenticator: &mut dyn Authenticator,
        origin: &Url,
        invitation_code: &str,
        passkey_name: &str,
        device_name: &str,
    ) -> Result<SessionTokens, Error> {
        let start = pb::StartEnrolmentRequest {
            invitation_code: invitation_code.to_string(),
        };
        let start = self
            .call_public(Retry::Safe, start, |mut c, r| async move {
                c.start_enrolment(r).await
            })
            .await?;
        let credential_json = register(
            authenticator,
            origin,
            &start.creation_options_json,
            "StartEnrolment's creation options",
        )?;
        let finish = pb::FinishEnrolmentRequest {
            ceremony_id: start.ceremony_id,
            credential_json,
            passkey_name: passkey_name.to_string(),
            device_name: device_name.to_string(),
        };
        let finish = self
            .call_public(Retry::Never, finish, |mut c, r| async move {
                c.finish_enrolment(r).await
            })
            .await?;
        let tokens = self.store(finish.tokens, "FinishEnrolment")?;
        self.retry_logouts_quietly().await;
        Ok(tokens)
    }

    /// Signs in with a passkey: for the named user (their email), or with
    /// `None` usernameless, letting the person pick any passkey the device
    /// holds for the portal. The session is stored in the client.
    pub async fn login(
        &self,
        authenticator: &mut dyn Authenticator,
        origin: &Url,
        username: Option<&str>,
        device_name: &str,
    ) -> Result<SessionTokens, Error> {
        let start = pb::StartLoginRequest {
            username: username.unwrap_or_default().to_string(),
        };
        let start = self
            .call_public(Retry::Safe, start, |mut c, r| async move {
                c.start_login(r).await
            })
            .await?;
        // The server sends the options alone, as browsers take them; the
        // authenticator gets them in webauthn-rs's wrapper.
        let options = RequestChallengeResponse {
            public_key: serde_json::from_str(&start.request_options_json)
                .map_err(|source| Error::json("StartLogin's request options", source))?,
            mediation: None,
        };
        let credential = authenticator.authenticate(origin, options)?;
        let credential_json = serde_json::to_string(&credential)
            .map_err(|source| Error::json("the passkey assertion", source))?;
        let finish = pb::FinishLoginRequest {
            ceremony_id: start.ceremony_id,
            credential_json,
            device_name: device_name.to_string(),
        };
        let finish = self
            .call_public(Retry::Never, finish, |mut c, r| async move {
                c.finish_login(r).await
            })
            .await?;
        let tokens = self.store(finish.tokens, "FinishLogin")?;
        self.retry_logouts_quietly().await;
        Ok(tokens)
    }

    /// Online again (a sign-in just went through): an earlier offline
    /// sign-out's Logout goes out now. Its failure is not the sign-in's.
    async fn retry_logouts_quietly(&self) {
        if self.client.pending_logouts() > 0
            && let Err(error) = self.retry_logouts().await
        {
            tracing::warn!(%error, "pending sign-outs could not be sent");
        }
    }

    /// Exchanges the stored refresh token for new tokens and stores them.
    /// Concurrent refreshes on one client (and its clones) run one at a
    /// time, each with the then-current refresh token. Sent once (see the
    /// module documentation); on UNAUTHENTICATED the session is over and
    /// the person signs in again.
    pub async fn refresh(&self) -> Result<SessionTokens, Error> {
        let credentials = &self.client.credentials;
        let _one_at_a_time = credentials.refresh.lock().await;
        let refresh_token = credentials
            .session()
            .map(|tokens| tokens.refresh_token)
            .ok_or(Error::NotSignedIn)?;
        let request = pb::RefreshSessionRequest { refresh_token };
        let response = self
            .call_public(Retry::Never, request, |mut c, r| async move {
                c.refresh_session(r).await
            })
            .await?;
        self.store(response.tokens, "RefreshSession")
    }

    /// Adds another passkey for the signed-in caller, e.g. on a second
    /// device signed in with the first one.
    pub async fn add_passkey(
        &self,
        authenticator: &mut dyn Authenticator,
        origin: &Url,
        name: &str,
    ) -> Result<pb::Passkey, Error> {
        let start = self
            .call(
                Retry::Safe,
                pb::StartAddPasskeyRequest {},
                |mut c, r| async move { c.start_add_passkey(r).await },
            )
            .await?;
        let credential_json = register(
            authenticator,
            origin,
            &start.creation_options_json,
            "StartAddPasskey's creation options",
        )?;
        let finish = pb::FinishAddPasskeyRequest {
            ceremony_id: start.ceremony_id,
            credential_json,
            passkey_name: name.to_string(),
        };
        self.call(Retry::Never, finish, |mut c, r| async move {
            c.finish_add_passkey(r).await
        })
        .await?
        .passkey
        .ok_or(Error::IncompleteAnswer {
            rpc: "FinishAddPasskey",
            field: "passkey",
        })
    }

    /// Ends the session on this device. The tokens are forgotten locally
    /// whatever the server answers: the person asked to be signed out.
    pub async fn logout(&self) -> Result<(), Status> {
        let result = self
            .call(Retry::Never, pb::LogoutRequest {}, |mut c, r| async move {
                c.logout(r).await
            })
            .await;
        self.client.clear_tokens();
        result.map(drop)
    }

    /// Who the session is: user id, customer account (empty for brand
    /// staff), roles, the account acted for and the display name. Call it
    /// after sign-in to know which account to create drafts for.
    pub async fn get_caller(&self) -> Result<pb::GetCallerResponse, Status> {
        self.call(
            Retry::Safe,
            pb::GetCallerRequest {},
            |mut c, r| async move { c.get_caller(r).await },
        )
        .await
    }

    /// The devices the caller is signed in on, with when each signed in
    /// and was last used; `current` marks this one. For a "signed-in
    /// devices" screen.
    pub async fn list_devices(
        &self,
        request: pb::ListDevicesRequest,
    ) -> Result<pb::ListDevicesResponse, Status> {
        self.call(Retry::Safe, request, |mut c, r| async move {
            c.list_devices(r).await
        })
        .await
    }

    /// Ends the caller's session on one of their devices (a lost phone):
    /// its tokens stop working, so it must sign in again before its next
    /// call. `device_id` is from [`IdentityClient::list_devices`].
    pub async fn revoke_device(&self, device_id: impl Into<String>) -> Result<(), Status> {
        let request = pb::RevokeDeviceRequest {
            device_id: device_id.into(),
        };
        self.call(Retry::Never, request, |mut c, r| async move {
            c.revoke_device(r).await
        })
        .await
        .map(drop)
    }

    /// The caller's passkeys, for a screen where the person removes one
    /// they no longer use (see [`IdentityClient::remove_passkey`]).
    pub async fn list_passkeys(&self) -> Result<Vec<pb::Passkey>, Status> {
        let request = pb::ListPasskeysRequest {};
        self.call(Retry::Safe, request, |mut c, r| async move {
            c.list_passkeys(r).await
        })
        .await
        .map(|response| response.passkeys)
    }

    /// Removes one of the caller's passkeys; the server keeps the last one.
    pub async fn remove_passkey(&self, passkey_id: impl Into<String>) -> Result<(), Status> {
        let request = pb::RemovePasskeyRequest {
            passkey_id: passkey_id.into(),
        };
        self.call(Retry::Never, request, |mut c, r| async move {
            c.remove_passkey(r).await
        })
        .await
        .map(drop)
    }

    /// A call with the client's credentials.
    async fn call<M, R, F, Fut>(&self, retry: Retry, message: M, rpc: F) -> Result<R, Status>
    where
        M: Clone,
        F: Fn(IdentityServiceClient<AuthorizedChannel>, tonic::Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        self.client
            .config
            .call(retry, &self.authorized, message, rpc)
            .await
    }

    /// A call without credentials, for sign-in and refresh.
    async fn call_public<M, R, F, Fut>(&self, retry: Retry, message: M, rpc: F) -> Result<R, Status>
    where
        M: Clone,
        F: Fn(IdentityServiceClient<Channel>, tonic::Request<M>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        self.client
            .config
            .call(retry, &self.public, message, rpc)
            .await
    }

    fn store(
        &self,
        tokens: Option<SessionTokens>,
        rpc: &'static str,
    ) -> Result<SessionTokens, Error> {
        let tokens = tokens.ok_or(Error::IncompleteAnswer {
            rpc,
            field: "tokens",
        })?;
        // Set for this run even when saving fails: the error says the
        // session will not survive a restart.
        self.client.credentials.set_session(tokens.clone())?;
        Ok(tokens)
    }

    /// Sends again the sign-outs the server has not confirmed (a person
    /// who signed out offline): each session is ended on the server with
    /// its own tokens — refreshed first if its access token expired — and
    /// forgotten once the server confirms it or refuses the tokens for
    /// good. Runs with every [`Device::sync_now`](crate::Device::sync_now)
    /// and after each sign-in; returns how many are still pending (offline,
    /// all of them).
    pub async fn retry_logouts(&self) -> Result<usize, Error> {
        let credentials = &self.client.credentials;
        let _one_at_a_time = credentials.retrying_logouts.lock().await;
        for tokens in credentials.pending_logouts() {
            let device_id = tokens.device_id.clone();
            match self.end_session(tokens).await {
                Ok(()) => credentials.update_pending_logout(&device_id, None)?,
                // Offline, or the server did not confirm: it stays pending.
                Err(
                    error @ (Error::Status(_)
                    | Error::Offline { .. }
                    | Error::ServerCertificate { .. }),
                ) => {
                    tracing::info!(%error, "a sign-out is still not confirmed by the server");
                    return Ok(credentials.pending_logouts().len());
                }
                Err(other) => return Err(other),
            }
        }
        Ok(credentials.pending_logouts().len())
    }

    /// Ends the session `tokens` belong to; `Ok` also when the server says
    /// it is over already. Refreshed tokens replace the pending ones before
    /// the Logout goes out, so a failure after the refresh keeps the new,
    /// unused refresh token.
    async fn end_session(&self, tokens: SessionTokens) -> Result<(), Error> {
        let device_id = tokens.device_id.clone();
        let alone = self.client.with_session_only(tokens).identity();
        let logout = || {
            alone.call(Retry::Never, pb::LogoutRequest {}, |mut c, r| async move {
                c.logout(r).await
            })
        };
        match logout().await {
            Ok(_) => return Ok(()),
            Err(status) if session_is_over(&status) => {}
            Err(status) => return Err(status.into()),
        }
        // The access token expired, or the session is over: a refresh tells.
        match alone.refresh().await {
            Ok(fresh) => {
                self.client
                    .credentials
                    .update_pending_logout(&device_id, Some(fresh))?;
            }
            Err(Error::Status(status)) if session_is_over(&status) => return Ok(()),
            Err(other) => return Err(other),
        }
        match logout().await {
            Ok(_) => Ok(()),
            Err(status) if session_is_over(&status) => Ok(()),
            Err(status) => Err(status.into()),
        }
    }
}

/// The server will never take these tokens again: they are unknown,
/// revoked or expired, or the session ended already.
fn session_is_over(status: &Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unauthenticated | tonic::Code::NotFound | tonic::Code::PermissionDenied
    )
}

/// Creates a passkey from the server's creation options, returning the
/// credential as the JSON the Finish call carries.
fn register(
    authenticator: &mut dyn Authenticator,
    origin: &Url,
    creation_options_json: &str,
    what: &'static str,
) -> Result<String, Error> {
    let options = CreationChallengeResponse {
        public_key: serde_json::from_str(creation_options_json)
            .map_err(|source| Error::json(what, source))?,
    };
    let credential = authenticator.register(origin, options)?;
    serde_json::to_string(&credential)
        .map_err(|source| Error::json("the new passkey's credential", source))
}
