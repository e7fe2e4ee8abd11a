//! Any bytes through the reader of the Israeli unified file: tables and issues, never a panic,
//! a hang or an unbounded allocation. A NUL byte splits the input into `BKMVDATA.TXT` and the
//! `INI.TXT` beside it, so mutations reach both. The seed corpus is the fixtures of
//! `tests/fixtures/unified` (`run-all.sh` passes them).
#![no_main]

use std::sync::Arc;

use arrears::ingest::unified::{read, Ini};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (data, ini) = match data.iter().position(|&b| b == 0) {
        Some(at) => (
            &data[..at],
            Ini::Found {
                name: "INI.TXT".into(),
                bytes: data[at + 1..].to_vec(),
            },
        ),
        None => (data, Ini::Missing),
    };
    let file: Arc<str> = Arc::from("BKMVDATA.TXT");
    for generated in read(data, &ini, &file) {
        // Walk every cell so lazily built values are touched too.
        for (index, row) in generated.table.rows.iter().enumerate() {
            let _ = generated.table.row_number(index);
            for cell in row {
                let _ = cell.display();
            }
        }
    }
    // And through format detection, as a file given under any name.
    let _ = arrears::ingest::source::read_bytes(data, "BKMVDATA.TXT", None);
});
