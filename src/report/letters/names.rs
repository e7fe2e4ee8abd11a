//! Letter file names: `<client id>-<client name>`, made safe for every file system the office
//! may copy the run folder to.
//!
//! Letters and digits of any script are kept (Hebrew names stay readable); everything else —
//! path separators, dots, quotes, control and bidi characters, emoji — becomes `_`, runs of
//! `_` collapse, and no name starts or ends with `_`, `-` or `.`. A stem is at most
//! [`MAX_STEM`] characters, never a reserved Windows device name (`CON`, `NUL`, `COM1`...), and
//! unique among the run's letters even when two clients sanitise to the same text (compared
//! without case, as Windows and macOS do): later ones get `-2`, `-3`...

use std::collections::BTreeSet;

/// The longest stem, in characters (Hebrew takes two bytes each: well under 255 bytes).
pub const MAX_STEM: usize = 60;

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One part of a name: letters and digits kept, anything else `_`, runs collapsed, trimmed.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep = c.is_alphanumeric() || c == '-';
        let c = if keep { c } else { '_' };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['_', '-']).to_string()
}

/// The stem for a client, before de-duplication.
#[must_use]
pub fn stem(client_id: &str, client_name: &str) -> String {
    let id = clean(client_id);
    let name = clean(client_name);
    let mut stem = match (id.is_empty(), name.is_empty() || name == id) {
        (true, true) => "client".to_string(),
        (true, false) => name,
        (false, true) => id,
        (false, false) => format!("{id}-{name}"),
    };
    if stem.chars().count() > MAX_STEM {
        stem = stem.chars().take(MAX_STEM).collect();
        stem = stem.trim_end_matches(['_', '-']).to_string();
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&stem)) {
        stem.push('_');
    }
    stem
}

/// Stems for clients in order, unique without regard to case.
#[must_use]
pub fn unique_stems<'a>(clients: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    clients
        .into_iter()
        .map(|(id, name)| {
            let base = stem(id, name);
            let mut candidate = base.clone();
            let mut n = 1;
            while !seen.insert(candidate.to_lowercase()) {
                n += 1;
                candidate = format!("{base}-{n}");
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_plain_file_names() {
        assert_eq!(stem("C1", "Alpha Ltd"), "C1-Alpha_Ltd");
        assert_eq!(stem("C2", "בית הקפה בע\"מ"), "C2-בית_הקפה_בע_מ");
        assert_eq!(stem("../../etc", "passwd"), "etc-passwd");
        assert_eq!(stem("", "CON"), "CON_");
        assert_eq!(stem("nul", ""), "nul_");
        assert_eq!(stem("C3", ".hidden"), "C3-hidden");
        assert_eq!(
            stem("C4", "<script>alert(1)</script>"),
            "C4-script_alert_1_script"
        );
        assert_eq!(stem("C5", "\u{202E}evil\u{200F} 😀 co"), "C5-evil_co");
        assert_eq!(stem("C6", "a\u{0}b\tc"), "C6-a_b_c");
        assert_eq!(stem("", ""), "client");
        let long = stem("C7", &"א".repeat(300));
        assert_eq!(long.chars().count(), MAX_STEM);
    }

    #[test]
    fn stems_are_unique_without_regard_to_case() {
        let stems = unique_stems([("A/B", "x"), ("A_B", "x"), ("a-b", "X"), ("a_b", "x")]);
        assert_eq!(stems, ["A_B-x", "A_B-x-2", "a-b-X", "a_b-x-3"]);
    }
}
