//! What erasing a person (GDPR art. 17) does to each kind of record that
//! copied their personal data: the user record is pseudonymised, and every
//! copy of their name, email and device names elsewhere — audit details,
//! applications, the account's contacts, remembered replies, sessions —
//! is replaced by [`ERASED`] or removed. The user id stays: orders and
//! ledger entries keep pointing at it, attributed to nobody.
//!
//! Erasure is the one change the audit trail allows to past records: its
//! details lose the person, the events themselves stay. Matching is by
//! text, so it must never erase more than the person: names and emails are
//! matched everywhere, the names of their devices only in their own
//! records (a device called "Laptop" is not personal data of everyone).

use super::audit::AuditEvent;
use super::records::{Account, Application, Contact, Session, User};

/// What a pseudonymised value reads.
pub const ERASED: &str = "[erased]";
/// The name an erased user is listed under.
pub const ERASED_NAME: &str = "Erased user";
/// Terms shorter than this are not searched for: a one-letter display name
/// would otherwise erase half the trail.
const MIN_TERM_CHARS: usize = 3;

/// The person being erased, as their data appears in copies.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub user_id: String,
    /// The display name, and any name an application gave them.
    pub names: Vec<String>,
    pub emails: Vec<String>,
    /// Names of their devices and passkeys.
    pub device_names: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn terms(list: &[String]) -> impl Iterator<Item = String> + '_ {
    list.iter()
        .map(|t| norm(t))
        .filter(|t| t.chars().count() >= MIN_TERM_CHARS)
}

impl Person {
    /// Who `user` is, with the names their devices and passkeys were given.
    /// A user erased before is no longer named by their record: what was
    /// left of them then is found by the names already known.
    pub fn of(user: &User, device_names: Vec<String>) -> Self {
        let erased_before = user.display_name == ERASED_NAME;
        Self {
            user_id: user.id.clone(),
            names: (!erased_before)
                .then(|| user.display_name.clone())
                .into_iter()
                .collect(),
            emails: (!erased_before)
                .then(|| user.email.clone())
                .into_iter()
                .collect(),
            device_names,
        }
    }

    /// Learns the name `a` gave its admin, when the admin's email is the
    /// person's: a copy of that name is theirs too.
    pub fn learn_from(&mut self, a: &Application) {
        if self
            .emails
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&a.admin_email))
        {
            self.names.push(a.admin_name.clone());
        }
    }

    /// Whether `text` holds the person's name or email.
    pub fn named_in(&self, text: &str) -> bool {
        let text = norm(text);
        terms(&self.names)
            .chain(terms(&self.emails))
            .any(|t| text.contains(&t))
    }

    /// Whether `text` holds the person's name, email or a device name;
    /// for records that are the person's own.
    pub fn in_own(&self, text: &str) -> bool {
        let lower = norm(text);
        self.named_in(text) || terms(&self.device_names).any(|t| lower.contains(&t))
    }

    fn has_email(&self, email: &str) -> bool {
        let email = norm(email);
        !email.is_empty() && self.emails.iter().any(|e| norm(e) == email)
    }

    fn is_contact(&self, c: &Contact) -> bool {
        self.has_email(&c.email) || self.named_in(&c.name)
    }

    /// Text in a record tied to the person (`own`) or anyone's: the value
    /// to store instead, when it mentions them.
    pub fn scrub(&self, text: &str, own: bool) -> Option<&'static str> {
        let mentioned = if own {
            self.in_own(text)
        } else {
            self.named_in(text)
        };
        mentioned.then_some(ERASED)
    }
}

/// The user record, pseudonymised.
pub fn user(user: &User) -> User {
    User {
        email: format!("erased-{}@erased.invalid", user.id),
        display_name: ERASED_NAME.into(),
        state: super::UserState::Disabled,
        ..user.clone()
    }
}

/// An audit event without the person in its details, if it had them.
/// Their own events (as actor or target) lose device names too.
pub fn audit_event(event: &AuditEvent, person: &Person) -> Option<AuditEvent> {
    let own = event.actor_id == person.user_id || event.target_id == person.user_id;
    let mut next = event.clone();
    let mut changed = false;
    for (key, value) in next.details.iter_mut() {
        let device = own && key == "device" && !value.is_empty();
        if let Some(erased) = person.scrub(value, own).or(device.then_some(ERASED))
            && value.as_str() != erased
        {
            *value = erased.to_string();
            changed = true;
        }
    }
    changed.then_some(next)
}

/// An application without the person: as its admin they become [`ERASED`]
/// (the application stays, for the account's history), as a contact they
/// are removed.
pub fn application(a: &Application, person: &Person) -> Option<Application> {
    let mut next = a.clone();
    if person.has_email(&a.admin_email) || person.named_in(&a.admin_name) {
        next.admin_email = ERASED.into();
        next.admin_name = ERASED.into();
    }
    next.contacts.retain(|c| !person.is_contact(c));
    (next != *a).then_some(next)
}

/// An account without the person among its contacts.
pub fn account(a: &Account, person: &Person) -> Option<Account> {
    let mut next = a.clone();
    next.contacts.retain(|c| !person.is_contact(c));
    (next != *a).then_some(next)
}

/// A session of the person's, ended and its device name gone.
pub fn session(s: &Session) -> Option<Session> {
    (!s.device_name.is_empty() || !s.revoked).then(|| Session {
        device_name: String::new(),
        revoked: true,
        ..s.clone()
    })
}

#[cfg(test)]
#[path = "erasure_tests.rs"]
mod tests;
