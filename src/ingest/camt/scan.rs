//! One entry's tree, read from its bytes without a general XML reader.
//!
//! An entry of a bank statement is plain markup: start and end tags, a few attributes (the
//! amount's `Ccy`), text with the odd entity reference. This reads exactly that, into the
//! [`Tree`] the one-pass reader builds, and gives up (`None`) on everything else — a
//! comment, a `CDATA` section, a processing instruction, an end tag that does not match, an
//! attribute that is not `name="value"`, an unknown entity — so the caller can hand the document
//! to the general reader, which either reads it the same way or names the place of its error.

use std::borrow::Cow;

use memchr::memchr;

use super::tree::Tree;
use super::{local, MAX_DEPTH};

/// Fills `tree` with the one element `text` holds, opening `depth` levels deep in the
/// document; `stack` is room for the open elements, kept from one entry to the next. `None` when `text` is not exactly one element of plain markup within the depth
/// limit.
pub(super) fn tree<'a>(
    tree: &mut Tree<'a>,
    stack: &mut Vec<(u32, &'a str)>,
    text: &'a str,
    depth: usize,
) -> Option<()> {
    let bytes = text.as_bytes();
    // The open elements: their positions in the tree and their qualified names.
    stack.clear();
    let mut at = 0;
    loop {
        let lt = at + memchr(b'<', bytes.get(at..)?)?;
        if lt > at {
            let (open, _) = stack.last()?;
            pieces(tree, *open, text.get(at..lt)?)?;
        }
        match *bytes.get(lt + 1)? {
            b'/' => {
                let (name, end) = end_tag(text, lt + 2)?;
                let (_, open) = stack.pop()?;
                if open != name {
                    return None;
                }
                if stack.is_empty() {
                    // The element is complete: nothing may follow it.
                    return (end == text.len()).then_some(());
                }
                at = end;
            }
            b'!' | b'?' => return None,
            _ => {
                if depth + stack.len() >= MAX_DEPTH {
                    return None;
                }
                let (name, ccy, empty, end) = start_tag(text, lt + 1)?;
                let parent = stack.last().map(|(open, _)| *open);
                let opened = tree.open(parent, Cow::Borrowed(local(name)), ccy.map(Cow::Borrowed));
                if !empty {
                    stack.push((opened, name));
                } else if stack.is_empty() {
                    return (end == text.len()).then_some(());
                }
                at = end;
            }
        }
    }
}

/// A byte that may stand in an element or attribute name (any byte of a non-ASCII character).
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-') || b >= 0x80
}

/// The name at `from` and where it ends; `None` for an empty one.
fn name_at(text: &str, from: usize) -> Option<(&str, usize)> {
    let len = text
        .as_bytes()
        .get(from..)?
        .iter()
        .position(|&b| !name_byte(b))?;
    (len > 0).then(|| Some((text.get(from..from + len)?, from + len)))?
}

/// `from + k`, past the ASCII whitespace at `from`.
fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
    })
}

/// The end tag whose name starts at `from`: its name and the byte after its `>`.
fn end_tag(text: &str, from: usize) -> Option<(&str, usize)> {
    let (name, after) = name_at(text, from)?;
    let close = skip_space(text.as_bytes(), after);
    (text.as_bytes().get(close) == Some(&b'>')).then_some((name, close + 1))
}

/// The start tag whose name starts at `from`: its name, its `Ccy` attribute (trimmed),
/// whether it is empty (`<a/>`), and the byte after its `>`.
fn start_tag(text: &str, from: usize) -> Option<(&str, Option<&str>, bool, usize)> {
    let bytes = text.as_bytes();
    let (name, mut at) = name_at(text, from)?;
    let mut ccy = None;
    // The attributes met so far, to refuse one given twice; an entry's elements have one or
    // two, and more than four are left to the general reader.
    let mut keys: [&str; 4] = [""; 4];
    let mut count = 0;
    loop {
        let next = skip_space(bytes, at);
        match *bytes.get(next)? {
            b'>' => return Some((name, ccy, false, next + 1)),
            b'/' => {
                return (bytes.get(next + 1) == Some(&b'>')).then_some((name, ccy, true, next + 2))
            }
            // An attribute must be apart from what comes before it.
            _ if next == at => return None,
            _ => {}
        }
        let (key, after) = name_at(text, next)?;
        let eq = skip_space(bytes, after);
        if bytes.get(eq) != Some(&b'=') {
            return None;
        }
        let open = skip_space(bytes, eq + 1);
        let quote = *bytes.get(open)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let len = memchr(quote, bytes.get(open + 1..)?)?;
        let value = text.get(open + 1..open + 1 + len)?;
        // What the general reader would unescape or normalise is left to it.
        if value
            .bytes()
            .any(|b| matches!(b, b'<' | b'&' | b'\t' | b'\r' | b'\n'))
            || keys.get(..count)?.contains(&key)
        {
            return None;
        }
        *keys.get_mut(count)? = key;
        count += 1;
        if ccy.is_none() && local(key) == "Ccy" {
            ccy = Some(value.trim());
        }
        at = open + 1 + len + 1;
    }
}

/// Text between two tags, added to the element at `at` piece by piece as the general reader
/// gives it: plain text (its line ends normalised) and entity references, each on its own.
fn pieces<'a>(tree: &mut Tree<'a>, at: u32, text: &'a str) -> Option<()> {
    let mut rest = text;
    while !rest.is_empty() {
        let amp = memchr(b'&', rest.as_bytes()).unwrap_or(rest.len());
        if amp > 0 {
            let plain = rest.get(..amp)?;
            // The indentation between elements is passed over, as `append` would.
            if tree.has_text(at) || !plain.bytes().all(|b| b.is_ascii_whitespace()) {
                tree.append(at, line_ends(plain));
            }
        }
        rest = rest.get(amp..)?;
        if rest.is_empty() {
            break;
        }
        let semi = memchr(b';', rest.as_bytes())?;
        tree.append(at, Cow::Owned(reference(rest.get(1..semi)?)?.to_string()));
        rest = rest.get(semi + 1..)?;
    }
    Some(())
}

/// XML's line ends as one `\n` each (`\r\n` and a lone `\r`).
fn line_ends(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The character an entity reference (`amp`, `#233`, `#x5D0`) stands for: the five XML
/// predefines and character references to printable characters; `None` for anything else.
fn reference(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => match name.strip_prefix("#x") {
            Some(hex) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()?
            }
            Some(_) => return None,
            None => {
                let decimal = name.strip_prefix('#')?;
                if !decimal.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                decimal.parse().ok()?
            }
        },
    };
    char::from_u32(code).filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}
