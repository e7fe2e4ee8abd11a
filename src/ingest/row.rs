//! One data row of a located table and what every table kind reads with it: its cells by
//! field, dates in the column's proven order, amounts, currencies, and the parsing of rows on all
//! threads in row order.

use super::*;

/// One data row of a located table, with the means to read its fields and report on them.
pub(super) struct Row<'a> {
    pub(super) cells: &'a [Cell],
    pub(super) header: &'a HeaderMatch,
    pub(super) origin: Origin,
}

impl<'a> Row<'a> {
    pub(super) fn cell(&self, field: Field) -> Option<&'a Cell> {
        let col = *self.header.columns.get(&field)?;
        self.cells.get(col).filter(|c| !c.is_empty())
    }

    pub(super) fn column(&self, field: Field) -> &str {
        self.header
            .columns
            .get(&field)
            .and_then(|c| self.header.headers.get(*c))
            .map_or(field.key(), String::as_str)
    }

    pub(super) fn text(&self, field: Field) -> Option<String> {
        self.cell(field).and_then(value::cell_text)
    }

    pub(super) fn issue(
        &self,
        severity: Severity,
        field: Option<Field>,
        message: impl Into<String>,
    ) -> Issue {
        let value = field.and_then(|f| self.cell(f)).map(Cell::display);
        Issue::at(
            severity,
            &self.origin,
            field.map(|f| self.column(f)),
            value.as_deref(),
            message,
        )
    }

    pub(super) fn error(&self, field: Field, message: impl Into<String>) -> Issue {
        self.issue(Severity::Error, Some(field), message)
    }

    pub(super) fn missing(&self, field: Field, what: &str) -> Issue {
        Issue::at(
            Severity::Error,
            &self.origin,
            Some(self.column(field)),
            Some(""),
            format!("{what} is empty; the row is left out"),
        )
    }

    pub(super) fn date(
        &self,
        field: Field,
        orders: &BTreeMap<Field, ColumnOrder>,
    ) -> Result<Option<NaiveDate>, Issue> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        match orders.get(&field) {
            Some(ColumnOrder::Fixed(order)) => value::parse_date(cell, *order),
            None => value::parse_date(cell, DateOrder::DayFirst),
            Some(ColumnOrder::Mixed) => match value::date_hint(cell) {
                value::DateHint::DayFirst => value::parse_date(cell, DateOrder::DayFirst),
                value::DateHint::MonthFirst => value::parse_date(cell, DateOrder::MonthFirst),
                value::DateHint::NoHint => {
                    let day = value::parse_date(cell, DateOrder::DayFirst);
                    let month = value::parse_date(cell, DateOrder::MonthFirst);
                    match (day, month) {
                        (Ok(a), Ok(b)) if a != b => Err(format!(
                            "reads as {a} or {b}, and this column mixes day-first and month-first dates"
                        )),
                        (Ok(a), _) => Ok(a),
                        (Err(e), _) => Err(e),
                    }
                }
            },
        }
        .map(Some)
        .map_err(|m| self.error(field, m))
    }

    pub(super) fn amount(&self, field: Field) -> Result<Option<ParsedAmount>, Issue> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        value::parse_amount(cell)
            .map(Some)
            .map_err(|m| self.error(field, m))
    }

    pub(super) fn flag(&self, field: Field) -> Result<bool, Issue> {
        match self.cell(field) {
            None => Ok(false),
            Some(cell) => value::parse_bool(cell).map_err(|m| self.error(field, m)),
        }
    }
}

/// The data rows of a table (below its header), skipping blank rows, with a running report.
pub(super) fn data_rows<'a>(
    table: &'a RawTable,
    header: &'a HeaderMatch,
    report: &mut InputReport,
    issues: &mut Vec<Issue>,
) -> Vec<Row<'a>> {
    // Room for every row below the header, made once (a million rows' list grown step by step
    // is copied into fresh memory at each step, on the one thread this runs on).
    let mut rows = Vec::with_capacity(table.rows.len().saturating_sub(header.row_index + 1));
    let place = Arc::new(Place {
        file: Arc::clone(&table.file),
        sheet: table.sheet.clone(),
    });
    for (index, cells) in table.rows.iter().enumerate().skip(header.row_index + 1) {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let row = Row {
            cells,
            header,
            origin: Origin {
                place: Arc::clone(&place),
                row: table.row_number(index),
            },
        };
        // Cells right of the last header: in a text export this is almost always an amount
        // with a thousands comma that was not quoted, which shifts every later column.
        if let Some(extra) = cells
            .iter()
            .skip(header.headers.len())
            .find(|c| !c.is_empty())
        {
            issues.push(Issue::at(
                Severity::Warning,
                &row.origin,
                None,
                Some(&extra.display()),
                format!(
                    "the row has cells beyond the {} header columns; they are ignored — check for \
                     an unquoted comma in an amount or name",
                    header.headers.len()
                ),
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        // A header with nothing below it is almost always a failed or filtered export; say so
        // rather than run silently on nothing.
        issues.push(Issue {
            severity: Severity::Warning,
            file: report.file.clone(),
            sheet: report.sheet.clone(),
            row: Some(table.row_number(header.row_index)),
            column: None,
            value: None,
            message: "the table has a header row but no data rows below it; nothing was read \
                      from it — check the export"
                .to_string(),
        });
    }
    report.rows += rows.len();
    rows
}

/// A totals line at the bottom of an export ("Total", "סה"כ"): a row whose key column is empty
/// or holds the totals word itself, with the word somewhere in the row.
pub(super) fn is_totals_row(row: &Row<'_>, key_field: Field) -> bool {
    let is_total = |c: &Cell| {
        // Only words say "total": a number, date or truth value never does.
        let text: &str = match c {
            Cell::Text(text) => text,
            Cell::Error(text) => text,
            _ => return false,
        };
        // Nor does a text with a digit (an invoice number, a date): its key keeps the digit.
        // Nearly every row's key cell is one, and is passed over without building its key.
        if text.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let key = field::header_key(text);
        matches!(
            key.as_str(),
            "total" | "totals" | "grandtotal" | "סהכ" | "סךהכל" | "סיכום"
        )
    };
    match row.cell(key_field) {
        None => row.cells.iter().any(is_total),
        Some(key) => is_total(key),
    }
}

/// How the dates of one column are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ColumnOrder {
    Fixed(DateOrder),
    /// The column proves both orders: each date is read in the order it proves itself.
    Mixed,
}

/// Decides the day/month order of every date column of a table from its data.
pub(super) fn date_orders<'a>(
    config: &Config,
    rows: &[Row<'a>],
    fields: &[Field],
    report: &mut InputReport,
    issues: &mut Vec<Issue>,
) -> BTreeMap<Field, ColumnOrder> {
    let mut orders = BTreeMap::new();
    for &field in fields {
        if !rows
            .first()
            .is_some_and(|r| r.header.columns.contains_key(&field))
        {
            continue;
        }
        // A column of real dates (a spreadsheet's, a bank statement's) has no order to decide;
        // saying it fell back to the default would only be noise.
        if !rows
            .par_iter()
            .any(|r| matches!(r.cell(field), Some(Cell::Text(_))))
        {
            continue;
        }
        let column = rows[0].column(field).to_string();
        // The first cell that proves each order, found on all threads: deciding on those two
        // alone, in row order, is what a scan of the whole column decides.
        type First<'c> = Option<(usize, &'c Cell)>;
        let earlier = |a: First<'a>, b: First<'a>| match (a, b) {
            (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
            (x, y) => x.or(y),
        };
        let (day_first, month_first) = rows
            .par_iter()
            .enumerate()
            .filter_map(|(i, r)| r.cell(field).map(|c| (i, c)))
            .fold(
                || (None, None),
                |(day, month): (First<'a>, First<'a>), (i, cell)| match value::date_hint(cell) {
                    value::DateHint::DayFirst => (day.or(Some((i, cell))), month),
                    value::DateHint::MonthFirst => (day, month.or(Some((i, cell)))),
                    value::DateHint::NoHint => (day, month),
                },
            )
            .reduce(
                || (None, None),
                |(d1, m1), (d2, m2)| (earlier(d1, d2), earlier(m1, m2)),
            );
        let mut proving: Vec<(usize, &Cell)> =
            [day_first, month_first].into_iter().flatten().collect();
        proving.sort_by_key(|&(i, _)| i);
        let cells = proving.into_iter().map(|(_, cell)| cell);
        match value::decide_date_order(cells, config.date_order) {
            Ok((order, decided)) => {
                orders.insert(field, ColumnOrder::Fixed(order));
                report
                    .date_orders
                    .push((column, order.as_str().to_string(), decided));
            }
            Err(conflict) => {
                issues.push(Issue {
                    severity: Severity::Error,
                    file: report.file.clone(),
                    sheet: report.sheet.clone(),
                    row: None,
                    column: Some(column.clone()),
                    value: None,
                    message: format!(
                        "{conflict}; each date is read in the order it proves, and rows whose \
                         date reads both ways are left out — export the column as real dates"
                    ),
                });
                orders.insert(field, ColumnOrder::Mixed);
                report.date_orders.push((column, "mixed".to_string(), true));
            }
        }
    }
    orders
}

/// The currency of a row: its currency column, else a sign or code in the amount, else the
/// configured default. A column and an amount that disagree are an error.
pub(super) fn row_currency(
    config: &Config,
    row: &Row<'_>,
    field: Field,
    amount_field: Field,
    from_amount: Option<&str>,
) -> Result<String, Issue> {
    let column = match row.text(field) {
        None => None,
        Some(text) => Some(value::parse_currency(&text).ok_or_else(|| {
            row.error(
                field,
                "not a currency; write an ISO code such as ILS, USD or EUR",
            )
        })?),
    };
    match (column, from_amount) {
        (Some(c), Some(a)) if c != a => Err(row.error(
            amount_field,
            format!("the amount says {a} but the currency column says {c}"),
        )),
        (Some(c), _) => Ok(c),
        (None, Some(a)) => Ok(a.to_string()),
        (None, None) => Ok(config.default_currency.clone()),
    }
}

/// Rows parsed in parallel at once: enough to keep every thread busy, few enough that the
/// parsed drafts of a million-row table are not all held at the same time.
pub(super) const PARSE_CHUNK: usize = 1 << 16;

/// Parses the data rows of `table` (those [`data_rows`] gave, by their origins) on all threads
/// and hands each result to `finish` in row order. A chunk at a time: `finish` takes one chunk on
/// this thread while the next chunk is being parsed, so the work that must follow row order
/// (clients, shared texts, duplicates) overlaps the parsing, and only two chunks' drafts are held
/// at once. Each chunk's cells are moved out of the table before it is parsed and freed once its
/// rows are finished: a million-row table's cells are not all held next to all of its
/// documents, which at a million payments with long memos was the run's peak of memory.
pub(super) fn parse_rows<D: Send>(
    table: &mut RawTable,
    header: &HeaderMatch,
    origins: Vec<Origin>,
    parse: impl Fn(&Row<'_>) -> D + Sync,
    mut finish: impl FnMut(&Row<'_>, D) + Send,
) {
    let first_row = table.first_row;
    let cells = &mut table.rows;
    let mut origins = origins.into_iter();
    // The next chunk: its origins, with the cells of those rows taken out of the table.
    let mut take_chunk = move || -> Option<(Vec<Origin>, Vec<Vec<Cell>>)> {
        let chunk: Vec<Origin> = origins.by_ref().take(PARSE_CHUNK).collect();
        if chunk.is_empty() {
            return None;
        }
        let taken = chunk
            .iter()
            .map(|origin| {
                let index = usize::try_from(origin.row.saturating_sub(first_row)).ok();
                index
                    .and_then(|i| cells.get_mut(i))
                    .map(std::mem::take)
                    .unwrap_or_default()
            })
            .collect();
        Some((chunk, taken))
    };
    fn rows_of<'a>(
        origins: Vec<Origin>,
        cells: &'a [Vec<Cell>],
        header: &'a HeaderMatch,
    ) -> Vec<Row<'a>> {
        origins
            .into_iter()
            .zip(cells)
            .map(|(origin, cells)| Row {
                cells,
                header,
                origin,
            })
            .collect()
    }
    let parse_chunk = |(origins, cells): (Vec<Origin>, Vec<Vec<Cell>>)| {
        let parsed: Vec<D> = rows_of(origins.clone(), &cells, header)
            .par_iter()
            .map(&parse)
            .collect();
        (origins, cells, parsed)
    };
    let mut current = take_chunk().map(parse_chunk);
    while let Some((origins, cells, parsed)) = current {
        let next = take_chunk();
        current = rayon::join(
            || {
                for (row, draft) in rows_of(origins, &cells, header).iter().zip(parsed) {
                    finish(row, draft);
                }
                drop(cells);
            },
            || next.map(parse_chunk),
        )
        .1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `n` data rows under a header, with blank rows between some of them.
    fn table(n: usize) -> RawTable {
        let mut rows = vec![vec![Cell::Text("Number".into()), Cell::Text("Memo".into())]];
        for i in 0..n {
            if i % 1000 == 7 {
                rows.push(vec![Cell::Empty, Cell::Empty]);
            }
            rows.push(vec![
                Cell::Number(i as f64),
                Cell::Text(format!("a memo long enough for the heap, row {i}").into()),
            ]);
        }
        RawTable {
            file: Arc::from("t.csv"),
            sheet: None,
            first_row: 3,
            rows,
        }
    }

    #[test]
    fn rows_reach_finish_in_order_and_each_chunk_is_freed() {
        let n = PARSE_CHUNK * 2 + 123;
        let mut table = table(n);
        let header = HeaderMatch {
            row_index: 0,
            columns: BTreeMap::from([(Field::Number, 0), (Field::Memo, 1)]),
            headers: vec!["Number".into(), "Memo".into()],
        };
        let mut report = InputReport::default();
        let mut issues = Vec::new();
        let rows = data_rows(&table, &header, &mut report, &mut issues);
        assert_eq!(rows.len(), n);
        let origins: Vec<Origin> = rows.into_iter().map(|row| row.origin).collect();
        let expected: Vec<u32> = origins.iter().map(|o| o.row).collect();
        let mut seen = Vec::new();
        parse_rows(
            &mut table,
            &header,
            origins,
            |row| row.cells.first().map(Cell::display),
            |row, parsed| {
                // The row's own cells, still there when it is finished.
                assert_eq!(parsed, row.cells.first().map(Cell::display));
                assert!(row.cells[1]
                    .display()
                    .ends_with(&format!("row {}", seen.len())));
                seen.push(row.origin.row);
            },
        );
        assert_eq!(seen, expected);
        // Every data row's cells were taken and freed (blank rows are no data rows and stay);
        // the header row is left as it was.
        assert!(table.rows[1..]
            .iter()
            .all(|cells| cells.iter().all(Cell::is_empty)));
        assert_eq!(
            table.rows.iter().filter(|cells| cells.is_empty()).count(),
            n
        );
        assert_eq!(table.rows[0].len(), 2);
    }
}
