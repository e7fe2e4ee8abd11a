//! The letter templates: the built-in set compiled into the binary, overridden file by file by
//! an office's own folder (`[letters] templates`), checked once at start-up.
//!
//! Files, per language folder (`en/`, `he/`, any other two-letter code):
//!
//! - `<level>.body.tera` — the wording of a level: the first line is the subject (also the
//!   letter's title), then paragraphs separated by blank lines; a line `[[table]]` marks where
//!   the invoice table goes. Rendered as plain text, then split into paragraphs that every
//!   format escapes as data, so the wording may hold any character.
//! - `<level>.html.tera`, `<level>.txt.tera`, `<level>.typ.tera` — one letter format of a level;
//!   the built-in ones just extend the language's `_layout.<format>.tera`, which holds the
//!   letterhead, the invoice table, how to pay and the signature.
//!
//! - `statement-open-item.<format>.tera`, `statement-activity.<format>.tera` — the statements
//!   of account (`report::statements`), one whole document per format, no body file.
//!
//! HTML templates are autoescaped for HTML; Typst templates are autoescaped with
//! [`super::format::typst_escape`]; text templates are not escaped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use crate::config::Config;

use super::format::{html_escape, typst_escape};

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/", $name)))),*]
    };
}

/// The built-in set: (name relative to `templates/`, text).
pub const BUILTIN: &[(&str, &str)] = builtin![
    "en/_layout.html.tera",
    "en/_layout.txt.tera",
    "en/_layout.typ.tera",
    "en/courtesy.body.tera",
    "en/courtesy.html.tera",
    "en/courtesy.txt.tera",
    "en/courtesy.typ.tera",
    "en/reminder-1.body.tera",
    "en/reminder-1.html.tera",
    "en/reminder-1.txt.tera",
    "en/reminder-1.typ.tera",
    "en/reminder-2.body.tera",
    "en/reminder-2.html.tera",
    "en/reminder-2.txt.tera",
    "en/reminder-2.typ.tera",
    "en/final-notice.body.tera",
    "en/final-notice.html.tera",
    "en/final-notice.txt.tera",
    "en/final-notice.typ.tera",
    "en/collections.body.tera",
    "en/collections.html.tera",
    "en/collections.txt.tera",
    "en/collections.typ.tera",
    "he/_layout.html.tera",
    "he/_layout.txt.tera",
    "he/_layout.typ.tera",
    "he/courtesy.body.tera",
    "he/courtesy.html.tera",
    "he/courtesy.txt.tera",
    "he/courtesy.typ.tera",
    "he/reminder-1.body.tera",
    "he/reminder-1.html.tera",
    "he/reminder-1.txt.tera",
    "he/reminder-1.typ.tera",
    "he/reminder-2.body.tera",
    "he/reminder-2.html.tera",
    "he/reminder-2.txt.tera",
    "he/reminder-2.typ.tera",
    "he/final-notice.body.tera",
    "he/final-notice.html.tera",
    "he/final-notice.txt.tera",
    "he/final-notice.typ.tera",
    "he/collections.body.tera",
    "he/collections.html.tera",
    "he/collections.txt.tera",
    "he/collections.typ.tera",
    "en/statement-open-item.html.tera",
    "en/statement-open-item.txt.tera",
    "en/statement-open-item.typ.tera",
    "en/statement-activity.html.tera",
    "en/statement-activity.txt.tera",
    "en/statement-activity.typ.tera",
    "he/statement-open-item.html.tera",
    "he/statement-open-item.txt.tera",
    "he/statement-open-item.typ.tera",
    "he/statement-activity.html.tera",
    "he/statement-activity.txt.tera",
    "he/statement-activity.typ.tera",
];

/// A template set that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The templates folder or one of its files cannot be read.
    #[error("cannot read the letter templates {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A template does not parse.
    #[error("letter template {name}: {message}")]
    Parse { name: String, message: String },
    /// A level that sends letters has no template in the default language.
    #[error(
        "dunning level \"{level}\" sends letters but has no template {language}/{file}: add \
         templates/{language}/{file} to the templates folder ([letters] templates), or set \
         letter = false for the level"
    )]
    Missing {
        level: String,
        language: String,
        file: String,
    },
}

/// The parsed templates of a run.
pub struct Templates {
    /// HTML (autoescaped), text and body templates.
    text: Tera,
    /// Typst templates, autoescaped for Typst markup.
    typst: Tera,
    /// Every template name, for lookups.
    names: BTreeSet<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// The template files each output format needs.
fn needed(format: &str) -> &'static [&'static str] {
    match format {
        "html" => &["html"],
        "txt" => &["txt"],
        "eml" => &["txt", "html"],
        "pdf" => &["typ"],
        _ => &[],
    }
}

/// Reads `dir/<language>/*.tera`.
fn read_folder(dir: &Path) -> Result<BTreeMap<String, String>, TemplateError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TemplateError::Read { path, source }
    };
    let mut files = BTreeMap::new();
    for lang in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let lang = lang.map_err(read_err(dir))?.path();
        if !lang.is_dir() {
            continue;
        }
        let Some(lang_name) = lang
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        for file in std::fs::read_dir(&lang).map_err(read_err(&lang))? {
            let file = file.map_err(read_err(&lang))?.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if file.is_file() && name.ends_with(".tera") {
                let text = std::fs::read_to_string(&file).map_err(read_err(&file))?;
                files.insert(format!("{lang_name}/{name}"), text);
            }
        }
    }
    Ok(files)
}

impl Templates {
    /// The built-in set overridden by `[letters] templates`, parsed, and checked: every level
    /// that sends letters has the templates its formats need in the default language.
    ///
    /// # Errors
    /// When the folder cannot be read, a template does not parse, or one is missing.
    pub fn load(config: &Config) -> Result<Templates, TemplateError> {
        let mut files: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
            .collect();
        if let Some(dir) = &config.letters.templates {
            files.extend(read_folder(dir)?);
        }
        let templates = Templates::from_files(&files)?;
        for level in config.dunning_levels.iter().filter(|l| l.letter) {
            let mut kinds = vec!["body"];
            for format in &config.letter_formats {
                kinds.extend(needed(format));
            }
            for kind in kinds {
                let file = format!("{}.{kind}.tera", level.name);
                if !templates.has(&config.language, &level.name, kind) {
                    return Err(TemplateError::Missing {
                        level: level.name.clone(),
                        language: config.language.clone(),
                        file,
                    });
                }
            }
        }
        Ok(templates)
    }

    fn from_files(files: &BTreeMap<String, String>) -> Result<Templates, TemplateError> {
        let parse_err = |e: tera::Error| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            TemplateError::Parse {
                name: String::new(),
                message,
            }
        };
        let mut text = Tera::default();
        text.autoescape_on(vec![".html.tera"]);
        text.set_escape_fn(html_escape);
        let mut typst = Tera::default();
        typst.autoescape_on(vec![".typ.tera"]);
        typst.set_escape_fn(typst_escape);
        let (typ, other): (Vec<_>, Vec<_>) = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .partition(|(n, _)| n.ends_with(".typ.tera"));
        text.add_raw_templates(other).map_err(parse_err)?;
        typst.add_raw_templates(typ).map_err(parse_err)?;
        Ok(Templates {
            text,
            typst,
            names: files.keys().cloned().collect(),
        })
    }

    /// Whether `<language>/<level>.<kind>.tera` exists.
    #[must_use]
    pub fn has(&self, language: &str, level: &str, kind: &str) -> bool {
        self.names
            .contains(&format!("{language}/{level}.{kind}.tera"))
    }

    /// Whether `language` has a body for `level` (so a letter can be written in it).
    #[must_use]
    pub fn speaks(&self, language: &str, level: &str) -> bool {
        self.has(language, level, "body")
    }

    /// Renders `<language>/<level>.<kind>.tera`.
    ///
    /// # Errors
    /// The template engine's message (a customised template that uses a missing value...).
    pub fn render(
        &self,
        language: &str,
        level: &str,
        kind: &str,
        context: &Context,
    ) -> Result<String, String> {
        let name = format!("{language}/{level}.{kind}.tera");
        let engine = if kind == "typ" {
            &self.typst
        } else {
            &self.text
        };
        engine.render(&name, context).map_err(|e| {
            let mut message = format!("{name}: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            message
        })
    }
}

/// Copies the built-in set into `dir` (`dir/<language>/...`), leaving existing files alone.
/// Returns the files written.
///
/// # Errors
/// When a folder or file cannot be written.
pub fn write_builtin(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (name, text) in BUILTIN {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_set_parses_and_covers_every_default_level() {
        let files: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
            .collect();
        let t = Templates::from_files(&files).unwrap();
        for lang in ["en", "he"] {
            for level in crate::config::default_levels() {
                for kind in ["body", "html", "txt", "typ"] {
                    assert!(
                        t.has(lang, &level.name, kind),
                        "{lang} {} {kind}",
                        level.name
                    );
                }
            }
        }
    }
}
