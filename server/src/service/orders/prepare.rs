//! Preparing a submission: everything that reads only the catalog, the
//! account and its settings is done before the order takes its turn at
//! the writer. The payment method is chosen, the submission checked, its
//! lines priced by the one pricing engine, exactly as PriceCart prices
//! them, and taxed; the domain's `submission` rules decide each step.

use super::{Orders, Result, keys};
use crate::service::catalog::Buyer;
use crate::store::versioned::get_value;
use tradeport_domain::DomainError;
use tradeport_domain::identity::{Caller, CallerKind};
use tradeport_domain::orders::submission::{
    NewOrder, Submission, invalid_order, order_lines, tax_request,
};
use tradeport_domain::orders::{Millis, Order, check_expectation};
use tradeport_domain::payments::{self, AccountPayment};
use tradeport_domain::tax::TaxExemption;

impl Orders {
    /// The order as the catalog, the account and the tax rules make it,
    /// not yet numbered or decided, and the payment chosen for it.
    pub(super) fn prepare(
        &self,
        caller: &Caller,
        buyer: &Buyer,
        s: &Submission,
        placed_at: Millis,
    ) -> Result<(Order, payments::Chosen)> {
        let account = &buyer.account;
        // The methods brand finance allowed the account, or the default
        // for its terms.
        let allowed =
            match get_value::<AccountPayment>(self.store(), &keys::payment_methods(&account.id))? {
                Some(allowed) => allowed,
                None => AccountPayment::default_for(&account.payment_terms)?,
            };
        let chosen = payments::choose(&allowed, &s.payment)?;
        let mut v = Vec::new();
        let (ship_to, expected) = s.check(account, &mut v);

        let view = self.catalog.view();
        let in_assortment = buyer.in_assortment(&view);
        let today = self.catalog.today();
        let ctx = buyer.terms(&account.currency, today, &in_assortment);
        let quote = match view.pricebook.price_cart(&ctx, &s.cart()) {
            Ok(quote) => Some(quote),
            Err(DomainError::InvalidArgument { violations, .. }) => {
                v.extend(violations);
                None
            }
            Err(other) => return Err(other.into()),
        };
        let (Some(quote), Some(ship_to), true) = (quote, ship_to, v.is_empty()) else {
            return Err(invalid_order(v).into());
        };
        let lines = order_lines(&quote, &view.index)?;

        let exemption: Option<TaxExemption> =
            get_value(self.store(), &keys::tax_exemption(&account.id))?;
        let tax = self.tax.compute(&tax_request(
            ship_to,
            today,
            &account.currency,
            exemption.as_ref(),
            &lines,
        ))?;
        let mut order = Order::submitted(NewOrder {
            id: format!("ord-{}", uuid::Uuid::now_v7().simple()),
            account_id: &account.id,
            placed_by: &caller.id,
            placed_at,
            submission: s,
            ship_to,
            currency: &account.currency,
            quote: &quote,
            lines,
            tax: &tax,
            contract_id: view.pricebook.active_contract(&account.id, today),
        });
        check_expectation(&expected, &order.lines, order.total)?;
        if caller.kind == CallerKind::User {
            order.unit_id = self
                .identity
                .user_record(&caller.id)?
                .and_then(|u| u.unit_id);
        }
        Ok((order, chosen))
    }
}
