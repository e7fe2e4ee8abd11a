//! Amount parsing of any text and any float: an exact decimal or a message, never a panic; a
//! parsed amount survives its own formatting.
#![no_main]

use arrears::ingest::table::Cell;
use arrears::ingest::value::parse_amount;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut cells = vec![Cell::Text(text.to_string().into())];
    if data.len() >= 8 {
        let bits = u64::from_le_bytes(data[..8].try_into().unwrap());
        cells.push(Cell::Number(f64::from_bits(bits)));
    }
    for cell in &cells {
        if let Ok(parsed) = parse_amount(cell) {
            // A value that parsed once parses again, as itself, from its plain form. One `.`
            // before exactly three digits groups thousands (`2.625` is 2625: money has two
            // minor digits), so such a form gets a fourth decimal to stay a fraction.
            let mut plain = parsed.value.to_string();
            if plain
                .split_once('.')
                .is_some_and(|(_, fraction)| fraction.len() == 3)
            {
                plain.push('0');
            }
            let again = parse_amount(&Cell::Text(plain.as_str().into()))
                .unwrap_or_else(|e| panic!("{cell:?} -> {plain} -> {e}"));
            assert_eq!(again.value, parsed.value, "{cell:?}");
        }
    }
});
