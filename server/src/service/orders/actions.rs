//! What happens to an order after submission: approval steps, rejection,
//! cancellation, release from a credit hold — and the step they share,
//! passing approval into the credit check, confirmation and reservation.

use crate::service::ServiceError;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::{Orders, Result, keys, now};
use crate::service::inventory::LevelsRead;
use crate::store::versioned::{Versioned, get, get_value};
use crate::store::{Commit, idempotency};
use tradeport_domain::DomainError;
use tradeport_domain::feed;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::StockLevel;
use tradeport_domain::orders::approval::ApprovalPolicy;
use tradeport_domain::orders::credit::{self, Exposure};
use tradeport_domain::orders::{Order, OrderEvent, OrderStatus};

/// A department's budget for the month, as read.
pub(super) struct Budget {
    key: String,
    month: String,
    pub limit: Decimal,
    pub spent: Decimal,
    read: Option<Versioned<Decimal>>,
}

fn month_of(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp(millis / 1000)
        .map(|t| format!("{}-{:02}", t.year(), u8::from(t.month())))
        .unwrap_or_default()
}

fn expect<T>(commit: Commit, key: &str, read: Option<&Versioned<T>>) -> Commit {
    match read {
        Some(read) => commit.expect_version(key, read),
        None => commit.expect_absent(key),
    }
}

impl Orders {
    /// Adds changing `account`'s credit exposure by `change` to `commit`,
    /// expecting the exposure read to be unchanged.
    pub(super) fn adjust_exposure(
        &self,
        commit: Commit,
        account: &str,
        change: impl FnOnce(&mut Exposure),
    ) -> Result<Commit> {
        let key = keys::exposure(account);
        let read = get::<Exposure>(self.store(), &key)?;
        let mut exposure = read.as_ref().map(|e| e.value.clone()).unwrap_or_default();
        change(&mut exposure);
        exposure.uninvoiced_orders = exposure.uninvoiced_orders.max(Decimal::ZERO);
        exposure.open_invoices = exposure.open_invoices.max(Decimal::ZERO);
        Ok(expect(commit, &key, read.as_ref()).put_record(&key, &exposure)?)
    }

    /// The budget of the order's department this month, if it has one.
    pub(super) fn budget(&self, policy: &ApprovalPolicy, order: &Order) -> Result<Option<Budget>> {
        let Some(unit) = &order.unit_id else {
            return Ok(None);
        };
        let Some((_, limit)) = policy.budgets.iter().find(|(u, _)| u == unit) else {
            return Ok(None);
        };
        let month = month_of(order.placed_at);
        let key = keys::budget(&order.account_id, unit, &month);
        let read = get::<Decimal>(self.store(), &key)?;
        Ok(Some(Budget {
            spent: read.as_ref().map_or(Decimal::ZERO, |r| r.value),
            limit: *limit,
            key,
            month,
            read,
        }))
    }

    /// The order has every approval it needs: it draws on its department's
    /// budget, then is confirmed (stock reserved, exposure raised,
    /// promotions counted) if credit covers it, or held.
    pub(super) fn pass_approval(
        &self,
        commit: Commit,
        order: &mut Order,
        by: &str,
        note: &str,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let policy: ApprovalPolicy =
            get_value(self.store(), &keys::approval_policy(&order.account_id))?.unwrap_or_default();
        let budget = self.budget(&policy, order)?;
        self.pass_approval_with(commit, order, budget, by, note, None)
    }

    /// [`Orders::pass_approval`] with the department's budget already
    /// read (in the same turn).
    pub(super) fn pass_approval_with(
        &self,
        commit: Commit,
        order: &mut Order,
        budget: Option<Budget>,
        by: &str,
        note: &str,
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let mut commit = commit;
        if let Some(budget) = budget {
            commit = expect(commit, &budget.key, budget.read.as_ref())
                .put_record(&budget.key, &(budget.spent + order.total))?;
            order.budget_month = Some(budget.month);
        }
        let account = self.account(&order.account_id)?;
        let exposure_key = keys::exposure(&order.account_id);
        let exposure = get::<Exposure>(self.store(), &exposure_key)?;
        let current = exposure
            .as_ref()
            .map(|e| e.value.clone())
            .unwrap_or_default();
        let check = credit::check(account.credit_limit, &current, order.total);
        if !check.fits {
            order.apply(
                OrderEvent::HoldForCredit,
                "system",
                now(),
                format!(
                    "exposure {} plus this order exceeds the credit limit {}",
                    current.total().normalize(),
                    account.credit_limit.normalize()
                ),
            )?;
            return Ok((commit, Vec::new()));
        }
        order.credit_warning = check.warning;
        let raised = Exposure {
            uninvoiced_orders: current.uninvoiced_orders + order.total,
            ..current
        };
        let commit =
            expect(commit, &exposure_key, exposure.as_ref()).put_record(&exposure_key, &raised)?;
        self.confirm(commit, order, OrderEvent::Confirm, by, note, read_ahead)
    }

    /// Confirms by `event`: reserves stock and counts the promotions used
    /// (each promotion once per order, against its per-customer cap).
    fn confirm(
        &self,
        commit: Commit,
        order: &mut Order,
        event: OrderEvent,
        by: &str,
        note: &str,
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let (mut commit, levels) = self.reserve(commit, order, read_ahead)?;
        let mut promotions: Vec<&String> = order.lines.iter().flat_map(|l| &l.promotions).collect();
        promotions.sort();
        promotions.dedup();
        let view = self.catalog.view();
        let mut capped = Vec::new();
        for promotion in promotions {
            let key = keys::promotion_use(&order.account_id, promotion);
            let used = get::<u32>(self.store(), &key)?;
            let before = used.as_ref().map_or(0, |u| u.value);
            let count = before + 1;
            commit = expect(commit, &key, used.as_ref()).put_record(&key, &count)?;
            // The use that reaches the cap changes this customer's prices:
            // their devices must hear of it, or they keep the discount.
            capped.extend(view.pricebook.promotion(promotion).and_then(|p| {
                feed::prices::promotion_use_changed(p, &order.account_id, before, count)
            }));
        }
        // Feed readers read the counts from the store: the commit's own
        // ticket is hold enough.
        let (commit, _) = self.feed.stage(commit, capped)?;
        order.apply(event, by, now(), note)?;
        Ok((commit, levels))
    }

    /// Runs one change of an existing order under the write lock, with its
    /// request id, committing the order and whatever `change` adds. The
    /// request id is looked up first: a replay answers with what happened
    /// without `change` checking anything again, so `change` does every
    /// check of the request itself, and only if the caller may still see
    /// the order.
    pub(super) fn change(
        &self,
        caller: &Caller,
        action: Action,
        rpc: &str,
        id: &str,
        request_id: &str,
        change: impl FnOnce(&Self, Commit, &mut Order) -> Result<(Commit, Vec<StockLevel>)>,
    ) -> Result<Order> {
        let owner = idempotency::owner(caller);
        let mut announce = None;
        let order = self.writer.run(self.store(), || {
            idempotency::once_unflushed(self.store(), &owner, rpc, request_id, |commit| {
                let read = self.order_for(caller, action, id)?;
                let mut order = read.value.clone();
                let commit = commit.expect_version(&keys::order(id), &read);
                let (commit, levels) = change(self, commit, &mut order)?;
                announce = Some(levels);
                Ok::<_, ServiceError>((self.put_order(commit, Some(&read.value), &order)?, order))
            })
        })?;
        match announce {
            Some(levels) => {
                self.inventory.announce(levels);
                self.publish(&order);
            }
            // A replay changed nothing; access lost since is not given
            // back by it.
            None => {
                self.order_for(caller, Action::ReadOrders, &order.id)?;
            }
        }
        Ok(order)
    }

    pub fn approve(
        &self,
        caller: &Caller,
        id: &str,
        comment: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::ApproveOrders,
            "ApproveOrder",
            id,
            request_id,
            |this, commit, order| {
                if !order.approve_step(caller, comment, now())? {
                    return Ok((commit, Vec::new()));
                }
                let note = format!("approved by {}: {comment}", caller.id);
                this.pass_approval(commit, order, &caller.id, &note)
            },
        )
    }

    pub fn reject(
        &self,
        caller: &Caller,
        id: &str,
        comment: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::ApproveOrders,
            "RejectOrder",
            id,
            request_id,
            |_, commit, order| {
                order.reject_step(caller, comment, now())?;
                Ok((commit, Vec::new()))
            },
        )
    }

    pub fn cancel(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<Order> {
        let order = self.cancel_order(caller, id, reason, request_id)?;
        if let Some(card) = order.payment.as_ref().and_then(|p| p.card())
            && card.state == tradeport_domain::payments::CardState::Voided
            && let Err(error) = self.gateway.void(&card.authorization_id)
        {
            tracing::warn!(%error, order = %order.number, "voiding the card authorisation failed; it will lapse");
        }
        Ok(order)
    }

    fn cancel_order(
        &self,
        caller: &Caller,
        id: &str,
        reason: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::CancelOrders,
            "CancelOrder",
            id,
            request_id,
            |this, commit, order| {
                let before = order.status;
                order.apply(OrderEvent::Cancel, &caller.id, now(), reason)?;
                let mut commit = commit;
                if let Some(month) = order.budget_month.take() {
                    let policy: ApprovalPolicy =
                        get_value(this.store(), &keys::approval_policy(&order.account_id))?
                            .unwrap_or_default();
                    if let (Some(unit), true) = (&order.unit_id, !policy.budgets.is_empty()) {
                        let key = keys::budget(&order.account_id, unit, &month);
                        let read = get::<Decimal>(this.store(), &key)?;
                        let spent = read.as_ref().map_or(Decimal::ZERO, |r| r.value);
                        commit = expect(commit, &key, read.as_ref())
                            .put_record(&key, &(spent - order.total).max(Decimal::ZERO))?;
                    }
                }
                if before.uninvoiced_exposure() {
                    let total = order.total;
                    commit = this.adjust_exposure(commit, &order.account_id, |e| {
                        e.uninvoiced_orders -= total
                    })?;
                }
                let reservations = std::mem::take(&mut order.reservations);
                let (commit, levels) =
                    this.inventory.stage_release(commit, &reservations, false)?;
                if let Some(card) = order
                    .payment
                    .as_mut()
                    .and_then(tradeport_domain::payments::Payment::card_mut)
                    .filter(|c| c.state == tradeport_domain::payments::CardState::Authorised)
                {
                    // Recorded first, voided once the cancellation holds:
                    // a void that then fails leaves a hold that lapses at
                    // the processor, never a cancelled order still charged.
                    card.record_void()?;
                }
                Ok((commit, levels))
            },
        )
    }

    pub fn release_credit_hold(
        &self,
        caller: &Caller,
        id: &str,
        comment: &str,
        request_id: &str,
    ) -> Result<Order> {
        self.change(
            caller,
            Action::ManageCredit,
            "ReleaseCreditHold",
            id,
            request_id,
            |this, commit, order| {
                if order.status != OrderStatus::OnCreditHold {
                    return Err(DomainError::precondition(
                        "NOT_ON_CREDIT_HOLD",
                        format!(
                            "order {} is {}, not on credit hold",
                            order.number,
                            order.status.name()
                        ),
                    )
                    .into());
                }
                // Released by finance: the exposure rises past the limit on
                // their word.
                let total = order.total;
                let commit = this
                    .adjust_exposure(commit, &order.account_id, |e| e.uninvoiced_orders += total)?;
                this.confirm(
                    commit,
                    order,
                    OrderEvent::ReleaseCredit,
                    &caller.id,
                    comment,
                    None,
                )
            },
        )
    }

    /// Sets an account's approval rules (brand or account admins).
    pub fn set_approval_policy(&self, account_id: &str, policy: &ApprovalPolicy) -> Result<()> {
        let _turn = self.writer.alone();
        self.store
            .commit(Commit::new().put_record(&keys::approval_policy(account_id), policy)?)?;
        Ok(())
    }
}
