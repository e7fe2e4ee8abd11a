//! `arrears init DIR`: sets up an office folder — an `arrears.toml` with every option
//! explained and commented out (only `[letters] templates` is set, to the copied templates),
//! and the built-in letter templates under `DIR/templates/<language>/` to brand and reword.
//!
//! Nothing an office already has is overwritten: an existing `arrears.toml` needs `--force`,
//! and template files that exist are kept.

use std::path::{Path, PathBuf};

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

/// Writes the configuration and the templates into `dir`.
///
/// # Errors
/// When `arrears.toml` exists without `force`, or a file cannot be written.
pub fn init(dir: &Path, force: bool) -> Result<(), InitError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InitError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let config = dir.join(CONFIG_FILE);
    if config.exists() && !force {
        return Err(InitError::Exists(config));
    }
    std::fs::write(&config, CONFIG_TEMPLATE).map_err(write_err(&config))?;
    let folder = dir.join("templates");
    let written = templates::write_builtin(&folder).map_err(write_err(&folder))?;
    println!("wrote {}", config.display());
    println!(
        "wrote {} letter templates to {} ({} kept as they were)",
        written.len(),
        folder.display(),
        templates::BUILTIN.len() - written.len()
    );
    println!(
        "next: put this month's exports into {}, fill in [company] and run `arrears check {}`",
        dir.display(),
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Overrides};

    #[test]
    fn the_written_config_is_valid_and_uses_the_copied_templates() {
        let dir = tempfile::tempdir().unwrap();
        super::init(dir.path(), false).unwrap();
        let config = Config::load(Some(dir.path()), None, &Overrides::default()).unwrap();
        assert_eq!(config.letters.templates, Some(dir.path().join("templates")));
        assert!(dir
            .path()
            .join("templates/he/reminder-1.body.tera")
            .is_file());
        crate::report::letters::Templates::load(&config).unwrap();
        assert!(super::init(dir.path(), false).is_err());
        super::init(dir.path(), true).unwrap();
    }
}
