//! `[company]`: the letterhead and payment details printed on letters, and their wording per
//! letter language (`[company.<language>]` over `[company]`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{invalid, ConfigError, RawCompany};

/// Letterhead and payment details printed on letters.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Company {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub vat_id: Option<String>,
    pub bank_details: Option<String>,
    pub payment_methods: Vec<String>,
    pub logo: Option<String>,
    pub signature: Option<String>,
    /// `[company.<language>]`: the wording of letters in that language, over the keys above
    /// (a bilingual office writes its name, address, bank details, payment methods and
    /// signature in each language).
    pub languages: BTreeMap<String, CompanyText>,
}

/// `[company.<language>]`: what changes with the letter's language.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CompanyText {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub bank_details: Option<String>,
    pub payment_methods: Option<Vec<String>>,
    pub signature: Option<String>,
}

/// The keys `[company]` takes, for the message about an unknown one.
const COMPANY_KEYS: &str = "name, address, phone, email, website, vat_id, bank_details, \
                            payment_methods, logo, signature, or a language table such as \
                            [company.en]";

pub(super) fn company(path: &Path, raw: RawCompany) -> Result<Company, ConfigError> {
    let mut languages = BTreeMap::new();
    for (key, value) in raw.other {
        let name = format!("company.{key}");
        let code = crate::ingest::value::parse_language(&key).filter(|code| *code == key);
        let Some(code) = code else {
            return Err(ConfigError::Parse {
                path: path.to_path_buf(),
                message: format!("unknown key `{name}`; [company] takes {COMPANY_KEYS}"),
            });
        };
        let toml::Value::Table(_) = value else {
            return Err(invalid(
                path,
                &name,
                &value,
                "expected a table of the letter wording in that language, e.g. [company.en] \
                 with name = \"...\"",
            ));
        };
        let text: CompanyText =
            value
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: format!("[{name}]: {}", e.message()),
                })?;
        languages.insert(code, text);
    }
    Ok(Company {
        name: raw.name,
        address: raw.address,
        phone: raw.phone,
        email: raw.email,
        website: raw.website,
        vat_id: raw.vat_id,
        bank_details: raw.bank_details,
        payment_methods: raw.payment_methods,
        logo: raw.logo,
        signature: raw.signature,
        languages,
    })
}

impl Company {
    /// The company as letters in `language` show it: `[company.<language>]` over `[company]`.
    #[must_use]
    pub fn in_language(&self, language: &str) -> Company {
        let mut company = self.clone();
        company.languages.clear();
        if let Some(text) = self.languages.get(language) {
            let pick = |own: &Option<String>, base: &mut Option<String>| {
                if own.is_some() {
                    base.clone_from(own);
                }
            };
            pick(&text.name, &mut company.name);
            pick(&text.address, &mut company.address);
            pick(&text.phone, &mut company.phone);
            pick(&text.website, &mut company.website);
            pick(&text.bank_details, &mut company.bank_details);
            pick(&text.signature, &mut company.signature);
            if let Some(methods) = &text.payment_methods {
                company.payment_methods.clone_from(methods);
            }
        }
        company
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{load, message};

    #[test]
    fn company_wording_per_language_overrides_the_default() {
        let config = load(
            "[company]\nname = \"גלבוע בע״מ\"\nemail = \"billing@example.com\"\n\
             payment_methods = [\"העברה בנקאית\"]\n\
             [company.en]\nname = \"Gilboa Ltd\"\npayment_methods = [\"Bank transfer\"]\n",
        )
        .unwrap();
        let en = config.company.in_language("en");
        assert_eq!(en.name.as_deref(), Some("Gilboa Ltd"));
        assert_eq!(en.payment_methods, ["Bank transfer"]);
        assert_eq!(en.email.as_deref(), Some("billing@example.com"), "kept");
        let he = config.company.in_language("he");
        assert_eq!(he.name.as_deref(), Some("גלבוע בע״מ"));
        assert_eq!(he.payment_methods, ["העברה בנקאית"]);
    }

    #[test]
    fn a_language_table_takes_only_the_wording_keys() {
        let msg = message("[company.en]\nemail = \"x@example.com\"\n");
        assert!(msg.contains("company.en"), "{msg}");
        assert!(msg.contains("signature"), "the allowed keys: {msg}");
        let msg = message("[company]\nen = \"Gilboa\"\n");
        assert!(msg.contains("company.en"), "{msg}");
    }
}
