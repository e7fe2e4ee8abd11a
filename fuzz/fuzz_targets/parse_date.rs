//! Date parsing of any text (both day orders) and of any number as an Excel serial: a date or a
//! message, never a panic; a parsed date lies in the accepted years.
#![no_main]

use arrears::ingest::table::Cell;
use arrears::ingest::value::parse_date;
use arrears::model::DateOrder;
use chrono::Datelike;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut cells = vec![Cell::Text(text.to_string().into())];
    if data.len() >= 8 {
        let bits = u64::from_le_bytes(data[..8].try_into().unwrap());
        cells.push(Cell::Number(f64::from_bits(bits)));
    }
    if let Ok(n) = text.trim().parse::<f64>() {
        cells.push(Cell::Number(n));
    }
    for cell in &cells {
        for order in [DateOrder::DayFirst, DateOrder::MonthFirst] {
            if let Ok(date) = parse_date(cell, order) {
                assert!((1899..=2200).contains(&date.year()), "{cell:?} -> {date}");
            }
        }
    }
});
