//! The identity records as the store keeps them (CBOR maps by field name:
//! new fields take `#[serde(default)]`). Times are Unix milliseconds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Role;

pub type Millis = i64;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    pub country_code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub function: String,
}

/// A customer account: one company buying from the brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub legal_name: String,
    pub tax_id: String,
    pub tier: String,
    pub credit_limit: Decimal,
    pub currency: String,
    pub payment_terms: String,
    /// Sales territory, for reps assigned by territory.
    #[serde(default)]
    pub territory: String,
    pub contacts: Vec<Contact>,
    pub billing_address: Address,
    #[serde(default)]
    pub ship_to: Vec<ShipTo>,
    #[serde(default)]
    pub invoicing: Invoicing,
    pub created: Millis,
}

#[cfg(test)]
impl Account {
    /// An account with only what access rules look at filled in.
    pub fn for_tests(id: &str, territory: &str) -> Self {
        Self {
            id: id.into(),
            legal_name: id.into(),
            tax_id: String::new(),
            tier: "standard".into(),
            credit_limit: Decimal::ZERO,
            currency: "EUR".into(),
            payment_terms: "net 30".into(),
            territory: territory.into(),
            contacts: vec![],
            billing_address: Address::default(),
            ship_to: vec![],
            invoicing: Default::default(),
            created: 0,
        }
    }
}

/// A delivery address of an account, with the id orders refer to it by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipTo {
    pub id: String,
    pub label: String,
    pub address: Address,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoicing {
    pub tax_id: String,
    pub invoice_title: String,
    pub e_invoice_address: String,
}

/// A department or location within an account; units nest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: String,
    pub account_id: String,
    pub parent_id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserState {
    Invited,
    Active,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// A UUID: also the WebAuthn user handle, so a discoverable passkey
    /// names its user.
    pub id: String,
    /// `None` for brand staff.
    pub account_id: Option<String>,
    /// The unit within the account; `None` for the company level.
    pub unit_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub state: UserState,
    /// For sales reps: accounts assigned directly.
    #[serde(default)]
    pub assigned_accounts: Vec<String>,
    /// For sales reps: territories whose accounts are theirs.
    #[serde(default)]
    pub territories: Vec<String>,
    pub created: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationState {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    pub legal_name: String,
    pub tax_id: String,
    pub contacts: Vec<Contact>,
    pub billing_address: Address,
    pub shipping_addresses: Vec<Address>,
    pub requested_payment_terms: String,
    pub admin_email: String,
    pub admin_name: String,
    pub state: ApplicationState,
    pub rejection_reason: String,
    pub account_id: Option<String>,
    pub created: Millis,
}

/// A one-time code to enrol a first passkey; stored under its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub user_id: String,
    pub expires: Millis,
}

/// One device's session: a family of access and refresh tokens descending
/// from one sign-in. Revoking it ends every token of the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub device_name: String,
    pub created: Millis,
    pub last_used: Millis,
    pub revoked: bool,
    /// Hash of the one refresh token that may be used next.
    pub refresh_hash: String,
    pub refresh_expires: Millis,
    /// Hash of the current access token.
    pub access_hash: String,
    pub access_expires: Millis,
}

/// What a token hash points at. Rotated refresh tokens stay on record so
/// that their reuse can be recognised as theft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    Access,
    Refresh,
    RotatedRefresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub session_id: String,
    pub kind: TokenKind,
    pub expires: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: String,
    /// `None` for a brand-level integration key.
    pub account_id: Option<String>,
    pub name: String,
    pub roles: Vec<Role>,
    pub secret_hash: String,
    pub created: Millis,
    pub created_by: String,
    pub last_used: Option<Millis>,
    pub revoked: bool,
}
