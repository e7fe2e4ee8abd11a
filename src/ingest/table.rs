//! The raw form every reader produces: a grid of cells from one sheet (or one text file), with
//! enough of its origin to name any cell the way the user sees it.
//!
//! Readers never interpret values; they only keep what the file said. A spreadsheet date stays a
//! date, a number stays a number and text stays text, so the value parsers can decide per column.

use std::sync::Arc;

use chrono::NaiveDate;

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric cell. Spreadsheets store money as binary floats; the amount parser rounds it to
    /// the currency's minor unit through its shortest decimal representation.
    Number(f64),
    Bool(bool),
    /// A cell the spreadsheet itself formats as a date (1900 and 1904 systems already resolved).
    Date(NaiveDate),
    /// A spreadsheet error value such as `#REF!` or `#DIV/0!`.
    Error(String),
}

impl Cell {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the user would read it, for messages and for text fields.
    #[must_use]
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_string(),
            Cell::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{n:.0}")
                } else {
                    format!("{n}")
                }
            }
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// The cells of one sheet of a spreadsheet, or of one delimited text file.
#[derive(Clone, Debug)]
pub struct RawTable {
    /// The file name as the user gave it (for messages).
    pub file: Arc<str>,
    /// The sheet name; `None` for text files.
    pub sheet: Option<Arc<str>>,
    /// The 1-based row number, as the user sees it, of `rows[0]`.
    pub first_row: u32,
    pub rows: Vec<Vec<Cell>>,
}

impl RawTable {
    /// The user-visible row number of `rows[index]`.
    #[must_use]
    pub fn row_number(&self, index: usize) -> u32 {
        self.first_row
            .saturating_add(u32::try_from(index).unwrap_or(u32::MAX))
    }
}
