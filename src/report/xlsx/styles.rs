//! The workbook's cell formats: one [`Styles`], made before any sheet is written and registered
//! in a fixed order, so that the same run gives the same file.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::model::minor_digits;
use crate::report::Input;

/// Cell formats, one money format per currency with the currency's minor digits.
pub(super) struct Styles {
    pub(super) title: Format,
    pub(super) subtitle: Format,
    pub(super) header: Format,
    pub(super) header_right: Format,
    pub(super) section: Format,
    pub(super) section_right: Format,
    pub(super) label: Format,
    pub(super) indent: Format,
    pub(super) bold: Format,
    pub(super) total_label: Format,
    pub(super) date: Format,
    pub(super) date_left: Format,
    pub(super) int: Format,
    pub(super) int_bold: Format,
    pub(super) mean: Format,
    pub(super) days: Format,
    pub(super) percent: Format,
    pub(super) note: Format,
    pub(super) text: Format,
    pub(super) link: Format,
    pub(super) stand_out: Format,
    pub(super) money: BTreeMap<String, Format>,
    pub(super) money_total: BTreeMap<String, Format>,
    pub(super) money_bold: BTreeMap<String, Format>,
}

pub(super) const FONT: &str = "Calibri";
const HEADER_FILL: u32 = 0x1F_4E_79;
const SECTION_FILL: u32 = 0xDD_EB_F7;
const TOTAL_FILL: u32 = 0xF2_F2_F2;

impl Styles {
    pub(super) fn new(o: &Input, rtl: bool) -> Styles {
        let base = || Format::new().set_font_name(FONT).set_font_size(10);
        // Hebrew text would otherwise align to the right in a left-to-right sheet (LibreOffice).
        let text = || {
            if rtl {
                base()
            } else {
                base().set_align(FormatAlign::Left)
            }
        };
        let header = base()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(HEADER_FILL))
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
            .set_border_bottom(FormatBorder::Thin);
        let section = base()
            .set_bold()
            .set_font_size(11)
            .set_background_color(Color::RGB(SECTION_FILL))
            .set_border_bottom(FormatBorder::Thin);
        let total = || {
            base()
                .set_bold()
                .set_background_color(Color::RGB(TOTAL_FILL))
                .set_border_top(FormatBorder::Thin)
                .set_border_bottom(FormatBorder::Thin)
        };
        let mut currencies: BTreeSet<&str> = BTreeSet::new();
        currencies.extend(o.ledger.invoices.iter().map(|i| &*i.currency));
        currencies.extend(o.ledger.payments.iter().map(|p| &*p.currency));
        currencies.extend(o.recon.allocations.iter().map(|a| &*a.currency));
        let mut money = BTreeMap::new();
        let mut money_total = BTreeMap::new();
        let mut money_bold = BTreeMap::new();
        for currency in currencies {
            let code = money_format(currency);
            money.insert(currency.to_string(), base().set_num_format(&code));
            money_total.insert(currency.to_string(), total().set_num_format(&code));
            money_bold.insert(
                currency.to_string(),
                base()
                    .set_bold()
                    .set_border_top(FormatBorder::Thin)
                    .set_num_format(&code),
            );
        }
        Styles {
            title: base()
                .set_bold()
                .set_font_size(18)
                .set_font_color(Color::RGB(HEADER_FILL)),
            subtitle: text().set_bold().set_font_size(12),
            header_right: header.clone().set_align(FormatAlign::Right),
            header,
            section_right: section.clone().set_align(FormatAlign::Right),
            section,
            label: base(),
            indent: base().set_indent(1).set_font_color(Color::RGB(0x59_59_59)),
            bold: base().set_bold().set_border_top(FormatBorder::Thin),
            total_label: total(),
            date: base().set_num_format("dd mmm yyyy"),
            date_left: base()
                .set_num_format("dd mmm yyyy")
                .set_align(FormatAlign::Left),
            int: base().set_num_format("#,##0"),
            int_bold: base()
                .set_bold()
                .set_border_top(FormatBorder::Thin)
                .set_num_format("#,##0"),
            mean: base().set_num_format("0.00"),
            days: base().set_num_format("#,##0.0"),
            percent: base().set_num_format("0.0%"),
            note: base().set_italic().set_font_color(Color::RGB(0x59_59_59)),
            text: text(),
            link: base()
                .set_font_color(Color::RGB(0x05_63_C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            stand_out: Format::new()
                .set_background_color(Color::RGB(0xFF_C7_CE))
                .set_font_color(Color::RGB(0x9C_00_06)),
            money,
            money_total,
            money_bold,
        }
    }

    /// Gives every format its number in the workbook, in a fixed order, before the table sheets
    /// are written side by side: the library numbers a format when a sheet first uses it, and
    /// sheets written at once would number them in a different order each run.
    pub(super) fn register(&self, workbook: &mut Workbook) -> Result<(), XlsxError> {
        let mut sheet = workbook.new_worksheet_with_constant_memory()?;
        let fixed = [
            &self.title,
            &self.subtitle,
            &self.header,
            &self.header_right,
            &self.section,
            &self.section_right,
            &self.label,
            &self.indent,
            &self.bold,
            &self.total_label,
            &self.date,
            &self.date_left,
            &self.int,
            &self.int_bold,
            &self.mean,
            &self.days,
            &self.percent,
            &self.note,
            &self.text,
            &self.link,
        ];
        let money = [&self.money, &self.money_total, &self.money_bold]
            .into_iter()
            .flat_map(BTreeMap::values);
        for format in fixed.into_iter().chain(money) {
            sheet.write_blank(0, 0, format)?;
        }
        Ok(())
    }

    pub(super) fn money(&self, currency: &str) -> &Format {
        self.money.get(currency).unwrap_or(&self.label)
    }

    pub(super) fn money_total(&self, currency: &str) -> &Format {
        self.money_total.get(currency).unwrap_or(&self.total_label)
    }

    pub(super) fn money_bold(&self, currency: &str) -> &Format {
        self.money_bold.get(currency).unwrap_or(&self.bold)
    }
}

/// The number format of a currency: its symbol where one is common, else its code, and exactly
/// its minor digits; negative amounts (credits) in red; zero as a dash.
pub(crate) fn money_format(currency: &str) -> String {
    let digits = minor_digits(currency) as usize;
    let number = if digits == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(digits))
    };
    let symbol = match currency {
        "ILS" => Some("₪"),
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        _ => None,
    };
    // A code from the data goes into a format string only after keeping letters alone.
    let code: String = currency.chars().filter(char::is_ascii_alphabetic).collect();
    match symbol {
        Some(s) => format!("\"{s}\"{number};[Red]-\"{s}\"{number};\"–\""),
        None => format!("{number} \"{code}\";[Red]-{number} \"{code}\";\"–\""),
    }
}

#[cfg(test)]
mod tests {
    use super::money_format;

    #[test]
    fn money_formats_follow_the_minor_digits() {
        assert_eq!(
            money_format("ILS"),
            "\"₪\"#,##0.00;[Red]-\"₪\"#,##0.00;\"–\""
        );
        assert_eq!(
            money_format("JPY"),
            "#,##0 \"JPY\";[Red]-#,##0 \"JPY\";\"–\""
        );
        assert_eq!(
            money_format("KWD"),
            "#,##0.000 \"KWD\";[Red]-#,##0.000 \"KWD\";\"–\""
        );
        assert_eq!(
            money_format("X\"Y"),
            "#,##0.00 \"XY\";[Red]-#,##0.00 \"XY\";\"–\""
        );
    }
}
