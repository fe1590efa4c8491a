//! How every RPC is guarded, written down once: every RPC of every
//! Tradeport service must appear in `ACCESS`, so a new RPC without an
//! entry fails `every_rpc_is_in_the_access_table`. `access_isolation`
//! probes each account-scoped entry with another account's ids, and
//! `access_roles` checks the role matrix.

use std::collections::BTreeSet;

use prost::Message;

/// How an RPC is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// Served without credentials.
    Open,
    /// Needs a principal; acts on the caller's own records only.
    Caller,
    /// Takes an account (or an id within one): probed across accounts.
    AccountScoped,
    /// Brand staff only (brand-level resources).
    Brand,
    /// Needs a role, names no account-scoped resource (the role matrix and
    /// the stock tests cover it).
    Role,
}

pub(crate) const ACCESS: &[(&str, Guard)] = &[
    (
        "tradeport.sync.v1.SyncService/SyncDocuments",
        Guard::AccountScoped,
    ),
    (
        "tradeport.sync.v1.SyncService/SyncRound",
        Guard::AccountScoped,
    ),
    (
        "tradeport.sync.v1.SyncService/WatchDocuments",
        Guard::Caller,
    ),
    ("tradeport.sync.v1.SyncService/ListDocuments", Guard::Caller),
    (
        "tradeport.sync.v1.SyncService/PullReferenceData",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/ListCategories",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/SearchProducts",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/GetProduct",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/PriceCart",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/QuickOrder",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/SubmitOrder",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/GetOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ListOrders",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ApproveOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/RejectOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CancelOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ReleaseCreditHold",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/RecordShipment",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/AddTrackingEvent",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/InvoiceOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CloseOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CreateReturn",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ResolveReturn",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ReorderOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/GetOrderTemplate",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/WatchOrders",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/ListNotifications",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/ImportData",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/ExportData",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/GetImportTemplate",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/CreateProduct",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/UpdateProduct",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/GetStock",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/WatchStock",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/UpdateStockLevels",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/ListStockAlerts",
        Guard::Role,
    ),
    (
        "tradeport.identity.v1.IdentityService/ApplyForAccount",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListApplications",
        Guard::Role,
    ),
    (
        "tradeport.identity.v1.IdentityService/ApproveApplication",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/RejectApplication",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartEnrolment",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishEnrolment",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartLogin",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishLogin",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/RefreshSession",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/Logout",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListDevices",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/RevokeDevice",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartAddPasskey",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishAddPasskey",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListPasskeys",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/RemovePasskey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/GetCaller",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateOrgUnit",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListOrgUnits",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateInvitation",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListUsers",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/SetUserRoles",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/DisableUser",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateApiKey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListApiKeys",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/RevokeApiKey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListAuditEvents",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/SetRepAssignments",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/GetAccountProfile",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/UpdateAccountProfile",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ExportMyData",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/EraseUser",
        Guard::AccountScoped,
    ),
];

#[test]
fn every_rpc_is_in_the_access_table() {
    let set = prost_types::FileDescriptorSet::decode(tradeport_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut rpcs = BTreeSet::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                rpcs.insert(format!(
                    "{}.{}/{}",
                    file.package(),
                    service.name(),
                    method.name()
                ));
            }
        }
    }
    let listed: BTreeSet<String> = ACCESS.iter().map(|(rpc, _)| (*rpc).to_string()).collect();
    let missing: Vec<_> = rpcs.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&rpcs).collect();
    assert!(
        missing.is_empty(),
        "RPCs without an access rule (and a probe): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "access rules for RPCs that no longer exist: {stale:?}"
    );
    for (rpc, guard) in ACCESS {
        let open = tradeport_server::auth::is_open(&format!("/{rpc}"));
        assert_eq!(
            open,
            *guard == Guard::Open,
            "{rpc}: the auth layer and the table disagree"
        );
    }
}
