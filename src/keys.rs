//! Text keys with the indices filed under each: the million-key sets of a run (the invoice
//! numbers and payment ids seen while reading, the invoice numbers memos are scanned for).
//!
//! A `HashMap<Box<str>, _>` of a million keys holds a million small allocations beside a table
//! of 40-byte entries, and the table of a million keys has room for two. Here every key's text
//! is appended to one buffer, and the table holds 12 bytes a key: where its text starts, its
//! length, and its index, or for a key filed more than once the place of its list. At a
//! million invoices that is about 45 MB instead of 105 MB, held at the run's peak.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};

use crate::hash::{FastState, HashMap};

/// The high bit of [`Slot::at`]: the rest is a place in [`KeyIndex::lists`], not an index.
const LIST: u32 = 1 << 31;

#[derive(Clone, Copy)]
struct Slot {
    start: u32,
    len: u32,
    /// The one index filed under the key (below [`LIST`]), or `LIST | place of its list`.
    at: u32,
}

/// See the module documentation. Iteration order never reaches an output: keys are looked up,
/// and [`KeyIndex::repeated`] lists keys in the order their lists were begun.
#[derive(Default)]
pub(crate) struct KeyIndex {
    text: String,
    table: HashTable<Slot>,
    /// The indices of keys filed more than once (and of an index too large for a slot), in
    /// the order they were filed.
    lists: Vec<Vec<usize>>,
    /// Keys whose text does not fit the buffer's 32-bit positions (a key over 4 GiB, or keys
    /// past 4 GiB in all): kept the plain way, with the same `at`.
    long: HashMap<Box<str>, u32>,
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex")
            .field("keys", &(self.table.len() + self.long.len()))
            .field("repeated", &self.repeated().count())
            .finish()
    }
}

fn hash(key: &str) -> u64 {
    FastState::default().hash_one(key)
}

impl KeyIndex {
    /// Room for `keys` more keys without growing the table.
    pub(crate) fn reserve(&mut self, keys: usize) {
        let text = &self.text;
        self.table.reserve(keys, |s| hash(slot_text(text, s)));
    }

    /// Whether no key was filed.
    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty() && self.long.is_empty()
    }

    /// Files `index` under `key`, after the indices already there.
    pub(crate) fn push(&mut self, key: &str, index: usize) {
        let one = u32::try_from(index).ok().filter(|&i| i < LIST);
        let lists = &mut self.lists;
        // The `at` of a key seen for the first time.
        let mut first = || {
            one.unwrap_or_else(|| {
                lists.push(vec![index]);
                list_at(lists.len() - 1)
            })
        };
        let fits = u32::try_from(key.len())
            .ok()
            .zip(u32::try_from(self.text.len() + key.len()).ok());
        let at = if let Some((len, end)) = fits {
            let text = &self.text;
            match self.table.entry(
                hash(key),
                |s| slot_text(text, s) == key,
                |s| hash(slot_text(text, s)),
            ) {
                Entry::Occupied(slot) => &mut slot.into_mut().at,
                Entry::Vacant(slot) => {
                    self.text.push_str(key);
                    slot.insert(Slot {
                        start: end - len,
                        len,
                        at: first(),
                    });
                    return;
                }
            }
        } else {
            match self.long.entry(key.into()) {
                std::collections::hash_map::Entry::Occupied(slot) => slot.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(first());
                    return;
                }
            }
        };
        if *at & LIST != 0 {
            lists[(*at & !LIST) as usize].push(index);
        } else {
            lists.push(vec![*at as usize, index]);
            *at = list_at(lists.len() - 1);
        }
    }

    /// The indices filed under `key`, in the order they were filed; empty for an unknown key.
    pub(crate) fn get(&self, key: &str) -> Indices<'_> {
        let at = if u32::try_from(key.len()).is_ok() {
            self.table
                .find(hash(key), |s| slot_text(&self.text, s) == key)
                .map(|s| s.at)
        } else {
            None
        };
        match at.or_else(|| self.long.get(key).copied()) {
            None => Indices::One(None),
            Some(at) if at & LIST != 0 => Indices::Many(self.lists[(at & !LIST) as usize].iter()),
            Some(at) => Indices::One(Some(at as usize)),
        }
    }

    /// Whether `key` was filed.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).next().is_some()
    }

    /// The indices of every key filed more than once, each in the order filed; the keys in the
    /// order their lists were begun (at a key's second filing, but for an index too large for a
    /// slot).
    pub(crate) fn repeated(&self) -> impl Iterator<Item = &[usize]> {
        self.lists.iter().filter(|l| l.len() > 1).map(Vec::as_slice)
    }
}

fn list_at(place: usize) -> u32 {
    // More than two thousand million lists would need as many repeated keys in memory first.
    LIST | u32::try_from(place).unwrap_or(!LIST)
}

fn slot_text<'t>(text: &'t str, slot: &Slot) -> &'t str {
    let start = slot.start as usize;
    &text[start..start + slot.len as usize]
}

/// The indices of one key (see [`KeyIndex::get`]).
pub(crate) enum Indices<'a> {
    One(Option<usize>),
    Many(std::slice::Iter<'a, usize>),
}

impl Iterator for Indices<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Indices::One(one) => one.take(),
            Indices::Many(all) => all.next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyIndex, LIST};

    #[test]
    fn keys_keep_their_indices_in_filing_order() {
        let mut keys = KeyIndex::default();
        assert!(keys.is_empty());
        keys.reserve(4);
        keys.push("INV-1", 0);
        keys.push("INV-2", 1);
        keys.push("INV-1", 5);
        keys.push("", 2);
        keys.push("INV-1", 7);
        keys.push("INV-2", 3);
        assert!(!keys.is_empty());
        assert_eq!(keys.get("INV-1").collect::<Vec<_>>(), [0, 5, 7]);
        assert_eq!(keys.get("INV-2").collect::<Vec<_>>(), [1, 3]);
        assert_eq!(keys.get("").collect::<Vec<_>>(), [2]);
        assert_eq!(keys.get("INV-3").count(), 0);
        assert!(keys.contains("INV-2") && !keys.contains("INV"));
        let repeated: Vec<&[usize]> = keys.repeated().collect();
        assert_eq!(repeated, [&[0, 5, 7][..], &[1, 3][..]]);
    }

    #[test]
    fn an_index_too_large_for_a_slot_is_kept_in_a_list() {
        let mut keys = KeyIndex::default();
        let large = LIST as usize + 9;
        keys.push("a", large);
        keys.push("b", 1);
        keys.push("b", large + 1);
        assert_eq!(keys.get("a").collect::<Vec<_>>(), [large]);
        assert_eq!(keys.get("b").collect::<Vec<_>>(), [1, large + 1]);
        // A list of one is not a repeated key.
        assert_eq!(keys.repeated().count(), 1);
    }

    #[test]
    fn many_keys_grow_the_table_and_stay_found() {
        let mut keys = KeyIndex::default();
        for i in 0..50_000 {
            keys.push(&format!("K{i}"), i);
        }
        keys.push("K49999", 1);
        for i in (0..50_000).step_by(997) {
            assert_eq!(keys.get(&format!("K{i}")).next(), Some(i));
        }
        assert_eq!(keys.get("K49999").collect::<Vec<_>>(), [49_999, 1]);
        assert_eq!(keys.repeated().count(), 1);
    }
}
