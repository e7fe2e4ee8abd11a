//! Rule `exact-set` (SPEC section 11): the set of a client's open invoices whose open balances
//! add up exactly to a lump-sum payment that named no invoice and matched no single one.
//!
//! The search is over integer minor units, among at most [`CANDIDATES`] invoices (the client's
//! oldest open ones), for sets of at most [`MAX_SET`]. It meets in the middle: every subset of
//! the first half whose sum does not pass the payment is listed and sorted by sum; every subset
//! of the second half then looks up the sum it still needs. Balances are positive, so a partial
//! sum above the payment ends its branch. At most 2^12 + 2^13 subsets are ever listed, whatever
//! the balances; the search stops at the second set, since two sets decide nothing.

/// How many of the client's oldest open invoices are searched.
pub(crate) const CANDIDATES: usize = 25;

/// The most invoices in a set.
pub(crate) const MAX_SET: usize = 8;

/// A subset of one half: its sum, its size and its members as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Subset {
    sum: i64,
    size: u8,
    mask: u32,
}

/// Every subset of `values` (at most 16 of them) with at most `max_size` members and a sum of
/// at most `limit`, the empty one included.
fn subsets(values: &[i64], limit: i64, max_size: usize, out: &mut Vec<Subset>) {
    fn walk(
        values: &[i64],
        from: usize,
        at: Subset,
        limit: i64,
        max_size: usize,
        out: &mut Vec<Subset>,
    ) {
        out.push(at);
        if usize::from(at.size) == max_size {
            return;
        }
        for (i, &v) in values.iter().enumerate().skip(from) {
            let Some(sum) = at.sum.checked_add(v).filter(|s| *s <= limit) else {
                continue;
            };
            let next = Subset {
                sum,
                size: at.size + 1,
                mask: at.mask | (1 << i),
            };
            walk(values, i + 1, next, limit, max_size, out);
        }
    }
    walk(
        values,
        0,
        Subset {
            sum: 0,
            size: 0,
            mask: 0,
        },
        limit,
        max_size,
        out,
    );
}

/// The sets of `values` (open balances in minor units, each above 0, at most [`CANDIDATES`])
/// with at most `max_size` members that add up to `target`: none, one, or the first two found
/// (then there may be more). Each set lists indexes into `values`, ascending.
#[must_use]
pub(crate) fn find(values: &[i64], target: i64, max_size: usize) -> Vec<Vec<usize>> {
    let mut found: Vec<Vec<usize>> = Vec::new();
    if target <= 0 || values.is_empty() || values.len() > CANDIDATES || max_size == 0 {
        return found;
    }
    if values.iter().any(|&v| v <= 0) {
        return found;
    }
    // Quick answers: the largest `max_size` balances do not reach the payment.
    let mut largest: Vec<i64> = values.to_vec();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    let reach: i64 = largest
        .iter()
        .take(max_size)
        .fold(0i64, |acc, &v| acc.saturating_add(v));
    if reach < target {
        return found;
    }
    let half = values.len() / 2;
    let (left, right) = values.split_at(half);
    let mut firsts = Vec::new();
    subsets(left, target, max_size, &mut firsts);
    firsts.sort_unstable();
    let mut seconds = Vec::new();
    subsets(right, target, max_size, &mut seconds);
    for second in seconds {
        let need = target - second.sum;
        let start = firsts.partition_point(|s| s.sum < need);
        for first in firsts[start..].iter().take_while(|s| s.sum == need) {
            if usize::from(first.size + second.size) > max_size {
                // Sorted by size within a sum: the rest are larger still.
                break;
            }
            let mut set: Vec<usize> = (0..half).filter(|i| first.mask & (1 << i) != 0).collect();
            set.extend(
                (0..right.len())
                    .filter(|i| second.mask & (1 << i) != 0)
                    .map(|i| half + i),
            );
            found.push(set);
            if found.len() == 2 {
                return found;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_set_is_found_and_two_are_reported() {
        assert_eq!(find(&[100, 250, 400, 75], 475, 8), vec![vec![2, 3]]);
        assert_eq!(find(&[100, 250, 400, 75], 825, 8), vec![vec![0, 1, 2, 3]]);
        assert_eq!(find(&[100, 250, 400, 75], 826, 8), Vec::<Vec<usize>>::new());
        // 100 + 250 and 350: two sets.
        let two = find(&[100, 250, 350, 999], 350, 8);
        assert_eq!(two.len(), 2);
        // Equal balances make two sets of the same sum.
        assert_eq!(find(&[300, 300, 500], 800, 8).len(), 2);
    }

    #[test]
    fn sets_stay_within_their_size() {
        let values = [1, 2, 4, 8, 16, 32, 64, 128, 256];
        assert_eq!(find(&values, 511, 8), Vec::<Vec<usize>>::new());
        assert_eq!(find(&values, 511, 9).len(), 1);
        assert_eq!(find(&values, 255, 8), vec![vec![0, 1, 2, 3, 4, 5, 6, 7]]);
    }

    #[test]
    fn twenty_five_balances_are_searched_quickly() {
        // Powers of two: every sum has exactly one set.
        let values: Vec<i64> = (0..25).map(|i| 1i64 << i).collect();
        let target = (1 << 3) + (1 << 11) + (1 << 12) + (1 << 24);
        assert_eq!(find(&values, target, 8), vec![vec![3, 11, 12, 24]]);
        // Many equal balances: stops at the second set.
        let same = vec![500i64; 25];
        assert_eq!(find(&same, 4000, 8).len(), 2);
    }

    /// Every set of at most `max` members that sums to `target`, by brute force.
    fn brute(values: &[i64], target: i64, max: usize) -> usize {
        (1u32..(1 << values.len()))
            .filter(|m| m.count_ones() as usize <= max)
            .filter(|m| {
                (0..values.len())
                    .filter(|i| m & (1 << i) != 0)
                    .map(|i| values[i])
                    .sum::<i64>()
                    == target
            })
            .count()
    }

    proptest! {
        #[test]
        fn agrees_with_brute_force(
            values in prop::collection::vec(1i64..2_000, 0..13),
            pick in prop::collection::vec(any::<bool>(), 13),
            extra in -3i64..3,
        ) {
            let target: i64 = values.iter().zip(&pick).filter(|(_, p)| **p).map(|(v, _)| v).sum::<i64>() + extra;
            let sets = find(&values, target, 4);
            let expected = brute(&values, target, 4);
            prop_assert_eq!(sets.len(), expected.min(2));
            for set in &sets {
                prop_assert!(set.len() <= 4);
                prop_assert_eq!(set.iter().map(|&i| values[i]).sum::<i64>(), target);
            }
        }
    }
}
