//! PDF letters, typeset by Typst from the Typst markup the `.typ.tera` templates produce.
//!
//! The compiler sees a closed world: one source file (`/letter.typ`), the fonts compiled into
//! this binary (DejaVu Sans regular and bold: Hebrew, Latin and the currency signs ₪ $ € £)
//! and, when configured, the logo (`/logo.<ext>`). Every other file read fails, there are no
//! packages and no system fonts, so a client name such as `#read("/etc/passwd")` — already
//! escaped to text by the templates — could not read anything even if it were code.
//!
//! Output is deterministic: the document date is the as-of date, the PDF identifier is
//! derived from the letter's file stem, and nothing depends on the clock or the machine.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

static FONT_DATA: [&[u8]; 2] = [
    include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf"),
];

/// What every letter's compilation shares: the standard library and the fonts.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_DATA
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> Option<FileId> {
    VirtualPath::new(path)
        .ok()
        .map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// The logo as the Typst world offers it.
#[derive(Clone, Debug)]
pub struct Logo {
    /// `/logo.png`, `/logo.jpg` or `/logo.svg`.
    pub path: String,
    pub bytes: Vec<u8>,
}

struct LetterWorld<'a> {
    main: FileId,
    source: Source,
    logo: Option<(FileId, Bytes)>,
    today: NaiveDate,
    shared: &'a Shared,
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        match &self.logo {
            Some((logo, bytes)) if *logo == id => Ok(bytes.clone()),
            _ => Err(FileError::AccessDenied),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        datetime(self.today)
    }
}

fn datetime(day: NaiveDate) -> Option<Datetime> {
    Datetime::from_ymd(
        day.year(),
        u8::try_from(day.month()).ok()?,
        u8::try_from(day.day()).ok()?,
    )
}

/// Typesets Typst markup into a PDF.
///
/// # Errors
/// The compiler's messages, when the markup (a customised template) does not compile.
pub fn render(
    markup: &str,
    logo: Option<&Logo>,
    as_of: NaiveDate,
    ident: &str,
) -> Result<Vec<u8>, String> {
    let main = file_id("/letter.typ").ok_or("invalid main path")?;
    let world = LetterWorld {
        main,
        source: Source::new(main, markup.to_string()),
        logo: logo.and_then(|l| Some((file_id(&l.path)?, Bytes::new(l.bytes.clone())))),
        today: as_of,
        shared: &SHARED,
    };
    let document = typst::compile(&world).output.map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let timestamp = datetime(as_of)
        .and_then(|d| Datetime::from_ymd_hms(d.year()?, d.month()?, d.day()?, 0, 0, 0))
        .map(typst_pdf::Timestamp::new_utc);
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("arrears {}", env!("CARGO_PKG_VERSION")))),
        timestamp,
        ..typst_pdf::PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// One PDF of several documents one after the other (a print run): each document's own
/// `set document` goes (Typst allows only one); the page and text rules each sets apply from
/// its first page on.
///
/// # Errors
/// As [`render`].
pub fn print_run(
    documents: &[&str],
    logo: Option<&Logo>,
    as_of: NaiveDate,
) -> Result<Vec<u8>, String> {
    let parts: Vec<String> = documents
        .iter()
        .map(|typ| {
            typ.lines()
                .filter(|l| !l.trim_start().starts_with("#set document("))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let markup = format!(
        "#set document(title: [print run])\n{}",
        parts.join("\n\n#pagebreak(weak: true)\n\n")
    );
    render(&markup, logo, as_of, "print-run")
}

/// Forgets what Typst memoised while typesetting: it keeps every intermediate result of every
/// compilation until told otherwise (a run of 7,851 PDF letters grew to 10.7 GB). Called
/// between chunks of letters; evicting after every letter made the letters 2.3× slower.
pub fn forget() {
    typst::comemo::evict(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_reads_nothing_but_its_source() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let err = render("#read(\"/etc/passwd\")", None, day, "t").unwrap_err();
        assert!(!err.is_empty());
        let err = render("#image(\"/etc/hostname\")", None, day, "t").unwrap_err();
        assert!(!err.is_empty());
        let pdf = render("שלום ₪1,234.50 Hello", None, day, "t").unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(pdf, render("שלום ₪1,234.50 Hello", None, day, "t").unwrap());
    }
}
