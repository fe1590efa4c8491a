//! The day prices are decided on: which price lists and promotions are in
//! their validity window. Every use case that prices (search, carts, quick
//! orders, submissions, the feed) and the sweep that tells devices when a
//! window opens or closes read this one clock, so they never disagree
//! about the day.
//!
//! It is the system's UTC date, moved by whole days when asked: a server
//! has one clock of its own (not a process-wide one), so a test can live
//! through a window's last day on its server without touching another's.
//! Production never moves it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Date, Duration, OffsetDateTime};
use tokio::sync::Notify;

/// One server's clock for prices. Cheap to clone: clones share it.
#[derive(Clone, Default)]
pub struct Clock {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Days added to the system's date.
    offset_days: AtomicI64,
    /// Told whenever the clock is moved, so the sweep need not wait for
    /// the next day to notice.
    moved: Notify,
}

impl Clock {
    /// Now, as this clock has it.
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let days = self.shared.offset_days.load(Ordering::SeqCst);
        now.checked_add(Duration::days(days)).unwrap_or(now)
    }

    /// The day prices are decided on.
    pub fn today(&self) -> Date {
        self.now().date()
    }

    /// Moves the clock so that today is `date`, keeping the time of day.
    /// For tests and demos living through a validity window's edge.
    pub fn set_today(&self, date: Date) {
        let system = OffsetDateTime::now_utc().date();
        self.shared
            .offset_days
            .store((date - system).whole_days(), Ordering::SeqCst);
        self.shared.moved.notify_one();
    }

    /// How long until this clock's next day begins.
    pub fn until_tomorrow(&self) -> std::time::Duration {
        let now = self.now();
        let tomorrow = now
            .date()
            .next_day()
            .map(|d| d.midnight().assume_utc())
            .unwrap_or(now);
        std::time::Duration::try_from(tomorrow - now).unwrap_or_default()
    }

    /// Resolves the next time the clock is moved (or at once if it was
    /// moved since this was last awaited).
    pub async fn moved(&self) {
        self.shared.moved.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_clock_moves_its_clones_and_not_another_server() {
        let clock = Clock::default();
        let other = Clock::default();
        let system = OffsetDateTime::now_utc().date();
        let date = time::macros::date!(2027 - 01 - 01);
        clock.clone().set_today(date);
        assert_eq!(clock.today(), date);
        assert!(other.today() >= system);
        assert!(clock.until_tomorrow() <= std::time::Duration::from_secs(86_400));
    }
}
