//! Submitting an order: from lines, pasted text or a draft, one way in
//! and one set of checks. The submission is prepared (priced, taxed, its
//! card authorised) before the order takes its turn at the writer; the
//! turn numbers and decides it and commits it whole.

use time::OffsetDateTime;

use super::{Orders, Result, keys, now};
use crate::service::catalog::Buyer;
use crate::service::documents::Documents;
use crate::service::inventory::{LevelsRead, is_level_key};
use crate::store::versioned::{get, get_value};
use crate::store::{Commit, StoreError, idempotency};
use tradeport_domain::DomainError;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::StockLevel;
use tradeport_domain::orders::approval::{self, ApprovalPolicy};
use tradeport_domain::orders::submission::Submission;
use tradeport_domain::orders::{Order, OrderEvent, order_number};
use tradeport_domain::payments::{self, CardPayment};

/// What a SubmitOrder request id remembers: the order it placed, which a
/// replay reads back (the order is written in the same commit). Results
/// remembered before held the whole order, whose `id` field reads as this.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Placed {
    id: String,
}

/// The quick-order template SubmitOrder's `lines_text` takes.
pub const ORDER_TEMPLATE: &str = "sku,quantity,unit\nTP-EL-00042,10,\nTP-EL-00005,2,BOX10\n";

impl Orders {
    /// The SubmitOrder use case: a submission naming a draft first takes
    /// from the draft, as `drafts` holds it now, what it leaves empty (see
    /// `Submission::take_draft`); then [`Orders::submit`].
    pub fn submit_order(
        &self,
        caller: &Caller,
        submission: Submission,
        drafts: &Documents,
    ) -> Result<Order> {
        let mut submission = submission;
        if !submission.draft_id.is_empty() {
            let draft =
                drafts.order_draft(caller, &submission.draft_id, &submission.confirmed_lines())?;
            submission.take_draft(draft);
        }
        self.submit(caller, submission)
    }

    /// Submits an order for the account the caller acts in; see the
    /// module comment of `orders` for what is written, and when.
    pub fn submit(&self, caller: &Caller, submission: Submission) -> Result<Order> {
        self.submit_at(caller, submission, now())
    }

    /// [`Orders::submit`] as if placed at `placed_at`: the demo's history.
    pub(crate) fn submit_at(
        &self,
        caller: &Caller,
        submission: Submission,
        placed_at: tradeport_domain::orders::Millis,
    ) -> Result<Order> {
        caller.authorize_action(Action::PlaceOrders)?;
        let account_id = caller.acting_account().ok_or_else(|| {
            DomainError::invalid(
                "ACCOUNT_REQUIRED",
                "x-tradeport-on-behalf-of",
                "orders are a customer's: act on behalf of a customer account",
            )
        })?;
        let account = self.account(account_id)?;
        caller.authorize(Action::PlaceOrders, Some(&account), "account", account_id)?;
        let owner = idempotency::owner(caller);
        // A replay answers at once with what happened, before the lines
        // are read, priced or checked: the catalog may have moved on since
        // (a product discontinued), and no card is held again.
        if let Some(first) = idempotency::recall::<Placed, crate::service::ServiceError>(
            self.store(),
            &owner,
            "SubmitOrder",
            &submission.request_id,
        )? {
            return self.placed(caller, &first);
        }
        let buyer = Buyer::for_account(account, &self.catalog)?;
        let mut submission = submission;
        if submission.lines.is_empty() && !submission.lines_text.trim().is_empty() {
            submission.lines = self.lines_from_text(&buyer, &submission.lines_text)?;
        }
        // Everything that reads only the catalog and the account is done
        // before the lock: pricing, tax, the caller's expectations, the
        // card's authorisation. Under the lock only what orders race for is
        // read and decided; the flush waits until the lock is let go, so
        // concurrent submissions share it.
        let (mut order, chosen) = self.prepare(caller, &buyer, &submission, placed_at)?;
        // The stock levels too: reading them is most of what a turn would
        // read, and other submissions rarely want the same SKUs meanwhile.
        // One that did makes the commit conflict on a level; the turn then
        // decides again from the order as prepared, reading afresh. Read
        // before the card's hold, which an error here would leave behind.
        let read_ahead = self
            .inventory
            .read_levels(order.lines.iter().map(|l| l.sku.as_str()))?;
        let card = self.authorize_card(&chosen, &order)?;
        let prepared = order.clone();
        let mut announce = None;
        let placed = self.writer.run(self.store(), || {
            let mut read_ahead = Some(read_ahead);
            loop {
                let used = read_ahead.take();
                let placed = idempotency::once_unflushed::<_, crate::service::ServiceError, _>(
                    self.store(),
                    &owner,
                    "SubmitOrder",
                    &submission.request_id,
                    |commit| {
                        let commit = self.claim_draft(commit, &submission.draft_id, &order.id)?;
                        let (commit, levels) = self.decide(
                            commit,
                            caller,
                            &mut order,
                            chosen.clone(),
                            card.clone(),
                            used.as_ref(),
                        )?;
                        announce = Some(levels);
                        Ok((
                            commit,
                            Placed {
                                id: order.id.clone(),
                            },
                        ))
                    },
                );
                match placed {
                    Err(crate::service::ServiceError::Store(StoreError::Conflict { key }))
                        if used.is_some() && is_level_key(&key) =>
                    {
                        announce = None;
                        order = prepared.clone();
                    }
                    placed => return placed,
                }
            }
        });
        let order = match placed {
            Ok(placed) if announce.is_some() && placed.id == order.id => order,
            // A twin got there first: this card hold is not needed.
            Ok(first) => {
                announce = None;
                self.release_card(card.as_ref());
                self.placed(caller, &first)?
            }
            Err(error) => {
                // Nothing was stored: let go of the card's hold too.
                self.release_card(card.as_ref());
                return Err(error);
            }
        };
        // A replay changed nothing: nothing to tell.
        if let Some(levels) = announce {
            self.inventory.announce(levels);
            self.publish(&order);
        }
        Ok(order)
    }

    /// The order a remembered submission placed, as it is now, if the
    /// caller may still see it: access lost since is not given back by a
    /// replay.
    fn placed(&self, caller: &Caller, first: &Placed) -> Result<Order> {
        Ok(self.order_for(caller, Action::ReadOrders, &first.id)?.value)
    }

    /// A card is authorised for the whole order before it is decided, and
    /// captured as it ships; a decline refuses the order.
    fn authorize_card(
        &self,
        chosen: &payments::Chosen,
        order: &Order,
    ) -> Result<Option<CardPayment>> {
        let payments::Chosen::Card { card_token } = chosen else {
            return Ok(None);
        };
        let authorization =
            self.gateway
                .authorize(&order.id, order.total, &order.currency, card_token)?;
        Ok(Some(CardPayment::authorised(
            authorization.id,
            authorization.amount,
            authorization.currency,
        )))
    }

    fn release_card(&self, card: Option<&CardPayment>) {
        if let Some(card) = card
            && let Err(error) = self.gateway.void(&card.authorization_id)
        {
            tracing::warn!(%error, authorization = %card.authorization_id, "voiding an unused authorisation failed");
        }
    }

    /// Marks the draft as having become `order_id`, in the order's own
    /// commit, unless it already became another order.
    fn claim_draft(&self, commit: Commit, draft_id: &str, order_id: &str) -> Result<Commit> {
        if draft_id.is_empty() {
            return Ok(commit);
        }
        let key = keys::draft_order(draft_id);
        if let Some(first) = get_value::<String>(self.store(), &key)? {
            return Err(DomainError::precondition(
                "DRAFT_ALREADY_SUBMITTED",
                format!("draft {draft_id} was already submitted as order {first}"),
            )
            .into());
        }
        Ok(commit
            .expect_absent(&key)
            .put_record(&key, &order_id.to_owned())?)
    }

    /// Under the write lock: numbers the order, records its payment, and
    /// decides it — approval, budget, credit, reservation — adding every
    /// write to `commit`.
    fn decide(
        &self,
        commit: Commit,
        caller: &Caller,
        order: &mut Order,
        chosen: payments::Chosen,
        card: Option<CardPayment>,
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let placed_at = order.placed_at;
        let year = OffsetDateTime::from_unix_timestamp(placed_at / 1000)
            .map(|t| t.year())
            .unwrap_or_else(|_| OffsetDateTime::now_utc().year());
        let seq_key = keys::sequence(year);
        let last = get::<u64>(self.store(), &seq_key)?;
        let number = last.as_ref().map_or(0, |l| l.value) + 1;
        let commit = match &last {
            Some(last) => commit.expect_version(&seq_key, last),
            None => commit.expect_absent(&seq_key),
        }
        .put_record(&seq_key, &number)?;
        order.number = order_number(year, number);
        let (total, currency) = (order.total, order.currency.clone());
        order.payment = Some(chosen.record(&order.number, total, &currency, |_| {
            card.ok_or_else(|| {
                crate::service::ServiceError::Gateway(
                    "a card payment without an authorisation".into(),
                )
            })
        })?);

        let policy: ApprovalPolicy =
            get_value(self.store(), &keys::approval_policy(&order.account_id))?.unwrap_or_default();
        let budget = self.budget(&policy, order)?;
        order.approval = approval::decide(
            &policy,
            &caller.roles,
            order.total,
            budget.as_ref().map(|b| (b.spent, b.limit)),
        );
        let (commit, levels) = if order.approval.steps.is_empty() {
            let note = order.approval.rule.clone();
            // The policy and budget just read decide it: read once.
            self.pass_approval_with(commit, order, budget, "system", &note, read_ahead)?
        } else {
            let note = order.approval.rule.clone();
            order.apply(OrderEvent::RequireApproval, "system", placed_at, note)?;
            (commit, Vec::new())
        };
        let commit = self.put_order(commit, None, order)?;
        Ok((commit, levels))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{SledStore, Store, encode};
    use tradeport_domain::orders::OrderStatus;

    /// How a SubmitOrder request id was remembered before: the whole order.
    #[derive(serde::Serialize)]
    struct RememberedWhole {
        created: i64,
        result: Order,
    }

    #[test]
    fn a_submission_remembered_whole_still_names_the_order_it_placed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let order = tradeport_domain::fixtures::orders::order(OrderStatus::Confirmed, vec![]);
        let whole = RememberedWhole {
            created: now(),
            result: order.clone(),
        };
        store
            .commit(
                Commit::new()
                    .put_record("idem/usr-1/SubmitOrder/req-1", &whole)
                    .unwrap(),
            )
            .unwrap();
        let placed = idempotency::recall::<Placed, crate::service::ServiceError>(
            &store,
            "usr-1",
            "SubmitOrder",
            "req-1",
        )
        .unwrap()
        .unwrap();
        assert_eq!(placed.id, order.id);
    }

    #[test]
    fn a_submission_remembers_the_order_id_only() {
        let order = tradeport_domain::fixtures::orders::order(OrderStatus::Confirmed, vec![]);
        let whole = encode(b"k", &order).unwrap();
        let placed = encode(b"k", &Placed { id: order.id }).unwrap();
        assert!(placed.len() < 16, "{} bytes", placed.len());
        assert!(placed.len() * 10 < whole.len());
    }
}
