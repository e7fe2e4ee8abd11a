//! The raw form every reader produces: a grid of cells from one sheet (or one text file), with
//! enough of its origin to name any cell the way the user sees it.
//!
//! Readers never interpret values; they only keep what the file said. A spreadsheet date stays a
//! date, a number stays a number and text stays text, so the value parsers can decide per column.
//!
//! A table of a million rows holds about ten million cells, most of them short (numbers, dates,
//! amounts, ids as text). [`Text`] keeps such text inside the cell instead of in a heap
//! allocation of its own, which halves the memory of a text table and spares an allocation and
//! a free per cell.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::NaiveDate;

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(Text),
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

/// The text of a cell: up to [`Text::INLINE`] bytes stored in place, longer text on the heap.
/// Reads as a `&str` through `Deref`; equal when the texts are equal.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// `bytes[..len]` is the text; always whole UTF-8, since it is copied from a `&str`.
    Inline {
        len: u8,
        bytes: [u8; Text::INLINE],
    },
    Heap(Box<str>),
}

impl Text {
    /// The longest text kept in place: what fits beside the length in the size of the cell.
    pub const INLINE: usize = 22;

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Every cell's text is read several times while a table is parsed, and checking
            // the bytes again on each read cost ~5% of ingest at a million rows.
            // SAFETY: an inline text is only made by `From<&str>`, which copies all `len` bytes
            // of a `str` and nothing else; the bytes are never changed afterwards.
            Repr::Inline { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(&bytes[..usize::from(*len)])
            },
            Repr::Heap(text) => text,
        }
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= Text::INLINE => {
                let mut bytes = [0; Text::INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Text(Repr::Inline { len, bytes })
            }
            _ => Text(Repr::Heap(Box::from(text))),
        }
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        if text.len() <= Text::INLINE {
            Text::from(text.as_str())
        } else {
            Text(Repr::Heap(text.into_boxed_str()))
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_back_inline_or_on_the_heap() {
        // 22 bytes (inline), 23 bytes (heap), multi-byte characters on both sides of the limit.
        for text in [
            "",
            "x",
            "INV-2026-0000001 -- 22",
            "INV-2026-0000001 -- 23b",
            "חשבונית 1043 שולם",
            "חשבונית 1043 שולמה במלואה",
            "a long memo, well beyond the inline limit of a cell",
        ] {
            assert_eq!(Text::from(text).as_str(), text);
            assert_eq!(&*Text::from(text.to_string()), text);
            assert_eq!(Text::from(text), Text::from(text.to_string()));
            assert_eq!(format!("{:?}", Text::from(text)), format!("{text:?}"));
        }
        assert_eq!(Text::from("INV-1").to_string(), "INV-1");
    }

    #[test]
    fn a_cell_is_no_larger_than_with_a_string() {
        assert!(std::mem::size_of::<Cell>() <= 32);
    }
}
