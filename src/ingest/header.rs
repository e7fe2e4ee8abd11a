//! Finding the header row of a raw table and which column holds each field.
//!
//! Exports often start with a title block, so the header is searched within the first
//! [`HEADER_SCAN_ROWS`] rows. Header text is compared through [`header_key`] against each
//! field's aliases, and against the header names set in `arrears.toml`, which win. Each column
//! serves at most one field; fields claim columns in [`TableKind::fields`] order, and a field
//! prefers its earlier (more canonical) aliases. The chosen row is the one that has all the
//! required columns and the most matched fields; the earliest such row wins a tie.

use std::collections::BTreeMap;
use std::fmt;

use super::field::{header_key, header_key_bare, Field, TableKind};
use super::table::RawTable;

/// How many rows from the top may hold the header.
pub const HEADER_SCAN_ROWS: usize = 30;

/// The header row of a table and the column of each field found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMatch {
    /// Index into `table.rows` of the header row.
    pub row_index: usize,
    /// The column index (into the row's cells) of each field found.
    pub columns: BTreeMap<Field, usize>,
    /// The header row's cells as displayed, one per column.
    pub headers: Vec<String>,
}

/// No row of the table satisfies the required columns, or a header named in the config is
/// missing. Its `Display` lists what is missing, the headers seen and the aliases tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMiss {
    pub file: String,
    pub sheet: Option<String>,
    pub kind: TableKind,
    /// Required columns not found in the best candidate row; each entry is a group of
    /// alternatives (`[ClientId, ClientName]`: either will do).
    pub missing: Vec<&'static [Field]>,
    /// Fields whose header is set in the config but absent from the best candidate row, with
    /// the header text the config gave.
    pub explicit_not_found: Vec<(Field, String)>,
    /// 1-based row number of the best candidate row; `None` when the table has no rows.
    pub row_number: Option<u32>,
    /// The headers seen in that row (non-empty cells, as displayed).
    pub headers: Vec<String>,
    /// The header names tried for each missing field: config names first, then the aliases.
    pub tried: Vec<(Field, Vec<String>)>,
}

impl std::error::Error for HeaderMiss {}

impl fmt::Display for HeaderMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet '{sheet}'")?;
        }
        write!(
            f,
            ": no {kind} header found in the first {HEADER_SCAN_ROWS} rows"
        )?;
        match self.row_number {
            Some(row) => {
                let seen: Vec<String> = self.headers.iter().map(|h| format!("\"{h}\"")).collect();
                write!(
                    f,
                    "; the likeliest header row, {row}, has: {}",
                    seen.join(", ")
                )?;
            }
            None => write!(f, "; the table has no rows")?,
        }
        for (field, header) in &self.explicit_not_found {
            write!(
                f,
                "\n  [{kind}.columns] {} = \"{header}\" names a column that is not there",
                field.key()
            )?;
        }
        for group in &self.missing {
            let names: Vec<String> = group.iter().map(|g| format!("`{}`", g.key())).collect();
            write!(f, "\n  missing {}", names.join(" or "))?;
            for field in *group {
                if let Some((_, tried)) = self.tried.iter().find(|(t, _)| t == field) {
                    let list: Vec<String> = tried.iter().map(|a| format!("\"{a}\"")).collect();
                    write!(f, "\n    `{}` tried: {}", field.key(), list.join(", "))?;
                }
            }
        }
        let example = self
            .missing
            .first()
            .and_then(|g| g.first())
            .map_or("number", |f| f.key());
        write!(
            f,
            "\n  hint: name the column in arrears.toml, for example add \
             `{example} = \"<your header>\"` under `[{kind}.columns]`"
        )
    }
}

/// The groups of alternatives a table of `kind` must have.
fn required(kind: TableKind) -> &'static [&'static [Field]] {
    use Field::*;
    match kind {
        TableKind::Invoices => &[
            &[Number],
            &[ClientId, ClientName],
            &[InvoiceDate],
            &[Amount],
        ],
        TableKind::Payments => &[&[PaymentDate], &[PaymentAmount]],
        TableKind::Clients => &[&[Id, Name]],
    }
}

/// Finds the header row of `table` as a table of `kind`. `explicit` maps field keys (as in
/// `[invoices.columns]`) to header texts from the config; keys that are not fields of `kind`
/// are ignored (the config loader rejects them).
///
/// # Errors
///
/// [`HeaderMiss`] when no row within the first [`HEADER_SCAN_ROWS`] has all required columns,
/// or the best row lacks a header named in the config.
// Called once per table; the detailed miss is worth more than a small `Err`.
#[allow(clippy::result_large_err)]
pub fn find_header(
    table: &RawTable,
    kind: TableKind,
    explicit: &BTreeMap<String, String>,
) -> Result<HeaderMatch, HeaderMiss> {
    let explicit: Vec<(Field, String, String)> = kind
        .fields()
        .iter()
        .filter_map(|&field| {
            explicit
                .get(field.key())
                .map(|header| (field, header.clone(), header_key(header)))
        })
        .collect();
    let aliases: Vec<(Field, Vec<String>)> = kind
        .fields()
        .iter()
        .map(|&field| {
            (
                field,
                field.aliases().iter().map(|a| header_key(a)).collect(),
            )
        })
        .collect();

    // (row index, matched columns, satisfies required and config)
    let mut best: Option<(usize, BTreeMap<Field, usize>, bool)> = None;
    for (index, row) in table.rows.iter().take(HEADER_SCAN_ROWS).enumerate() {
        let keys: Vec<String> = row.iter().map(|c| header_key(&c.display())).collect();
        if keys.iter().all(String::is_empty) {
            continue;
        }
        let bare: Vec<String> = row.iter().map(|c| header_key_bare(&c.display())).collect();
        let columns = match_row(&keys, &bare, &explicit, &aliases);
        let complete =
            satisfies(kind, &columns) && explicit.iter().all(|(f, _, _)| columns.contains_key(f));
        let better = match &best {
            None => true,
            Some((_, cols, ok)) => (complete, columns.len()) > (*ok, cols.len()),
        };
        if better {
            best = Some((index, columns, complete));
        }
    }

    match best {
        Some((row_index, columns, true)) => Ok(HeaderMatch {
            row_index,
            columns,
            headers: table.rows[row_index].iter().map(|c| c.display()).collect(),
        }),
        other => {
            let (row_number, headers, columns) = match other {
                Some((index, columns, _)) => (
                    Some(table.row_number(index)),
                    table.rows[index]
                        .iter()
                        .map(|c| c.display())
                        .filter(|h| !h.is_empty())
                        .collect(),
                    columns,
                ),
                None => (None, Vec::new(), BTreeMap::new()),
            };
            let missing: Vec<&'static [Field]> = required(kind)
                .iter()
                .copied()
                .filter(|group| !group.iter().any(|f| columns.contains_key(f)))
                .collect();
            let tried = missing
                .iter()
                .flat_map(|group| group.iter())
                .map(|&field| {
                    let mut names: Vec<String> = explicit
                        .iter()
                        .filter(|(f, _, _)| *f == field)
                        .map(|(_, header, _)| header.clone())
                        .collect();
                    names.extend(field.aliases().iter().map(|a| (*a).to_string()));
                    (field, names)
                })
                .collect();
            Err(HeaderMiss {
                file: table.file.to_string(),
                sheet: table.sheet.as_deref().map(str::to_string),
                kind,
                missing,
                explicit_not_found: explicit
                    .iter()
                    .filter(|(f, _, _)| !columns.contains_key(f))
                    .map(|(f, header, _)| (*f, header.clone()))
                    .collect(),
                row_number,
                headers,
                tried,
            })
        }
    }
}

/// Assigns columns of one candidate row: config names first, then aliases in field order;
/// each first against the headers as they are (`keys`), then, for the fields still without a
/// column, against the headers without their notes and units (`bare`).
fn match_row(
    keys: &[String],
    bare: &[String],
    explicit: &[(Field, String, String)],
    aliases: &[(Field, Vec<String>)],
) -> BTreeMap<Field, usize> {
    let mut taken = vec![false; keys.len()];
    let mut columns = BTreeMap::new();
    for headers in [keys, bare] {
        let claim = |wanted: &str, taken: &mut Vec<bool>| -> Option<usize> {
            if wanted.is_empty() {
                return None;
            }
            let col = headers
                .iter()
                .enumerate()
                .position(|(i, k)| !taken[i] && k == wanted)?;
            taken[col] = true;
            Some(col)
        };
        for (field, _, key) in explicit {
            if columns.contains_key(field) {
                continue;
            }
            if let Some(col) = claim(key, &mut taken) {
                columns.insert(*field, col);
            }
        }
        for (field, keys_of_field) in aliases {
            if columns.contains_key(field) || explicit.iter().any(|(f, _, _)| f == field) {
                continue;
            }
            if let Some(col) = keys_of_field.iter().find_map(|k| claim(k, &mut taken)) {
                columns.insert(*field, col);
            }
        }
    }
    columns
}

/// The non-empty headers of a header row that map to no field, with their columns.
#[must_use]
pub fn unmapped(header: &HeaderMatch) -> Vec<(usize, String)> {
    header
        .headers
        .iter()
        .enumerate()
        .filter(|(col, text)| !text.trim().is_empty() && !header.columns.values().any(|c| c == col))
        .map(|(col, text)| (col, text.trim().to_string()))
        .collect()
}

/// How much an unmapped header must resemble a field's alias to be worth a warning (SPEC
/// section 10): the Indel similarity of their keys.
pub const RESEMBLANCE: f64 = 0.8;

/// The field an unmapped header most resembles, with the alias it resembles: an alias whose
/// key is at least [`RESEMBLANCE`] similar to the header's (without notes and units), or one of
/// four letters or more that stands in the header as a whole word or words.
#[must_use]
pub fn resembles(text: &str, kind: TableKind) -> Option<(Field, &'static str)> {
    // Words keep their quote marks until they are folded, so `סה"כ` stays one word.
    let words_of = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '"' && c != '\'')
            .map(header_key)
            .filter(|w| !w.is_empty())
            .collect()
    };
    let bare = header_key_bare(text);
    let words = words_of(text);
    let mut best: Option<(f64, Field, &'static str)> = None;
    for &field in kind.fields() {
        for &alias in field.aliases() {
            let key = header_key(alias);
            let mut score = crate::normalize::indel_similarity(&bare, &key);
            if score < RESEMBLANCE && key.chars().count() >= 4 {
                let alias_words = words_of(alias);
                let n = alias_words.len();
                if n > 0 && words.windows(n).any(|w| w == alias_words.as_slice()) {
                    score = RESEMBLANCE;
                }
            }
            if score >= RESEMBLANCE && best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, field, alias));
            }
        }
    }
    best.map(|(_, field, alias)| (field, alias))
}

/// A warning for each unmapped header that resembles a field, naming the header, the field and
/// the line of `arrears.toml` that maps it.
#[must_use]
pub fn unmapped_hints(
    header: &HeaderMatch,
    unmapped: &[(usize, String)],
    kind: TableKind,
    file: &str,
    sheet: Option<&str>,
    row: u32,
) -> Vec<crate::model::Issue> {
    unmapped
        .iter()
        .filter_map(|(_, text)| {
            let (field, alias) = resembles(text, kind)?;
            let line = format!("{} = {}", field.key(), toml_string(text));
            let now = match header.columns.get(&field) {
                Some(col) => format!(
                    "`{}` is read from column \"{}\"; to read this column instead, put `{line}` \
                     under [{kind}.columns] in arrears.toml",
                    field.key(),
                    header.headers.get(*col).map_or("", |h| h.trim()),
                ),
                None => format!(
                    "to read it as `{}`, add `{line}` under [{kind}.columns] in arrears.toml",
                    field.key()
                ),
            };
            Some(crate::model::Issue {
                severity: crate::model::Severity::Warning,
                file: file.to_string(),
                sheet: sheet.map(str::to_string),
                row: Some(row),
                column: Some(text.clone()),
                value: None,
                message: format!(
                    "column not read: \"{text}\" looks like `{}` (\"{alias}\") but matches none of \
                     its names; {now}",
                    field.key()
                ),
            })
        })
        .collect()
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn satisfies(kind: TableKind, columns: &BTreeMap<Field, usize>) -> bool {
    required(kind)
        .iter()
        .all(|group| group.iter().any(|f| columns.contains_key(f)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ingest::table::Cell;

    fn table(rows: &[&[&str]]) -> RawTable {
        RawTable {
            file: Arc::from("invoices.xlsx"),
            sheet: Some(Arc::from("Export")),
            first_row: 1,
            rows: rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|t| {
                            if t.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text((*t).into())
                            }
                        })
                        .collect()
                })
                .collect(),
        }
    }

    fn none() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    #[test]
    fn header_below_a_title_block() {
        let t = table(&[
            &["Acme Ltd — open invoices"],
            &["Printed 2026-10-31", "", "page 1"],
            &[],
            &[
                "Invoice No.",
                "Customer",
                "Date",
                "Due Date",
                "Total",
                "Currency",
            ],
            &["1001", "Foo", "2026-10-05", "2026-11-04", "1,234.56", "ILS"],
        ]);
        let m = find_header(&t, TableKind::Invoices, &none()).unwrap();
        assert_eq!(m.row_index, 3);
        assert_eq!(m.columns[&Field::Number], 0);
        assert_eq!(m.columns[&Field::ClientName], 1);
        assert_eq!(m.columns[&Field::InvoiceDate], 2);
        assert_eq!(m.columns[&Field::DueDate], 3);
        assert_eq!(m.columns[&Field::Amount], 4);
        assert_eq!(m.columns[&Field::Currency], 5);
        assert_eq!(m.headers[0], "Invoice No.");
    }

    #[test]
    fn hebrew_headers() {
        let t = table(&[
            &["מספר חשבונית", "שם לקוח", "תאריך", "תאריך פירעון", "סה\"כ"],
            &["1001", "כהן", "05/10/2026", "04/11/2026", "100"],
        ]);
        let m = find_header(&t, TableKind::Invoices, &none()).unwrap();
        assert_eq!(m.row_index, 0);
        assert_eq!(m.columns[&Field::Number], 0);
        assert_eq!(m.columns[&Field::ClientName], 1);
        assert_eq!(m.columns[&Field::InvoiceDate], 2);
        assert_eq!(m.columns[&Field::DueDate], 3);
        assert_eq!(m.columns[&Field::Amount], 4);
    }

    #[test]
    fn a_column_serves_one_field() {
        // "Date" is an alias of the invoice date only once; "Due" takes the other.
        let t = table(&[&["No", "Client", "Date", "Due", "Amount", "Date"]]);
        let m = find_header(&t, TableKind::Invoices, &none()).unwrap();
        assert_eq!(m.columns[&Field::InvoiceDate], 2);
        assert_eq!(m.columns[&Field::DueDate], 3);
        assert_eq!(m.columns.values().filter(|&&c| c == 5).count(), 0);
    }

    #[test]
    fn explicit_header_wins() {
        let t = table(&[&["Ref", "Invoice No", "Client", "Date", "Amount"]]);
        let mut explicit = none();
        explicit.insert("number".to_string(), "ref".to_string());
        let m = find_header(&t, TableKind::Invoices, &explicit).unwrap();
        assert_eq!(m.columns[&Field::Number], 0);
        // "Invoice No" is not taken by anything else.
        assert!(!m.columns.values().any(|&c| c == 1));
    }

    #[test]
    fn explicit_header_not_found_is_named() {
        let t = table(&[&["Invoice No", "Client", "Date", "Amount"]]);
        let mut explicit = none();
        explicit.insert("due_date".to_string(), "Pay By".to_string());
        let miss = find_header(&t, TableKind::Invoices, &explicit).unwrap_err();
        assert_eq!(
            miss.explicit_not_found,
            vec![(Field::DueDate, "Pay By".to_string())]
        );
        assert!(miss.missing.is_empty());
        assert!(miss
            .to_string()
            .contains("[invoices.columns] due_date = \"Pay By\" names a column that is not there"));
    }

    #[test]
    fn missing_column_lists_headers_and_aliases() {
        let t = table(&[
            &["Open items"],
            &["Folio", "Customer", "Issued", "Whatever"],
            &["1", "A", "2026-01-01", "5"],
        ]);
        let miss = find_header(&t, TableKind::Invoices, &none()).unwrap_err();
        assert_eq!(miss.row_number, Some(2));
        assert_eq!(
            miss.headers,
            vec!["Folio", "Customer", "Issued", "Whatever"]
        );
        assert_eq!(
            miss.missing,
            vec![&[Field::Number][..], &[Field::Amount][..]]
        );
        let text = miss.to_string();
        assert!(text.starts_with(
            "invoices.xlsx, sheet 'Export': no invoices header found in the first 30 rows; \
             the likeliest header row, 2, has: \"Folio\", \"Customer\", \"Issued\", \"Whatever\""
        ));
        assert!(text.contains("missing `number`"));
        assert!(text.contains("`number` tried: \"Invoice No\", \"Invoice\""));
        assert!(text.contains("\"מספר חשבונית\""));
        assert!(text.contains("missing `amount`"));
        assert!(text.contains("add `number = \"<your header>\"` under `[invoices.columns]`"));
    }

    #[test]
    fn either_or_requirement() {
        let t = table(&[&["Payer", "Phone"]]);
        let miss = find_header(&t, TableKind::Clients, &none()).unwrap_err();
        assert_eq!(miss.missing, vec![&[Field::Id, Field::Name][..]]);
        assert!(miss.to_string().contains("missing `id` or `name`"));

        let t = table(&[&["Customer Name", "Phone"]]);
        let m = find_header(&t, TableKind::Clients, &none()).unwrap();
        assert_eq!(m.columns[&Field::Name], 0);
        assert_eq!(m.columns[&Field::Phone], 1);
    }

    #[test]
    fn payments_and_the_richest_row() {
        let t = table(&[
            &["Date", "Amount"],
            &["Value Date", "Credit", "Payer Name", "Details"],
        ]);
        let m = find_header(&t, TableKind::Payments, &none()).unwrap();
        assert_eq!(m.row_index, 1);
        assert_eq!(m.columns[&Field::PaymentDate], 0);
        assert_eq!(m.columns[&Field::PaymentAmount], 1);
        assert_eq!(m.columns[&Field::Payer], 2);
        assert_eq!(m.columns[&Field::Memo], 3);
    }

    #[test]
    fn empty_table() {
        let t = table(&[]);
        let miss = find_header(&t, TableKind::Payments, &none()).unwrap_err();
        assert_eq!(miss.row_number, None);
        assert!(miss.to_string().contains("the table has no rows"));
    }

    #[test]
    fn notes_and_units_in_headers_are_not_part_of_the_name() {
        let t = table(&[
            &[
                "Client ID",
                "Client Name",
                "Payment terms (days)",
                "Phone [mobile]",
            ],
            &["C1", "Alpha", "45", "050"],
        ]);
        let m = find_header(&t, TableKind::Clients, &none()).unwrap();
        assert_eq!(m.columns[&Field::Terms], 2);
        assert_eq!(m.columns[&Field::Phone], 3);
        let t = table(&[&["מספר חשבונית", "לקוח", "תאריך", "סכום (ש\"ח)", "Region"]]);
        let m = find_header(&t, TableKind::Invoices, &none()).unwrap();
        assert_eq!(m.columns[&Field::Amount], 3);
        assert_eq!(unmapped(&m), vec![(4, "Region".to_string())]);
        let t = table(&[&["Value Date", "Amount in USD"]]);
        let m = find_header(&t, TableKind::Payments, &none()).unwrap();
        assert_eq!(m.columns[&Field::PaymentAmount], 1);
        // A header that is only a unit keeps its name: it is the currency column.
        let t = table(&[&["Invoice", "Client", "Date", "Total", "Currency"]]);
        assert_eq!(header_key_bare("ILS"), "ils");
        assert!(find_header(&t, TableKind::Invoices, &none()).is_ok());
    }

    #[test]
    fn an_exact_name_wins_over_a_name_without_its_unit() {
        // "Amount (ILS)" would be `amount` once bare, but "Amount" names it as it is.
        let t = table(&[&["Invoice", "Client", "Date", "Amount (ILS)", "Amount"]]);
        let m = find_header(&t, TableKind::Invoices, &none()).unwrap();
        assert_eq!(m.columns[&Field::Amount], 4);
    }

    #[test]
    fn unmapped_headers_that_look_like_a_field_say_how_to_map_them() {
        let t = table(&[&["Client ID", "Client Name", "Pay terms", "Region", "Phone"]]);
        let m = find_header(&t, TableKind::Clients, &none()).unwrap();
        let cols = unmapped(&m);
        assert_eq!(
            cols,
            vec![(2, "Pay terms".to_string()), (3, "Region".to_string())]
        );
        let hints = unmapped_hints(&m, &cols, TableKind::Clients, "clients.xlsx", Some("S"), 1);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert_eq!(hints[0].column.as_deref(), Some("Pay terms"));
        assert!(
            hints[0]
                .message
                .contains("add `terms = \"Pay terms\"` under [clients.columns] in arrears.toml"),
            "{}",
            hints[0].message
        );
        // A field already read from another column is named, with how to switch.
        let t = table(&[&["Date", "Amount", "Value Date of transfer"]]);
        let m = find_header(&t, TableKind::Payments, &none()).unwrap();
        let cols = unmapped(&m);
        let hints = unmapped_hints(&m, &cols, TableKind::Payments, "bank.csv", None, 1);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0]
            .message
            .contains("`date` is read from column \"Date\""));
        assert!(hints[0]
            .message
            .contains("date = \"Value Date of transfer\""));
        // Quotes in a Hebrew header are escaped for TOML.
        assert_eq!(toml_string("סה\"כ"), "\"סה\\\"כ\"");
    }

    #[test]
    fn credit_and_debit_columns_of_a_bank_export() {
        let t = table(&[
            &[
                "תאריך",
                "תיאור הפעולה",
                "אסמכתא",
                "חובה",
                "זכות",
                "יתרה בש\"ח",
            ],
            &["01/11/2026", "העברה", "123", "", "500", "1500"],
        ]);
        let m = find_header(&t, TableKind::Payments, &none()).unwrap();
        assert_eq!(m.columns[&Field::PaymentDate], 0);
        assert_eq!(m.columns[&Field::Memo], 1);
        assert_eq!(m.columns[&Field::PaymentId], 2);
        assert_eq!(m.columns[&Field::Debit], 3);
        assert_eq!(m.columns[&Field::PaymentAmount], 4);
        assert_eq!(unmapped(&m), vec![(5, "יתרה בש\"ח".to_string())]);
    }
}
