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
//! - forces shared character q-grams: an LCS of length `s` leaves at least
//!   `(s − q + 1) − (q − 1)·(la − s) − (q − 1)·(lb − s)` q-gram occurrences common to both
//!   strings (each gap in the LCS's embedding breaks at most `q − 1` of its q-grams), so with
//!   `r` shared occurrences required, one of the `m − r + 1` rarest q-gram occurrences of the
//!   query must be shared (prefix filtering). Only the posting lists of those are read, and
//!   a name read there is scored only if it appears in enough of them: a name of length `lb`
//!   shares at most `m − p` occurrences outside the `p` read, so it must share at least
//!   `r(la, lb) − (m − p)` among them (count filtering; this halves the LCS computations).
//!
//! Both bigrams and trigrams are indexed; per query the cheaper plan is chosen by the total
//! length of the posting lists it would read (bigrams suit short names, trigrams long ones),
//! or a scan of the names of admissible lengths when neither bound says anything (`r ≤ 0`,
//! very short names). Every plan is exact: it never misses a client at or above the floor.

use std::cmp::Ordering;

use crate::hash::HashMap;
use crate::normalize::lcs_len;

/// Lowest similarity that can matter (0.85 = 17/20): the acceptance threshold minus the margin.
#[cfg(test)]
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
    /// Nothing reaches the threshold 0.90. (`best` is kept for messages; the two-stage
    /// search never fills it, as nothing below 0.90 is scored unless something reached it.)
    TooFar { best: Option<(String, Similarity)> },
}

/// Bigram index over the distinct spaceless name keys of all clients.
pub(crate) struct FuzzyIndex {
    /// Distinct spaceless name keys, one after another: name `i` is
    /// `chars[starts[i]..starts[i + 1]]` (one allocation, read in order by the LCS).
    chars: Vec<char>,
    starts: Vec<usize>,
    /// For each name, the client keys that carry it (sorted).
    owners: Vec<Vec<String>>,
    /// Bigram or trigram ([`gram_keys`]) -> the names holding it: with `by_length`, each as
    /// [`with_length`] of its id, in order of length; else their ids.
    grams: HashMap<u64, Vec<u32>>,
    /// Whether the posting lists are in order of length (every index of fewer than 2^24 names).
    by_length: bool,
    /// Name ids by length in characters.
    by_len: HashMap<usize, Vec<u32>>,
}

/// The q-grams of `name` (q = 2 or 3) packed into one number each; trigrams carry a flag
/// bit so they never equal a bigram.
fn gram_keys(name: &[char], q: usize) -> impl Iterator<Item = u64> + '_ {
    name.windows(q).map(move |w| {
        let mut key = if q == 3 { 1u64 << 63 } else { 0 };
        for c in w {
            key = (key << 21) | u64::from(*c);
        }
        key
    })
}

/// The bits of a posting that hold the name's id when the lists are in order of length.
const ID_MASK: u32 = (1 << 24) - 1;

/// A posting of name `id` (below 2^24) of `len` characters: the length (at most 255) above the
/// id, so that the posting lists sort by length.
fn with_length(id: u32, len: usize) -> u32 {
    (u32::try_from(len.min(255)).unwrap_or(255) << 24) | id
}

/// Whether two lengths can reach similarity `floor` at all: `2·min(la, lb) ≥ floor·(la + lb)`.
fn lengths_admissible(la: usize, lb: usize, (num, den): (usize, usize)) -> bool {
    2 * la.min(lb) * den >= num * (la + lb)
}

/// Minimum shared q-gram occurrences for lengths `la`, `lb` at similarity `floor`.
#[allow(clippy::cast_possible_wrap)]
fn required_shared(la: usize, lb: usize, (num, den): (usize, usize), q: usize) -> i64 {
    // s_min = ceil(floor · (la + lb) / 2)
    let s = (num * (la + lb)).div_ceil(2 * den) as i64;
    let (la, lb, q) = (la as i64, lb as i64, q as i64);
    (s - q + 1) - (q - 1) * (la - s) - (q - 1) * (lb - s)
}

/// The postings to read for `occurrences` sorted by (posting length, gram): each gram's once.
fn distinct_cost(occurrences: &[(usize, u64)]) -> usize {
    let mut cost = 0;
    let mut last = None;
    for &(len, gram) in occurrences {
        if last != Some(gram) {
            cost += len;
            last = Some(gram);
        }
    }
    cost
}

/// Per-thread scratch space: a stamp per name id, so candidates are collected once each
/// without sorting long lists, and the lists one lookup needs, kept between lookups.
pub(crate) struct Scratch {
    /// Per name id: the epoch it was last seen in, and how many of the query occurrences read
    /// in that epoch it may share (side by side: one memory access for both).
    stamp: Vec<(u32, u32)>,
    epoch: u32,
    lengths: Vec<usize>,
    occurrences: Vec<(usize, u64)>,
    probes: Vec<(u64, u32)>,
    candidates: Vec<u32>,
}

/// A client's similarity to the query, as it competes for first and second place.
type Scored<'a> = (Similarity, &'a str);

/// Whether `a` ranks before `b`: higher similarity first, equal similarities by client key.
fn ranks_before(a: Scored<'_>, b: Scored<'_>) -> bool {
    match a.0.cmp(&b.0) {
        Ordering::Greater => true,
        Ordering::Equal => a.1 < b.1,
        Ordering::Less => false,
    }
}

/// The best client and the best other client, as in the list of all clients ranked by
/// [`ranks_before`] with each client kept at its best place.
#[derive(Default)]
struct TopTwo<'a> {
    best: Option<Scored<'a>>,
    second: Option<Scored<'a>>,
}

impl<'a> TopTwo<'a> {
    fn offer(&mut self, entry: Scored<'a>) {
        let Some(best) = self.best else {
            self.best = Some(entry);
            return;
        };
        if ranks_before(entry, best) {
            if entry.1 != best.1 {
                self.second = Some(best);
            }
            self.best = Some(entry);
        } else if entry.1 != best.1 && self.second.is_none_or(|second| ranks_before(entry, second))
        {
            self.second = Some(entry);
        }
    }
}

impl FuzzyIndex {
    /// Builds the index from `(client key, spaceless name key)` pairs. Empty names are skipped.
    pub(crate) fn new<'a>(clients: impl Iterator<Item = (&'a str, String)>) -> FuzzyIndex {
        let mut ids: HashMap<String, u32> = HashMap::default();
        let mut index = FuzzyIndex {
            chars: Vec::new(),
            starts: vec![0],
            owners: Vec::new(),
            grams: HashMap::default(),
            by_len: HashMap::default(),
            by_length: false,
        };
        for (client, name) in clients {
            if name.is_empty() {
                continue;
            }
            let id = *ids.entry(name.clone()).or_insert_with(|| {
                let id = u32::try_from(index.owners.len()).expect("fewer than 2^32 client names");
                let chars: Vec<char> = name.chars().collect();
                for q in [2, 3] {
                    for gram in gram_keys(&chars, q) {
                        let postings = index.grams.entry(gram).or_default();
                        if postings.last() != Some(&id) {
                            postings.push(id);
                        }
                    }
                }
                index.by_len.entry(chars.len()).or_default().push(id);
                index.chars.extend_from_slice(&chars);
                index.starts.push(index.chars.len());
                index.owners.push(Vec::new());
                id
            });
            index.owners[id as usize].push(client.to_string());
        }
        for owners in &mut index.owners {
            owners.sort();
            owners.dedup();
        }
        // A lookup reads only the names of admissible lengths in each posting list: at 100,000
        // clients the lists are long, and many names in them are too short or too long.
        if index.owners.len() <= ID_MASK as usize + 1 {
            let starts = &index.starts;
            for postings in index.grams.values_mut() {
                for p in postings.iter_mut() {
                    let id = *p as usize;
                    *p = with_length(*p, starts[id + 1] - starts[id]);
                }
                postings.sort_unstable();
            }
            index.by_length = true;
        }
        index
    }

    /// Fresh scratch space for [`FuzzyIndex::lookup`].
    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            stamp: vec![(0, 0); self.owners.len()],
            epoch: 0,
            lengths: Vec::new(),
            occurrences: Vec::new(),
            probes: Vec::new(),
            candidates: Vec::new(),
        }
    }

    /// The characters of name `id`.
    fn name(&self, id: u32) -> &[char] {
        let id = id as usize;
        &self.chars[self.starts[id]..self.starts[id + 1]]
    }

    /// The length in characters of name `id`.
    fn name_len(&self, id: u32) -> usize {
        let id = id as usize;
        self.starts[id + 1] - self.starts[id]
    }

    /// Puts in `scratch.candidates` the name ids that may reach similarity `floor` with
    /// `query`, each once (in no particular order).
    fn candidates(&self, query: &[char], floor: (usize, usize), scratch: &mut Scratch) {
        let la = query.len();
        let (num, den) = floor;
        let lo = (num * la).div_ceil(2 * den - num).max(1);
        let hi = (2 * den - num) * la / num;
        let Scratch {
            stamp,
            epoch,
            lengths,
            occurrences,
            probes,
            candidates: out,
        } = scratch;
        out.clear();
        lengths.clear();
        lengths.extend((lo..=hi).filter(|&lb| lengths_admissible(la, lb, floor)));
        let postings = |gram: &u64| self.grams.get(gram).map_or(&[][..], Vec::as_slice);
        // The cheapest exact plan: None = scan by length, Some(q) = read the postings of the
        // q-grams in `probes` (those of the cheaper q are kept there).
        let scan_cost: usize = lengths
            .iter()
            .filter_map(|lb| self.by_len.get(lb))
            .map(Vec::len)
            .sum();
        // (cost, Some((q, slack))): read the postings of `probes` (q-grams, with how many
        // of the read occurrences of the query each stands for); a name must then share at
        // least `required_shared(la, lb, floor, q) − slack` of them.
        let mut plan: (usize, Option<(usize, i64)>) = (scan_cost, None);
        for q in [2, 3] {
            let Some(r_min) = lengths
                .iter()
                .map(|&lb| required_shared(la, lb, floor, q))
                .min()
            else {
                return;
            };
            if r_min <= 0 || la < q {
                continue;
            }
            // Gram occurrences of the query, rarest first (ties by gram for determinism);
            // the occurrences of one gram are next to each other.
            occurrences.clear();
            occurrences.extend(gram_keys(query, q).map(|g| (postings(&g).len(), g)));
            occurrences.sort_unstable();
            let m = occurrences.len();
            let r = usize::try_from(r_min).unwrap_or(usize::MAX);
            if r > m {
                // No name of an admissible length can share enough: nothing reaches the floor.
                return;
            }
            // Prefix filtering: one of the m − r + 1 rarest occurrences must be shared.
            let mut p = m - r + 1;
            // The rest of the last gram's occurrences come with its postings for nothing.
            while p < m && occurrences[p].1 == occurrences[p - 1].1 {
                p += 1;
            }
            let cost = distinct_cost(&occurrences[..p]);
            if cost >= plan.0 {
                continue;
            }
            // Count filtering: a name of length `lb` must share `required_shared(la, lb, …)`
            // occurrences, at most `m − p` of them outside the prefix. (Reading more postings
            // to require more shared ones among them cost more than the LCS it spared.)
            plan = (cost, Some((q, (m - p) as i64)));
            probes.clear();
            for &(_, gram) in &occurrences[..p] {
                match probes.last_mut() {
                    Some((last, times)) if *last == gram => *times += 1,
                    _ => probes.push((gram, 1)),
                }
            }
        }
        let Some((q, slack)) = plan.1 else {
            for lb in lengths.iter() {
                if let Some(ids) = self.by_len.get(lb) {
                    out.extend_from_slice(ids);
                }
            }
            return;
        };
        *epoch = epoch.wrapping_add(1);
        if *epoch == 0 {
            stamp.fill((0, 0));
            *epoch = 1;
        }
        for &(gram, times) in probes.iter() {
            let mut list = postings(&gram);
            if self.by_length {
                // Only the names of admissible lengths (a length of 255 stands for any longer).
                let (lo, hi) = (with_length(0, lo) >> 24, with_length(0, hi) >> 24);
                list = &list[list.partition_point(|&p| p >> 24 < lo)..];
                list = &list[..list.partition_point(|&p| p >> 24 <= hi)];
            }
            for &p in list {
                let id = if self.by_length { p & ID_MASK } else { p };
                let seen = &mut stamp[id as usize];
                if seen.0 == *epoch {
                    seen.1 += times;
                } else {
                    *seen = (*epoch, times);
                    if lengths_admissible(la, self.name_len(id), floor) {
                        out.push(id);
                    }
                }
            }
        }
        out.retain(|&id| {
            let needed = required_shared(la, self.name_len(id), floor, q) - slack;
            i64::from(stamp[id as usize].1) >= needed
        });
    }

    /// The best and the second best client whose similarity to `query` is at least `floor`
    /// (equal similarities ranked by client key, each client at its best name).
    fn scored(
        &self,
        query: &[char],
        pattern: &Pattern,
        floor: (usize, usize),
        scratch: &mut Scratch,
    ) -> TopTwo<'_> {
        self.candidates(query, floor, scratch);
        let mut top = TopTwo::default();
        for &id in &scratch.candidates {
            let name = self.name(id);
            let sim = Similarity {
                lcs: pattern.lcs(query, name),
                total: query.len() + name.len(),
            };
            if sim.at_least(floor) {
                for owner in &self.owners[id as usize] {
                    top.offer((sim, owner));
                }
            }
        }
        top
    }

    /// Looks up one spaceless payer name key.
    ///
    /// Two stages keep the candidate sets small: first everything at or above the acceptance
    /// threshold 0.90; only when the best is below 0.95 can a runner-up between 0.85 and 0.90
    /// block it, and only then is the search widened to `best − 0.05`.
    pub(crate) fn lookup(&self, query: &str, scratch: &mut Scratch) -> FuzzyOutcome {
        let query: Vec<char> = query.chars().collect();
        if query.is_empty() {
            return FuzzyOutcome::TooFar { best: None };
        }
        let pattern = Pattern::new(&query);
        let mut top = self.scored(&query, &pattern, ACCEPT, scratch);
        let Some((best, _)) = top.best else {
            return FuzzyOutcome::TooFar { best: None };
        };
        let comfortable = Similarity { lcs: 19, total: 40 }; // 0.95
        if best < comfortable {
            // floor = best − 0.05 = (40·lcs − total) / (20·total)
            let floor = (40 * best.lcs - best.total, 20 * best.total);
            top = self.scored(&query, &pattern, floor, scratch);
        }
        let Some((best, best_client)) = top.best else {
            return FuzzyOutcome::TooFar { best: None };
        };
        match top.second {
            Some((second, second_client)) if !best.beats_by(second, MARGIN) => FuzzyOutcome::Tie {
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
    /// Match masks of ASCII and Hebrew-block characters, by [`table_slot`].
    table: [u64; TABLE],
    other: Vec<(char, u64)>,
    usable: bool,
}

/// Slots of the mask table: ASCII, then the Hebrew block U+0590..U+05FF.
const TABLE: usize = 128 + 0x70;

/// The slot of `c` in the mask table, when it has one.
fn table_slot(c: char) -> Option<usize> {
    let c = c as usize;
    if c < 128 {
        Some(c)
    } else if (0x0590..0x0600).contains(&c) {
        Some(c - 0x0590 + 128)
    } else {
        None
    }
}

impl Pattern {
    fn new(query: &[char]) -> Pattern {
        let mut pattern = Pattern {
            table: [0; TABLE],
            other: Vec::new(),
            usable: query.len() <= 64,
        };
        if pattern.usable {
            for (i, &c) in query.iter().enumerate() {
                let bit = 1u64 << i;
                if let Some(slot) = table_slot(c) {
                    pattern.table[slot] |= bit;
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
        match table_slot(c) {
            Some(slot) => self.table[slot],
            None => self
                .other
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(0, |(_, m)| *m),
        }
    }

    /// Length of the longest common subsequence of the query and `text`.
    fn lcs(&self, query: &[char], text: &[char]) -> usize {
        if !self.usable {
            return lcs_len(query, text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(names: &[(&str, &str)]) -> FuzzyIndex {
        FuzzyIndex::new(names.iter().map(|(k, n)| (*k, n.to_string())))
    }

    fn lookup(idx: &FuzzyIndex, query: &str) -> FuzzyOutcome {
        idx.lookup(query, &mut idx.scratch())
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
                        lcs: lcs_len(&q, &n),
                        total: q.len() + n.len(),
                    },
                    *k,
                )
            })
            .filter(|(s, _)| s.at_least(FLOOR))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        // Each client at its best place only.
        let mut seen = std::collections::HashSet::new();
        scored.retain(|(_, k)| seen.insert(*k));
        match (scored.first(), scored.get(1)) {
            (None, _) => FuzzyOutcome::TooFar { best: None },
            (Some(&(b, _)), _) if !b.at_least(ACCEPT) => FuzzyOutcome::TooFar { best: None },
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
            matches!(lookup(&idx, "acmewidgetz"), FuzzyOutcome::Matched { client, .. } if client == "C1")
        );
        assert!(
            matches!(lookup(&idx, "כהןושותף"), FuzzyOutcome::Matched { client, .. } if client == "C3")
        );
        assert!(matches!(
            lookup(&idx, "initech"),
            FuzzyOutcome::TooFar { best: None }
        ));
        let twins = index(&[("A", "levisons"), ("B", "levisonz")]);
        assert!(matches!(
            lookup(&twins, "levison"),
            FuzzyOutcome::Tie { .. }
        ));
    }

    #[test]
    fn long_names_fall_back_to_dp() {
        let long: String = "abcdefghij".repeat(7);
        let mut typo = long.clone();
        typo.push('x');
        let idx = index(&[("L", long.as_str())]);
        assert!(matches!(lookup(&idx, &typo), FuzzyOutcome::Matched { .. }));
    }

    /// Posting lists in order of length keep names of 255 characters and more together; they
    /// are still found, and told apart, as by comparing with every name.
    #[test]
    fn names_of_any_length_are_found_in_length_ordered_postings() {
        let base: String = "abcdefghijklmnopqrstuvwxyz".repeat(12);
        let names: Vec<(String, String)> = [250, 254, 255, 256, 300, 312]
            .iter()
            .enumerate()
            .map(|(k, &len)| (format!("C{k}"), base.chars().take(len).collect()))
            .collect();
        let names: Vec<(&str, &str)> = names
            .iter()
            .map(|(k, n)| (k.as_str(), n.as_str()))
            .collect();
        let idx = index(&names);
        assert!(idx.by_length);
        for len in [240, 255, 262, 290, 305, 312, 330] {
            let query: String = base.chars().take(len).collect();
            assert_eq!(lookup(&idx, &query), brute(&names, &query), "{len}");
        }
    }

    proptest! {
        #[test]
        fn bit_parallel_lcs_equals_dp(
            a in "[abc\u{5d0}\u{5d1}\u{5ff}\u{416}\u{e9}]{0,70}",
            b in "[abc\u{5d0}\u{5d1}\u{5ff}\u{416}\u{e9}]{0,70}",
        ) {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            prop_assert_eq!(Pattern::new(&a).lcs(&a, &b), lcs_len(&a, &b));
        }

        #[test]
        fn index_agrees_with_brute_force(
            names in proptest::collection::vec("[abcd]{1,12}", 1..25),
            query in "[abcd]{1,12}",
        ) {
            let keys: Vec<String> = (0..names.len()).map(|i| format!("K{i:02}")).collect();
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(String::as_str).zip(names.iter().map(String::as_str)).collect();
            prop_assert_eq!(lookup(&index(&pairs), &query), brute(&pairs, &query));
        }

        /// Clients known by several names, and names shared by several clients: each client
        /// competes once, at its best name.
        #[test]
        fn index_agrees_with_brute_force_on_shared_names(
            entries in proptest::collection::vec((0..6usize, "[abc]{3,9}"), 1..30),
            query in "[abc]{3,9}",
        ) {
            let keys: Vec<String> = entries.iter().map(|(k, _)| format!("K{k}")).collect();
            let pairs: Vec<(&str, &str)> = keys
                .iter()
                .map(String::as_str)
                .zip(entries.iter().map(|(_, n)| n.as_str()))
                .collect();
            let got = lookup(&index(&pairs), &query);
            let want = brute(&pairs, &query);
            // The same client at two names of equal similarity may keep either fraction
            // (`18/20` or `9/10`): compare the decisions and the similarities' values.
            let shape = |o: &FuzzyOutcome| match o {
                FuzzyOutcome::Matched { client, similarity } => {
                    format!("M {client} {}", similarity.value())
                }
                FuzzyOutcome::Tie { best, second } => {
                    format!("T {} {} {} {}", best.0, best.1.value(), second.0, second.1.value())
                }
                FuzzyOutcome::TooFar { .. } => "F".to_string(),
            };
            prop_assert_eq!(shape(&got), shape(&want));
        }

        /// Two letters only: grams repeat within a name, so the count filter's multiplicities
        /// matter.
        #[test]
        fn index_agrees_with_brute_force_on_repeated_grams(
            names in proptest::collection::vec("[ab]{4,24}", 1..30),
            query in "[ab]{4,24}",
        ) {
            let keys: Vec<String> = (0..names.len()).map(|i| format!("K{i:02}")).collect();
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(String::as_str).zip(names.iter().map(String::as_str)).collect();
            prop_assert_eq!(lookup(&index(&pairs), &query), brute(&pairs, &query));
        }

        /// Longer names and near-copies, where the trigram plan is the cheaper one.
        #[test]
        fn index_agrees_with_brute_force_on_near_copies(
            names in proptest::collection::vec("[a-h]{8,30}", 1..40),
            pick in any::<proptest::sample::Index>(),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), "[a-h]?"), 0..4),
        ) {
            let mut query: Vec<char> = names[pick.index(names.len())].chars().collect();
            for (at, with) in &edits {
                let i = at.index(query.len());
                match with.chars().next() {
                    Some(c) => query[i] = c,
                    None => { query.remove(i); }
                }
                if query.is_empty() {
                    query.push('a');
                }
            }
            let query: String = query.into_iter().collect();
            let keys: Vec<String> = (0..names.len()).map(|i| format!("K{i:02}")).collect();
            let pairs: Vec<(&str, &str)> =
                keys.iter().map(String::as_str).zip(names.iter().map(String::as_str)).collect();
            prop_assert_eq!(lookup(&index(&pairs), &query), brute(&pairs, &query));
        }
    }
}
