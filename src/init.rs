//! `arrears init DIR`: sets up an office folder — an `arrears.toml` with every option
//! explained and commented out (only `[letters] templates` is set, to the copied templates,
//! `[output] dir`, so runs and the letter history stay in the folder, and `[letters] language`
//! when the office chose English), a `README.txt` with the monthly routine in the office's
//! language, and the built-in letter templates under `DIR/templates/<language>/` to brand and
//! reword.
//!
//! Nothing an office already has is overwritten: an existing `arrears.toml` or `README.txt`
//! needs `--force`, and template files that exist are kept.

use std::path::{Path, PathBuf};

use crate::cli::InitLanguage;
use crate::config::CONFIG_FILE;
use crate::report::letters::templates;

/// What stops `arrears init`.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The configuration file exists and `--force` was not given.
    #[error("{0} exists; use --force to replace it (your templates are never overwritten)")]
    Exists(PathBuf),
    /// A folder or file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The `arrears.toml` that `init` writes.
pub const CONFIG_TEMPLATE: &str = include_str!("../templates/arrears.toml");

/// The file with the monthly routine.
pub const README_FILE: &str = "README.txt";

/// The commented default-language line of [`CONFIG_TEMPLATE`].
const LANGUAGE_LINE: &str = "# language = \"he\"  ";

/// The `arrears.toml` for an office of `language`: the template, whose commented line shows
/// the default (Hebrew letters), with English set when the office chose English.
fn config_text(language: InitLanguage) -> String {
    match language {
        InitLanguage::En => CONFIG_TEMPLATE.replacen(LANGUAGE_LINE, "language = \"en\"    ", 1),
        InitLanguage::He => CONFIG_TEMPLATE.to_string(),
    }
}

/// `README.txt` in `language`, with a byte-order mark so that Windows editors read it as
/// UTF-8 (the Hebrew one is unreadable otherwise) and CRLF line ends so Notepad shows lines.
fn readme_text(language: InitLanguage) -> String {
    let text = match language {
        InitLanguage::En => include_str!("../templates/readme/en.txt"),
        InitLanguage::He => include_str!("../templates/readme/he.txt"),
    };
    format!(
        "\u{feff}{}",
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    )
}

/// Writes the configuration and the templates into `dir`.
///
/// # Errors
/// When `arrears.toml` exists without `force`, or a file cannot be written.
pub fn init(dir: &Path, language: InitLanguage, force: bool) -> Result<(), InitError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InitError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let config = dir.join(CONFIG_FILE);
    if config.exists() && !force {
        return Err(InitError::Exists(config));
    }
    std::fs::write(&config, config_text(language)).map_err(write_err(&config))?;
    println!("wrote {}", config.display());
    let readme = dir.join(README_FILE);
    if force || !readme.exists() {
        std::fs::write(&readme, readme_text(language)).map_err(write_err(&readme))?;
        println!("wrote {} (the monthly routine)", readme.display());
    } else {
        println!("kept {} as it was", readme.display());
    }
    let folder = dir.join("templates");
    let written = templates::write_builtin(&folder).map_err(write_err(&folder))?;
    println!(
        "wrote {} letter templates to {} ({} kept as they were)",
        written.len(),
        folder.display(),
        templates::BUILTIN.len() - written.len()
    );
    println!(
        "next: fill in [company] in {}, put this month's exports into {} and run `arrears check {}` ({} explains the routine)",
        config.display(),
        dir.display(),
        dir.display(),
        readme.display()
    );
    Ok(())
}

/// The example company `init --office` sets up.
pub const EXAMPLE_COMPANY: &str = "example-company";

/// The bundled sample month, copied into the example company so the office runs at once.
const SAMPLE_FILES: [(&str, &[u8]); 3] = [
    (
        "invoices.xlsx",
        include_bytes!("../sample-data/invoices.xlsx"),
    ),
    (
        "bank-2026-11.csv",
        include_bytes!("../sample-data/bank-2026-11.csv"),
    ),
    (
        "clients.xlsx",
        include_bytes!("../sample-data/clients.xlsx"),
    ),
];

/// `arrears init --office DIR`: an office folder with one company, `DIR/example-company`, set
/// up as [`init`] sets up a folder and holding the sample month's exports, so that
/// `arrears office DIR --as-of 2026-11-30` runs at once. Add a folder per company beside it.
///
/// # Errors
/// As [`init`]; sample files already there are kept.
pub fn init_office(dir: &Path, language: InitLanguage, force: bool) -> Result<(), InitError> {
    let company = dir.join(EXAMPLE_COMPANY);
    init(&company, language, force)?;
    for (name, bytes) in SAMPLE_FILES {
        let path = company.join(name);
        if !path.exists() {
            std::fs::write(&path, bytes).map_err(|source| InitError::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    println!(
        "set up the office {}: one company folder, {} (with the sample month's exports); add a folder with an arrears.toml per company, then run `arrears office {} --as-of 2026-11-30`",
        dir.display(),
        company.display(),
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{init, InitLanguage, README_FILE};
    use crate::cli::Cli;
    use crate::config::{Config, Overrides};

    #[test]
    fn the_written_config_is_valid_and_uses_the_copied_templates() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), InitLanguage::En, false).unwrap();
        let config = Config::load(Some(dir.path()), None, &Overrides::default()).unwrap();
        assert_eq!(config.letters.templates, Some(dir.path().join("templates")));
        assert_eq!(config.language, "en");
        assert_eq!(config.output_dir, dir.path().join("arrears-out"));
        assert!(dir
            .path()
            .join("templates/he/reminder-1.body.tera")
            .is_file());
        assert!(dir
            .path()
            .join("templates/he/statement-activity.typ.tera")
            .is_file());
        crate::report::letters::Templates::load(&config).unwrap();
        assert!(init(dir.path(), InitLanguage::En, false).is_err());
        init(dir.path(), InitLanguage::En, true).unwrap();
    }

    #[test]
    fn a_hebrew_office_gets_hebrew_letters_and_a_hebrew_routine() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), InitLanguage::He, false).unwrap();
        let config = Config::load(Some(dir.path()), None, &Overrides::default()).unwrap();
        assert_eq!(config.language, "he");
        let readme = std::fs::read_to_string(dir.path().join(README_FILE)).unwrap();
        assert!(readme.starts_with('\u{feff}'), "a BOM for Windows editors");
        assert!(
            readme.contains("בכל חודש\r\n"),
            "Hebrew, with CRLF line ends"
        );
        assert!(!readme.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn an_existing_readme_is_kept_without_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(README_FILE), "our own notes").unwrap();
        init(dir.path(), InitLanguage::En, false).unwrap();
        let kept = std::fs::read_to_string(dir.path().join(README_FILE)).unwrap();
        assert_eq!(kept, "our own notes");
        init(dir.path(), InitLanguage::En, true).unwrap();
        let replaced = std::fs::read_to_string(dir.path().join(README_FILE)).unwrap();
        assert!(replaced.contains("Every month"));
    }

    /// Every command line the routine tells an accountant to type is one the tool accepts.
    #[test]
    fn the_commands_in_the_routine_are_accepted() {
        for language in [InitLanguage::En, InitLanguage::He] {
            let text = super::readme_text(language);
            let commands: Vec<&str> = text
                .lines()
                .filter(|line| line.starts_with("       arrears "))
                .map(str::trim)
                .collect();
            assert!(commands.len() >= 2, "{language:?}: {commands:?}");
            for command in commands {
                if let Err(err) = Cli::try_parse_from(command.split_whitespace()) {
                    panic!("{language:?}: `{command}` is rejected: {err}");
                }
            }
        }
    }
}
