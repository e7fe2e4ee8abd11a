//! Fuzzy client-name lookup for the `fuzzy-name` attribution rule (SPEC section 3).
//!
//! Similarity is the normalised Indel similarity `2·lcs / (len a + len b)` (equal to
//! `1 − (insertions + deletions) / (len a + len b)`) on name keys with spaces removed, counted
//! in characters. A payer is matched when the best similarity is at least 0.90 and beats the
//! second best by at least 0.05. All comparisons are exact integer arithmetic on the LCS
//! lengths, so no floating-point rounding can tip a decision.
//!
//! The index never compares a payer with every client. A client can only block or win a
//! decision if its similarity is at least 0.85 (0.90 − 0.05), which
//! - bounds the length ratio: `2·min(la, lb) ≥ 0.85·(la + lb)`;
//! - forces shared character bigrams: an LCS of length `s` leaves at least
//!   `3s − la − lb − 1` bigram occurrences common to both strings (each deleted character
//!   breaks at most the pairs on either side of it), so with `r` such shared occurrences
//!   required, one of the `m − r + 1` rarest bigram occurrences of the query must be shared
//!   (prefix filtering). Only the posting lists of those rare bigrams are read.
//!
//! Lengths so short that the bound says nothing (`r ≤ 0`) are scanned directly from a
//! per-length list; they are few and tiny.

use std::cmp::Ordering;
use std::collections::HashMap;

/// Lowest similarity that can matter (0.85 = 17/20): the acceptance threshold minus the margin.
const FLOOR: (usize, usize) = (17, 20);
/// Acceptance threshold 0.90 = 9/10.
const ACCEPT: (usize, usize) = (9, 10);
/// Required margin over the second best, 0.05 = 1/20.
const MARGIN: (usize, usize) = (1, 20);

/// A similarity as the exact fraction `2·lcs / total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Similarity {
    pub lcs: usize,
    pub total: usize,
}

impl Similarity {
    /// `2·lcs / total` as a float, for messages only.
    pub(crate) fn value(self) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let v = (2 * self.lcs) as f64 / self.total as f64;
        v
    }

    /// `self ≥ num/den`.
    fn at_least(self, (num, den): (usize, usize)) -> bool {
        2 * self.lcs * den >= num * self.total
    }

    /// `self − other ≥ num/den`, exactly.
    fn beats_by(self, other: Similarity, (num, den): (usize, usize)) -> bool {
        // 2a/n1 − 2b/n2 ≥ num/den  <=>  2·den·(a·n2 − b·n1) ≥ num·n1·n2
        let lhs = 2 * den * (self.lcs * other.total);
        let rhs = 2 * den * (other.lcs * self.total) + num * self.total * other.total;
        lhs >= rhs
    }
}

impl PartialOrd for Similarity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Similarity {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.lcs * other.total).cmp(&(other.lcs * self.total))
    }
}

/// What the index says about one payer name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FuzzyOutcome {
    /// One client wins: its key and the similarity.
    Matched {
        client: String,
        similarity: Similarity,
    },
    /// The best is close enough but does not beat the runner-up by the margin.
    Tie {
        best: (String, Similarity),
        second: (String, Similarity),
    },
    /// Nothing reaches the threshold; the best candidate seen (at least 0.85), if any.
    TooFar { best: Option<(String, Similarity)> },
}

/// Bigram index over the distinct spaceless name keys of all clients.
pub(crate) struct FuzzyIndex {
    /// Distinct spaceless name keys.
    names: Vec<Vec<char>>,
    /// For each name, the client keys that carry it (sorted).
    owners: Vec<Vec<String>>,
    /// Bigram -> (name id, occurrences of the bigram in the name).
    grams: HashMap<(char, char), Vec<(u32, u32)>>,
    /// Name ids by length in characters.
    by_len: HashMap<usize, Vec<u32>>,
}

fn bigram_counts(name: &[char]) -> HashMap<(char, char), u32> {
    let mut counts = HashMap::new();
    for w in name.windows(2) {
        *counts.entry((w[0], w[1])).or_insert(0) += 1;
    }
    counts
}

/// Whether two lengths can reach the floor similarity at all.
fn lengths_admissible(la: usize, lb: usize) -> bool {
    2 * la.min(lb) * FLOOR.1 >= FLOOR.0 * (la + lb)
}

/// Minimum shared bigram occurrences for lengths `la`, `lb` at the floor similarity.
fn required_shared(la: usize, lb: usize) -> i64 {
    // s_min = ceil(FLOOR · (la + lb) / 2)
    let s_min = (FLOOR.0 * (la + lb)).div_ceil(2 * FLOOR.1);
    #[allow(clippy::cast_possible_wrap)]
    let r = 3 * s_min as i64 - la as i64 - lb as i64 - 1;
    r
}

impl FuzzyIndex {
    /// Builds the index from `(client key, spaceless name key)` pairs. Empty names are skipped.
    pub(crate) fn new<'a>(clients: impl Iterator<Item = (&'a str, String)>) -> FuzzyIndex {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut index = FuzzyIndex {
            names: Vec::new(),
            owners: Vec::new(),
            grams: HashMap::new(),
            by_len: HashMap::new(),
        };
        for (client, name) in clients {
            if name.is_empty() {
                continue;
            }
            let id = *ids.entry(name.clone()).or_insert_with(|| {
                let id = u32::try_from(index.names.len()).expect("fewer than 2^32 client names");
                let chars: Vec<char> = name.chars().collect();
                for (gram, count) in bigram_counts(&chars) {
                    index.grams.entry(gram).or_default().push((id, count));
                }
                index.by_len.entry(chars.len()).or_default().push(id);
                index.names.push(chars);
                index.owners.push(Vec::new());
                id
            });
            index.owners[id as usize].push(client.to_string());
        }
        for owners in &mut index.owners {
            owners.sort();
            owners.dedup();
        }
        index
    }

    /// Name ids that may reach the floor similarity with `query`, each once, ascending.
    fn candidates(&self, query: &[char]) -> Vec<u32> {
        let la = query.len();
        let lengths: Vec<usize> = {
            let lo = (FLOOR.0 * la).div_ceil(2 * FLOOR.1 - FLOOR.0).max(1);
            let hi = (2 * FLOOR.1 - FLOOR.0) * la / FLOOR.0;
            (lo..=hi).filter(|&lb| lengths_admissible(la, lb)).collect()
        };
        let mut out = Vec::new();
        let r_min = lengths.iter().map(|&lb| required_shared(la, lb)).min();
        let Some(r_min) = r_min else {
            return out;
        };
        if r_min <= 0 || la < 2 {
            for lb in &lengths {
                if let Some(ids) = self.by_len.get(lb) {
                    out.extend_from_slice(ids);
                }
            }
        } else {
            // Bigram occurrences of the query, rarest first (ties by bigram for determinism).
            let mut occurrences: Vec<(usize, (char, char))> = query
                .windows(2)
                .map(|w| {
                    let gram = (w[0], w[1]);
                    (self.grams.get(&gram).map_or(0, Vec::len), gram)
                })
                .collect();
            occurrences.sort_unstable();
            let m = occurrences.len();
            let r = usize::try_from(r_min).unwrap_or(usize::MAX);
            if r > m {
                return out;
            }
            let mut probes: Vec<(char, char)> =
                occurrences[..=m - r].iter().map(|(_, g)| *g).collect();
            probes.sort_unstable();
            probes.dedup();
            for gram in probes {
                if let Some(postings) = self.grams.get(&gram) {
                    out.extend(
                        postings
                            .iter()
                            .filter(|(id, _)| {
                                lengths_admissible(la, self.names[*id as usize].len())
                            })
                            .map(|(id, _)| *id),
                    );
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Looks up one spaceless payer name key.
    pub(crate) fn lookup(&self, query: &str) -> FuzzyOutcome {
        let query: Vec<char> = query.chars().collect();
        if query.is_empty() {
            return FuzzyOutcome::TooFar { best: None };
        }
        let pattern = Pattern::new(&query);
        // (similarity, client key) of every client at or above the floor.
        let mut scored: Vec<(Similarity, &str)> = Vec::new();
        for id in self.candidates(&query) {
            let name = &self.names[id as usize];
            let sim = Similarity {
                lcs: pattern.lcs(&query, name),
                total: query.len() + name.len(),
            };
            if sim.at_least(FLOOR) {
                for owner in &self.owners[id as usize] {
                    scored.push((sim, owner));
                }
            }
        }
        // Best first; equal similarities by client key so the message is deterministic.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        // A client known by several names counts once, with its best name.
        let mut seen = std::collections::HashSet::new();
        scored.retain(|(_, client)| seen.insert(*client));
        let Some(&(best, best_client)) = scored.first() else {
            return FuzzyOutcome::TooFar { best: None };
        };
        if !best.at_least(ACCEPT) {
            return FuzzyOutcome::TooFar {
                best: Some((best_client.to_string(), best)),
            };
        }
        match scored.get(1) {
            Some(&(second, second_client)) if !best.beats_by(second, MARGIN) => FuzzyOutcome::Tie {
                best: (best_client.to_string(), best),
                second: (second_client.to_string(), second),
            },
            _ => FuzzyOutcome::Matched {
                client: best_client.to_string(),
                similarity: best,
            },
        }
    }
}

/// Bit-parallel LCS (one 64-bit word) for a fixed query; longer queries use a plain DP.
struct Pattern {
    ascii: [u64; 128],
    other: Vec<(char, u64)>,
    usable: bool,
}

impl Pattern {
    fn new(query: &[char]) -> Pattern {
        let mut pattern = Pattern {
            ascii: [0; 128],
            other: Vec::new(),
            usable: query.len() <= 64,
        };
        if pattern.usable {
            for (i, &c) in query.iter().enumerate() {
                let bit = 1u64 << i;
                if c.is_ascii() {
                    pattern.ascii[c as usize] |= bit;
                } else if let Some(entry) = pattern.other.iter_mut().find(|(k, _)| *k == c) {
                    entry.1 |= bit;
                } else {
                    pattern.other.push((c, bit));
                }
            }
        }
        pattern
    }

    fn mask(&self, c: char) -> u64 {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.other
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(0, |(_, m)| *m)
        }
    }

    /// Length of the longest common subsequence of the query and `text`.
    fn lcs(&self, query: &[char], text: &[char]) -> usize {
        if !self.usable {
            return lcs_dp(query, text);
        }
        let mut v: u64 = !0;
        for &c in text {
            let u = v & self.mask(c);
            v = v.wrapping_add(u) | (v - u);
        }
        let used = if query.len() == 64 {
            !0
        } else {
            (1u64 << query.len()) - 1
        };
        (!v & used).count_ones() as usize
    }
}

/// Textbook LCS by dynamic programming, two rows.
pub(crate) fn lcs_dp(a: &[char], b: &[char]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for &ca in a {
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(names: &[(&str, &str)]) -> FuzzyIndex {
        FuzzyIndex::new(names.iter().map(|(k, n)| (*k, n.to_string())))
    }

    /// Every client compared with the query: the reference the index must agree with.
    fn brute(names: &[(&str, &str)], query: &str) -> FuzzyOutcome {
        let q: Vec<char> = query.chars().collect();
        let mut scored: Vec<(Similarity, &str)> = names
            .iter()
            .map(|(k, n)| {
                let n: Vec<char> = n.chars().collect();
                (
                    Similarity {
                        lcs: lcs_dp(&q, &n),
                        total: q.len() + n.len(),
                    },
                    *k,
                )
            })
            .filter(|(s, _)| s.at_least(FLOOR))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        match (scored.first(), scored.get(1)) {
            (None, _) => FuzzyOutcome::TooFar { best: None },
            (Some(&(b, k)), _) if !b.at_least(ACCEPT) => FuzzyOutcome::TooFar {
                best: Some((k.to_string(), b)),
            },
            (Some(&(b, k)), Some(&(s, k2))) if !b.beats_by(s, MARGIN) => FuzzyOutcome::Tie {
                best: (k.to_string(), b),
                second: (k2.to_string(), s),
            },
            (Some(&(b, k)), _) => FuzzyOutcome::Matched {
                client: k.to_string(),
                similarity: b,
            },
        }
    }

    #[test]
    fn similarity_is_exact_indel() {
        let p: Vec<char> = "acmewidgets".chars().collect();
        let q: Vec<char> = "acmewidgetz".chars().collect();
        assert_eq!(Pattern::new(&p).lcs(&p, &q), 10);
        let s = Similarity { lcs: 10, total: 22 };
        assert!(s.at_least(ACCEPT));
        assert!((s.value() - 20.0 / 22.0).abs() < 1e-12);
        // 0.95 beats 0.90 by exactly 0.05: decides.
        let a = Similarity { lcs: 19, total: 40 };
        let b = Similarity { lcs: 9, total: 20 };
        assert!(a.beats_by(b, MARGIN));
        let c = Similarity {
            lcs: 91,
            total: 200,
        };
        assert!(!a.beats_by(c, MARGIN));
    }

    #[test]
    fn matches_a_typo_and_refuses_a_tie() {
        let names = [
            ("C1", "acmewidgets"),
            ("C2", "globexcorporation"),
            ("C3", "כהןושות"),
        ];
        let idx = index(&names);
        assert!(
            matches!(idx.lookup("acmewidgetz"), FuzzyOutcome::Matched { client, .. } if client == "C1")
        );
        assert!(
            matches!(idx.lookup("כהןושותף"), FuzzyOutcome::Matched { client, .. } if client == "C3")
        );
        assert!(matches!(
            idx.lookup("initech"),
            FuzzyOutcome::TooFar { best: None }
        ));
        let twins = index(&[("A", "levisons"), ("B", "levisonz")]);
        assert!(matches!(twins.lookup("levison"), FuzzyOutcome::Tie { .. }));
    }

    #[test]
    fn long_names_fall_back_to_dp() {
        let long: String = "abcdefghij".repeat(7);
        let mut typo = long.clone();
        typo.push('x');
        let idx = index(&[("L", long.as_str())]);
        assert!(matches!(idx.lookup(&typo), FuzzyOutcome::Matched { .. }));
    }

    proptest! {
        #[test]
        fn bit_parallel_lcs_equals_dp(a in "[abc\u{5d0}\u{5d1}]{0,70}", b in "[abc\u{5d0}\u{5d1}]{0,70}") {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            prop_assert_eq!(Pattern::new(&a).lcs(&a, &b), lcs_dp(&a, &b));
        }

        #[test]
        fn index_agrees_with_brute_force(
            names in proptest::collection::vec("[abcd]{1,12}", 1..25),
            query in "[abcd]{1,12}",
        ) {
            let keys: Vec<String> = (0..names.len()).map(|i| format!("K{i:02}")).collect();
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(String::as_str).zip(names.iter().map(String::as_str)).collect();
            prop_assert_eq!(index(&pairs).lookup(&query), brute(&pairs, &query));
        }
    }
}
