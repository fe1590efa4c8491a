//! The demo's people: a brand admin and a sales rep, two customer accounts
//! approved through the ordinary application flow, their departments and
//! users, a partner app's key, and a large demo's extra accounts.

use rust_decimal::Decimal;

use super::{DemoCredentials, SCALE_ACCOUNTS, SCALE_CREDIT_LIMIT, SCALE_LIST_SKUS, SEED_CHUNK};

/// Seeds the demo's people once: a brand admin and a sales rep, two
/// customer accounts (approved through the ordinary application flow) with
/// departments and users, and a partner app's API key. Returns `None` when
/// the store already has people.
///
/// A large demo (`scale` given) also writes [`SCALE_ACCOUNTS`] plain
/// customer accounts straight to the store: records only, without users.
pub fn people(
    identity: &crate::service::identity::Identity,
    store: &dyn crate::store::Store,
    scale: Option<usize>,
) -> anyhow::Result<Option<DemoCredentials>> {
    use crate::service::identity::{ApplicationDecision, NewApplication, Origin};
    use tradeport_domain::identity::records::{Address, Contact};
    use tradeport_domain::identity::{Caller, CallerKind, Role};

    if !store
        .scan(crate::store::KeyRange::prefix(b"member/"), 1)?
        .is_empty()
    {
        return Ok(None);
    }
    // The seeding acts as the brand itself.
    let system = Caller {
        kind: CallerKind::User,
        id: "system".into(),
        account_id: None,
        roles: vec![Role::BrandAdmin],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    };
    let origin = Origin {
        source: "demo-seed".into(),
    };
    let mut invitations = Vec::new();
    let invite = |invitations: &mut Vec<(String, String, String)>,
                  account: &str,
                  unit: &str,
                  email: &str,
                  name: &str,
                  roles: Vec<Role>,
                  what: &str| {
        let invitee = crate::service::identity::Invitee {
            account_id: account.into(),
            unit_id: unit.into(),
            email: email.into(),
            display_name: name.into(),
            roles,
        };
        identity.invite(&system, invitee, &origin).map(|inv| {
            invitations.push((email.to_string(), what.to_string(), inv.code));
            inv.user.id
        })
    };
    invite(
        &mut invitations,
        "",
        "",
        "admin@tradeport.example",
        "Brenda Admin",
        vec![Role::BrandAdmin],
        "brand admin",
    )?;
    let rep = invite(
        &mut invitations,
        "",
        "",
        "rep@tradeport.example",
        "Rafael Rep",
        vec![Role::SalesRep],
        "sales rep",
    )?;

    let mut accounts = Vec::new();
    let customers = [
        (
            "Nordlicht Elektro GmbH",
            "DE811234567",
            "DE",
            "Hamburg",
            "nordlicht.example",
            true,
        ),
        (
            "Sur Instalaciones SL",
            "ESB12345678",
            "ES",
            "Sevilla",
            "sur.example",
            false,
        ),
    ];
    for (name, tax_id, country, city, domain, assigned) in customers {
        let application = identity.apply(
            NewApplication {
                legal_name: name.into(),
                tax_id: tax_id.into(),
                contacts: vec![Contact {
                    name: "Accounts payable".into(),
                    email: format!("ap@{domain}"),
                    phone: String::new(),
                    function: "accounts payable".into(),
                }],
                billing_address: Address {
                    line1: "Hauptstrasse 1".into(),
                    city: city.into(),
                    country_code: country.into(),
                    ..Address::default()
                },
                shipping_addresses: vec![Address {
                    line1: "Lagerweg 5".into(),
                    city: city.into(),
                    country_code: country.into(),
                    ..Address::default()
                }],
                requested_payment_terms: "net 30".into(),
                admin_email: format!("admin@{domain}"),
                admin_name: format!("{name} admin"),
            },
            &origin,
            "",
        )?;
        let (approved, admin) = identity.approve(
            &system,
            &application.id,
            ApplicationDecision {
                tier: if assigned {
                    "gold".into()
                } else {
                    "standard".into()
                },
                credit_limit: "50000".into(),
                currency: "EUR".into(),
                sales_rep_id: if assigned { rep.clone() } else { String::new() },
                territory: String::new(),
            },
            &origin,
        )?;
        let account = approved.account_id.unwrap_or_default();
        invitations.push((
            admin.user.email.clone(),
            format!("account admin, {name}"),
            admin.code,
        ));
        let branch = identity.create_unit(
            &system,
            &account,
            "",
            &format!("{city} branch"),
            &origin,
            "",
        )?;
        let purchasing =
            identity.create_unit(&system, &account, &branch.id, "Purchasing", &origin, "")?;
        invite(
            &mut invitations,
            &account,
            &purchasing.id,
            &format!("buyer@{domain}"),
            "Demo Buyer",
            vec![Role::Buyer],
            &format!("buyer, {name}"),
        )?;
        invite(
            &mut invitations,
            &account,
            &branch.id,
            &format!("approver@{domain}"),
            "Demo Approver",
            vec![Role::Approver],
            &format!("approver, {name}"),
        )?;
        // Buyers order up to 10,000 alone, approvers up to 50,000; above
        // 10,000 an approver signs, above 40,000 the account admin too;
        // purchasing spends at most 25,000 a month without approval.
        let policy = tradeport_domain::orders::ApprovalPolicy {
            limits: vec![
                (Role::Buyer, Decimal::from(10_000)),
                (Role::Approver, Decimal::from(50_000)),
            ],
            steps: vec![
                tradeport_domain::orders::ApprovalStep {
                    above: Decimal::from(10_000),
                    role: Role::Approver,
                },
                tradeport_domain::orders::ApprovalStep {
                    above: Decimal::from(40_000),
                    role: Role::AccountAdmin,
                },
            ],
            budgets: vec![(purchasing.id.clone(), Decimal::from(25_000))],
        };
        // Every way to pay is open to the demo's customers.
        let payment = tradeport_domain::payments::AccountPayment::new(
            tradeport_domain::payments::PaymentMethodKind::ALL.to_vec(),
            tradeport_domain::payments::PaymentTerms::parse("net 30")?,
        )?;
        store.commit(
            crate::store::Commit::new()
                .put_record(
                    &crate::service::orders::keys::approval_policy(&account),
                    &policy,
                )?
                .put_record(
                    &crate::service::orders::keys::payment_methods(&account),
                    &payment,
                )?,
        )?;
        accounts.push((name.to_string(), account));
    }
    let first_account = accounts
        .first()
        .map(|(_, id)| id.clone())
        .unwrap_or_default();
    let key = identity.create_api_key(
        &system,
        &first_account,
        "Demo partner app",
        vec![Role::Buyer],
        &origin,
    )?;
    let scale_accounts = match scale {
        Some(_) => scale_accounts(store)?,
        None => Vec::new(),
    };
    Ok(Some(DemoCredentials {
        invitations,
        api_key: key.secret,
        accounts,
        scale_accounts,
    }))
}

/// Where in a catalog of `products` the SKUs of a large demo's `n`th extra
/// account's price list sit: 2,000 of them, evenly spread, from a start of
/// the account's own.
pub fn scale_list_positions(products: usize, n: usize) -> impl Iterator<Item = usize> {
    let stride = (products / SCALE_LIST_SKUS).max(1);
    let start = (n * 7_919) % products.max(1);
    (0..SCALE_LIST_SKUS.min(products)).map(move |k| (start + k * stride) % products.max(1))
}

/// The id of a large demo's `n`th extra account.
pub fn scale_account_id(n: usize) -> String {
    format!("acc_demo{n:04}")
}

/// Writes a large demo's extra customer accounts, in chunks: every fourth
/// is a gold customer (who sees everything), the rest standard customers
/// (whose assortment leaves out tools). Each has one ship-to address
/// (`ship-1`, in Germany), no approval policy (its people order without
/// approval) and a credit limit no load test reaches, so they can order.
fn scale_accounts(store: &dyn crate::store::Store) -> anyhow::Result<Vec<String>> {
    use crate::service::identity::keys;
    use crate::store::Commit;
    use tradeport_domain::identity::records::{Account, Address, Invoicing, ShipTo};

    let ids: Vec<String> = (0..SCALE_ACCOUNTS).map(scale_account_id).collect();
    let created = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    for (c, chunk) in ids.chunks(SEED_CHUNK).enumerate() {
        let mut commit = Commit::new();
        for (i, id) in chunk.iter().enumerate() {
            let n = c * SEED_CHUNK + i;
            let legal_name = format!("Demo Customer {n:04} GmbH");
            let account = Account {
                id: id.clone(),
                legal_name: legal_name.clone(),
                tax_id: format!("DE9{n:08}"),
                tier: if n.is_multiple_of(4) {
                    "gold".into()
                } else {
                    "standard".into()
                },
                // Large enough that load tests' orders are confirmed, never
                // held for credit: 50,000 orders of 20 lines fit.
                credit_limit: Decimal::from(SCALE_CREDIT_LIMIT),
                currency: "EUR".into(),
                payment_terms: "net 30".into(),
                territory: String::new(),
                contacts: vec![],
                billing_address: Address {
                    line1: format!("Demostrasse {n}"),
                    city: "Hamburg".into(),
                    country_code: "DE".into(),
                    ..Address::default()
                },
                ship_to: vec![ShipTo {
                    id: "ship-1".into(),
                    label: "Warehouse".into(),
                    address: Address {
                        line1: format!("Lagerweg {n}"),
                        city: "Hamburg".into(),
                        country_code: "DE".into(),
                        ..Address::default()
                    },
                }],
                invoicing: Invoicing {
                    tax_id: format!("DE9{n:08}"),
                    invoice_title: legal_name,
                    e_invoice_address: String::new(),
                },
                created,
            };
            commit = commit
                .expect_absent(&keys::account(id))
                .put_record(&keys::account(id), &account)?;
        }
        store.commit(commit)?;
    }
    Ok(ids)
}
