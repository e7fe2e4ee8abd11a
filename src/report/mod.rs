//! Reports: the run's results rendered for people and for other tools. Every writer reads the
//! same data (ledger, reconciliation, classification); none computes anything of its own
//! beyond formatting.
//!
//! Text that begins with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` in
//! every CSV cell, so no spreadsheet ever runs it as a formula ([`safe_text`]).

pub mod csv;
pub mod input;
pub mod letters;
pub mod manifest;
pub mod statements;
pub mod summary;
pub mod xlsx;

pub use input::Input;

use std::borrow::Cow;

/// Makes text safe for a spreadsheet cell: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return gets a `'` in front, as SPEC section 7 requires.
#[must_use]
pub fn safe_text(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The most characters a workbook cell holds (Excel's limit).
pub const MAX_CELL_CHARS: usize = 32_767;

/// Text for a workbook cell: formula-safe like [`safe_text`], and cut to Excel's limit of
/// 32,767 characters with a note saying so (the CSV files keep the whole text).
#[must_use]
pub fn workbook_text(text: &str) -> Cow<'_, str> {
    let safe = safe_text(text);
    // No more characters than bytes: almost every cell is decided without counting.
    if safe.len() <= MAX_CELL_CHARS {
        return safe;
    }
    let count = safe.chars().count();
    if count <= MAX_CELL_CHARS {
        return safe;
    }
    let note = format!(" … [cut: {count} characters; the CSV file has the whole text]");
    let keep = MAX_CELL_CHARS - note.chars().count();
    let mut cut: String = safe.chars().take(keep).collect();
    cut.push_str(&note);
    Cow::Owned(cut)
}

#[cfg(test)]
mod tests {
    use super::{safe_text, workbook_text, MAX_CELL_CHARS};

    #[test]
    fn workbook_text_fits_a_cell_and_says_it_was_cut() {
        let long = "א".repeat(100_000);
        let cut = workbook_text(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with("the CSV file has the whole text]"));
        assert_eq!(workbook_text("=1+1"), "'=1+1");
    }

    #[test]
    fn formula_starts_are_neutralised() {
        for bad in ["=HYPERLINK(\"x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_text(bad), format!("'{bad}"));
        }
        assert_eq!(safe_text("Acme"), "Acme");
        assert_eq!(safe_text("כהן"), "כהן");
        assert_eq!(safe_text(""), "");
    }
}
