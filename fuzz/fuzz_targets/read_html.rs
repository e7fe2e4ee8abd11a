//! Any bytes through the reader of HTML tables saved as `.xls`: an error or tables, never a
//! panic, a hang or an unbounded allocation (colspan padding is bounded). Seeds: the HTML
//! fixtures in `tests/fixtures/formats`.
#![no_main]

use std::sync::Arc;

use arrears::ingest::html;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file: Arc<str> = Arc::from("fuzz.xls");
    if let Ok(tables) = html::read(data, &file) {
        for table in &tables {
            for (index, row) in table.rows.iter().enumerate() {
                let _ = table.row_number(index);
                for cell in row {
                    let _ = cell.display();
                }
            }
        }
    }
});
