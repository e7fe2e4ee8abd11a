//! Hebrew text of the unified file: its character set and its order.
//!
//! The specification (section 2.4 ח) writes Windows exports in logical Hebrew, ISO-8859-8-i, and
//! DOS exports in CP-862; `INI.TXT` says which (field 1029). Windows-1255 is read for the first:
//! it holds ISO-8859-8's Hebrew letters at the same bytes and adds the shekel sign and the
//! vowel points some packages write. CP-862 is not in `encoding_rs`; its upper half is a
//! 128-entry table here. Some packages, mostly DOS ones, store Hebrew in *visual* order (the
//! letters as a left-to-right screen shows them, so every word is reversed); such text is
//! recognised by its final-form letters (ך ם ן ף ץ), which end a word in logical text and so
//! begin one in visual text, and turned around with digits and Latin runs kept readable.
//!
//! Every field is a fixed number of *characters*; in the single-byte character sets a character
//! is a byte. A UTF-8 file (not what the specification says, but seen) is read by characters.

use encoding_rs::WINDOWS_1255;

/// The character set a file is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// ISO-8859-8(-i), read as its superset Windows-1255 (`INI.TXT` field 1029 = 1).
    Windows1255,
    /// The DOS code page of Hebrew (`INI.TXT` field 1029 = 2).
    Cp862,
    /// Not in the specification; some newer packages write it.
    Utf8,
}

impl Charset {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Charset::Windows1255 => "ISO-8859-8 / windows-1255",
            Charset::Cp862 => "CP-862 (DOS)",
            Charset::Utf8 => "UTF-8",
        }
    }

    /// The text of a field's bytes.
    #[must_use]
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Windows1255 => WINDOWS_1255
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Charset::Cp862 => bytes
                .iter()
                .map(|&b| {
                    if b < 0x80 {
                        char::from(b)
                    } else {
                        CP862_HIGH[usize::from(b - 0x80)]
                    }
                })
                .collect(),
        }
    }
}

/// CP-862 from 0x80: the 27 Hebrew letters (א to ת, final forms in their place), then the
/// same symbols and box-drawing characters as CP-437.
const CP862_HIGH: [char; 128] = [
    'א', 'ב', 'ג', 'ד', 'ה', 'ו', 'ז', 'ח', 'ט', 'י', 'ך', 'כ', 'ל', 'ם', 'מ', 'ן', //
    'נ', 'ס', 'ע', 'ף', 'פ', 'ץ', 'צ', 'ק', 'ר', 'ש', 'ת', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{A0}',
];

/// What the bytes of a file say about its character set: `None` when they hold no Hebrew
/// letters in any of the three (plain ASCII decides nothing).
#[must_use]
pub fn charset_of(bytes: &[u8]) -> Option<Charset> {
    let mut dos = 0usize;
    let mut windows = 0usize;
    for &b in bytes {
        match b {
            0x80..=0x9A => dos += 1,
            0xE0..=0xFA => windows += 1,
            _ => {}
        }
    }
    if dos == 0 && windows == 0 {
        return None;
    }
    // UTF-8 Hebrew is 0xD7 followed by 0x90-0xAA: valid UTF-8 with such pairs is UTF-8.
    if std::str::from_utf8(bytes).is_ok() {
        return Some(Charset::Utf8);
    }
    Some(if dos > windows {
        Charset::Cp862
    } else {
        Charset::Windows1255
    })
}

fn is_hebrew_letter(c: char) -> bool {
    ('\u{05D0}'..='\u{05EA}').contains(&c)
}

fn is_final(c: char) -> bool {
    matches!(c, 'ך' | 'ם' | 'ן' | 'ף' | 'ץ')
}

/// Evidence of a text's order, summed over many fields: words whose final-form letter stands at
/// their end (logical order) and words where it stands at their start (visual order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderVotes {
    pub logical: usize,
    pub visual: usize,
}

impl OrderVotes {
    /// Counts the Hebrew words of `text`.
    pub fn add(&mut self, text: &str) {
        let mut word: Vec<char> = Vec::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if is_hebrew_letter(c) {
                word.push(c);
                continue;
            }
            if word.len() >= 2 {
                let first = word.first().copied().is_some_and(is_final);
                let last = word.last().copied().is_some_and(is_final);
                if last && !first {
                    self.logical += 1;
                } else if first && !last {
                    self.visual += 1;
                }
            }
            word.clear();
        }
    }

    /// Whether the text is in visual order: more words say so than say the opposite. With no
    /// evidence either way, the specification's logical order stands.
    #[must_use]
    pub fn is_visual(self) -> bool {
        self.visual > self.logical
    }
}

/// Characters that read left to right inside Hebrew text: digits and Latin letters.
fn is_ltr(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || (c.is_alphanumeric() && !is_hebrew_letter(c) && (c as u32) < 0x0590)
}

fn mirror(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        other => other,
    }
}

/// Visual-order text in logical order: the whole text reversed, then each run of digits and
/// Latin letters (with the spaces and punctuation between them) turned back so it reads as
/// written, and brackets outside those runs mirrored. Text without Hebrew letters is returned
/// as it is.
#[must_use]
pub fn to_logical(visual: &str) -> String {
    if !visual.chars().any(is_hebrew_letter) {
        return visual.to_string();
    }
    let mut chars: Vec<char> = visual.chars().rev().collect();
    let mut index = 0;
    while index < chars.len() {
        if !is_ltr(chars[index]) {
            chars[index] = mirror(chars[index]);
            index += 1;
            continue;
        }
        // The run goes on over anything but Hebrew and ends at its last LTR character.
        let mut end = index;
        let mut probe = index;
        while probe < chars.len() && !is_hebrew_letter(chars[probe]) {
            if is_ltr(chars[probe]) {
                end = probe;
            }
            probe += 1;
        }
        chars[index..=end].reverse();
        index = end + 1;
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp862_letters_and_symbols() {
        assert_eq!(Charset::Cp862.decode(&[0x80, 0x9A, 0x20, 0x41]), "את A");
        assert_eq!(Charset::Cp862.decode(&[0x8B, 0x84, 0x8F]), "כהן");
        assert_eq!(Charset::Cp862.decode(&[0x9E, 0xC4, 0xFF]), "₧─\u{A0}");
        assert_eq!(
            Charset::Windows1255.decode(&[0xEB, 0xE4, 0xEF, 0x20, 0xA4]),
            "כהן ₪"
        );
    }

    #[test]
    fn the_bytes_name_the_charset() {
        assert_eq!(charset_of(b"A100 plain ascii"), None);
        assert_eq!(
            charset_of(&[0x41, 0xEB, 0xE4, 0xEF]),
            Some(Charset::Windows1255)
        );
        assert_eq!(charset_of(&[0x41, 0x8B, 0x84, 0x8F]), Some(Charset::Cp862));
        assert_eq!(charset_of("כהן".as_bytes()), Some(Charset::Utf8));
    }

    #[test]
    fn final_letters_tell_the_order() {
        let mut votes = OrderVotes::default();
        votes.add("כהן ובניו בע\"מ");
        votes.add("שלום");
        assert_eq!(
            votes,
            OrderVotes {
                logical: 2,
                visual: 0
            }
        );
        assert!(!votes.is_visual());
        let mut votes = OrderVotes::default();
        votes.add("מ\"עב וינבו ןהכ");
        votes.add("םולש");
        assert_eq!(
            votes,
            OrderVotes {
                logical: 0,
                visual: 2
            }
        );
        assert!(votes.is_visual());
        assert!(!OrderVotes::default().is_visual());
    }

    #[test]
    fn visual_text_turns_around_with_numbers_and_latin_kept() {
        assert_eq!(to_logical("מ\"עב וינבו ןהכ"), "כהן ובניו בע\"מ");
        assert_eq!(to_logical("מ\"עב 123 הרבח"), "חברה 123 בע\"מ");
        assert_eq!(to_logical("ABC Ltd תרבח"), "חברת ABC Ltd");
        assert_eq!(to_logical("12/2026 ןובשח"), "חשבון 12/2026");
        assert_eq!(to_logical("(לארשי) הרבח"), "חברה (ישראל)");
        assert_eq!(to_logical("Acme Ltd"), "Acme Ltd");
        assert_eq!(to_logical(""), "");
    }

    proptest::proptest! {
        /// Turning text around is its own inverse: what a package stored visually from a
        /// logical name comes back as that name, whatever mix of Hebrew, Latin, digits, spaces
        /// and punctuation it holds.
        #[test]
        fn turning_around_twice_gives_the_text_back(
            text in "[\u{5d0}-\u{5ea}a-zA-Z0-9 ().,\"/-]{0,40}",
        ) {
            proptest::prop_assert_eq!(to_logical(&to_logical(&text)), text);
        }

        /// Whatever the bytes, decoding and ordering never fail and keep one character per
        /// byte in the single-byte character sets.
        #[test]
        fn any_bytes_decode(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            for charset in [Charset::Windows1255, Charset::Cp862] {
                let text = charset.decode(&bytes);
                proptest::prop_assert_eq!(text.chars().count(), bytes.len());
                let _ = to_logical(&text);
            }
            let _ = charset_of(&bytes);
        }
    }
}
