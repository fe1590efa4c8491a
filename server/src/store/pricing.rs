//! Typed access to pricing records: price lists (`plist/<id>`), promotions
//! (`promo/<id>`) and how often each customer has used a promotion
//! (`promouse/<account>/<promotion>`, counted when orders are placed);
//! `pricemeta/swept`, the last day whose opened and closed validity
//! windows the feed was told of.

use std::collections::HashMap;
use std::sync::Arc;

use super::versioned::{Versioned, get, get_value, scan};
use super::{Commit, Store, StoreError};
use tradeport_domain::pricing::{PriceList, Promotion};

const SWEPT_KEY: &str = "pricemeta/swept";

fn list_key(id: &str) -> String {
    format!("plist/{id}")
}

#[derive(Clone)]
pub struct PricingRepository {
    store: Arc<dyn Store>,
}

impl PricingRepository {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn price_lists(&self) -> Result<Vec<PriceList>, StoreError> {
        Ok(
            scan::<PriceList>(self.store.as_ref(), "plist/", None, 1_000_000)?
                .into_iter()
                .map(|(_, l)| l)
                .collect(),
        )
    }

    /// The list `id` as stored, with the bytes a commit can expect.
    pub fn list(&self, id: &str) -> Result<Option<Versioned<PriceList>>, StoreError> {
        get(self.store.as_ref(), &list_key(id))
    }

    /// Adds to `commit` the expectation that list `id` is still as `read`
    /// (absent for `None`).
    pub fn expect_list(&self, commit: Commit, id: &str, read: Option<&[u8]>) -> Commit {
        commit.expect(list_key(id), read.map(<[u8]>::to_vec))
    }

    /// Every price list in id order, read a few at a time and handed to
    /// `each` one by one: the lists are never all in memory as records.
    pub fn for_each_list(&self, mut each: impl FnMut(PriceList)) -> Result<(), StoreError> {
        const PAGE: usize = 8;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = scan::<PriceList>(self.store.as_ref(), "plist/", after.as_deref(), PAGE)?;
            let full = page.len() == PAGE;
            for (key, list) in page {
                each(list);
                after = Some(key);
            }
            if !full {
                return Ok(());
            }
        }
    }

    pub fn promotions(&self) -> Result<Vec<Promotion>, StoreError> {
        Ok(
            scan::<Promotion>(self.store.as_ref(), "promo/", None, 100_000)?
                .into_iter()
                .map(|(_, p)| p)
                .collect(),
        )
    }

    pub fn promotion_uses(&self, account_id: &str) -> Result<HashMap<String, u32>, StoreError> {
        let prefix = format!("promouse/{account_id}/");
        Ok(scan::<u32>(self.store.as_ref(), &prefix, None, 10_000)?
            .into_iter()
            .map(|(k, n)| (String::from_utf8_lossy(&k[prefix.len()..]).into_owned(), n))
            .collect())
    }

    pub fn promotion_use(&self, account_id: &str, promotion_id: &str) -> Result<u32, StoreError> {
        Ok(get_value::<u32>(
            self.store.as_ref(),
            &format!("promouse/{account_id}/{promotion_id}"),
        )?
        .unwrap_or(0))
    }

    /// The last day the feed was told the price changes of (see
    /// `service::catalog::price_days`); `None` before the first sweep.
    pub fn swept_day(&self) -> Result<Option<time::Date>, StoreError> {
        get_value::<time::Date>(self.store.as_ref(), SWEPT_KEY)
    }

    /// Adds to `commit` that the feed was told of every price change up
    /// to `day`.
    pub fn mark_swept_in(&self, commit: Commit, day: time::Date) -> Result<Commit, StoreError> {
        commit.put_record(SWEPT_KEY, &day)
    }

    /// Writes price lists and promotions, replacing records with the same id.
    pub fn put_all(&self, lists: &[PriceList], promotions: &[Promotion]) -> Result<(), StoreError> {
        for list in lists {
            // One list per commit: a tier list holds every SKU.
            self.store
                .commit(Commit::new().put_record(&list_key(&list.id), list)?)?;
        }
        let mut commit = Commit::new();
        for promotion in promotions {
            commit = commit.put_record(&format!("promo/{}", promotion.id), promotion)?;
        }
        self.store.commit(commit)
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Adds whole price lists to `commit`.
    pub fn put_lists_in(&self, commit: Commit, lists: &[PriceList]) -> Result<Commit, StoreError> {
        lists.iter().try_fold(commit, |commit, list| {
            commit.put_record(&list_key(&list.id), list)
        })
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self
            .store
            .scan(super::KeyRange::prefix(b"plist/"), 1)?
            .is_empty())
    }
}
