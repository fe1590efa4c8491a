//! Price imports against a real store: what they read, and imports that
//! race.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::*;
use crate::store::catalog::CatalogRepository;
use crate::store::feed::FeedLog;
use crate::store::pricing::PricingRepository;
use crate::store::{SledStore, Store};
use tradeport_domain::bulk::{ImportMode, ImportReport};

fn catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let repo = CatalogRepository::new(Arc::clone(&store));
    let demo = crate::demo::catalog();
    repo.put_all(&demo.categories, &demo.products).unwrap();
    let feed = Arc::new(FeedLog::open(Arc::clone(&store)).unwrap());
    let pricing = PricingRepository::new(store);
    (dir, Catalog::load(repo, pricing, feed).unwrap())
}

fn csv(list: &str, sku: &str, price: &str) -> String {
    format!(
        "price_list_id,price_list_name,currency,scope,sku,unit_price\n\
         {list},Gold,EUR,tier:gold,{sku},{price}\n"
    )
}

/// An upload that, once its last byte is read, lets `meanwhile` run:
/// another write landing while the file is being checked.
struct Upload<F: FnMut()> {
    bytes: std::io::Cursor<Vec<u8>>,
    meanwhile: Option<F>,
}

impl<F: FnMut()> Read for Upload<F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.bytes.read(buf)?;
        if n == 0
            && let Some(mut meanwhile) = self.meanwhile.take()
        {
            meanwhile();
        }
        Ok(n)
    }
}

fn import(catalog: &Catalog, request: &str, body: impl Read) -> Result<ImportReport> {
    catalog.import_prices("admin", request, ImportMode::AllOrNothing, body, &|_| true)
}

fn price(catalog: &Catalog, sku: &str) -> Option<Decimal> {
    let list = catalog.pricing().list("pl-test").unwrap()?;
    Some(list.value.entries.get(sku)?[0].unit_price)
}

#[test]
fn a_price_import_refuses_to_overwrite_a_list_another_import_changed_meanwhile() {
    let (_dir, catalog) = catalog();
    let skus: Vec<String> = catalog
        .all_products()
        .iter()
        .take(2)
        .map(|p| p.sku.clone())
        .collect();
    import(&catalog, "first", csv("pl-test", &skus[0], "10").as_bytes()).unwrap();
    let racing = Upload {
        bytes: std::io::Cursor::new(csv("pl-test", &skus[1], "20").into_bytes()),
        meanwhile: Some(|| {
            import(
                &catalog,
                "meanwhile",
                csv("pl-test", &skus[0], "11").as_bytes(),
            )
            .unwrap();
        }),
    };
    let error = import(&catalog, "racing", racing).unwrap_err();
    assert!(
        matches!(
            error,
            ServiceError::Domain(DomainError::FailedPrecondition {
                reason: "PRICES_CHANGED",
                ..
            })
        ),
        "{error}"
    );
    // The import that landed in between stands; the refused one left nothing.
    assert_eq!(price(&catalog, &skus[0]), Some(Decimal::from(11)));
    assert_eq!(price(&catalog, &skus[1]), None);
}

#[test]
fn a_price_import_to_a_list_nobody_else_touched_lands_beside_a_racing_one() {
    let (_dir, catalog) = catalog();
    let sku = catalog.all_products()[0].sku.clone();
    let racing = Upload {
        bytes: std::io::Cursor::new(csv("pl-test", &sku, "20").into_bytes()),
        meanwhile: Some(|| {
            import(
                &catalog,
                "meanwhile",
                csv("pl-other", &sku, "30").as_bytes(),
            )
            .unwrap();
        }),
    };
    assert!(import(&catalog, "racing", racing).unwrap().applied);
    assert_eq!(price(&catalog, &sku), Some(Decimal::from(20)));
    let other = catalog.pricing().list("pl-other").unwrap().unwrap();
    assert_eq!(other.value.entries[&sku][0].unit_price, Decimal::from(30));
}
