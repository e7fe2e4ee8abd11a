//! Workbooks (xlsx, xlsm, xlsb, ods, xls) into raw tables, through calamine: panics caught,
//! zip and compound-file structures checked before anything is inflated, sparse sheets refused.

use super::*;

thread_local! {
    /// Set while a calamine call runs on this thread, so the panic hook stays silent for a
    /// panic we are about to catch and report as an error.
    pub(super) static QUIET_PANICS: StdCell<bool> = const { StdCell::new(false) };
}

static INSTALL_HOOK: Once = Once::new();

/// Runs a workbook reader, turning a panic inside it into [`SourceError::ReaderCrashed`].
/// The process-wide panic hook is wrapped once: it stays silent only on a thread inside this
/// function and otherwise calls the previous hook unchanged. (With `panic = "abort"` nothing can
/// be caught; arrears does not build that way.)
pub(super) fn guarded<T>(
    file: &str,
    format: &'static str,
    read: impl FnOnce() -> Result<T, SourceError>,
) -> Result<T, SourceError> {
    INSTALL_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(StdCell::get) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    result.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "internal error".to_string());
        Err(SourceError::ReaderCrashed {
            file: file.to_string(),
            format,
            detail,
        })
    })
}

/// Builds the ragged rows of one sheet from cells arriving in any order, with the padding
/// bounded (see the module documentation).
pub(super) struct Grid {
    /// Indexed by absolute 0-based row and column; trimmed in [`Grid::finish`].
    rows: Vec<Vec<Cell>>,
    cells: usize,
    padding: usize,
    min_row: u32,
    min_col: u32,
    /// The row last written to, and the length of the one before it: a new row is given room
    /// for as many cells at once instead of growing cell by cell.
    last_row: usize,
    width: usize,
}

/// The most cells [`Grid`] makes room for in a new row at once (a row is usually as long as
/// the one above it).
pub(super) const ROW_ROOM: usize = 256;

impl Grid {
    pub(super) fn new() -> Self {
        Grid {
            rows: Vec::new(),
            cells: 0,
            padding: 0,
            min_row: u32::MAX,
            min_col: u32::MAX,
            last_row: 0,
            width: 0,
        }
    }

    /// Places a non-empty cell at an absolute 0-based position.
    pub(super) fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), (u32, u32)> {
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err((row, col));
        }
        let (r, c) = (row as usize, col as usize);
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        if r != self.last_row {
            self.width = self.rows.get(self.last_row).map_or(0, Vec::len);
            self.last_row = r;
        }
        let line = &mut self.rows[r];
        if line.capacity() == 0 {
            line.reserve_exact(self.width.min(ROW_ROOM).max(c + 1));
        }
        if line.len() <= c {
            self.padding += c - line.len();
            line.resize(c + 1, Cell::Empty);
        }
        line[c] = cell;
        self.cells += 1;
        self.min_row = self.min_row.min(row);
        self.min_col = self.min_col.min(col);
        if self.padding > PADDING_ALLOWANCE
            && self.padding > self.cells.saturating_mul(MAX_PADDING_PER_CELL)
        {
            return Err((row, col));
        }
        Ok(())
    }

    pub(super) fn finish(mut self, file: &Arc<str>, sheet: &str) -> RawTable {
        let (first_row, rows) = if self.cells == 0 {
            (1, Vec::new())
        } else {
            let min_col = self.min_col as usize;
            self.rows.drain(..self.min_row as usize);
            for row in &mut self.rows {
                if row.len() > min_col {
                    row.drain(..min_col);
                } else {
                    row.clear();
                }
            }
            (self.min_row + 1, self.rows)
        };
        RawTable {
            file: Arc::clone(file),
            sheet: Some(Arc::from(sheet)),
            first_row,
            rows,
        }
    }
}

/// `A1`-style reference of a 0-based position, for messages.
pub(super) fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + u8::try_from(rem).unwrap_or(0));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

pub(super) fn sparse_error(file: &str, sheet: &str, (row, col): (u32, u32)) -> SourceError {
    SourceError::SheetTooSparse {
        file: file.to_string(),
        sheet: sheet.to_string(),
        cell: cell_ref(row, col),
    }
}

pub(super) fn stopped(file: &str) -> SourceError {
    SourceError::Stopped {
        file: file.to_string(),
    }
}

pub(super) fn worksheet_names(sheets: &[calamine::Sheet]) -> Vec<String> {
    sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect()
}

pub(super) fn workbook_error(
    file: &str,
    format: &'static str,
    detail: String,
    password: bool,
) -> SourceError {
    if password {
        SourceError::PasswordProtected {
            file: file.to_string(),
        }
    } else {
        SourceError::Corrupt {
            file: file.to_string(),
            format,
            detail,
        }
    }
}

pub(super) fn read_xlsx(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel (xlsx)";
    let err = |e: calamine::XlsxError| {
        let password = matches!(e, calamine::XlsxError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let mut reader = book.worksheet_cells_reader(&name).map_err(err)?;
        let mut grid = Grid::new();
        let mut until_stop = CELLS_BETWEEN_STOPS;
        while let Some(cell) = reader.next_cell().map_err(err)? {
            until_stop -= 1;
            if until_stop == 0 {
                until_stop = CELLS_BETWEEN_STOPS;
                if stop() {
                    return Err(stopped(file));
                }
            }
            let (row, col) = cell.get_position();
            if let Some(value) = from_data_ref(cell.get_value()) {
                grid.put(row, col, value)
                    .map_err(|at| sparse_error(file, &name, at))?;
            }
        }
        tables.push(grid.finish(file, &name));
    }
    Ok(tables)
}

pub(super) fn read_xlsb(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel (xlsb)";
    let err = |e: calamine::XlsbError| {
        let password = matches!(e, calamine::XlsbError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    let mut book: Xlsb<_> = Xlsb::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let mut reader = book.worksheet_cells_reader(&name).map_err(err)?;
        let mut grid = Grid::new();
        let mut until_stop = CELLS_BETWEEN_STOPS;
        while let Some(cell) = reader.next_cell().map_err(err)? {
            until_stop -= 1;
            if until_stop == 0 {
                until_stop = CELLS_BETWEEN_STOPS;
                if stop() {
                    return Err(stopped(file));
                }
            }
            let (row, col) = cell.get_position();
            if let Some(value) = from_data_ref(cell.get_value()) {
                grid.put(row, col, value)
                    .map_err(|at| sparse_error(file, &name, at))?;
            }
        }
        tables.push(grid.finish(file, &name));
    }
    Ok(tables)
}

pub(super) fn read_ods(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "OpenDocument (ods)";
    let err = |e: calamine::OdsError| {
        let password = matches!(e, calamine::OdsError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    check_ods_extent(bytes, file)?;
    let mut book: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let range = book.worksheet_range(&name).map_err(err)?;
        tables.push(dense_to_table(&range, file, &name, stop)?);
    }
    Ok(tables)
}

/// calamine builds every ods sheet as a dense grid when it opens the file, so a stray cell far
/// from the data would cost gigabytes before we see a single cell. Scan `content.xml` first
/// (streaming, repeats counted, nothing stored) and refuse a sheet whose dense extent would be
/// mostly padding, by the same rule as [`Grid::put`].
pub(super) fn check_ods_extent(bytes: &[u8], file: &Arc<str>) -> Result<(), SourceError> {
    use quick_xml::events::Event;

    let corrupt = |detail: String| SourceError::Corrupt {
        file: file.to_string(),
        format: "OpenDocument (ods)",
        detail,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
    let content = archive
        .by_name("content.xml")
        .map_err(|e| corrupt(format!("content.xml: {e}")))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let repeat = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };

    let mut sheet = String::new();
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let mut row_cells = 0u64;
    let mut real = 0u64;
    let mut extent = (0u64, 0u64); // rows, columns holding content
    let mut far = (0u64, 0u64);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| corrupt(format!("content.xml: {e}")))?;
        let (start, is_empty_tag) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    "table-row" => {
                        real = real.saturating_add(row_cells.saturating_mul(row_repeat));
                        row = row.saturating_add(row_repeat);
                    }
                    "table" => {
                        let dense = extent.0.saturating_mul(extent.1);
                        let padding = dense.saturating_sub(real);
                        if padding > PADDING_ALLOWANCE as u64
                            && padding > real.saturating_mul(MAX_PADDING_PER_CELL as u64)
                        {
                            let clamp = |v: u64, max: u32| u32::try_from(v).unwrap_or(max);
                            return Err(SourceError::SheetTooSparse {
                                file: file.to_string(),
                                sheet,
                                cell: cell_ref(clamp(far.0, MAX_ROWS), clamp(far.1, MAX_COLUMNS)),
                            });
                        }
                    }
                    _ => {}
                }
                (None, false)
            }
            Event::Eof => return Ok(()),
            _ => (None, false),
        };
        let Some(e) = start else {
            buf.clear();
            continue;
        };
        match e.local_name().as_ref() {
            "table" => {
                sheet = e
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(Cow::into_owned)
                    })
                    .unwrap_or_default();
                (row, real, extent) = (0, 0, (0, 0));
            }
            "table-row" => {
                row_repeat = repeat(e, "table:number-rows-repeated");
                (col, row_cells) = (0, 0);
                if is_empty_tag {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table-cell" | "covered-table-cell" => {
                let cols = repeat(e, "table:number-columns-repeated");
                let has_value = !is_empty_tag
                    || e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some();
                if has_value {
                    row_cells = row_cells.saturating_add(cols);
                    let last = (row.saturating_add(row_repeat), col.saturating_add(cols));
                    if last.0 > extent.0 || last.1 > extent.1 {
                        far = (last.0 - 1, last.1 - 1);
                        extent = (extent.0.max(last.0), extent.1.max(last.1));
                    }
                }
                col = col.saturating_add(cols);
            }
            _ => {}
        }
        buf.clear();
    }
}

pub(super) fn read_xls(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel 97-2003 (xls)";
    let err = |e: calamine::XlsError| {
        let password = matches!(e, calamine::XlsError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    if let Err(detail) = check_cfb_chains(bytes) {
        return Err(SourceError::Corrupt {
            file: file.to_string(),
            format: FORMAT,
            detail,
        });
    }
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let range = book.worksheet_range(&name).map_err(err)?;
        tables.push(dense_to_table(&range, file, &name, stop)?);
    }
    Ok(tables)
}

/// calamine follows the sector chains of an OLE compound file (the container of an xls) until
/// it meets ENDOFCHAIN, with no bound on the directory chain and only the declared length on
/// the others: a FAT whose chain loops makes it allocate until memory runs out (found by
/// fuzzing, `tests/fixtures/regressions/read_xls-fat-cycle.xls`). This loads the FAT the way
/// calamine does and refuses the file when any chain loops, before calamine sees it. Without a
/// loop every chain visits each sector at most once, so what calamine reads stays within the
/// file's size.
pub(super) fn check_cfb_chains(bytes: &[u8]) -> Result<(), String> {
    const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
    const DIFSECT: u32 = 0xFFFF_FFFC;
    /// Far more FAT entries than any real xls needs (256 MiB of sectors at 512 bytes).
    const MAX_FAT_ENTRIES: usize = 1 << 19;
    let Some(header) = bytes.get(..512) else {
        return Ok(()); // too short: calamine says so
    };
    let size: usize = match u16::from_le_bytes([header[30], header[31]]) {
        9 => 512,
        12 => 4096,
        _ => return Ok(()), // calamine names the bad sector shift
    };
    let u32s = |b: &[u8]| -> Vec<u32> {
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    // Sector `id` starts right after the header sector.
    let body = bytes.get(size..).unwrap_or(&[]);
    let max_id = bytes.len() / size;
    let sector = |id: u32| -> &[u8] {
        let start = (id as usize).saturating_mul(size);
        body.get(start..)
            .map_or(&[][..], |s| &s[..s.len().min(size)])
    };
    let mut difat = u32s(&header[76..512]);
    let mut id = u32::from_le_bytes([header[68], header[69], header[70], header[71]]);
    let mut steps = 0usize;
    while id < RESERVED_SECTORS {
        steps += 1;
        if steps > max_id + 1 {
            return Err("its list of FAT sectors loops".into());
        }
        difat.extend(u32s(sector(id)));
        id = difat.pop().unwrap_or(RESERVED_SECTORS);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|&id| id < DIFSECT) {
        fat.extend(u32s(sector(id)));
        if fat.len() > MAX_FAT_ENTRIES {
            return Err("its sector table is far larger than the file".into());
        }
    }
    // Each entry points to the next sector of its chain; find a loop in that graph.
    // 0 = not seen, 1 = on the path being followed, 2 = known to end.
    let mut state = vec![0u8; fat.len()];
    let mut path = Vec::new();
    for start in 0..fat.len() {
        let mut at = start;
        while at < fat.len() && state[at] == 0 {
            state[at] = 1;
            path.push(at);
            at = fat[at] as usize;
        }
        if at < fat.len() && state[at] == 1 {
            return Err(format!("its sector chain loops at sector {at}"));
        }
        for p in path.drain(..) {
            state[p] = 2;
        }
    }
    Ok(())
}

pub(super) fn dense_to_table(
    range: &calamine::Range<Data>,
    file: &Arc<str>,
    sheet: &str,
    stop: Stop<'_>,
) -> Result<RawTable, SourceError> {
    let mut grid = Grid::new();
    if let Some((row0, col0)) = range.start() {
        for (n, (r, c, value)) in range.used_cells().enumerate() {
            if n % CELLS_BETWEEN_STOPS as usize == 0 && stop() {
                return Err(stopped(file));
            }
            let (row, col) = (
                row0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX)),
                col0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX)),
            );
            if let Some(cell) = from_data(value) {
                grid.put(row, col, cell)
                    .map_err(|at| sparse_error(file, sheet, at))?;
            }
        }
    }
    Ok(grid.finish(file, sheet))
}

/// Maps a calamine value; `None` for an empty cell (so it does not extend its row).
pub(super) fn from_data(value: &Data) -> Option<Cell> {
    Some(match value {
        Data::Empty => return None,
        Data::String(s) if s.is_empty() => return None,
        Data::String(s) => Cell::Text(s.as_str().into()),
        Data::Int(i) => int_cell(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => date_cell(dt),
        Data::DateTimeIso(s) => iso_cell(s),
        Data::DurationIso(s) => Cell::Text(s.as_str().into()),
        Data::Error(e) => Cell::Error(e.to_string()),
    })
}

pub(super) fn from_data_ref(value: &DataRef<'_>) -> Option<Cell> {
    Some(match value {
        DataRef::Empty => return None,
        DataRef::String(s) if s.is_empty() => return None,
        DataRef::SharedString("") => return None,
        DataRef::String(s) => Cell::Text(s.as_str().into()),
        DataRef::SharedString(s) => Cell::Text((*s).into()),
        DataRef::Int(i) => int_cell(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => date_cell(dt),
        DataRef::DateTimeIso(s) => iso_cell(s),
        DataRef::DurationIso(s) => Cell::Text(s.as_str().into()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    })
}

#[allow(clippy::cast_precision_loss)]
pub(super) fn int_cell(i: i64) -> Cell {
    // Integers beyond 2^53 lose precision as f64; keep them exact as text instead.
    if i.unsigned_abs() <= (1 << 53) {
        Cell::Number(i as f64)
    } else {
        Cell::Text(i.to_string().into())
    }
}

/// A date-formatted cell: its calendar date (the 1904 system is resolved by calamine). A value
/// formatted as a duration, or a pure time of day (serial below 1), is not a date: it is kept
/// as the number of days.
pub(super) fn date_cell(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_duration() || (0.0..1.0).contains(&dt.as_f64()) {
        return Cell::Number(dt.as_f64());
    }
    match dt.as_datetime() {
        Some(datetime) => Cell::Date(datetime.date()),
        None => Cell::Number(dt.as_f64()),
    }
}

/// An ISO date (ods `office:date-value`), with or without a time part; other text stays text.
pub(super) fn iso_cell(text: &str) -> Cell {
    let date_part = text.split('T').next().unwrap_or(text);
    match NaiveDate::parse_from_str(date_part, "%Y-%m-%d") {
        Ok(date) => Cell::Date(date),
        Err(_) => Cell::Text(text.into()),
    }
}
