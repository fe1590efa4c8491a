//! Which volume break prices a quantity. The rule is the one the feed
//! promises devices ("the price at quantity q is that of the last break
//! whose min_quantity <= q", see `CustomerPrices::price_breaks`), written
//! once here so that a device pricing offline from the breaks it was sent
//! applies the rule the server stated, not a copy of it.

use std::borrow::Borrow;

use rust_decimal::Decimal;

use super::PriceBreak;

impl PriceBreak {
    /// The break that prices `quantity`: the one with the greatest minimum
    /// quantity at or below it (of breaks with equal minimums, the last
    /// given). `None` when `quantity` is below every break. Breaks are
    /// sent ascending, but their order is not relied on. Generic over
    /// [`Borrow`] so that a caller can keep what else it knows of each
    /// break (a device keeps its currency) beside it.
    pub fn applying<B: Borrow<PriceBreak>>(breaks: &[B], quantity: Decimal) -> Option<&B> {
        let min_quantity = |b: &B| <B as Borrow<PriceBreak>>::borrow(b).min_quantity;
        breaks
            .iter()
            .filter(|b| min_quantity(b) <= quantity)
            .max_by_key(|b| min_quantity(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brk(min: i64, price: i64) -> PriceBreak {
        PriceBreak {
            min_quantity: Decimal::from(min),
            unit_price: Decimal::from(price),
        }
    }

    #[test]
    fn the_last_break_at_or_below_the_quantity_applies() {
        let breaks = [brk(0, 10), brk(10, 9), brk(100, 7)];
        let at = |q: i64| PriceBreak::applying(&breaks, Decimal::from(q)).map(|b| b.unit_price);
        assert_eq!(at(1), Some(Decimal::from(10)));
        assert_eq!(at(10), Some(Decimal::from(9)));
        assert_eq!(at(99), Some(Decimal::from(9)));
        assert_eq!(at(250), Some(Decimal::from(7)));
    }

    #[test]
    fn below_every_break_nothing_applies_and_order_does_not_matter() {
        let breaks = [brk(100, 7), brk(1, 10), brk(10, 9), brk(10, 8)];
        let at = |q: i64| PriceBreak::applying(&breaks, Decimal::from(q)).map(|b| b.unit_price);
        assert_eq!(at(0), None);
        assert_eq!(at(5), Some(Decimal::from(10)));
        // Of equal minimums, the last given.
        assert_eq!(at(10), Some(Decimal::from(8)));
        assert_eq!(PriceBreak::applying::<PriceBreak>(&[], Decimal::ONE), None);
    }
}
