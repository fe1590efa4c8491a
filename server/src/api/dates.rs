//! Calendar days on the wire (`google.type.Date`) and in the domain.
//!
//! The domain checks days in their text form, "YYYY-MM-DD": the stock CSV
//! and order drafts carry them so, and one check names the bad field and
//! collects it with the request's other violations. So a wire date is
//! decoded into that text and left to the domain to accept or refuse.

use time::Date;
use tradeport_proto::google::r#type::Date as WireDate;

/// A wire date as the domain's text: "" when unset. Parts outside
/// `google.type.Date`'s full-date ranges (year 0 for "no year", month or
/// day 0 for a partial date) keep their digits unpadded, a form the
/// domain refuses, so a partial date is never read as a day of year 0.
pub fn date_text(wire: Option<WireDate>) -> String {
    let Some(d) = wire else {
        return String::new();
    };
    let year = if (1..=9999).contains(&d.year) {
        format!("{:04}", d.year)
    } else {
        d.year.to_string()
    };
    let part = |n: i32, max: i32| {
        if (1..=max).contains(&n) {
            format!("{n:02}")
        } else {
            n.to_string()
        }
    };
    format!("{year}-{}-{}", part(d.month, 12), part(d.day, 31))
}

/// A domain day on the wire.
pub fn date_to(day: Date) -> WireDate {
    WireDate {
        year: day.year(),
        month: i32::from(u8::from(day.month())),
        day: i32::from(day.day()),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;
    use tradeport_domain::pricing::price_date;

    use super::*;

    fn wire(year: i32, month: i32, day: i32) -> Option<WireDate> {
        Some(WireDate { year, month, day })
    }

    #[test]
    fn a_full_date_reads_as_that_day_and_back() {
        let today = date!(2026 - 01 - 01);
        for day in [
            date!(2026 - 06 - 30),
            date!(0001 - 01 - 01),
            date!(9999 - 12 - 31),
        ] {
            let text = date_text(Some(date_to(day)));
            assert_eq!(
                price_date("price_date", &text, today).unwrap(),
                day,
                "{text}"
            );
        }
        assert_eq!(date_text(wire(2028, 2, 29)), "2028-02-29");
    }

    #[test]
    fn unset_is_empty() {
        assert_eq!(date_text(None), "");
    }

    #[test]
    fn partial_impossible_and_out_of_range_dates_are_refused() {
        let today = date!(2026 - 01 - 01);
        for (y, m, d) in [
            (0, 6, 30),
            (2026, 0, 0),
            (2026, 6, 0),
            (0, 0, 0),
            (2026, 2, 30),
            (2027, 2, 29),
            (2026, 13, 1),
            (2026, 4, 31),
            (10000, 1, 1),
            (-5, 1, 1),
            (2026, -1, 1),
            (2026, 1, 32),
        ] {
            let text = date_text(wire(y, m, d));
            let refused = price_date("price_date", &text, today);
            assert!(refused.is_err(), "{y}-{m}-{d} read as {refused:?}");
        }
    }
}
