//! The reference-data feed: pulling it page by page from the stored cursor
//! until the server says the local copy is up to date, and what the last
//! pull brought. Apart from the rest of the device because it is the one
//! flow in which the server writes to the local copy and the device only
//! reads: catalog, prices, stock and orders as the server last said.

use std::sync::Arc;

use prost::Message;
use tradeport_proto::catalog::{Category, ListCategoriesRequest};
use tradeport_proto::sync::{PullReferenceDataRequest, PullReferenceDataResponse};

use super::watch::PullProgress;
use super::{Device, DeviceEvent, Inner, joined, lock};
use crate::Error;
use crate::client::Retry;

const LAST_PULL: &[u8] = b"last_pull";

/// What one pull of the reference-data feed brought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Pages received, the last one (saying "up to date") included.
    pub pages: u32,
    /// Products, removals, stock levels and orders applied to the local
    /// copy; zero when nothing changed since the last pull.
    pub changes: u64,
    /// Changes of kinds this SDK does not know, skipped.
    pub skipped: u64,
    /// Encoded size of the pages received, in bytes (what the pull cost
    /// in data, before HTTP/2 and TLS framing).
    pub bytes: u64,
    /// The local copy was dropped and replaced by a new snapshot.
    pub reset: bool,
}

// The last pull's figures as stored in the meta tree: protobuf, so a newer
// SDK can add figures and still read an older one's.
#[derive(Clone, PartialEq, prost::Message)]
struct StoredPull {
    #[prost(uint32, tag = "1")]
    pages: u32,
    #[prost(uint64, tag = "2")]
    changes: u64,
    #[prost(uint64, tag = "3")]
    skipped: u64,
    #[prost(uint64, tag = "4")]
    bytes: u64,
    #[prost(bool, tag = "5")]
    reset: bool,
}

impl From<&PullReport> for StoredPull {
    fn from(report: &PullReport) -> Self {
        Self {
            pages: report.pages,
            changes: report.changes,
            skipped: report.skipped,
            bytes: report.bytes,
            reset: report.reset,
        }
    }
}

impl From<StoredPull> for PullReport {
    fn from(p: StoredPull) -> Self {
        Self {
            pages: p.pages,
            changes: p.changes,
            skipped: p.skipped,
            bytes: p.bytes,
            reset: p.reset,
        }
    }
}

impl Device {
    /// Pulls the reference-data feed from the stored cursor until the
    /// server says the copy is up to date, applying each page with its
    /// cursor atomically. Safe to interrupt at any point.
    pub async fn pull_reference_data(&self) -> Result<PullReport, Error> {
        self.inner.pull().await
    }

    /// Applies one page as the pull loop does. For tools and benchmarks
    /// that feed pages from elsewhere; apps use
    /// [`Device::pull_reference_data`].
    #[doc(hidden)]
    pub fn apply_reference_page(&self, page: &PullReferenceDataResponse) -> Result<u64, Error> {
        self.inner.check_open()?;
        let applied = self.inner.reference.apply_page(&self.inner.local, page)?;
        Ok(applied.changes)
    }
}

impl Inner {
    pub(super) async fn pull(self: &Arc<Self>) -> Result<PullReport, Error> {
        self.check_open()?;
        let _one = self.pulling.lock().await;
        let mut report = PullReport::default();
        let mut snapshot_pages: Option<u32> = None;
        let _shown = ShownProgress::start(self);
        loop {
            let cursor = self.reference.cursor()?;
            let request = PullReferenceDataRequest {
                cursor: cursor.clone(),
                page_size: 0,
            };
            let page = self
                .authorized(|| {
                    self.client.config.call(
                        Retry::Safe,
                        &self.sync,
                        request.clone(),
                        |mut c, r| async move { c.pull_reference_data(r).await },
                    )
                })
                .await?;
            self.check_open()?;
            report.pages += 1;
            report.bytes += page.encoded_len() as u64;
            // Told on a snapshot's pages; a later page of the same
            // snapshot may say it again.
            if page.snapshot_pages > 0 {
                snapshot_pages = Some(page.snapshot_pages);
            }
            report.reset |= page.reset;
            let done = page.up_to_date;
            let stuck = page.changes.is_empty() && !page.reset && page.next_cursor == cursor;
            let me = Arc::clone(self);
            let (applied, reset) = joined(
                tokio::task::spawn_blocking(move || {
                    me.reference
                        .apply_page(&me.local, &page)
                        .map(|a| (a, page.reset))
                })
                .await,
            )?;
            report.changes += applied.changes;
            report.skipped += applied.skipped;
            self.show_progress(&report, snapshot_pages);
            if applied.changes > 0 || reset {
                self.announce(DeviceEvent::ReferenceDataUpdated {
                    changes: applied.changes,
                    reset,
                });
            }
            // An empty page that does not move the cursor would repeat
            // for ever: take it as the end for now.
            if done || stuck {
                break;
            }
        }
        let categories = self.fetch_categories().await?;
        let me = Arc::clone(self);
        joined(
            tokio::task::spawn_blocking(move || {
                me.reference.store_categories(&me.local, &categories)
            })
            .await,
        )?;
        self.meta
            .insert(LAST_PULL, StoredPull::from(&report).encode_to_vec())?;
        Ok(report)
    }

    fn show_progress(&self, report: &PullReport, pages_total: Option<u32>) {
        lock(&self.progress).pull = Some(PullProgress {
            pages_done: report.pages,
            pages_total,
            changes: report.changes,
            bytes: report.bytes,
        });
        self.bump();
    }

    /// The whole category tree, for browsing the local catalog offline: a
    /// few hundred entries, listed afresh with each pull.
    async fn fetch_categories(&self) -> Result<Vec<Category>, Error> {
        let catalog = self.client.catalog();
        let mut categories = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListCategoriesRequest {
                page_size: 1_000,
                page_token: page_token.clone(),
            };
            let page = self
                .authorized(|| catalog.list_categories(request.clone()))
                .await?;
            categories.extend(page.categories);
            if page.next_page_token.is_empty() || page.next_page_token == page_token {
                return Ok(categories);
            }
            page_token = page.next_page_token;
        }
    }

    /// The last completed pull's figures, if a pull ever completed here.
    pub(super) fn last_pull(&self) -> Result<Option<PullReport>, Error> {
        let Some(raw) = self.meta.get(LAST_PULL)? else {
            return Ok(None);
        };
        let stored = StoredPull::decode(raw.as_ref()).map_err(|e| Error::Corrupt {
            what: "the last pull's figures".into(),
            reason: e.to_string(),
        })?;
        Ok(Some(stored.into()))
    }
}

/// Shows a pull as running from the start until dropped, also when the
/// pull fails or its task is aborted.
struct ShownProgress<'a>(&'a Inner);

impl<'a> ShownProgress<'a> {
    fn start(inner: &'a Inner) -> Self {
        lock(&inner.progress).pull = Some(PullProgress::default());
        inner.bump();
        Self(inner)
    }
}

impl Drop for ShownProgress<'_> {
    fn drop(&mut self) {
        lock(&self.0.progress).pull = None;
        self.0.bump();
    }
}
