//! The demo: the people, prices, stock and history a demo store is seeded
//! with, around the domain's deterministic demo catalog.
//!
//! A large demo (`--demo-scale <products>`, for load tests) generates more
//! products per category, and 1,000 more customer accounts, each with a
//! customer price list of its own.

use rust_decimal::Decimal;

use tradeport_domain::catalog::{Product, ProductStatus};
pub use tradeport_domain::fixtures::catalog::{DemoCatalog, catalog, catalog_of};

/// Customer accounts a large demo adds, each with its own price list.
pub const SCALE_ACCOUNTS: usize = 1_000;
/// SKUs on each of those accounts' price lists.
const SCALE_LIST_SKUS: usize = 2_000;
/// The credit limit of each of those accounts, in EUR.
const SCALE_CREDIT_LIMIT: i64 = 10_000_000_000;
/// Records per store commit when seeding a large demo.
const SEED_CHUNK: usize = 100;

/// Credentials the demo seeding hands out: one-time enrolment codes for
/// each demo user, and the demo partner app's API key.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// (email, what the user is, one-time enrolment code)
    pub invitations: Vec<(String, String, String)>,
    pub api_key: String,
    /// (legal name, account id)
    pub accounts: Vec<(String, String)>,
    /// A large demo's extra customer accounts (each with its own price
    /// list), by id; empty in the standard demo.
    pub scale_accounts: Vec<String>,
}

/// Seeds the demo's people once: a brand admin and a sales rep, two
/// customer accounts (approved through the ordinary application flow) with
/// departments and users, and a partner app's API key. Returns `None` when
/// the store already has people.
///
/// A large demo (`scale` given) also writes [`SCALE_ACCOUNTS`] plain
/// customer accounts straight to the store: records only, without users.
pub fn people(
    identity: &crate::identity::Identity,
    store: &dyn crate::store::Store,
    scale: Option<usize>,
) -> anyhow::Result<Option<DemoCredentials>> {
    use crate::identity::{ApplicationDecision, NewApplication, Origin};
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
        let invitee = crate::identity::Invitee {
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
                .put_record(&crate::orders::keys::approval_policy(&account), &policy)?
                .put_record(&crate::orders::keys::payment_methods(&account), &payment)?,
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
    use crate::identity::keys;
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

/// The demo's price lists and promotions: a gold tier list (with volume
/// breaks on cables), a contract for the first customer, customer prices
/// for the second, and three promotions (a seasonal one on lighting, a
/// partner bonus for gold customers, an exclusive clearance of
/// discontinued items).
pub fn prices(
    products: &[Product],
    people: &DemoCredentials,
) -> (
    Vec<tradeport_domain::pricing::PriceList>,
    Vec<tradeport_domain::pricing::Promotion>,
) {
    use std::collections::BTreeMap;
    use time::{Date, Month};
    use tradeport_domain::pricing::{
        Discount, PriceBreak, PriceList, PriceListScope, Promotion, PromotionTarget, round_money,
    };

    let pct = |amount: Decimal, percent: i64| round_money(amount * Decimal::new(percent, 2), "EUR");
    let day = |y, m, d| Date::from_calendar_date(y, m, d).ok();
    let list = |id: &str, name: &str, scope, from, until, entries| PriceList {
        id: id.into(),
        name: name.into(),
        currency: "EUR".into(),
        scope,
        valid_from: from,
        valid_until: until,
        entries,
    };
    let single = |price| {
        vec![PriceBreak {
            min_quantity: Decimal::ZERO,
            unit_price: price,
        }]
    };

    let gold: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .map(|p| {
            let base = p.base_price.amount;
            let mut breaks = single(pct(base, 92));
            if p.category_id.starts_with("cat-el-0") {
                breaks.push(PriceBreak {
                    min_quantity: Decimal::from(100),
                    unit_price: pct(base, 88),
                });
                breaks.push(PriceBreak {
                    min_quantity: Decimal::from(500),
                    unit_price: pct(base, 85),
                });
            }
            (p.sku.clone(), breaks)
        })
        .collect();
    let account = |n: usize| {
        people
            .accounts
            .get(n)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    let contract: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .filter(|p| p.category_id.starts_with("cat-el") && p.id.ends_with('7'))
        .take(50)
        .map(|p| (p.sku.clone(), single(pct(p.base_price.amount, 80))))
        .collect();
    let customer: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .filter(|p| p.category_id.starts_with("cat-pl"))
        .take(20)
        .map(|p| (p.sku.clone(), single(pct(p.base_price.amount, 95))))
        .collect();
    let mut lists = vec![
        list(
            "gold-2026",
            "Gold partner prices",
            PriceListScope::Tier("gold".into()),
            None,
            None,
            gold,
        ),
        list(
            "contract-nl-2026-01",
            "Framework agreement NL-2026-01",
            PriceListScope::Contract {
                account_id: account(0),
                contract_id: "NL-2026-01".into(),
            },
            day(2026, Month::January, 1),
            day(2026, Month::December, 31),
            contract,
        ),
        list(
            "customer-sur-plumbing",
            "Negotiated plumbing prices",
            PriceListScope::Customer(account(1)),
            day(2026, Month::September, 1),
            None,
            customer,
        ),
    ];
    // A large demo's extra accounts: each its own 2,000 SKUs, spread over
    // the catalog from a different start, at 85-95 % of the list price,
    // with breaks from 50 and 200 units.
    for (n, account_id) in people.scale_accounts.iter().enumerate() {
        let percent = 85 + (n % 11) as i64;
        let entries: BTreeMap<String, Vec<PriceBreak>> = scale_list_positions(products.len(), n)
            .filter_map(|i| products.get(i))
            .map(|p| {
                let base = p.base_price.amount;
                let breaks = vec![
                    PriceBreak {
                        min_quantity: Decimal::ZERO,
                        unit_price: pct(base, percent),
                    },
                    PriceBreak {
                        min_quantity: Decimal::from(50),
                        unit_price: pct(base, percent - 4),
                    },
                    PriceBreak {
                        min_quantity: Decimal::from(200),
                        unit_price: pct(base, percent - 8),
                    },
                ];
                (p.sku.clone(), breaks)
            })
            .collect();
        lists.push(list(
            &format!("customer-{account_id}"),
            "Negotiated customer prices",
            PriceListScope::Customer(account_id.clone()),
            None,
            None,
            entries,
        ));
    }
    let clearance: Vec<String> = products
        .iter()
        .filter(|p| p.status == ProductStatus::Discontinued)
        .map(|p| p.sku.clone())
        .collect();
    let promotions = vec![
        Promotion {
            id: "autumn-lighting-2026".into(),
            name: "Autumn lighting weeks".into(),
            currency: "EUR".into(),
            target: PromotionTarget::Categories(vec!["cat-li".into()]),
            discount: Discount::Percent(Decimal::from(10)),
            valid_from: day(2026, Month::November, 1),
            valid_until: day(2026, Month::December, 31),
            exclusive: false,
            priority: 10,
            per_customer_cap: Some(5),
        },
        Promotion {
            id: "gold-partner-bonus".into(),
            name: "Gold partner bonus".into(),
            currency: "EUR".into(),
            target: PromotionTarget::AccountGroups(vec!["gold".into()]),
            discount: Discount::Percent(Decimal::from(2)),
            valid_from: None,
            valid_until: None,
            exclusive: false,
            priority: 5,
            per_customer_cap: None,
        },
        Promotion {
            id: "clearance-discontinued".into(),
            name: "Clearance of discontinued items".into(),
            currency: "EUR".into(),
            target: PromotionTarget::Skus(clearance),
            discount: Discount::Percent(Decimal::from(30)),
            valid_from: None,
            valid_until: None,
            exclusive: true,
            priority: 20,
            per_customer_cap: None,
        },
    ];
    (lists, promotions)
}

/// The demo's stock: three warehouses holding every product, with a few
/// SKUs below their safety stock and some deliveries on the way.
pub fn stock(
    products: &[Product],
) -> Vec<(String, u64, Vec<tradeport_domain::inventory::RawLevel>)> {
    use tradeport_domain::inventory::RawLevel;
    ["WH-HAM", "WH-MAD", "WH-RTM"]
        .iter()
        .enumerate()
        .map(|(w, warehouse)| {
            let levels = products
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // Deterministic spread of quantities; every 97th SKU of a
                    // warehouse runs low.
                    let spread = (i * 37 + w * 101) % 400;
                    let on_hand = if (i + w * 13) % 97 == 0 {
                        5
                    } else {
                        30 + spread
                    };
                    RawLevel {
                        sku: p.sku.clone(),
                        on_hand: on_hand.to_string(),
                        reserved: (spread % 7).to_string(),
                        safety_stock: "20".into(),
                        incoming: if i % 11 == 0 {
                            vec![("100".into(), "2026-12-07".into())]
                        } else {
                            vec![]
                        },
                    }
                })
                .collect();
            (warehouse.to_string(), 1, levels)
        })
        .collect()
}

/// The demo's assortments: standard-tier customers buy everything but
/// tools; gold customers have no assortment, so they see it all.
pub fn assortments() -> Vec<tradeport_domain::catalog::Assortment> {
    use tradeport_domain::catalog::{Assortment, AssortmentScope};
    vec![Assortment {
        id: "standard-core-range".into(),
        name: "Core range for standard customers".into(),
        scope: AssortmentScope::Tier("standard".into()),
        categories: ["cat-el", "cat-li", "cat-pl", "cat-fa", "cat-sa"]
            .map(String::from)
            .to_vec(),
        skus: vec![],
    }]
}
