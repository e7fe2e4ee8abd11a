//! `[smtp]`: the mail server `arrears send` hands the letters to, checked (an unencrypted
//! connection only to this machine), and read on its own from a past run's configuration.

use std::path::Path;

use super::{invalid, ConfigError, RawConfig, RawSmtp};

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS before anything else is said (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on this machine.
    None,
}

/// `[smtp]`, validated: the mail server `arrears send` hands the letters to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// The environment variable that holds the password (or `Bearer <token>` for XOAUTH2).
    pub password_env: String,
    /// At most this many messages a minute.
    pub per_minute: u32,
    /// A copy of every message to this address, in the envelope only.
    pub bcc: Option<String>,
}

pub(super) fn smtp(path: &Path, raw: RawSmtp) -> Result<Smtp, ConfigError> {
    let host = raw.host.trim().to_string();
    if host.is_empty() {
        return Err(invalid(
            path,
            "smtp.host",
            "\"\"",
            "name the mail server, e.g. \"smtp.office365.com\"",
        ));
    }
    let security = match raw.security.as_deref() {
        None | Some("starttls") => Security::StartTls,
        Some("tls") => Security::Tls,
        Some("none") => Security::None,
        Some(other) => {
            return Err(invalid(
                path,
                "smtp.security",
                other,
                "allowed: \"starttls\", \"tls\", \"none\"",
            ))
        }
    };
    if security == Security::None && !["localhost", "127.0.0.1", "::1"].contains(&host.as_str()) {
        return Err(invalid(
            path,
            "smtp.security",
            "none",
            "an unencrypted connection is allowed only to this machine (localhost, 127.0.0.1); \
             use \"starttls\" (port 587) or \"tls\" (port 465)",
        ));
    }
    let port = raw.port.unwrap_or(match security {
        Security::StartTls => 587,
        Security::Tls => 465,
        Security::None => 25,
    });
    let per_minute = raw.per_minute.unwrap_or(20);
    if per_minute == 0 {
        return Err(invalid(
            path,
            "smtp.per_minute",
            0,
            "expected at least 1 message a minute",
        ));
    }
    let password_env = raw
        .password_env
        .unwrap_or_else(|| "ARREARS_SMTP_PASSWORD".to_string());
    if password_env.is_empty() || password_env.contains('=') {
        return Err(invalid(
            path,
            "smtp.password_env",
            &password_env,
            "expected the name of an environment variable",
        ));
    }
    let bcc = raw
        .bcc
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    if let Some(b) = &bcc {
        if !b.contains('@') || b.contains(['<', '>', ' ', ',']) {
            return Err(invalid(path, "smtp.bcc", b, "expected one e-mail address"));
        }
    }
    Ok(Smtp {
        host,
        port,
        security,
        username: raw
            .username
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty()),
        password_env,
        per_minute,
        bcc,
    })
}

/// `[smtp]` of a configuration file's text, checked as a whole like [`Config::load`] checks it
/// (unknown keys anywhere are an error), without looking for the inputs it names: `arrears send`
/// reads the settings of a run that may be long done. `path` names the file in messages.
///
/// # Errors
/// When the text is not a valid configuration or `[smtp]` has a bad value.
///
/// [`Config::load`]: super::Config::load
pub fn load_smtp(path: &Path, text: &str) -> Result<Option<Smtp>, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    raw.smtp.map(|s| smtp(path, s)).transpose()
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{load, message};

    #[test]
    fn smtp_settings_are_checked_and_defaulted() {
        let config =
            load("[smtp]\nhost = \"smtp.office365.com\"\nusername = \"b@x.com\"\n").unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.security, super::Security::StartTls);
        assert_eq!(smtp.password_env, "ARREARS_SMTP_PASSWORD");
        assert_eq!(smtp.per_minute, 20);
        let msg = message("[smtp]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\n");
        assert!(msg.contains("smtp.security"), "{msg}");
        let msg = message("[smtp]\nhost = \"x\"\npassword = \"secret\"\n");
        assert!(msg.contains("password"), "{msg}");
        let smtp = super::load_smtp(
            std::path::Path::new("a.toml"),
            "[smtp]\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nport = 2525\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!((smtp.port, smtp.security), (2525, super::Security::None));
    }
}
