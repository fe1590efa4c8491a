//! Paging the identity lists. Those of one account — users, units, API
//! keys, a user's devices — are short, so they are read whole and paged in
//! memory; the page token belongs to the account it was issued for.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::Result;
use tradeport_domain::paging::{Page, PageLimits};

/// Page sizes of every identity list but the audit trail's.
pub(super) const PAGES: PageLimits = PageLimits {
    default_size: 50,
    max_size: 500,
};

/// The page of `items` that `page_size` and `page_token` ask for, and the
/// token of the next, for the list `fingerprint` tells apart (see
/// [`of_account`]).
pub(super) fn paged<T>(
    items: Vec<T>,
    page_size: i32,
    page_token: &str,
    fingerprint: u64,
) -> Result<(Vec<T>, String)> {
    let page = Page::parse(page_size, page_token, fingerprint, PAGES)?;
    let total = items.len();
    let window = page.window(total);
    let items = items
        .into_iter()
        .skip(window.start)
        .take(window.len())
        .collect();
    Ok((items, page.next_token(total)))
}

/// The fingerprint of a list of the account a request names.
pub(super) fn of_account(account_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    account_id.hash(&mut h);
    h.finish()
}
