//! A fast, non-cryptographic hasher for the in-memory maps of reconciliation and ingest, which
//! hash millions of short strings (invoice numbers, client ids, name keys) per run.
//!
//! The standard SipHash resists deliberately colliding keys from an attacker; here every key
//! comes from the user's own exports, and SipHash was a tenth of the run's CPU time. The mixing
//! is a multiply-rotate per 8-byte word with a final rotation so that the high bits, which the
//! hash table uses as tags, depend on every word. No map built with it is iterated in an order
//! that reaches an output: they are looked up, or their entries are sorted first.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x517c_c1b7_2722_0a95;

/// See the module documentation.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(word);
            self.add(u64::from_le_bytes(buf));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}

pub(crate) type FastState = BuildHasherDefault<FastHasher>;
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, FastState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, FastState>;

/// Where a shared text lives. Ingest shares one copy of each repeated text (client keys and
/// names, payers), and attribution hands out the same copies, so the address stands for the
/// text: hashing it spares reading the text, mostly a cache miss at a million documents.
pub(crate) fn address(text: &std::sync::Arc<str>) -> usize {
    std::sync::Arc::as_ptr(text).cast::<u8>().addr()
}

/// The values of `pairs` grouped by key, each group in the order given. A run of equal keys
/// (the usual case: open items, allocations and balances come sorted by client) is hashed once,
/// not once per value; a key that comes back after others joins its group.
pub(crate) fn group<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>>
where
    K: std::hash::Hash + Eq + Copy,
{
    let mut groups: HashMap<K, Vec<V>> = HashMap::default();
    let mut run: Option<(K, Vec<V>)> = None;
    for (key, value) in pairs {
        match &mut run {
            Some((last, values)) if *last == key => values.push(value),
            _ => {
                if let Some((last, values)) = run.take() {
                    groups.insert(last, values);
                }
                let mut values = groups.remove(&key).unwrap_or_default();
                values.push(value);
                run = Some((key, values));
            }
        }
    }
    if let Some((last, values)) = run {
        groups.insert(last, values);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_the_order_given_and_join_returning_keys() {
        let pairs = [("b", 1), ("b", 2), ("a", 3), ("b", 4), ("c", 5), ("a", 6)];
        let groups = group(pairs);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups["b"], [1, 2, 4]);
        assert_eq!(groups["a"], [3, 6]);
        assert_eq!(groups["c"], [5]);
        assert!(group(std::iter::empty::<(u8, u8)>()).is_empty());
    }

    #[test]
    fn maps_work_with_it() {
        let mut map: HashMap<String, usize> = HashMap::default();
        for i in 0..10_000 {
            map.insert(format!("INV-{i:07}"), i);
        }
        assert_eq!(map.len(), 10_000);
        assert_eq!(map.get("INV-0004242"), Some(&4242));
        assert_eq!(map.get("INV-4242"), None);
    }
}
