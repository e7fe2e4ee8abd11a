//! The floor for `arrears run`: the least work any tool must do on the same files — read every
//! input cell, and write as many output cells as the run wrote — timed with nothing else.
//!
//! ```text
//! cargo run --release --example floor -- --run /tmp/big/arrears-out/2026-11-30 \
//!     /tmp/big/invoices.csv /tmp/big/payments.csv /tmp/big/clients.csv
//! ```
//!
//! Reading: xlsx/xlsm through calamine's streaming cell reader, every sheet; anything else through
//! the csv crate's byte records (no decoding, no allocation per field). Files are read on their
//! own threads, as arrears reads them. Writing: every field of the `*.csv` files in `--run`
//! (loaded before the clock starts) written as cells of one rust_xlsxwriter workbook in
//! constant-memory mode, numbers as numbers, the rest as strings; saved to a temporary file.
//! Prints one JSON line: cells read, cells written, read_ms, write_ms, floor_ms (read + write).

use std::error::Error;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{Reader, Xlsx};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn main() -> Result<()> {
    let mut run: Option<PathBuf> = None;
    let mut inputs: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--run" {
            run = args.next().map(PathBuf::from);
        } else {
            inputs.push(PathBuf::from(arg));
        }
    }
    let Some(run) = run else {
        return Err("usage: floor --run RUN_FOLDER INPUT...".into());
    };
    let outputs = load_output_cells(&run)?;

    let started = Instant::now();
    let read: Vec<Result<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|path| scope.spawn(move || read_cells(path)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("reader panicked".into())))
            .collect()
    });
    let mut cells_read = 0;
    for r in read {
        cells_read += r?;
    }
    let read_ms = started.elapsed().as_secs_f64() * 1000.0;

    let started = Instant::now();
    let written = write_cells(&outputs)?;
    let write_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{{\"cells_read\":{cells_read},\"cells_written\":{written},\"read_ms\":{read_ms:.0},\"write_ms\":{write_ms:.0},\"floor_ms\":{:.0}}}",
        read_ms + write_ms
    );
    Ok(())
}

/// Every non-empty input cell, touched once; returns how many.
fn read_cells(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path)?;
    let mut cells = 0u64;
    if bytes.starts_with(b"PK\x03\x04") {
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))?;
        let names = book.sheet_names();
        for name in names {
            let mut reader = book.worksheet_cells_reader(&name)?;
            while let Some(cell) = reader.next_cell()? {
                if !matches!(cell.get_value(), calamine::DataRef::Empty) {
                    cells += 1;
                }
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            cells += record.iter().filter(|f| !f.is_empty()).count() as u64;
        }
    }
    Ok(cells)
}

/// The fields of every CSV file of the run folder, one `Vec` per row.
fn load_output_cells(run: &Path) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(run)?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    for path in paths {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)?;
        for record in reader.records() {
            rows.push(record?.iter().map(str::to_string).collect());
        }
    }
    Ok(rows)
}

/// Writes the rows into one constant-memory worksheet per 1,000,000 rows; returns the cells.
fn write_cells(rows: &[Vec<String>]) -> Result<u64> {
    let mut book = rust_xlsxwriter::Workbook::new();
    // The workbook's own compression level, so the floor does the same deflating work.
    book.set_zip_compression_level(arrears::report::xlsx::ZIP_LEVEL);
    let mut cells = 0u64;
    for chunk in rows.chunks(1_000_000) {
        let sheet = book.add_worksheet_with_constant_memory()?;
        for (r, row) in chunk.iter().enumerate() {
            let r = u32::try_from(r)?;
            for (c, value) in row.iter().enumerate() {
                if value.is_empty() {
                    continue;
                }
                let c = u16::try_from(c)?;
                match value.parse::<f64>() {
                    Ok(n) => sheet.write_number(r, c, n)?,
                    Err(_) => sheet.write_string(r, c, value)?,
                };
                cells += 1;
            }
        }
    }
    let path = std::env::temp_dir().join(format!("arrears-floor-{}.xlsx", std::process::id()));
    book.save(&path)?;
    std::fs::remove_file(&path)?;
    Ok(cells)
}
