//! Memo scanning: any memo against invoice numbers taken from the input itself; never a panic,
//! every key found is one of the invoice keys, each at most once.
#![no_main]

use arrears::normalize::invoice_key;
use arrears::reconcile::scan_memo_for_fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // First line: invoice numbers separated by '|'; the rest: the memo.
    let (numbers, memo) = text
        .split_once('\n')
        .unwrap_or(("INV-1043|2026/0012|A1", &text));
    let numbers: Vec<&str> = numbers.split('|').take(64).collect();
    let keys: Vec<String> = numbers.iter().map(|n| invoice_key(n)).collect();
    let found = scan_memo_for_fuzzing(memo, &numbers);
    for (i, key) in found.iter().enumerate() {
        assert!(keys.contains(key), "{key:?} not among {keys:?}");
        assert!(!found[..i].contains(key), "{key:?} twice");
    }
});
