//! SMTP: one connection to the office's mail server (lettre's synchronous client), protected
//! by STARTTLS or TLS from the first byte, logged in with PLAIN/LOGIN or XOAUTH2.
//!
//! A message goes as MAIL, RCPT for each recipient, DATA and the content, driven command by
//! command so that the outcome says exactly where it stopped: a negative reply is the server's
//! decision (4xx temporary, 5xx permanent); a broken connection before the content was sent
//! means the server cannot have the message; a broken connection after the content was sent
//! and before the reply means nobody can tell ([`Outcome::Unknown`]).
//!
//! The secret comes only from the environment variable `[smtp] password_env` names, is handed
//! to lettre and never formatted anywhere: no message, log row or `Debug` output contains it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::Address;

use super::SendError;
use crate::config::{Security, Smtp};

/// A PEM file of root certificates to trust besides the public ones: an office mail server
/// whose certificate comes from the office's own authority (and the tests' local server).
pub const CA_FILE_ENV: &str = "ARREARS_SMTP_CA_FILE";
/// The value of the password variable that selects XOAUTH2: `Bearer <access token>`.
const BEARER: &str = "Bearer ";
/// How long one command may wait for the server.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Why no connection could be made. The texts name the server and what to check.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach the mail server {server}: {message}")]
    Unreachable { server: String, message: String },
    #[error("no secure connection to {server}: {message}")]
    Tls { server: String, message: String },
    #[error("the mail server {server} refused the login as {user}: {reply}. Check the password in {var} (Microsoft 365 and Gmail want an app password, or XOAUTH2 with `Bearer <token>`; README, \"Sending the letters\")")]
    Login {
        server: String,
        user: String,
        var: String,
        reply: String,
    },
}

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted it; its reply.
    Accepted(String),
    /// The server refused it: a 4xx reply (`temporary`) or a 5xx one.
    Refused { temporary: bool, reply: String },
    /// The connection failed before the content was sent: the server does not have it.
    NotSent(String),
    /// The connection failed after the content was sent, before the reply.
    Unknown(String),
}

/// The way in: address, protection and credentials, checked before any connection.
pub struct Server {
    host: String,
    port: u16,
    security: Security,
    tls: Option<TlsParameters>,
    login: Option<(Credentials, Vec<Mechanism>, String)>,
    user: String,
    password_env: String,
}

impl Server {
    /// Prepares the connection settings: TLS roots and, when `[smtp] username` is set, the
    /// secret from the environment.
    ///
    /// # Errors
    /// When the password variable is not set, or `ARREARS_SMTP_CA_FILE` cannot be used.
    pub fn new(smtp: &Smtp) -> Result<Server, SendError> {
        let tls = match smtp.security {
            Security::None => None,
            Security::StartTls | Security::Tls => {
                let mut builder = TlsParameters::builder(smtp.host.clone());
                if let Some(path) = std::env::var_os(CA_FILE_ENV).filter(|p| !p.is_empty()) {
                    let path = PathBuf::from(path);
                    let ca_error = |message: String| SendError::CaFile {
                        path: path.clone(),
                        message,
                    };
                    let pem = std::fs::read(&path).map_err(|e| ca_error(e.to_string()))?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| ca_error(format!("not a PEM certificate: {e}")))?;
                    builder = builder.add_root_certificate(cert);
                }
                Some(builder.build_rustls().map_err(|e| SendError::CaFile {
                    path: PathBuf::from(CA_FILE_ENV),
                    message: e.to_string(),
                })?)
            }
        };
        let login = match &smtp.username {
            None => None,
            Some(user) => {
                let secret = std::env::var(&smtp.password_env)
                    .ok()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| SendError::Password {
                        var: smtp.password_env.clone(),
                    })?;
                let (secret, mechanisms) = match secret.strip_prefix(BEARER) {
                    Some(token) => (token.trim().to_string(), vec![Mechanism::Xoauth2]),
                    None => (secret, vec![Mechanism::Plain, Mechanism::Login]),
                };
                Some((
                    Credentials::new(user.clone(), secret),
                    mechanisms,
                    user.clone(),
                ))
            }
        };
        Ok(Server {
            host: smtp.host.clone(),
            port: smtp.port,
            security: smtp.security,
            tls,
            user: smtp.username.clone().unwrap_or_default(),
            login,
            password_env: smtp.password_env.clone(),
        })
    }

    /// `host:port`, for messages.
    #[must_use]
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Connects, secures the connection and logs in.
    ///
    /// # Errors
    /// When the server cannot be reached, TLS fails, or the login is refused.
    pub fn connect(&self) -> Result<Connection, ConnectError> {
        let server = self.name();
        let hello = ClientId::default();
        let implicit = match self.security {
            Security::Tls => self.tls.as_ref(),
            Security::StartTls | Security::None => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(TIMEOUT),
            &hello,
            implicit,
            None,
        )
        .map_err(|e| {
            let message = describe(&e);
            let tls = implicit.is_some()
                && ["certificate", "tls", "handshake"]
                    .iter()
                    .any(|w| message.to_lowercase().contains(w));
            if e.is_tls() || tls {
                ConnectError::Tls {
                    server: server.clone(),
                    message,
                }
            } else {
                ConnectError::Unreachable {
                    server: server.clone(),
                    message,
                }
            }
        })?;
        if let (Security::StartTls, Some(tls)) = (self.security, &self.tls) {
            if !conn.can_starttls() {
                conn.abort();
                return Err(ConnectError::Tls {
                    server,
                    message: "the server does not offer STARTTLS; use security = \"tls\" (port \
                              465) if it speaks TLS from the start"
                        .to_string(),
                });
            }
            conn.starttls(tls, &hello).map_err(|e| ConnectError::Tls {
                server: server.clone(),
                message: describe(&e),
            })?;
        }
        if let Some((credentials, mechanisms, user)) = &self.login {
            conn.auth(mechanisms, credentials).map_err(|e| {
                let reply = describe(&e);
                conn.abort();
                ConnectError::Login {
                    server: server.clone(),
                    user: user.clone(),
                    var: self.password_env.clone(),
                    reply,
                }
            })?;
        }
        Ok(Connection {
            conn,
            broken: false,
        })
    }

    /// The login name, for messages (empty without a login).
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }
}

/// A logged-in connection.
pub struct Connection {
    conn: SmtpConnection,
    broken: bool,
}

impl Connection {
    /// Whether the connection can take another message.
    #[must_use]
    pub fn is_usable(&self) -> bool {
        !self.broken && !self.conn.has_broken()
    }

    /// Sends one message from `from` to every address of `to`.
    pub fn transaction(&mut self, from: &str, to: &[String], bytes: &[u8]) -> Outcome {
        let parse = |a: &str| Address::from_str(a).map_err(|e| format!("<{a}>: {e}"));
        let sender = match parse(from) {
            Ok(a) => a,
            Err(e) => {
                return Outcome::Refused {
                    temporary: false,
                    reply: format!("not an e-mail address: {e}"),
                }
            }
        };
        let mut recipients = Vec::new();
        for a in to {
            match parse(a) {
                Ok(a) => recipients.push(a),
                Err(e) => {
                    return Outcome::Refused {
                        temporary: false,
                        reply: format!("not an e-mail address: {e}"),
                    }
                }
            }
        }
        let info = self.conn.server_info();
        let mut options = Vec::new();
        let non_ascii_address = !from.is_ascii() || to.iter().any(|a| !a.is_ascii());
        if non_ascii_address {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Outcome::Refused {
                    temporary: false,
                    reply: "the address is not ASCII and the server does not take SMTPUTF8"
                        .to_string(),
                };
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Outcome::Refused {
                    temporary: false,
                    reply: "the message is not ASCII and the server does not take 8BITMIME"
                        .to_string(),
                };
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let before = (|| {
            self.conn.command(Mail::new(Some(sender), options))?;
            for r in recipients {
                self.conn.command(Rcpt::new(r, Vec::new()))?;
            }
            self.conn.command(Data)
        })();
        if let Err(e) = before {
            return self.refused_or(&e, Outcome::NotSent);
        }
        match self.conn.message(bytes) {
            Ok(response) => Outcome::Accepted(reply(&response)),
            Err(e) => self.refused_or(&e, Outcome::Unknown),
        }
    }

    /// A negative reply is the server's answer (the transaction is reset for the next
    /// message); anything else breaks the connection and becomes `otherwise`.
    fn refused_or(
        &mut self,
        e: &lettre::transport::smtp::Error,
        otherwise: fn(String) -> Outcome,
    ) -> Outcome {
        if e.is_transient() || e.is_permanent() {
            if self.conn.command(Rset).is_err() {
                self.broken = true;
            }
            Outcome::Refused {
                temporary: e.is_transient(),
                reply: describe(e),
            }
        } else {
            self.broken = true;
            self.conn.abort();
            otherwise(describe(e))
        }
    }

    /// Says goodbye; errors do not matter any more.
    pub fn quit(mut self) {
        if self.is_usable() {
            let _ = self.conn.quit();
        } else {
            self.conn.abort();
        }
    }
}

/// A reply as the server wrote it: `250 2.0.0 Ok: queued as 4F2a`.
fn reply(response: &Response) -> String {
    let text: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), text.join(" "))
        .trim()
        .to_string()
}

/// An error as a person reads it: the server's reply (`550 5.1.1 mailbox unavailable`), else
/// the error and its causes.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let source = std::error::Error::source(e).map(ToString::to_string);
    match (e.status(), source) {
        (Some(code), Some(text)) => format!("{code} {text}"),
        (Some(code), None) => code.to_string(),
        (None, _) => e.to_string(),
    }
}
