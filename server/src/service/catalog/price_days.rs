//! The sweep at the days' edges. Price lists and promotions apply within
//! validity windows of whole days, so a customer's price can change at
//! midnight with nothing written: this sweep tells the feed, for each
//! list or promotion whose window opened or closed since the last day
//! swept, that its products' prices changed for its audience (the
//! domain's `feed::prices` decides both).
//!
//! Restart-safe: the day swept is stored in the same commit as the
//! entries, so a crash leaves either both or neither, and a server that
//! was down over an edge catches up at its first sweep. Contracts (not
//! yet a record of their own) will take part by being one more kind of
//! [`Dated`] item read here.

use time::Date;

use super::{Catalog, Result};
use crate::store::Commit;
use tradeport_domain::feed::prices::{Dated, window_changes};

/// What one sweep did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySweep {
    /// The day swept before, and the day swept now.
    pub from: Date,
    pub to: Date,
    /// Feed entries appended.
    pub entries: usize,
}

impl Catalog {
    /// Tells the feed of every window that opened or closed between the
    /// last day swept and today (either way round: a clock set back undoes
    /// edges the same way); `None` when today is swept already. The first
    /// sweep of a store looks back one day. Blocks on the store: run it
    /// off the async threads.
    pub fn sweep_price_days(&self) -> Result<Option<DaySweep>> {
        // In the write turn: a list being imported is swept as it ends up.
        let _writes = self.lock_writes();
        let today = self.today();
        let from = match self.pricing.swept_day()? {
            Some(day) if day == today => {
                self.swept.send_replace(Some(today));
                return Ok(None);
            }
            Some(day) => day,
            None => today.previous_day().unwrap_or(today),
        };
        let view = self.view();
        let promotions = view.pricebook.promotions().iter().map(|p| p as &dyn Dated);
        let mut entries = window_changes(promotions, from, today);
        self.pricing.for_each_list(|list| {
            entries.extend(window_changes([&list as &dyn Dated], from, today));
        })?;
        let count = entries.len();
        let commit = self.pricing.mark_swept_in(Commit::new(), today)?;
        // Readers price from the view, which this does not change: the
        // commit's own ticket is hold enough.
        let (commit, _) = self.feed.stage(commit, entries)?;
        self.repo.store().commit(commit)?;
        self.swept.send_replace(Some(today));
        Ok(Some(DaySweep {
            from,
            to: today,
            entries: count,
        }))
    }

    /// The last day swept, as it changes: for waiting on a sweep.
    pub fn swept(&self) -> tokio::sync::watch::Receiver<Option<Date>> {
        self.swept.subscribe()
    }
}
