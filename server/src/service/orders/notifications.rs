//! Notifications and the live order feed. A notification is written in the
//! same commit as the change it tells of, once per audience
//! (`notif/<audience>/<newest-first time>/<id>`); the feed is a broadcast
//! of every committed order, filtered per watcher.

use super::{Orders, Result, keys, now};
use crate::store::Commit;
use crate::store::KeyRange;
use tradeport_domain::DomainError;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::orders::Order;
use tradeport_domain::orders::notifications::{
    Audience, Notification, audience, audiences_of, notices,
};
use tradeport_domain::orders::scope::OrderScope;
use tradeport_domain::paging::PageLimits;

const PAGES: PageLimits = PageLimits {
    default_size: 50,
    max_size: 200,
};

/// A watch of orders.
pub struct OrderWatch<F> {
    /// Every order committed from now on.
    pub changes: tokio::sync::broadcast::Receiver<std::sync::Arc<Order>>,
    /// Whether an order is one the watcher reads.
    pub sees: F,
}

fn scope(audience: &Audience) -> String {
    match audience {
        Audience::User(id) => format!("notif/user/{id}/"),
        Audience::AccountRole(account, role) => format!("notif/acct/{account}/{}/", role.name()),
        Audience::BrandRole(role) => format!("notif/brand/{}/", role.name()),
    }
}

impl Orders {
    /// Adds the notifications the change `before` → `after` is worth.
    pub(super) fn notify(
        &self,
        mut commit: Commit,
        before: Option<&Order>,
        after: &Order,
    ) -> Result<Commit> {
        for kind in notices(before, after) {
            let (audiences, text) = audience(kind, after);
            let at = now();
            let notification = Notification {
                id: format!("ntf-{}", uuid::Uuid::now_v7().simple()),
                at,
                kind,
                order_id: after.id.clone(),
                order_number: after.number.clone(),
                text,
            };
            for who in &audiences {
                let key = format!(
                    "{}{}/{}",
                    scope(who),
                    keys::newest_first(at),
                    notification.id
                );
                commit = commit.put_record(&key, &notification)?;
            }
        }
        Ok(commit)
    }

    /// The caller's notifications, newest first, and the next page's token
    /// (the time of the last one shown).
    pub fn notifications(
        &self,
        caller: &Caller,
        page_size: i32,
        token: &str,
    ) -> Result<(Vec<Notification>, String)> {
        let size = PAGES.size(page_size)?;
        if !token.is_empty() && (token.len() != 16 || !token.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(DomainError::invalid(
                "INVALID_PAGE_TOKEN",
                "page_token",
                "is not a token this list gave",
            )
            .into());
        }
        let account = caller.account_id.as_deref();
        let mut all = Vec::new();
        for who in audiences_of(&caller.id, account, &caller.roles) {
            let prefix = scope(&who);
            // Each scope from just after the token's time: merged, the
            // newest `size` of all scopes are the page.
            let after = (!token.is_empty()).then(|| format!("{prefix}{token}~"));
            let range = match &after {
                Some(after) => KeyRange::prefix_after(prefix.as_bytes(), after.as_bytes()),
                None => KeyRange::prefix(prefix.as_bytes()),
            };
            for (_, raw) in self.store.scan(range, size)? {
                let n: Notification = crate::store::decode(prefix.as_bytes(), &raw)?;
                all.push(n);
            }
        }
        all.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        all.dedup_by(|a, b| a.id == b.id);
        all.truncate(size);
        let next = if all.len() == size {
            all.last()
                .map(|n| keys::newest_first(n.at))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((all, next))
    }

    /// Tells every watcher about a committed order.
    pub(super) fn publish(&self, order: &Order) {
        // Nobody watching is fine: the send fails only when none listens.
        let _ = self.changes.send(std::sync::Arc::new(order.clone()));
    }

    /// A watch of the orders `caller` reads (see `OrderScope`).
    pub fn watch(
        &self,
        caller: &Caller,
    ) -> Result<OrderWatch<impl Fn(&Order) -> bool + Send + 'static>> {
        caller.authorize_action(Action::ReadOrders)?;
        let scope = OrderScope::of(caller);
        Ok(OrderWatch {
            changes: self.changes.subscribe(),
            sees: move |order: &Order| scope.covers(&order.account_id),
        })
    }

    /// Ends every watch (at shutdown).
    pub fn close_watches(&self) {
        let _ = self.closing.send(true);
    }

    /// Resolves when the server starts shutting down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }
}
