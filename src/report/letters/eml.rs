//! The `.eml` draft of a letter: a message a mail program opens ready to send (`X-Unsent: 1`).
//!
//! To the client, from `[company] email`, with the letter as text and HTML alternatives and the
//! PDF attached when PDF letters are written. Everything that would normally be random or
//! the clock's — the Date, the MIME boundaries — is derived from the as-of date and the
//! letter's file stem, and the Message-ID from those and the letter's content, so a rerun
//! writes the same bytes.

use chrono::NaiveDate;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use crate::report::manifest::sha256_hex;

/// What goes into one draft.
pub struct Draft<'a> {
    pub to_name: &'a str,
    pub to_email: &'a str,
    pub from_name: &'a str,
    pub from_email: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// (file name, bytes) of the PDF to attach.
    pub pdf: Option<(&'a str, &'a [u8])>,
    pub as_of: NaiveDate,
    /// The letter's file stem, unique in the run.
    pub stem: &'a str,
}

/// The domain of an address, for Message-IDs; `arrears.invalid` when it has none usable.
#[must_use]
pub fn message_domain(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim())
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        })
        .unwrap_or("arrears.invalid")
}

/// Builds the message.
///
/// # Errors
/// Never in practice (the writer is a `Vec`), but the builder's API is fallible.
pub fn build(draft: &Draft<'_>) -> std::io::Result<Vec<u8>> {
    let seed = sha256_hex(format!("{}\n{}", draft.as_of, draft.stem).as_bytes());
    let domain = message_domain(draft.from_email);
    // The Message-ID is the key of `arrears send`'s sent log: the same letter (run date, client,
    // content) is always the same message, and a letter that changed is a new one.
    let mut content = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        draft.as_of, draft.stem, draft.to_email, draft.subject, draft.text, draft.html
    )
    .into_bytes();
    if let Some((name, bytes)) = draft.pdf {
        content.extend_from_slice(name.as_bytes());
        content.extend_from_slice(bytes);
    }
    let message_id = format!(
        "arrears-{}-{}@{domain}",
        draft.as_of,
        &sha256_hex(&content)[..24]
    );
    // 09:00 UTC on the as-of date.
    let date = draft
        .as_of
        .and_hms_opt(9, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());

    let alternative = MimePart::new(
        ContentType::new("multipart/alternative")
            .attribute("boundary", format!("alt-{}", &seed[..32])),
        vec![
            MimePart::new("text/plain", draft.text),
            MimePart::new("text/html", draft.html),
        ],
    );
    let body = match draft.pdf {
        Some((name, bytes)) => MimePart::new(
            ContentType::new("multipart/mixed")
                .attribute("boundary", format!("mix-{}", &seed[32..64])),
            vec![
                alternative,
                MimePart::new("application/pdf", bytes).attachment(name),
            ],
        ),
        None => alternative,
    };
    let mut builder = MessageBuilder::new()
        .message_id(message_id)
        .date(date)
        .to((draft.to_name, draft.to_email))
        .subject(draft.subject)
        .header("X-Unsent", Raw::new("1"))
        .body(body);
    if !draft.from_email.is_empty() {
        builder = builder.from((draft.from_name, draft.from_email));
    }
    builder.write_to_vec()
}
