//! Reminder letters: one per client that gets one this run, in each configured format, plus
//! `letters/index.csv` and, with PDF on, `letters/print-run.pdf` (every letter that goes by
//! post, for one print job).
//!
//! The letters only place what classification decided ([`crate::classify::Letter`]); what they
//! say is computed once in [`context`] and worded by the templates ([`templates`]). Letters
//! render in parallel and are written in the classification's order (by client); file names
//! come from [`names`]. A letter is written in the client's language when the templates speak
//! it for the letter's level, else in `[letters] language`, else in English.
//!
//! Formats: `html` (one self-contained printable page), `txt`, `eml` (a draft per client with
//! an e-mail address; see [`eml`]) and `pdf` (Typst, see `pdf`; only with the `pdf` feature).

pub mod context;
pub mod eml;
pub mod format;
pub mod names;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod templates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::classify::{Classification, Letter};
use crate::config::Config;
use crate::model::Ledger;
use crate::report::csv::CsvOut;

pub use templates::{TemplateError, Templates};

/// The folder, inside the run folder, that holds the letters.
pub const FOLDER: &str = "letters";

/// What stops the letters from being written.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The templates cannot be used.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// `[company] logo` cannot be read or is not an image type letters can embed.
    #[error("[company] logo {path}: {message}")]
    Logo { path: PathBuf, message: String },
    /// A template or the typesetter failed for one letter.
    #[error("letter for client {client} ({file}): {message}")]
    Render {
        client: String,
        file: String,
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything the letters need that comes from the configuration alone, prepared (and
/// checked) at start-up, before any data is read.
#[derive(Debug)]
pub struct Letterhead {
    pub templates: Templates,
    company: context::CompanyBlock,
    /// The letterhead of each `[company.<language>]`.
    by_language: BTreeMap<String, context::CompanyBlock>,
    #[cfg(feature = "pdf")]
    logo: Option<pdf::Logo>,
}

impl Letterhead {
    /// Loads the templates and the logo.
    ///
    /// # Errors
    /// When a template is missing or does not parse, or the logo cannot be read.
    pub fn load(config: &Config) -> Result<Letterhead, LetterError> {
        let templates = Templates::load(config)?;
        let c = &config.company;
        let mut company = context::CompanyBlock::new(c);
        let mut logo_bytes = None;
        if let Some(logo) = c.logo.as_deref().filter(|l| !l.trim().is_empty()) {
            let path = config.base_dir.join(logo);
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let (mime, ext) = match ext.as_str() {
                "png" => ("image/png", "png"),
                "jpg" | "jpeg" => ("image/jpeg", "jpg"),
                "svg" => ("image/svg+xml", "svg"),
                "gif" => ("image/gif", "gif"),
                _ => {
                    return Err(LetterError::Logo {
                        path,
                        message: "expected a .png, .jpg, .svg or .gif file".to_string(),
                    })
                }
            };
            let bytes = std::fs::read(&path).map_err(|e| LetterError::Logo {
                path: path.clone(),
                message: e.to_string(),
            })?;
            company.logo_data_uri = format!("data:{mime};base64,{}", format::base64(&bytes));
            company.logo_file = format!("/logo.{ext}");
            logo_bytes = Some(bytes);
        }
        #[cfg(feature = "pdf")]
        let logo = logo_bytes.map(|bytes| pdf::Logo {
            path: company.logo_file.clone(),
            bytes,
        });
        #[cfg(not(feature = "pdf"))]
        drop(logo_bytes);
        let by_language = c
            .languages
            .keys()
            .map(|language| {
                let mut block = context::CompanyBlock::new(&c.in_language(language));
                block.logo_data_uri.clone_from(&company.logo_data_uri);
                block.logo_file.clone_from(&company.logo_file);
                (language.clone(), block)
            })
            .collect();
        Ok(Letterhead {
            templates,
            company,
            by_language,
            #[cfg(feature = "pdf")]
            logo,
        })
    }

    /// The logo, for the PDF letters and statements.
    #[cfg(feature = "pdf")]
    #[must_use]
    pub fn logo(&self) -> Option<&pdf::Logo> {
        self.logo.as_ref()
    }

    /// The letterhead of letters in `language`.
    #[must_use]
    pub fn company(&self, language: &str) -> &context::CompanyBlock {
        self.by_language.get(language).unwrap_or(&self.company)
    }
}

/// Where one letter goes: its language, file stem and files (relative to the run folder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub language: String,
    pub stem: String,
    pub email: Option<String>,
    pub files: Vec<String>,
}

fn wants(config: &Config, format: &str) -> bool {
    config.letter_formats.iter().any(|f| f == format)
}

/// The language a letter is written in.
fn language_for(
    config: &Config,
    templates: &Templates,
    ledger: &Ledger,
    letter: &Letter,
) -> String {
    let level = &config.dunning_levels[letter.level].name;
    ledger
        .clients
        .get(&letter.client)
        .and_then(|c| c.language.clone())
        .filter(|l| templates.speaks(l, level))
        .or_else(|| {
            templates
                .speaks(&config.language, level)
                .then(|| config.language.clone())
        })
        .unwrap_or_else(|| "en".to_string())
}

fn client_email(ledger: &Ledger, class: &Classification, letter: &Letter) -> Option<String> {
    ledger
        .clients
        .get(&letter.client)
        .and_then(|c| c.email.clone())
        .or_else(|| {
            letter.items.iter().find_map(|&i| {
                ledger.invoices[class.items[i].invoice]
                    .email
                    .as_deref()
                    .map(str::to_string)
            })
        })
        .map(|e| e.trim().to_string())
        .filter(|e| e.contains('@'))
}

/// The files each of the run's letters is written to, in the order of `class.letters`. Pure:
/// the history uses it to record the files without writing anything.
#[must_use]
pub fn plan(
    config: &Config,
    templates: &Templates,
    ledger: &Ledger,
    class: &Classification,
) -> Vec<Planned> {
    let names: Vec<(&str, &str)> = class
        .letters
        .iter()
        .map(|l| {
            let name = ledger
                .clients
                .get(&l.client)
                .map_or(l.client.as_str(), |c| c.name.as_str());
            (l.client.as_str(), name)
        })
        .collect();
    let stems = names::unique_stems(names);
    class
        .letters
        .iter()
        .zip(stems)
        .map(|(letter, stem)| {
            let email = client_email(ledger, class, letter);
            let mut files = Vec::new();
            for format in ["html", "txt", "pdf", "eml"] {
                if wants(config, format) && (format != "eml" || email.is_some()) {
                    files.push(format!("{FOLDER}/{stem}.{format}"));
                }
            }
            Planned {
                language: language_for(config, templates, ledger, letter),
                stem,
                email,
                files,
            }
        })
        .collect()
}

/// The subject and paragraphs of a rendered body template: the first line is the subject; a
/// paragraph `[[table]]` separates the paragraphs before the invoice table from those after.
fn split_body(text: &str) -> (String, Vec<String>, Vec<String>) {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let subject = lines.next().unwrap_or_default().to_string();
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut seen_table = false;
    let mut paragraph: Vec<&str> = Vec::new();
    let mut flush = |paragraph: &mut Vec<&str>, seen_table: &mut bool| {
        if paragraph.is_empty() {
            return;
        }
        let joined = paragraph.join(" ");
        paragraph.clear();
        if joined == "[[table]]" {
            *seen_table = true;
        } else if *seen_table {
            after.push(joined);
        } else {
            before.push(joined);
        }
    };
    for line in lines {
        if line.is_empty() {
            flush(&mut paragraph, &mut seen_table);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut seen_table);
    (subject, before, after)
}

/// A rendered text file: no blank lines at the start, one line break at the end.
fn tidy(text: &str) -> String {
    let mut out = text.trim_start_matches(['\n', '\r']).trim_end().to_string();
    out.push('\n');
    out
}

/// One letter in every format asked for.
#[derive(Default)]
struct Rendered {
    html: Option<String>,
    txt: Option<String>,
    #[cfg(feature = "pdf")]
    typ: Option<String>,
    pdf: Option<Vec<u8>>,
    eml: Option<Vec<u8>>,
    /// Open total per currency, `1340.50 ILS; 20.00 USD`.
    totals: String,
    name: String,
    level: String,
}

#[allow(clippy::too_many_arguments)]
fn render_one(
    config: &Config,
    head: &Letterhead,
    ledger: &Ledger,
    class: &Classification,
    letter: &Letter,
    planned: &Planned,
    as_of: NaiveDate,
) -> Result<Rendered, String> {
    let t = &head.templates;
    let lang = planned.language.as_str();
    let company = head.company(lang);
    let mut ctx = context::build(config, ledger, class, letter, as_of, lang, company);
    let level = ctx.level.clone();
    let mut tera_ctx = tera::Context::from_serialize(&ctx).map_err(|e| e.to_string())?;
    let body = t.render(lang, &level, "body", &tera_ctx)?;
    let (subject, before, after) = split_body(&body);
    ctx.subject = subject;
    tera_ctx = tera::Context::from_serialize(&ctx).map_err(|e| e.to_string())?;
    tera_ctx.insert("before_table", &before);
    tera_ctx.insert("after_table", &after);
    let need_html = wants(config, "html") || (wants(config, "eml") && planned.email.is_some());
    let need_txt = wants(config, "txt") || (wants(config, "eml") && planned.email.is_some());
    let mut out = Rendered {
        totals: ctx
            .totals
            .iter()
            .map(|t| format!("{} {}", t.plain, t.currency))
            .collect::<Vec<_>>()
            .join("; "),
        name: ctx.client.name.clone(),
        level: level.clone(),
        ..Rendered::default()
    };
    if need_html {
        out.html = Some(tidy(&t.render(lang, &level, "html", &tera_ctx)?));
    }
    if need_txt {
        out.txt = Some(tidy(&t.render(lang, &level, "txt", &tera_ctx)?));
    }
    #[cfg(feature = "pdf")]
    if wants(config, "pdf") {
        let typ = t.render(lang, &level, "typ", &tera_ctx)?;
        out.pdf = Some(pdf::render(&typ, head.logo.as_ref(), as_of, &planned.stem)?);
        out.typ = Some(typ);
    }
    if let (true, Some(to)) = (wants(config, "eml"), planned.email.as_deref()) {
        let pdf_name = format!("{}.pdf", planned.stem);
        let draft = eml::Draft {
            to_name: &ctx.client.name,
            to_email: to,
            from_name: &company.name,
            from_email: &company.email,
            subject: &ctx.subject,
            text: out.txt.as_deref().unwrap_or_default(),
            html: out.html.as_deref().unwrap_or_default(),
            pdf: out.pdf.as_deref().map(|b| (pdf_name.as_str(), b)),
            as_of,
            stem: &planned.stem,
        };
        out.eml = Some(eml::build(&draft).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Letters rendered at once before their files are written (see [`write`]).
const LETTER_CHUNK: usize = 1024;

/// Writes the letters into `run_dir/letters/`. Nothing is written when no format is
/// configured or no client gets a letter.
///
/// # Errors
/// When a letter cannot be rendered or a file cannot be written.
pub fn write(
    run_dir: &Path,
    config: &Config,
    head: &Letterhead,
    ledger: &Ledger,
    class: &Classification,
    as_of: NaiveDate,
) -> Result<(), LetterError> {
    if config.letter_formats.is_empty() || class.letters.is_empty() {
        return Ok(());
    }
    let plans = plan(config, &head.templates, ledger, class);
    let dir = run_dir.join(FOLDER);
    std::fs::create_dir_all(&dir).map_err(|source| LetterError::Write {
        path: dir.clone(),
        source,
    })?;
    let put = |name: String, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| LetterError::Write { path, source })
    };
    // Letters render in parallel a chunk at a time, and a chunk's files are written before the
    // next is rendered: only one chunk's bodies are held, not every letter of a 100,000-client
    // run. What the index (and the print run) needs is kept. A failure abandons the run folder,
    // so letters written before it are never seen.
    let mut rendered: Vec<Rendered> = Vec::with_capacity(class.letters.len());
    for (letters, plans) in class
        .letters
        .chunks(LETTER_CHUNK)
        .zip(plans.chunks(LETTER_CHUNK))
    {
        let mut chunk: Vec<Rendered> = letters
            .par_iter()
            .zip(plans.par_iter())
            .map(|(letter, planned)| {
                render_one(config, head, ledger, class, letter, planned, as_of).map_err(|message| {
                    LetterError::Render {
                        client: letter.client.clone(),
                        file: planned.stem.clone(),
                        message,
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        for (planned, r) in plans.iter().zip(&mut chunk) {
            let stem = &planned.stem;
            if wants(config, "html") {
                put(
                    format!("{stem}.html"),
                    r.html.as_deref().unwrap_or_default().as_bytes(),
                )?;
            }
            if wants(config, "txt") {
                put(
                    format!("{stem}.txt"),
                    r.txt.as_deref().unwrap_or_default().as_bytes(),
                )?;
            }
            if let Some(pdf) = &r.pdf {
                put(format!("{stem}.pdf"), pdf)?;
            }
            if let Some(eml) = &r.eml {
                put(format!("{stem}.eml"), eml)?;
            }
            r.html = None;
            r.txt = None;
            r.pdf = None;
            r.eml = None;
            #[cfg(feature = "pdf")]
            if planned.email.is_some() {
                // Only letters that go by post join the print run.
                r.typ = None;
            }
        }
        rendered.append(&mut chunk);
        #[cfg(feature = "pdf")]
        pdf::forget();
    }
    #[cfg(feature = "pdf")]
    write_print_run(&dir, head, &plans, &rendered, as_of)?;

    let index = dir.join("index.csv");
    let io = |source| LetterError::Write {
        path: index.clone(),
        source,
    };
    let mut csv = CsvOut::create(
        &index,
        &[
            "client_id",
            "client_name",
            "level",
            "language",
            "email",
            "files",
            "total",
        ],
    )
    .map_err(io)?;
    for ((letter, planned), r) in class.letters.iter().zip(&plans).zip(&rendered) {
        csv.text(&letter.client)
            .text(&r.name)
            .text(&r.level)
            .text(&planned.language)
            .opt(planned.email.as_deref())
            .text(&planned.files.join(";"))
            .text(&r.totals);
        csv.end().map_err(io)?;
    }
    csv.finish().map_err(io)?;
    Ok(())
}

/// `print-run.pdf`: every letter to a client without an e-mail address, one after the other.
#[cfg(feature = "pdf")]
fn write_print_run(
    dir: &Path,
    head: &Letterhead,
    plans: &[Planned],
    rendered: &[Rendered],
    as_of: NaiveDate,
) -> Result<(), LetterError> {
    let post: Vec<&str> = plans
        .iter()
        .zip(rendered)
        .filter(|(p, _)| p.email.is_none())
        .filter_map(|(_, r)| r.typ.as_deref())
        .collect();
    if post.is_empty() {
        return Ok(());
    }
    let bytes = pdf::print_run(&post, head.logo.as_ref(), as_of).map_err(|message| {
        LetterError::Render {
            client: String::new(),
            file: "print-run".to_string(),
            message,
        }
    })?;
    let path = dir.join("print-run.pdf");
    std::fs::write(&path, bytes).map_err(|source| LetterError::Write { path, source })
}

#[cfg(test)]
mod tests {
    use super::split_body;

    #[test]
    fn the_body_splits_into_subject_and_paragraphs_around_the_table() {
        let (subject, before, after) = split_body(
            "\n  Payment reminder \n\nFirst line\ncontinued.\n\n\n[[table]]\n\nAfter.\n",
        );
        assert_eq!(subject, "Payment reminder");
        assert_eq!(before, ["First line continued."]);
        assert_eq!(after, ["After."]);
    }
}
