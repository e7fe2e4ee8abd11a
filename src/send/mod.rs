//! `arrears send RUN_FOLDER`: the run's e-mail drafts handed to the office's mail server, each
//! exactly once (SPEC section 13).
//!
//! The parts, one file each: [`log`] is the append-only sent log `OUT/sent.csv` that makes
//! "exactly once" hold across crashes; [`message`] turns a draft into the bytes that go out;
//! [`transport`] speaks SMTP (lettre, one connection driven command by command); [`command`]
//! plans, asks, sends, throttles, retries and sums up.
//!
//! The guarantee: a message is written to the log as `sending`, and the log synced to disk,
//! before the server hears of it; `sent` only after the server accepted it. A message whose
//! last row is `sent` is never sent again, and one whose last row is `sending` (the process
//! stopped while the server may have had it) is never sent again automatically: it becomes
//! `unknown`, for a person to check.

pub mod command;
pub mod log;
pub mod message;
pub mod transport;

use std::path::PathBuf;

pub use command::send;

/// Exit code when a message of the run failed or its fate is unknown.
pub const EXIT_NOT_ALL_SENT: u8 = 7;

/// What stops `arrears send` before or while sending.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The folder is not a finished run folder, or a file of it cannot be read.
    #[error("{path}: {message}")]
    RunFolder { path: PathBuf, message: String },
    /// The configuration cannot be read or `[smtp]` is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Another command (a colleague's run or send) holds the output folder.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// The configuration has no `[smtp]` table.
    #[error("{config} has no [smtp] table: add one naming the office's mail server (README, \"Sending the letters\"), or give another file with --config")]
    NoSmtp { config: String },
    /// The environment variable that should hold the password is not set.
    #[error("the environment variable {var} is not set: put the SMTP password (or `Bearer <token>` for XOAUTH2) in it, e.g. `read -s {var}; export {var}`; it is never read from a file")]
    Password { var: String },
    /// `ARREARS_SMTP_CA_FILE` names a file that is not a PEM certificate.
    #[error("ARREARS_SMTP_CA_FILE={path}: {message}")]
    CaFile { path: PathBuf, message: String },
    /// The mail server could not be reached, refused TLS, or refused the login.
    #[error("{0}; nothing was sent and nothing was recorded")]
    Connect(transport::ConnectError),
    /// The sent log cannot be read or written; sending stops at once.
    #[error("{path}: {message}")]
    Log { path: PathBuf, message: String },
    /// The confirmation could not be read.
    #[error("cannot read the answer: {0}")]
    Prompt(std::io::Error),
}
