//! Any bytes through the MT940/MT942 reader and the shared statement rules: an error or a
//! statement, never a panic, a hang or an unbounded allocation. Seeds: the statement fixtures
//! (`tests/fixtures/statements`).
#![no_main]

use std::sync::Arc;

use arrears::ingest::{mt940, statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mt940::looks_like(data);
    if let Ok(read) = mt940::read(data) {
        let file: Arc<str> = Arc::from("fuzz.sta");
        let generated = statement::payments_table(read, &file);
        for row in &generated.table.rows {
            for cell in row {
                let _ = cell.display();
            }
        }
    }
});
