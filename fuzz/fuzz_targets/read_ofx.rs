//! Any bytes through the OFX/QFX reader and the shared statement rules: an error or a payments
//! table, never a panic, a hang or an unbounded allocation. Seeds: `tests/fixtures/statements`.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = arrears::ingest::ofx::sniff(data);
    if let Ok(statement) = arrears::ingest::ofx::read(data) {
        let file: Arc<str> = Arc::from("fuzz.ofx");
        let generated = arrears::ingest::statement::payments_table(statement, &file);
        // Walk every cell and issue so every value is touched.
        for (index, row) in generated.table.rows.iter().enumerate() {
            let _ = generated.table.row_number(index);
            for cell in row {
                let _ = cell.display();
            }
        }
        for issue in &generated.issues {
            let _ = issue.message.len();
        }
    }
});
