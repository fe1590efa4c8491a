//! Enrolment: an invited user redeems their one-time invitation code by
//! registering a first passkey, which activates them and signs them in on
//! the device they enrolled on.

use webauthn_rs::prelude::RegisterPublicKeyCredential;

use super::ceremonies::{
    CeremonyStart, creation_options_json, json_field, verification_failed, wrong_ceremony,
};
use super::passkey_records::CeremonyStep;
use super::passkeys::new_passkey;
use super::{Identity, Origin, Result, keys, now};
use crate::service::identity::secrets::hash;
use crate::service::identity::sessions::IssuedTokens;
use crate::store::Commit;
use crate::store::versioned::{get, get_value};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::input;
use tradeport_domain::identity::records::{Invitation, UserState};
use tradeport_domain::identity::sign_in::{may_enrol, usable_invitation};

impl Identity {
    /// Starts enrolment of a first passkey with an invitation code.
    pub fn start_enrolment(&self, code: &str, origin: &Origin) -> Result<CeremonyStart> {
        self.limits.login_from(&origin.source)?;
        let invitation_hash = hash(code.trim());
        let invitation = usable_invitation(
            get_value::<Invitation>(self.store(), &keys::invitation(&invitation_hash))?,
            now(),
        )?;
        let user = may_enrol(self.user(&invitation.user_id)?.map(|u| u.value))?;
        let (options, state) = self.start_registration(&user)?;
        let ceremony_id = self.store_ceremony(CeremonyStep::Enrolment {
            invitation_hash,
            user_id: user.id,
            state,
        })?;
        Ok(CeremonyStart {
            ceremony_id,
            options_json: creation_options_json(options)?,
        })
    }

    /// Finishes enrolment: the invitation is used up, the user becomes
    /// active, the passkey is stored and a session starts — in one commit.
    pub fn finish_enrolment(
        &self,
        ceremony_id: &str,
        credential_json: &str,
        passkey_name: &str,
        device_name: &str,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        // Before the ceremony is used up, so a fixed name can finish it.
        let passkey_name = input::label("passkey_name", passkey_name, false)?;
        let device_name = input::label("device_name", device_name, false)?;
        let CeremonyStep::Enrolment {
            invitation_hash,
            user_id,
            state,
        } = self.take_ceremony(ceremony_id)?
        else {
            return Err(wrong_ceremony());
        };
        let credential: RegisterPublicKeyCredential = json_field(credential_json)?;
        let passkey = match self
            .webauthn
            .finish_passkey_registration(&credential, &state)
        {
            Ok(passkey) => passkey,
            Err(e) => {
                let event = AuditEvent::new("passkey.enrolment_failed", &user_id, None, now())
                    .source(&origin.source)
                    .failed();
                self.audit_alone(self.scoped(event, &user_id)?)?;
                return Err(verification_failed(e));
            }
        };
        let invitation_key = keys::invitation(&invitation_hash);
        let invitation = get::<Invitation>(self.store(), &invitation_key)?.ok_or_else(|| {
            DomainError::unauthenticated(
                "INVITATION_INVALID",
                "this invitation code was already used",
            )
        })?;
        let user = self.user(&user_id)?.ok_or_else(wrong_ceremony)?;
        let mut active = user.value.clone();
        active.state = UserState::Active;
        let now = now();
        let (credential_id, stored) = new_passkey(&user_id, &passkey_name, passkey, now);
        let commit = Commit::new()
            .expect_version(&invitation_key, &invitation)
            .delete(invitation_key.clone())
            .expect_version(&keys::user(&user_id), &user)
            .put_record(&keys::user(&user_id), &active)?
            .put_record(&keys::passkey(&user_id, &credential_id), &stored)?;
        let (commit, tokens) = self.new_session(commit, &active, &device_name)?;
        let event = AuditEvent::new(
            "passkey.enrolled",
            &user_id,
            active.account_id.as_deref(),
            now,
        )
        .target(&credential_id)
        .detail("device", &device_name)
        .source(&origin.source);
        self.commit_or_used(self.audit(commit, event)?)?;
        Ok(tokens)
    }
}
