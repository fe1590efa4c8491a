//! Submitting an order from lines. A draft (from offline sync) will feed
//! this same function: one way in, one set of checks.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::{Orders, Result, keys, not_found, now};
use crate::service::inventory::{LevelsRead, is_level_key};
use crate::store::records::{get, get_value};
use crate::store::{Commit, StoreError, idempotency};
use tradeport_domain::catalog::Visible;
use tradeport_domain::catalog::quick_order::{self, QuickOrderLine};
use tradeport_domain::decimal::parse_decimal;
use tradeport_domain::identity::records::Account;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::StockLevel;
use tradeport_domain::orders::approval::{self, ApprovalPolicy};
use tradeport_domain::orders::{
    ApprovalDecision, Expectation, Order, OrderEvent, OrderLine, OrderStatus, TaxRow,
    check_expectation, order_number,
};
use tradeport_domain::payments::{self, AccountPayment, CardPayment, PaymentRequest};
use tradeport_domain::pricing::{CartLine, MAX_CART_LINES, PricingContext};
use tradeport_domain::tax::{TaxExemption, TaxKind, TaxLine, TaxRequest};
use tradeport_domain::{DomainError, FieldViolation};

/// A line as the caller sent it.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub sku: String,
    pub quantity: String,
    /// Empty: no expectation.
    pub expected_unit_price: String,
}

/// An order as the caller sent it.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub request_id: String,
    pub lines: Vec<LineInput>,
    pub ship_to_id: String,
    pub po_number: String,
    /// (currency, amount), amount empty for none.
    pub expected_total: Option<(String, String)>,
    /// Quick-order text, used when `lines` is empty.
    pub lines_text: String,
    pub payment: PaymentRequest,
    /// The draft this order comes from (its lines already in `lines`);
    /// empty for none. A draft becomes at most one order.
    pub draft_id: String,
}

/// What a SubmitOrder request id remembers: the order it placed, which a
/// replay reads back (the order is written in the same commit). Results
/// remembered before held the whole order, whose `id` field reads as this.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Placed {
    id: String,
}

/// The quick-order template SubmitOrder's `lines_text` takes.
pub const ORDER_TEMPLATE: &str = "sku,quantity,unit\nTP-EL-00042,10,\nTP-EL-00005,2,BOX10\n";

const MAX_PO_CHARS: usize = 64;

impl Orders {
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
        let mut submission = submission;
        if submission.lines.is_empty() && !submission.lines_text.trim().is_empty() {
            submission.lines = self.lines_from_text(&account, &submission.lines_text)?;
        }
        // Everything that reads only the catalog and the account is done
        // before the lock: pricing, tax, the caller's expectations, the
        // card's authorisation. Under the lock only what orders race for is
        // read and decided; the flush waits until the lock is let go, so
        // concurrent submissions share it.
        let (mut order, chosen) = self.prepare(caller, &account, &submission, placed_at)?;
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

    /// The order as the catalog, the account and the tax rules make it,
    /// not yet numbered or decided, and the payment chosen for it.
    fn prepare(
        &self,
        caller: &Caller,
        account: &Account,
        s: &Submission,
        placed_at: tradeport_domain::orders::Millis,
    ) -> Result<(Order, payments::Chosen)> {
        // The methods brand finance allowed the account, or the default
        // for its terms.
        let allowed =
            match get_value::<AccountPayment>(self.store(), &keys::payment_methods(&account.id))? {
                Some(allowed) => allowed,
                None => AccountPayment::default_for(&account.payment_terms)?,
            };
        let chosen = payments::choose(&allowed, &s.payment)?;
        let mut v = Vec::new();
        let ship_to = match (s.ship_to_id.trim(), account.ship_to.as_slice()) {
            ("", [only]) => Some(only),
            ("", _) => {
                v.push(FieldViolation::new(
                    "ship_to_id",
                    "name one of the account's ship-to addresses",
                ));
                None
            }
            (id, all) => {
                let found = all.iter().find(|t| t.id == id);
                if found.is_none() {
                    v.push(FieldViolation::new(
                        "ship_to_id",
                        format!("the account has no ship-to address {id:?}"),
                    ));
                }
                found
            }
        };
        if s.po_number.chars().count() > MAX_PO_CHARS {
            v.push(FieldViolation::new(
                "po_number",
                format!("must be at most {MAX_PO_CHARS} characters"),
            ));
        }
        if s.lines.is_empty() || s.lines.len() > MAX_CART_LINES {
            v.push(FieldViolation::new(
                "lines",
                format!("give 1 to {MAX_CART_LINES} lines"),
            ));
        }
        let mut expected = Expectation::default();
        for (i, line) in s.lines.iter().enumerate() {
            expected.unit_prices.push(optional_decimal(
                &format!("lines[{i}].expected_unit_price"),
                &line.expected_unit_price,
                &mut v,
            ));
        }
        let currency = account.currency.clone();
        if let Some((want_currency, amount)) = &s.expected_total {
            expected.total = optional_decimal("expected_total.amount", amount, &mut v);
            if expected.total.is_some() && !want_currency.eq_ignore_ascii_case(&currency) {
                v.push(FieldViolation::new(
                    "expected_total.currency_code",
                    format!("the account buys in {currency}"),
                ));
            }
        }

        // Price with the one pricing engine, exactly as PriceCart does.
        let view = self.catalog.view();
        let visible = Visible::for_customer(&view.assortments, &account.id, &account.tier);
        let in_assortment = |sku: &str| view.index.sku_visible(sku, &visible);
        let today = OffsetDateTime::now_utc().date();
        let uses = self.catalog.pricing().promotion_uses(&account.id)?;
        let ctx = PricingContext {
            account_id: &account.id,
            tier: &account.tier,
            currency: &currency,
            date: today,
            promotion_uses: &uses,
            visible: &in_assortment,
        };
        let cart: Vec<CartLine> = s
            .lines
            .iter()
            .map(|l| CartLine {
                sku: l.sku.trim().to_string(),
                quantity: l.quantity.clone(),
            })
            .collect();
        let quote = match view.pricebook.price_cart(&ctx, &cart) {
            Ok(quote) => Some(quote),
            Err(DomainError::InvalidArgument { violations, .. }) => {
                v.extend(violations);
                None
            }
            Err(other) => return Err(other.into()),
        };
        let (Some(quote), Some(ship_to), true) = (quote, ship_to, v.is_empty()) else {
            return Err(invalid(v).into());
        };

        let mut lines = Vec::with_capacity(quote.lines.len());
        for (i, q) in quote.lines.iter().enumerate() {
            let Some(product) = view.index.get_sku(&q.sku) else {
                return Err(not_found("product", &q.sku).into());
            };
            if !product.orderable() {
                v.push(FieldViolation::new(
                    format!("lines[{i}].sku"),
                    format!("{} is discontinued", q.sku),
                ));
            }
            for problem in product.quantity_problems(q.quantity) {
                v.push(FieldViolation::new(
                    format!("lines[{i}].quantity"),
                    problem.describe(),
                ));
            }
            lines.push(OrderLine {
                line_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
                sku: q.sku.clone(),
                product_id: product.id.clone(),
                name: product.name.clone(),
                quantity: q.quantity,
                list_unit_price: q.list_unit_price,
                unit_price: q.unit_price,
                line_total: q.line_total,
                discount_total: q.discount_total,
                promotions: q.promotions.clone(),
                tax_class: product.tax_class,
                tax: Decimal::ZERO,
                duty: Decimal::ZERO,
                shipped: Decimal::ZERO,
            });
        }
        if !v.is_empty() {
            return Err(invalid(v).into());
        }

        let exemption: Option<TaxExemption> =
            get_value(self.store(), &keys::tax_exemption(&account.id))?;
        let region = ship_to.address.region.trim();
        let tax = self.tax.compute(&TaxRequest {
            ship_to_country_code: ship_to.address.country_code.clone(),
            ship_to_region_code: (!region.is_empty()).then(|| region.to_string()),
            date: today,
            currency: currency.clone(),
            exemption: exemption.as_ref(),
            lines: lines
                .iter()
                .map(|l| TaxLine {
                    line_id: l.line_no.to_string(),
                    tax_class: l.tax_class,
                    net_amount: l.line_total,
                })
                .collect(),
        })?;
        for (line, taxed) in lines.iter_mut().zip(&tax.lines) {
            line.tax = taxed.tax;
            line.duty = taxed.duty;
        }
        check_expectation(&expected, &lines, tax.total_gross)?;

        let mut order = Order {
            id: format!("ord-{}", uuid::Uuid::now_v7().simple()),
            number: String::new(),
            account_id: account.id.clone(),
            unit_id: None,
            placed_by: caller.id.clone(),
            placed_at,
            po_number: s.po_number.trim().to_string(),
            ship_to_id: ship_to.id.clone(),
            ship_to_country: ship_to.address.country_code.clone(),
            currency,
            subtotal: quote.subtotal,
            discount_total: quote.discount_total,
            tax_total: tax.total_vat + tax.total_local_tax,
            duty_total: tax.total_duty,
            total: tax.total_gross,
            tax_breakdown: tax
                .breakdown
                .iter()
                .map(|b| TaxRow {
                    name: match b.kind {
                        TaxKind::Duty => b.name.clone(),
                        _ => format!("{} {} %", b.name, b.rate.normalize()),
                    },
                    rate: b.rate,
                    base: b.taxable_base,
                    amount: b.amount,
                })
                .collect(),
            contract_id: view
                .pricebook
                .active_contract(&account.id, today)
                .map(str::to_string),
            lines,
            status: OrderStatus::Submitted,
            approval: ApprovalDecision {
                steps: Vec::new(),
                rule: String::new(),
                over_budget: false,
            },
            approvals: Vec::new(),
            credit_warning: None,
            history: Vec::new(),
            reservations: Vec::new(),
            budget_month: None,
            shipments: Vec::new(),
            returns: Vec::new(),
            invoice_number: None,
            payment: None,
        };
        order.history.push(tradeport_domain::orders::StatusChange {
            at: placed_at,
            to: OrderStatus::Submitted,
            by: caller.id.clone(),
            note: String::new(),
        });
        if caller.kind == tradeport_domain::identity::CallerKind::User {
            order.unit_id = self
                .identity
                .user_record(&caller.id)?
                .and_then(|u| u.unit_id);
        }
        Ok((order, chosen))
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

    /// Under the write lock: numbers the order, records its payment, and
    /// decides it — approval, budget, credit, reservation — adding every
    /// write to `commit`.
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

    /// Adds the order and (when new) its list entries to `commit`.
    /// Pasted quick-order lines as order lines, in sales units; any line
    /// with a blocking problem refuses them all, naming its line number.
    fn lines_from_text(&self, account: &Account, text: &str) -> Result<Vec<LineInput>> {
        let inputs = quick_order::parse_pasted(text).map_err(|e| match e {
            DomainError::InvalidArgument { reason, violations } => DomainError::InvalidArgument {
                reason,
                violations: violations
                    .into_iter()
                    .map(|v| FieldViolation::new("lines_text", v.description))
                    .collect(),
            },
            other => other,
        })?;
        let checked =
            self.catalog
                .quick_order(account, &account.currency, inputs, &self.inventory)?;
        let mut v = Vec::new();
        let mut lines = Vec::new();
        for line in &checked {
            for problem in line.problems.iter().filter(|p| p.blocking()) {
                v.push(FieldViolation::new(
                    "lines_text",
                    format!(
                        "line {} ({}): {}",
                        line.input.line_number,
                        line.input.code,
                        problem.describe()
                    ),
                ));
            }
            if let (Some(product), Some(quantity)) = (&line.product, line.quantity) {
                lines.push(LineInput {
                    sku: product.sku.clone(),
                    quantity: quantity.normalize().to_string(),
                    expected_unit_price: String::new(),
                });
            }
        }
        if v.is_empty() {
            Ok(lines)
        } else {
            Err(invalid(v).into())
        }
    }

    /// A past order's lines, re-priced and checked as a quick order.
    pub fn reorder(&self, caller: &Caller, id: &str) -> Result<(Vec<QuickOrderLine>, String)> {
        let order = self.order_for(caller, Action::ReadOrders, id)?.value;
        let account = self.account(&order.account_id)?;
        let inputs = order
            .lines
            .iter()
            .map(|l| quick_order::QuickOrderInput {
                line_number: l.line_no,
                code: l.sku.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit: String::new(),
            })
            .collect();
        let lines =
            self.catalog
                .quick_order(&account, &account.currency, inputs, &self.inventory)?;
        Ok((lines, account.currency))
    }

    /// Adds the order, its list entries (when new), the notifications its
    /// change from `before` is worth and its feed entry to `commit`. Every
    /// order write goes through here.
    pub(super) fn put_order(
        &self,
        commit: Commit,
        before: Option<&Order>,
        order: &Order,
    ) -> Result<Commit> {
        let commit = self.notify(commit, before, order)?;
        // Feed readers read orders from the store: the commit's own ticket
        // is hold enough.
        let (commit, _) = self.feed.stage(
            commit,
            [tradeport_domain::feed::FeedEntry::Order {
                account_id: order.account_id.clone(),
                id: order.id.clone(),
            }],
        )?;
        let mut commit = commit.put_record(&keys::order(&order.id), order)?;
        if before.is_none() {
            commit = commit
                .put(
                    keys::by_account(&order.account_id, order.placed_at, &order.id),
                    Vec::new(),
                )
                .put(keys::all(order.placed_at, &order.id), Vec::new());
        }
        Ok(commit)
    }

    /// Adds reserving the order's stock to `commit`, SKU by SKU.
    pub(super) fn reserve(
        &self,
        commit: Commit,
        order: &mut Order,
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let mut wanted: BTreeMap<String, Decimal> = BTreeMap::new();
        for line in &order.lines {
            *wanted.entry(line.sku.clone()).or_default() += line.quantity;
        }
        let wanted: Vec<(String, Decimal)> = wanted.into_iter().collect();
        let (commit, reserved, levels) = self
            .inventory
            .stage_reservations(commit, &wanted, read_ahead)?;
        order.reservations = reserved;
        Ok((commit, levels))
    }
}

fn optional_decimal(field: &str, raw: &str, v: &mut Vec<FieldViolation>) -> Option<Decimal> {
    if raw.trim().is_empty() {
        return None;
    }
    match parse_decimal(field, raw) {
        Ok(d) => Some(d),
        Err(DomainError::InvalidArgument { violations, .. }) => {
            v.extend(violations);
            None
        }
        Err(other) => {
            v.push(FieldViolation::new(field, other.to_string()));
            None
        }
    }
}

fn invalid(violations: Vec<FieldViolation>) -> DomainError {
    DomainError::InvalidArgument {
        reason: "INVALID_ORDER",
        violations,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{SledStore, Store, encode};

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
