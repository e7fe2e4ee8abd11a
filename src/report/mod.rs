//! Reports: the run's results rendered for people and for other tools. Every writer reads the
//! same data (ledger, reconciliation, classification); none computes anything of its own
//! beyond formatting.
//!
//! Text that begins with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` in
//! every CSV cell, so no spreadsheet ever runs it as a formula ([`safe_text`]).

pub mod csv;
pub mod letters;
pub mod manifest;

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

#[cfg(test)]
mod tests {
    use super::safe_text;

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
