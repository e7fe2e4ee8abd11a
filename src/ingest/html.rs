//! HTML tables saved under a spreadsheet name (`.xls`): the "Excel" downloads of many Israeli
//! banks and card companies, and of web bookkeeping systems. Excel opens them; calamine cannot,
//! so they are read here, one table per `<table>`, like the sheets of a workbook.
//!
//! The tokenizer is written by hand and tolerant the way browsers are, because these exports
//! are rarely valid HTML: unclosed `<td>` and `<tr>`, upper-case tags, attributes without
//! quotes, comments, `<script>` and `<style>` (skipped). An HTML parser crate would build the
//! whole document tree to be walked again for the few elements that matter here.
//!
//! Invariants:
//! - Tables are returned in the order their `<table>` tags open; a nested table is a table of
//!   its own (its text is not part of the outer cell). A table is named after its `<caption>`,
//!   else its `id`, else `table N` (N counts every `<table>` in the file); names are unique.
//! - Row `k` (1-based) of a table is its `k`-th `<tr>` (a cell outside any `<tr>` opens a row),
//!   so `first_row` is 1 and row numbers in messages count rows as the user sees them.
//! - A cell's text is its text with tags stripped, `<br>` and block tags as spaces, entities
//!   decoded, white space (and `&nbsp;`) collapsed and directional marks removed; it stays
//!   text, for the value parsers to decide. `colspan` adds empty cells after the cell so the
//!   columns stay aligned; `rowspan` repeats nothing. Rows do not end in an empty cell.
//! - The bytes decide the encoding (valid UTF-8, else Windows-1255 for Hebrew bytes, else
//!   Windows-1252): a page's declared charset is often wrong in these exports, so it is only a
//!   hint, used when a page declared Hebrew has too few high bytes to tell.
//! - The padding `colspan` adds is bounded (see [`MAX_COLSPAN`] and [`PADDING_ALLOWANCE`]), so
//!   a small hostile file cannot make a huge grid.

use std::sync::Arc;

use encoding_rs::{Encoding, ISO_8859_8, ISO_8859_8_I, WINDOWS_1252, WINDOWS_1255};

use super::source::decode_text;
use super::table::{Cell, RawTable};

/// The largest `colspan` honoured (the HTML standard's own limit).
pub const MAX_COLSPAN: usize = 1000;
/// Empty cells `colspan` may add to a file before they must also stay within
/// [`MAX_PADDING_PER_CELL`] times the cells with text.
pub const PADDING_ALLOWANCE: usize = 1 << 20;
/// See [`PADDING_ALLOWANCE`].
pub const MAX_PADDING_PER_CELL: usize = 4;

/// Reads every `<table>` of an HTML page into a raw table.
///
/// # Errors
///
/// When the file as a whole cannot be read: binary data, mixed text encodings, no `<table>` at
/// all (a web page such as a login or error page saved instead of the export), or `colspan`
/// padding beyond the limits.
pub fn read(bytes: &[u8], file: &Arc<str>) -> Result<Vec<RawTable>, String> {
    read_with_format(bytes, file).map(|(tables, _)| tables)
}

/// [`read`], with the format as shown to the user (`HTML tables, windows-1255`).
///
/// # Errors
///
/// As [`read`].
pub fn read_with_format(bytes: &[u8], file: &Arc<str>) -> Result<(Vec<RawTable>, String), String> {
    let (mut text, mut encoding) = decode_text(bytes)?;
    // The bytes decide; a page declared Hebrew breaks the tie of a few high bytes among Latin
    // letters, which the byte statistics alone read as Windows-1252.
    if encoding == WINDOWS_1252.name() && declares_hebrew(bytes) {
        text = WINDOWS_1255.decode_without_bom_handling(bytes).0;
        encoding = format!("{} (as the page declares)", WINDOWS_1255.name());
    }
    let tables = Builder::new(file).run(&text)?;
    if tables.is_empty() {
        return Err(
            "it is a web page with no table in it (perhaps a login or error page saved instead \
             of the export)"
                .to_string(),
        );
    }
    Ok((tables, format!("HTML tables, {encoding}")))
}

/// Whether the page's `<meta charset>` or `http-equiv` content type names a Hebrew encoding.
fn declares_hebrew(bytes: &[u8]) -> bool {
    let head = bytes[..bytes.len().min(4096)].to_ascii_lowercase();
    let Some(at) = find(&head, 0, b"charset=") else {
        return false;
    };
    let label: Vec<u8> = head[at + 8..]
        .iter()
        .skip_while(|c| matches!(c, b'"' | b'\'' | b' '))
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        .copied()
        .collect();
    Encoding::for_label(&label)
        .is_some_and(|e| e == WINDOWS_1255 || e == ISO_8859_8 || e == ISO_8859_8_I)
}

/// One table being read.
struct Open {
    /// Its ordinal among all `<table>` tags of the file, from 1.
    ordinal: usize,
    id: Option<String>,
    caption: Option<String>,
    in_caption: bool,
    rows: Vec<Vec<Cell>>,
    row: Option<Vec<Cell>>,
    /// The open cell's text and its `colspan`.
    cell: Option<(String, usize)>,
}

struct Builder<'f> {
    file: &'f Arc<str>,
    open: Vec<Open>,
    done: Vec<(usize, String, Vec<Vec<Cell>>)>,
    opened: usize,
    padding: usize,
    filled: usize,
}

impl<'f> Builder<'f> {
    fn new(file: &'f Arc<str>) -> Self {
        Builder {
            file,
            open: Vec::new(),
            done: Vec::new(),
            opened: 0,
            padding: 0,
            filled: 0,
        }
    }

    /// Tokenizes the page and builds its tables.
    fn run(mut self, text: &str) -> Result<Vec<RawTable>, String> {
        let b = text.as_bytes();
        let mut at = 0;
        let mut text_from = 0;
        while let Some(offset) = b[at..].iter().position(|&c| c == b'<') {
            let lt = at + offset;
            let next = b.get(lt + 1).copied().unwrap_or(b' ');
            let end = if b[lt..].starts_with(b"<!--") {
                find(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3)
            } else if next == b'!' || next == b'?' {
                find(b, lt, b">").map_or(b.len(), |e| e + 1)
            } else if next == b'/' && b.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) {
                self.text(&text[text_from..lt]);
                let (name, _, end) = parse_tag(text, lt + 2);
                self.end_tag(&name)?;
                text_from = end;
                at = end;
                continue;
            } else if next.is_ascii_alphabetic() {
                self.text(&text[text_from..lt]);
                let (name, attributes, end) = parse_tag(text, lt + 1);
                let end = if name == "script" || name == "style" {
                    skip_raw_text(b, end, &name)
                } else {
                    self.start_tag(&name, &attributes)?;
                    end
                };
                text_from = end;
                at = end;
                continue;
            } else {
                // A lone `<` is text.
                at = lt + 1;
                continue;
            };
            self.text(&text[text_from..lt]);
            text_from = end;
            at = end;
        }
        self.text(&text[text_from..]);
        while !self.open.is_empty() {
            self.close_table()?;
        }
        Ok(self.finish())
    }

    /// Text between tags goes to the open cell or caption of the innermost table.
    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let Some(table) = self.open.last_mut() else {
            return;
        };
        let target = if table.in_caption {
            table.caption.as_mut()
        } else {
            table.cell.as_mut().map(|(text, _)| text)
        };
        if let Some(target) = target {
            decode_entities(raw, target);
        }
    }

    fn space(&mut self) {
        self.text(" ");
    }

    fn start_tag(&mut self, name: &str, attributes: &[(String, String)]) -> Result<(), String> {
        match name {
            "table" => {
                // A nested table's text is not the outer cell's; what surrounds it is two words.
                self.space();
                self.opened += 1;
                self.open.push(Open {
                    ordinal: self.opened,
                    id: attribute(attributes, "id").and_then(|id| collapse(&id)),
                    caption: None,
                    in_caption: false,
                    rows: Vec::new(),
                    row: None,
                    cell: None,
                });
            }
            "tr" => {
                self.close_row()?;
                if let Some(table) = self.open.last_mut() {
                    table.in_caption = false;
                    table.row = Some(Vec::new());
                }
            }
            "td" | "th" => {
                self.close_cell()?;
                if let Some(table) = self.open.last_mut() {
                    table.in_caption = false;
                    let colspan = attribute(attributes, "colspan")
                        .and_then(|n| n.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, MAX_COLSPAN);
                    table.row.get_or_insert_with(Vec::new);
                    table.cell = Some((String::new(), colspan));
                }
            }
            "thead" | "tbody" | "tfoot" => self.close_row()?,
            "caption" => {
                if let Some(table) = self.open.last_mut() {
                    table.in_caption = true;
                    table.caption.get_or_insert_with(String::new);
                }
            }
            "br" | "p" | "div" | "li" | "hr" => self.space(),
            _ => {}
        }
        Ok(())
    }

    fn end_tag(&mut self, name: &str) -> Result<(), String> {
        match name {
            "table" if !self.open.is_empty() => {
                self.close_table()?;
                self.space();
            }
            "tr" | "thead" | "tbody" | "tfoot" => self.close_row()?,
            "td" | "th" => self.close_cell()?,
            "caption" => {
                if let Some(table) = self.open.last_mut() {
                    table.in_caption = false;
                }
            }
            "p" | "div" | "li" => self.space(),
            _ => {}
        }
        Ok(())
    }

    fn close_cell(&mut self) -> Result<(), String> {
        let Some(table) = self.open.last_mut() else {
            return Ok(());
        };
        let Some((text, colspan)) = table.cell.take() else {
            return Ok(());
        };
        let row = table.row.get_or_insert_with(Vec::new);
        match collapse(&text) {
            Some(text) => {
                row.push(Cell::Text(text.into()));
                self.filled += 1;
            }
            None => row.push(Cell::Empty),
        }
        if colspan > 1 {
            self.padding += colspan - 1;
            if self.padding > PADDING_ALLOWANCE
                && self.padding > self.filled.saturating_mul(MAX_PADDING_PER_CELL)
            {
                return Err(format!(
                    "its cells span far more columns than they fill (colspan, table {} row {}); \
                     open it in Excel and save it as .xlsx",
                    table.ordinal,
                    table.rows.len() + 1
                ));
            }
            row.resize(row.len() + colspan - 1, Cell::Empty);
        }
        Ok(())
    }

    fn close_row(&mut self) -> Result<(), String> {
        self.close_cell()?;
        if let Some(table) = self.open.last_mut() {
            if let Some(mut row) = table.row.take() {
                while matches!(row.last(), Some(Cell::Empty)) {
                    row.pop();
                }
                table.rows.push(row);
            }
        }
        Ok(())
    }

    fn close_table(&mut self) -> Result<(), String> {
        self.close_row()?;
        if let Some(table) = self.open.pop() {
            let name = table
                .caption
                .as_deref()
                .and_then(collapse)
                .or(table.id)
                .unwrap_or_else(|| format!("table {}", table.ordinal));
            self.done.push((table.ordinal, name, table.rows));
        }
        Ok(())
    }

    fn finish(mut self) -> Vec<RawTable> {
        self.done.sort_by_key(|(ordinal, _, _)| *ordinal);
        let mut names: Vec<String> = Vec::with_capacity(self.done.len());
        let mut tables = Vec::with_capacity(self.done.len());
        for (ordinal, name, rows) in self.done {
            let name = if names.contains(&name) {
                format!("{name} (table {ordinal})")
            } else {
                name
            };
            names.push(name.clone());
            tables.push(RawTable {
                file: Arc::clone(self.file),
                sheet: Some(Arc::from(name.as_str())),
                first_row: 1,
                rows,
            });
        }
        tables
    }
}

/// The first `needle` in `b` at or after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Where the raw text of a `<script>` or `<style>` ends: after its `</name ...>`, or the end of
/// the file.
fn skip_raw_text(b: &[u8], from: usize, name: &str) -> usize {
    let close = format!("</{name}");
    let mut at = from;
    while let Some(lt) = find(b, at, b"</") {
        let candidate = b.get(lt..lt + close.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(close.as_bytes())) {
            return find(b, lt, b">").map_or(b.len(), |e| e + 1);
        }
        at = lt + 2;
    }
    b.len()
}

/// Reads a tag from its name at `from` to its `>`: the lower-case name, the attributes (names
/// lower-case, values with entities decoded), and where the tag ends. An unterminated quote
/// ends at the next `>`; a tag without `>` runs to the end of the file.
fn parse_tag(text: &str, from: usize) -> (String, Vec<(String, String)>, usize) {
    let b = text.as_bytes();
    let name_end = from
        + b[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_'))
            .count();
    let name = text[from..name_end].to_ascii_lowercase();
    let mut attributes = Vec::new();
    let mut at = name_end;
    loop {
        while b
            .get(at)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
        {
            at += 1;
        }
        match b.get(at) {
            None => return (name, attributes, b.len()),
            Some(b'>') => return (name, attributes, at + 1),
            Some(_) => {}
        }
        let key_start = at;
        while b
            .get(at)
            .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/'))
        {
            at += 1;
        }
        let key = text[key_start..at].to_ascii_lowercase();
        if key.is_empty() {
            // A stray `=` or similar: step over it.
            at += 1;
            continue;
        }
        let mut probe = at;
        while b.get(probe).is_some_and(u8::is_ascii_whitespace) {
            probe += 1;
        }
        if b.get(probe) != Some(&b'=') {
            attributes.push((key, String::new()));
            continue;
        }
        at = probe + 1;
        while b.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let (value, end) = match b.get(at) {
            Some(&quote @ (b'"' | b'\'')) => match find(b, at + 1, &[quote]) {
                Some(close) => (&text[at + 1..close], close + 1),
                None => {
                    let stop = find(b, at + 1, b">").unwrap_or(b.len());
                    (&text[at + 1..stop], stop)
                }
            },
            _ => {
                let start = at;
                while b
                    .get(at)
                    .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>')
                {
                    at += 1;
                }
                (&text[start..at], at)
            }
        };
        let mut decoded = String::new();
        decode_entities(value, &mut decoded);
        attributes.push((key, decoded));
        at = end;
    }
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// The text with runs of white space made one space and directional marks removed; `None`
/// when nothing is left.
fn collapse(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace) {
        let word: String = word.chars().filter(|c| !is_directional(*c)).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    (!out.is_empty()).then_some(out)
}

/// Invisible marks that steer the display of right-to-left text; they are no part of a value.
fn is_directional(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Appends `raw` to `out` with character references decoded (`&amp;`, `&nbsp;`, `&#1513;`,
/// `&#x5e9;`, the common named ones); an unknown or malformed reference stays as written.
fn decode_entities(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match entity(rest) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The character reference at the start of `text` (which starts with `&`): its text and its
/// length in bytes.
fn entity(text: &str) -> Option<(String, usize)> {
    let b = text.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (digits_from, radix) = if matches!(b.get(2), Some(b'x' | b'X')) {
            (3, 16)
        } else {
            (2, 10)
        };
        let len = b[digits_from..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() && (radix == 16 || c.is_ascii_digit()))
            .count();
        if len == 0 {
            return None;
        }
        let digits = &text[digits_from..digits_from + len];
        let mut used = digits_from + len;
        if b.get(used) == Some(&b';') {
            used += 1;
        }
        let code = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
        return Some((numeric_character(code), used));
    }
    let len = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = &text[1..=len];
    let with_semicolon = b.get(1 + len) == Some(&b';');
    let decoded = named_character(name)?;
    // Without `;` only the old names that browsers accept bare.
    if with_semicolon {
        Some((decoded.to_string(), len + 2))
    } else if matches!(name, "amp" | "lt" | "gt" | "quot" | "nbsp") {
        Some((decoded.to_string(), len + 1))
    } else {
        None
    }
}

/// A numeric reference: 128–159 mean Windows-1252's characters (as browsers read them), NUL,
/// surrogates and values beyond Unicode the replacement character.
fn numeric_character(code: u32) -> String {
    if (0x80..=0x9F).contains(&code) {
        let byte = u8::try_from(code).unwrap_or(b'?');
        return WINDOWS_1252
            .decode_without_bom_handling(&[byte])
            .0
            .into_owned();
    }
    match char::from_u32(code) {
        Some(c) if code != 0 => c.to_string(),
        _ => '\u{FFFD}'.to_string(),
    }
}

fn named_character(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{A0}",
        "shy" => "",
        "lrm" => "\u{200E}",
        "rlm" => "\u{200F}",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "hellip" => "…",
        "middot" => "·",
        "bull" => "•",
        "times" => "×",
        "divide" => "÷",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "copy" => "©",
        "reg" => "®",
        "deg" => "°",
        "plusmn" => "±",
        "sect" => "§",
        "para" => "¶",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "minus" => "−",
        "zwj" => "\u{200D}",
        "zwnj" => "\u{200C}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("page.xls")
    }

    fn texts(table: &RawTable) -> Vec<Vec<String>> {
        table
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::display).collect())
            .collect()
    }

    fn tables(html: &str) -> Vec<RawTable> {
        read(html.as_bytes(), &file()).unwrap()
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/formats")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn rows_and_cells_of_a_simple_table() {
        let t = tables("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].sheet.as_deref(), Some("table 1"));
        assert_eq!(t[0].first_row, 1);
        assert_eq!(texts(&t[0]), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(t[0].row_number(1), 2);
        assert_eq!(&*t[0].file, "page.xls");
    }

    #[test]
    fn bad_html_is_read_as_a_browser_would() {
        let t = tables(
            "<HTML><BODY><!-- <table><tr><td>comment</td></tr></table> -->\n\
             <SCRIPT>document.write('<table><tr><td>x</td></tr></table>')</script >\n\
             <style>td{x:1}</STYLE>\n\
             <TABLE border=1 id=data><TR><TD>a<TD CLASS=n>b\n<TR><td>1<td>2</TABLE>",
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].sheet.as_deref(), Some("data"));
        assert_eq!(texts(&t[0]), vec![vec!["a", "b"], vec!["1", "2"]]);
        // Unclosed everything at the end of the file; an unterminated quote; a lone `<`.
        let t = tables("<table><tr><td title=\"x>1 < 2<td>y");
        assert_eq!(texts(&t[0]), vec![vec!["1 < 2", "y"]]);
    }

    #[test]
    fn colspan_pads_and_rowspan_repeats_nothing() {
        let t = tables(
            "<table><tr><td colspan=3>title</td></tr>\
             <tr><td rowspan=2>a</td><td colspan='2'>b</td><td>c</td></tr>\
             <tr><td>d</td><td colspan=\"999999\"></td></tr></table>",
        );
        assert_eq!(
            texts(&t[0]),
            vec![vec!["title"], vec!["a", "b", "", "c"], vec!["d"]]
        );
    }

    #[test]
    fn cell_text_is_cleaned() {
        let t = tables(
            "<table><tr><td> <b>Cohen</b>&nbsp;&amp;&nbsp;Sons<br>Ltd\n\t </td>\
             <td>&#1513;&#x5e9;&#X5E9;&quot;&lt;&gt;&amp &unknown; &#150;</td>\
             <td>&rlm;1,234.00&lrm;</td><td><p>a</p><div>b</div></td><td>&nbsp;</td></tr></table>",
        );
        assert_eq!(
            texts(&t[0]),
            vec![vec![
                "Cohen & Sons Ltd",
                "ששש\"<>& &unknown; –",
                "1,234.00",
                "a b"
            ]]
        );
    }

    #[test]
    fn nested_tables_are_tables_of_their_own() {
        let t = tables(
            "<table><caption>Outer</caption><tr><td>x<table><tr><td>inner</td></tr></table>y</td>\
             <td>z</td></tr></table><table id=Outer><tr><td>3</td></tr></table>",
        );
        let names: Vec<&str> = t.iter().map(|t| t.sheet.as_deref().unwrap()).collect();
        assert_eq!(names, vec!["Outer", "table 2", "Outer (table 3)"]);
        assert_eq!(texts(&t[0]), vec![vec!["x y", "z"]]);
        assert_eq!(texts(&t[1]), vec![vec!["inner"]]);
    }

    #[test]
    fn pathological_markup_reads_in_linear_time() {
        // A tag that never ends, with many attributes; many unclosed comments and scripts.
        let started = std::time::Instant::now();
        let mut html = String::from("<table><tr><td>a</td></tr></table><td ");
        html.push_str(&"x='' y=1 ".repeat(100_000));
        html.push_str(&"<script><!--<".repeat(50_000));
        let t = tables(&html);
        assert_eq!(texts(&t[0]), vec![vec!["a"]]);
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn the_declared_charset_is_a_hint_and_the_bytes_decide() {
        let page = |meta: &str, cell: &[u8]| {
            let mut bytes = format!("<html><head>{meta}</head><table><tr><td>").into_bytes();
            bytes.extend_from_slice(cell);
            bytes
        };
        let cell = |bytes: &[u8]| {
            let (t, format) = read_with_format(bytes, &file()).unwrap();
            (t[0].rows[0][0].display(), format)
        };
        // One Hebrew letter between Latin ones: the declared charset decides the tie.
        let hebrew = "<meta http-equiv=Content-Type content=\"text/html; charset=windows-1255\">";
        assert_eq!(
            cell(&page(hebrew, b"INV\xF9A")),
            (
                "INVשA".to_string(),
                "HTML tables, windows-1255 (as the page declares)".to_string()
            )
        );
        assert_eq!(cell(&page("", b"INV\xF9A")).0, "INVùA");
        // Hebrew bytes win over a Latin declaration, UTF-8 over any.
        let latin = "<meta charset=\"iso-8859-1\">";
        assert_eq!(cell(&page(latin, b"\xF9\xEC\xE5\xED")).0, "שלום");
        assert_eq!(cell(&page(hebrew, "Café".as_bytes())).0, "Café");
    }

    #[test]
    fn a_page_without_tables_is_refused() {
        let err = read(b"<html><body>Session expired</body></html>", &file()).unwrap_err();
        assert!(err.contains("no table"), "{err}");
    }

    #[test]
    fn huge_colspans_are_bounded() {
        let row = "<td colspan=1000></td><td>x</td>";
        let html = format!("<table><tr>{}</tr></table>", row.repeat(2000));
        let err = read(html.as_bytes(), &file()).unwrap_err();
        assert!(err.contains("colspan"), "{err}");
    }

    #[test]
    fn bank_export_in_windows_1255() {
        let bytes = fixture("bank-html-saved-as.xls");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the fixture is windows-1255"
        );
        let (t, format) = read_with_format(&bytes, &file()).unwrap();
        assert_eq!(format, "HTML tables, windows-1255");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].sheet.as_deref(), Some("movements"));
        let rows = texts(&t[0]);
        assert_eq!(rows[0], vec!["בנק לאומי לישראל בע\"מ"]);
        assert_eq!(rows[2], Vec::<String>::new());
        assert_eq!(
            rows[3],
            vec![
                "תאריך",
                "תאריך ערך",
                "תיאור פעולה",
                "אסמכתא",
                "חובה",
                "זכות",
                "יתרה"
            ]
        );
        assert_eq!(
            rows[4],
            vec![
                "05/11/2026",
                "05/11/2026",
                "העברה מכהן ובניו חשבונית INV-1041",
                "31876",
                "",
                "1,200.00",
                "16,430.50"
            ]
        );
        assert_eq!(rows[7][2], "הפקדה מאפיית השכונה INV-1050");
        assert_eq!(rows.len(), 8);
    }

    #[test]
    fn invoices_page_in_utf8_with_references() {
        let t = read(&fixture("invoices-html-saved-as.xls"), &file()).unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.sheet.as_deref().unwrap()).collect();
        assert_eq!(names, vec!["חשבוניות פתוחות", "table 2"]);
        let rows = texts(&t[0]);
        assert_eq!(rows[0][0], "מספר חשבונית");
        assert_eq!(rows[3][5], "2,500.00");
        assert_eq!(rows[5], vec!["", "", "סה\"כ", "", "", "5,120.25"]);
        assert_eq!(texts(&t[1]), vec![vec!["פירוט", "4 חשבוניות"]]);
    }

    #[test]
    fn truncations_never_panic() {
        for name in ["bank-html-saved-as.xls", "invoices-html-saved-as.xls"] {
            let bytes = fixture(name);
            for end in 0..=bytes.len() {
                let _ = read(&bytes[..end], &file());
            }
        }
    }

    proptest::proptest! {
        /// A grid of texts written as an escaped HTML table reads back as written.
        #[test]
        fn written_tables_read_back(
            grid in proptest::collection::vec(
                proptest::collection::vec("[A-Za-z0-9א-ת&<>\"' .,/-]{1,12}", 1..6),
                1..8,
            ),
            upper in proptest::bool::ANY,
            close in proptest::bool::ANY,
        ) {
            let tag = |name: &str| if upper { name.to_ascii_uppercase() } else { name.to_string() };
            let mut html = format!("<{}>", tag("table"));
            for row in &grid {
                html.push_str(&format!("<{}>", tag("tr")));
                for cell in row {
                    let escaped = cell
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                        .replace('"', "&quot;")
                        .replace(' ', "&nbsp;");
                    html.push_str(&format!("<{}>{escaped}", tag("td")));
                    if close {
                        html.push_str(&format!("</{}>", tag("td")));
                    }
                }
            }
            let t = tables(&html);
            let expected: Vec<Vec<String>> = grid
                .iter()
                .map(|row| {
                    let mut row: Vec<String> =
                        row.iter().map(|c| collapse(c).unwrap_or_default()).collect();
                    while row.last().is_some_and(String::is_empty) {
                        row.pop();
                    }
                    row
                })
                .collect();
            proptest::prop_assert_eq!(texts(&t[0]), expected);
        }

        #[test]
        fn any_markup_reads_without_panic(text in "(<table>|</table>|<tr>|</tr>|<td colspan=[0-9]{1,5}>|<td>|</td>|<th>|<!--|-->|<script>|</script>|<br>|&#[0-9x]{0,8};?|&[a-z]{0,6};?|<caption>|\"|'|=|<|>|[a-zא-ת ])*") {
            if let Ok(tables) = read(text.as_bytes(), &file()) {
                for table in tables {
                    proptest::prop_assert!(table.rows.iter().all(|r| !matches!(r.last(), Some(Cell::Empty))));
                }
            }
        }
    }
}
