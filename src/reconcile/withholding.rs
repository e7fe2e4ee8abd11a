//! Rule `withholding` (SPEC section 11): Israeli withholding tax at source (ניכוי במקור). The
//! payer deducts a rate from the invoice and pays the rest; the deducted part is not debt, the
//! accountant collects the payer's certificate instead.
//!
//! The arithmetic lives here; the allocation order in [`super::allocate`]:
//! - (a) a payment that named invoices and pays `(1 − r/100)` of their open balances, each
//!   rounded to the minor unit, give or take one minor unit per invoice ([`split`]);
//! - (b) a payment that named nothing and equals one open invoice's balance × `(1 − r/100)`,
//!   give or take one minor unit (looked up by the allocation's index of such amounts);
//! - a receipt that states its withheld amount (the unified file): that amount, shared out over
//!   the invoices it names in proportion to their open balances ([`share`]).

use rust_decimal::Decimal;

use crate::model::{minor_digits, round_money};

/// What a payment pays of an amount under rate `rate` (percent): `1 − rate/100`.
#[must_use]
pub(crate) fn factor(rate: Decimal) -> Decimal {
    Decimal::ONE - rate / Decimal::ONE_HUNDRED
}

/// One minor unit of `currency` (0.01 for ILS).
#[must_use]
pub(crate) fn unit(currency: &str) -> Decimal {
    Decimal::new(1, minor_digits(currency))
}

/// Case (a): when `amount` pays `opens` (open balances above 0, memo order) less one of
/// `rates`, the part of `amount` each invoice gets (adding up to `amount` exactly, none above
/// its open balance); the rest of each balance is withheld. Rates are tried in order.
#[must_use]
pub(crate) fn split(
    opens: &[Decimal],
    amount: Decimal,
    rates: &[Decimal],
    currency: &str,
) -> Option<Vec<Decimal>> {
    let one = unit(currency);
    let n = Decimal::from(opens.len());
    for &rate in rates {
        let f = factor(rate);
        let mut paid: Vec<Decimal> = opens
            .iter()
            .map(|o| round_money(*o * f, currency))
            .collect();
        let expected: Decimal = paid.iter().sum();
        let mut diff = amount - expected;
        if diff.abs() > one * n {
            continue;
        }
        // One minor unit at a time, first invoices first, never above the open balance nor
        // below zero.
        for (p, open) in paid.iter_mut().zip(opens) {
            if diff > Decimal::ZERO && *p + one <= *open {
                *p += one;
                diff -= one;
            } else if diff < Decimal::ZERO && *p >= one {
                *p -= one;
                diff += one;
            }
        }
        if diff.is_zero() && paid.iter().zip(opens).any(|(p, o)| p < o) {
            return Some(paid);
        }
    }
    None
}

/// A stated withheld amount `withheld` shared over `opens` (open balances above 0) in
/// proportion to them, rounded to the minor unit, the last taking the rest; no share above
/// its balance. The shares add up to `min(withheld, Σ opens)`.
#[must_use]
pub(crate) fn share(withheld: Decimal, opens: &[Decimal], currency: &str) -> Vec<Decimal> {
    let total: Decimal = opens.iter().sum();
    let mut left = withheld.min(total);
    if total <= Decimal::ZERO || left <= Decimal::ZERO {
        return vec![Decimal::ZERO; opens.len()];
    }
    let whole = left;
    let mut shares = Vec::with_capacity(opens.len());
    for (i, &open) in opens.iter().enumerate() {
        let part = if i + 1 == opens.len() {
            left
        } else {
            round_money(whole * open / total, currency)
        }
        .min(open)
        .min(left)
        .max(Decimal::ZERO);
        shares.push(part);
        left -= part;
    }
    // What rounding left over goes to the first balances with room.
    for (s, &open) in shares.iter_mut().zip(opens) {
        if left <= Decimal::ZERO {
            break;
        }
        let room = (open - *s).min(left);
        *s += room;
        left -= room;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn m(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test amount")
    }

    #[test]
    fn five_percent_of_two_invoices_within_a_minor_unit_each() {
        let opens = [m("1000.00"), m("333.33")];
        // 950.00 + 316.66 (316.6635 rounded) = 1266.66
        assert_eq!(
            split(&opens, m("1266.66"), &[m("5")], "ILS"),
            Some(vec![m("950.00"), m("316.66")])
        );
        // One minor unit per invoice either way still fits.
        assert!(split(&opens, m("1266.68"), &[m("5")], "ILS").is_some());
        assert!(split(&opens, m("1266.64"), &[m("5")], "ILS").is_some());
        // Three is too many.
        assert_eq!(split(&opens, m("1266.69"), &[m("5")], "ILS"), None);
        assert_eq!(split(&opens, m("1266.63"), &[m("5")], "ILS"), None);
        // The second rate fits.
        assert!(split(&opens, m("1200.00"), &[m("5"), m("10")], "ILS").is_some());
    }

    #[test]
    fn a_stated_amount_is_shared_in_proportion() {
        let shares = share(m("30.00"), &[m("200.00"), m("400.00")], "ILS");
        assert_eq!(shares, vec![m("10.00"), m("20.00")]);
        let shares = share(m("10.00"), &[m("1.00"), m("1.00"), m("1.00")], "ILS");
        assert_eq!(shares.iter().sum::<Decimal>(), m("3.00"));
    }

    proptest! {
        #[test]
        fn a_split_pays_exactly_and_withholds_near_the_rate(
            cents in prop::collection::vec(100i64..10_000_000, 1..6),
            rate in 1u32..30,
            off in -1i64..=1,
        ) {
            let opens: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 2)).collect();
            let rate = Decimal::from(rate);
            let f = factor(rate);
            let amount: Decimal = opens.iter().map(|o| round_money(*o * f, "ILS")).sum::<Decimal>()
                + Decimal::new(off, 2);
            let paid = split(&opens, amount, &[rate], "ILS").expect("fits");
            prop_assert_eq!(paid.iter().sum::<Decimal>(), amount);
            for (p, o) in paid.iter().zip(&opens) {
                let exact = round_money(*o * f, "ILS");
                prop_assert!((*p - exact).abs() <= Decimal::new(1, 2));
                prop_assert!(p <= o);
            }
        }

        #[test]
        fn shares_add_up(cents in prop::collection::vec(1i64..1_000_000, 1..6), w in 1i64..2_000_000) {
            let opens: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 2)).collect();
            let withheld = Decimal::new(w, 2);
            let shares = share(withheld, &opens, "ILS");
            let total: Decimal = opens.iter().sum();
            prop_assert_eq!(shares.iter().sum::<Decimal>(), withheld.min(total));
            for (s, o) in shares.iter().zip(&opens) {
                prop_assert!(*s >= Decimal::ZERO && s <= o);
            }
        }
    }
}
