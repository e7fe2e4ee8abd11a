//! Any bytes named `.xlsx` through the reader: an error or tables, never a panic, a hang or an
//! unbounded allocation. The seed corpus (`corpus/read_xlsx`) holds the xlsx fixtures; the reader
//! decides the format by content, so mutations also reach the other readers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = arrears::ingest::source::read_bytes(data, "fuzz.xlsx", None) {
        // Walk every cell so lazily built values are touched too.
        for table in &file.tables {
            for (index, row) in table.rows.iter().enumerate() {
                let _ = table.row_number(index);
                for cell in row {
                    let _ = cell.display();
                }
            }
        }
    }
});
