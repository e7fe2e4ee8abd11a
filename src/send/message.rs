//! A letter's `.eml` draft as it goes out: the bytes as written, without `X-Unsent` (SPEC
//! section 13), or, for `--test-to`, readdressed to the test address.
//!
//! Only the header block is looked at and only whole header fields are dropped or added, so
//! every other byte (the parts, the attachment, the Message-ID the run derived from the run
//! date, the client and the letter's content) is sent exactly as the run wrote it.

use crate::report::letters::eml::message_domain;
use crate::report::manifest::sha256_hex;

/// A draft read from the run folder.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The Message-ID without its angle brackets: the key of the sent log.
    pub message_id: String,
    /// The address of `From`: the envelope sender.
    pub from: String,
    /// The addresses of `To`.
    pub to: Vec<String>,
    /// The addresses of `Cc`.
    pub cc: Vec<String>,
    eol: &'static [u8],
    fields: Vec<Vec<u8>>,
    body: Vec<u8>,
}

/// The message of a draft without a Message-ID: derived, like the run's own, from the run
/// date, the client and the content, so the same draft is always the same message.
fn derived_id(run: &str, client: &str, bytes: &[u8], from: &str) -> String {
    let mut seed = format!("{run}\n{client}\n").into_bytes();
    seed.extend_from_slice(bytes);
    let hash = sha256_hex(&seed);
    format!("arrears-{run}-{}@{}", &hash[..24], message_domain(from))
}

impl Draft {
    /// Reads a draft. `run` and `client` derive a Message-ID when the draft has none.
    ///
    /// # Errors
    /// When the draft has no header block, no `From` or no `To` address.
    pub fn parse(bytes: &[u8], run: &str, client: &str) -> Result<Draft, String> {
        let (eol, split) = match find(bytes, b"\r\n\r\n") {
            Some(at) => (&b"\r\n"[..], at + 2),
            None => match find(bytes, b"\n\n") {
                Some(at) => (&b"\n"[..], at + 1),
                None => return Err("no blank line ends the header: not an e-mail".to_string()),
            },
        };
        let (head, body) = bytes.split_at(split);
        let mut fields: Vec<Vec<u8>> = Vec::new();
        for line in head.split_inclusive(|&b| b == b'\n') {
            match (line.first(), fields.last_mut()) {
                (Some(b' ' | b'\t'), Some(field)) => field.extend_from_slice(line),
                _ => fields.push(line.to_vec()),
            }
        }
        let mut draft = Draft {
            message_id: String::new(),
            from: String::new(),
            to: Vec::new(),
            cc: Vec::new(),
            eol,
            fields,
            body: body.to_vec(),
        };
        draft.from = draft
            .value("from")
            .map(|v| addresses(&v))
            .and_then(|a| a.into_iter().next())
            .ok_or("it has no From address: set [company] email in arrears.toml and make the run again")?;
        draft.to = draft.value("to").map(|v| addresses(&v)).unwrap_or_default();
        if draft.to.is_empty() {
            return Err("it has no To address".to_string());
        }
        draft.cc = draft.value("cc").map(|v| addresses(&v)).unwrap_or_default();
        let id = draft
            .value("message-id")
            .map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim()
                    .to_string()
            })
            .filter(|v| !v.is_empty());
        match id {
            Some(id) => draft.message_id = id,
            None => {
                let id = derived_id(run, client, bytes, &draft.from);
                let field = [format!("Message-ID: <{id}>").as_bytes(), eol].concat();
                draft.fields.insert(0, field);
                draft.message_id = id;
            }
        }
        Ok(draft)
    }

    /// The unfolded value of the first field called `name` (case-insensitive).
    fn value(&self, name: &str) -> Option<String> {
        self.fields.iter().find_map(|f| {
            let text = String::from_utf8_lossy(f);
            let (field, value) = text.split_once(':')?;
            field.trim().eq_ignore_ascii_case(name).then(|| {
                value
                    .split(['\r', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
    }

    fn is(field: &[u8], name: &str) -> bool {
        field
            .iter()
            .position(|&b| b == b':')
            .and_then(|at| field.get(..at))
            .is_some_and(|n| String::from_utf8_lossy(n).trim().eq_ignore_ascii_case(name))
    }

    /// A Message-ID of its own for a test send of this draft to `test_to`: never the real
    /// message's, and new each time (a mail system drops a second message with an id it has
    /// seen).
    #[must_use]
    pub fn test_id(&self, test_to: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!(
            "{}\n{test_to}\n{now}\n{}",
            self.message_id,
            std::process::id()
        );
        let hash = sha256_hex(seed.as_bytes());
        format!(
            "arrears-test-{}@{}",
            &hash[..24],
            message_domain(&self.from)
        )
    }

    /// The message to send: the draft as written without `X-Unsent`.
    #[must_use]
    pub fn outgoing(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 2048);
        for field in self.fields.iter().filter(|f| !Draft::is(f, "x-unsent")) {
            out.extend_from_slice(field);
        }
        out.extend_from_slice(&self.body);
        out
    }

    /// The message for a test send to `test_to`: `To` the test address, the real recipients in
    /// `X-Original-To`, `[TEST] ` before the subject, no `Cc` or `Bcc`, and a Message-ID of
    /// its own (`message_id`), so a test never stands for the real message.
    #[must_use]
    pub fn for_test(&self, test_to: &str, message_id: &str) -> Vec<u8> {
        let eol = self.eol;
        let mut out = Vec::with_capacity(self.body.len() + 2048);
        out.extend_from_slice(format!("Message-ID: <{message_id}>").as_bytes());
        out.extend_from_slice(eol);
        out.extend_from_slice(format!("X-Original-To: {}", self.to.join(", ")).as_bytes());
        out.extend_from_slice(eol);
        for field in &self.fields {
            if ["x-unsent", "cc", "bcc", "message-id"]
                .iter()
                .any(|n| Draft::is(field, n))
            {
                continue;
            }
            if Draft::is(field, "to") {
                out.extend_from_slice(format!("To: <{test_to}>").as_bytes());
                out.extend_from_slice(eol);
            } else if Draft::is(field, "subject") {
                let at = field.iter().position(|&b| b == b':').map_or(0, |at| at + 1);
                let (name, value) = field.split_at(at);
                out.extend_from_slice(name);
                out.extend_from_slice(b" [TEST] ");
                out.extend_from_slice(value.trim_ascii_start());
            } else {
                out.extend_from_slice(field);
            }
        }
        out.extend_from_slice(&self.body);
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The addresses of an address-list header value: `"Name" <a@b>, c@d`. Commas inside quotes
/// or angle brackets do not separate.
fn addresses(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut angle) = (false, false);
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .filter_map(|part| {
            let address = match (part.rfind('<'), part.rfind('>')) {
                (Some(open), Some(close)) if open < close => part.get(open + 1..close)?,
                _ => part.as_str(),
            };
            let address = address.trim();
            address.contains('@').then(|| address.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &[u8] = b"Message-ID: <arrears-2026-11-30-abc@example.com>\r\n\
        Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n\
        From: \"Gilboa, Ltd\" <billing@example.com>\r\n\
        To: =?utf-8?b?157XkNek15nXmdeq?=\r\n <office@galil.example>\r\n\
        Subject: =?utf-8?b?16rXlteb15XXqNeqINec16rXqdec15XXnQ==?=\r\n\
        X-Unsent: 1\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Body\r\nX-Unsent: 1 stays in the body\r\n";

    #[test]
    fn a_draft_goes_out_as_written_without_x_unsent() {
        let draft = Draft::parse(DRAFT, "2026-11-30", "C1").unwrap();
        assert_eq!(draft.message_id, "arrears-2026-11-30-abc@example.com");
        assert_eq!(draft.from, "billing@example.com");
        assert_eq!(draft.to, ["office@galil.example"]);
        let out = draft.outgoing();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(!text.contains("X-Unsent: 1\r\nMIME"), "{text}");
        assert!(text.contains("X-Unsent: 1 stays in the body"));
        let expected =
            String::from_utf8(DRAFT.to_vec())
                .unwrap()
                .replacen("X-Unsent: 1\r\n", "", 1);
        assert_eq!(text, expected);
    }

    #[test]
    fn a_test_send_is_readdressed_and_marked() {
        let draft = Draft::parse(DRAFT, "2026-11-30", "C1").unwrap();
        let text =
            String::from_utf8(draft.for_test("me@office.example", "test-1@example.com")).unwrap();
        assert!(
            text.starts_with(
                "Message-ID: <test-1@example.com>\r\nX-Original-To: office@galil.example\r\n"
            ),
            "{text}"
        );
        assert!(text.contains("\r\nTo: <me@office.example>\r\n"), "{text}");
        assert!(text.contains("\r\nSubject: [TEST] =?utf-8?b?"), "{text}");
        assert!(!text.contains("abc@example.com"), "{text}");
        assert!(!text.contains("galil.example>"), "{text}");
    }

    #[test]
    fn a_draft_without_message_id_gets_one_from_run_client_and_content() {
        let bare = b"From: a@example.com\nTo: b@example.com\nSubject: x\n\nhello\n";
        let one = Draft::parse(bare, "2026-11-30", "C1").unwrap();
        let two = Draft::parse(bare, "2026-11-30", "C1").unwrap();
        let other = Draft::parse(bare, "2026-11-30", "C2").unwrap();
        assert_eq!(one.message_id, two.message_id);
        assert_ne!(one.message_id, other.message_id);
        assert!(one.message_id.ends_with("@example.com"));
        let out = String::from_utf8(one.outgoing()).unwrap();
        assert!(out.starts_with(&format!("Message-ID: <{}>\n", one.message_id)));
    }

    #[test]
    fn a_draft_without_a_sender_or_recipient_is_refused() {
        let err = Draft::parse(b"To: b@example.com\r\n\r\nx", "r", "c").unwrap_err();
        assert!(err.contains("[company] email"), "{err}");
        let err = Draft::parse(b"From: a@example.com\r\n\r\nx", "r", "c").unwrap_err();
        assert!(err.contains("To"), "{err}");
        assert!(Draft::parse(b"garbage", "r", "c").is_err());
    }

    #[test]
    fn address_lists_split_outside_quotes_and_brackets() {
        assert_eq!(
            addresses("\"Doe, John\" <j@x.com>, k@y.com, <l@z.com>"),
            ["j@x.com", "k@y.com", "l@z.com"]
        );
    }
}
