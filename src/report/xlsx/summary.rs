//! The `Summary` sheet (totals by bucket and currency, the key figures, risk counts, notes and a
//! chart per currency) and the key figures it shows: DSO and CEI per currency.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartFont, ChartFormat, ChartPoint, ChartSolidFill, ChartType, Color, Worksheet,
    XlsxError,
};

use super::styles::{Styles, FONT};
use super::table::{col_num, sheet_name, write_text, Sheet};
use super::STAND_OUT_DAYS;
use crate::classify::Risk;
use crate::config::Config;
use crate::model::Ledger;
use crate::reconcile::{AllocationSource, Reconciliation};
use crate::report::{workbook_text, Input};

/// Days of sales the DSO looks back over.
const DSO_DAYS: u32 = 90;

/// DSO and CEI of one currency, with the figures they are computed from (README, "The
/// workbook").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyFigures {
    /// Open receivables at the as-of date (the sum of the aging buckets).
    pub open: Decimal,
    /// The `Not due` bucket at the as-of date.
    pub current: Decimal,
    /// Invoices net of credit notes dated in the 90 days up to the as-of date.
    pub sales_90: Decimal,
    /// `open / sales_90 * 90`, `None` without sales.
    pub dso: Option<Decimal>,
    /// The day before the CEI month starts: the as-of date one month earlier.
    pub month_start: NaiveDate,
    /// Receivables open at `month_start`, rebuilt from the documents and dated allocations.
    pub beginning: Decimal,
    /// Invoices net of credit notes dated after `month_start`, up to the as-of date.
    pub sales_month: Decimal,
    /// `(beginning + sales_month - open) / (beginning + sales_month - current)`, as a fraction.
    pub cei: Option<Decimal>,
}

/// The key figures per currency (every currency with open items, invoices or payments).
#[must_use]
pub fn key_figures(
    ledger: &Ledger,
    recon: &Reconciliation,
    totals: &BTreeMap<String, Vec<Decimal>>,
    as_of: NaiveDate,
) -> BTreeMap<String, KeyFigures> {
    let month_start = as_of.checked_sub_months(Months::new(1)).unwrap_or(as_of);
    let dso_start = as_of
        .checked_sub_days(Days::new(u64::from(DSO_DAYS)))
        .unwrap_or(as_of);
    let mut figures: BTreeMap<String, KeyFigures> = BTreeMap::new();
    let blank = KeyFigures {
        month_start,
        ..KeyFigures::default()
    };
    for inv in ledger.invoices.iter().filter(|i| i.date <= as_of) {
        if !figures.contains_key(&*inv.currency) {
            figures.insert(inv.currency.to_string(), blank.clone());
        }
        let Some(f) = figures.get_mut(&*inv.currency) else {
            continue;
        };
        if inv.date > dso_start {
            f.sales_90 += inv.amount;
        }
        if inv.date > month_start {
            f.sales_month += inv.amount;
        } else {
            f.beginning += inv.amount - inv.prepaid;
        }
    }
    // Money received on or before the month start, for documents that existed then. Credit
    // notes only move balances between documents of the same currency (their own amounts are
    // in the sums above); write-offs are undated and fall at the as-of date.
    for a in &recon.allocations {
        let (Some(date), Some(invoice)) = (a.date, a.invoice) else {
            continue;
        };
        if matches!(a.source, AllocationSource::CreditNote(_)) || date > month_start {
            continue;
        }
        if ledger.invoices[invoice].date <= month_start {
            if let Some(f) = figures.get_mut(&*a.currency) {
                f.beginning -= a.amount;
            }
        }
    }
    for (currency, buckets) in totals {
        let f = figures
            .entry(currency.clone())
            .or_insert_with(|| blank.clone());
        f.open = buckets.iter().copied().sum();
        f.current = buckets.first().copied().unwrap_or_default();
    }
    for f in figures.values_mut() {
        if f.sales_90 > Decimal::ZERO {
            f.dso = Some(f.open / f.sales_90 * Decimal::from(DSO_DAYS));
        }
        let denominator = f.beginning + f.sales_month - f.current;
        if denominator > Decimal::ZERO {
            f.cei = Some((f.beginning + f.sales_month - f.open) / denominator);
        }
    }
    figures
}

// ---------------------------------------------------------------------------------------------
// Summary

#[allow(clippy::too_many_lines)]
pub(super) fn write_summary(
    ws: &mut Worksheet,
    st: &Styles,
    config: &Config,
    o: &Input,
    continued: &[(&str, usize)],
) -> Result<(), XlsxError> {
    ws.set_name("Summary")?;
    ws.set_right_to_left(config.workbook_rtl);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 1);
    ws.set_screen_gridlines(false);
    let figures = key_figures(&o.ledger, &o.recon, &o.class.totals, o.as_of);
    let mut currencies: BTreeSet<&str> = o.class.totals.keys().map(String::as_str).collect();
    currencies.extend(o.recon.unapplied.iter().map(|u| &*u.currency));
    currencies.extend(figures.keys().map(String::as_str));
    let currencies: Vec<&str> = currencies.into_iter().collect();
    let wide = currencies.len().max(4);
    ws.set_column_width(0, 40)?;
    for c in 1..=wide {
        ws.set_column_width(col_num(c), 16)?;
    }

    ws.write_string_with_format(0, 0, "Receivables aging report", &st.title)?;
    ws.set_row_height(0, 26)?;
    let mut row = 1;
    if let Some(name) = &config.company.name {
        ws.write_string_with_format(row, 0, workbook_text(name), &st.subtitle)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "As of", &st.label)?;
    Sheet::date(ws, row, 1, o.as_of, &st.date_left, None)?;
    row += 1;
    ws.write_string_with_format(row, 0, "Read", &st.label)?;
    ws.write_string_with_format(
        row,
        1,
        format!(
            "{} invoices and credit notes, {} payments, {} clients, from {} inputs",
            o.ledger.invoices.len(),
            o.ledger.payments.len(),
            o.ledger.clients.len(),
            o.ledger.inputs.len()
        ),
        &st.label,
    )?;
    row += 1;
    ws.write_string_with_format(row, 0, "Written by", &st.label)?;
    ws.write_string_with_format(
        row,
        1,
        format!("arrears {}", env!("CARGO_PKG_VERSION")),
        &st.label,
    )?;
    row += 2;

    // Open receivables by age, one column per currency.
    let section = |ws: &mut Worksheet, row: u32, title: &str, heads: &[&str]| {
        ws.write_string_with_format(row, 0, title, &st.section)?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(row, col_num(c + 1), *h, &st.section_right)?;
        }
        for c in heads.len() + 1..=wide {
            ws.write_blank(row, col_num(c), &st.section)?;
        }
        Ok::<(), XlsxError>(())
    };
    let aging_top = row;
    section(ws, row, "Open receivables by age", &currencies)?;
    row += 1;
    let buckets_first = row;
    let labels = &o.class.bucket_labels;
    let zero = vec![Decimal::ZERO; labels.len()];
    for (b, label) in labels.iter().enumerate() {
        ws.write_string_with_format(row, 0, label, &st.label)?;
        for (c, cur) in currencies.iter().enumerate() {
            let amounts = o.class.totals.get(*cur).unwrap_or(&zero);
            Sheet::money(ws, row, col_num(c + 1), amounts[b], st.money(cur), None)?;
        }
        row += 1;
    }
    let buckets_last = row - 1;
    let per_currency =
        |f: &dyn Fn(&str) -> Decimal| -> Vec<Decimal> { currencies.iter().map(|c| f(c)).collect() };
    let open = per_currency(&|c| {
        o.class
            .totals
            .get(c)
            .map(|b| b.iter().copied().sum())
            .unwrap_or_default()
    });
    let overdue = per_currency(&|c| {
        o.class
            .totals
            .get(c)
            .map(|b| b.iter().skip(1).copied().sum())
            .unwrap_or_default()
    });
    let credits = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.unapplied_credit)
            .sum()
    });
    let net = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.net_balance)
            .sum()
    });
    let unmatched = per_currency(&|c| {
        o.recon
            .unapplied
            .iter()
            .filter(|u| u.client.is_none() && *u.currency == *c)
            .map(|u| u.amount)
            .sum()
    });
    let money_row = |ws: &mut Worksheet, row: u32, label: &str, values: &[Decimal], bold: bool| {
        ws.write_string_with_format(row, 0, label, if bold { &st.bold } else { &st.label })?;
        for (c, (cur, v)) in currencies.iter().zip(values).enumerate() {
            let format = if bold {
                st.money_bold(cur)
            } else {
                st.money(cur)
            };
            Sheet::money(ws, row, col_num(c + 1), *v, format, None)?;
        }
        Ok::<(), XlsxError>(())
    };
    money_row(ws, row, "Total open", &open, true)?;
    row += 1;
    money_row(ws, row, "Overdue (1 day or more)", &overdue, false)?;
    row += 1;
    ws.write_string_with_format(row, 0, "Share overdue", &st.label)?;
    for (c, (o_, d)) in open.iter().zip(&overdue).enumerate() {
        if *o_ > Decimal::ZERO {
            let share = (*d / *o_).to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), share, &st.percent)?;
        }
    }
    row += 1;
    money_row(ws, row, "Client credits (unapplied)", &credits, false)?;
    row += 1;
    money_row(ws, row, "Net balance (open − credits)", &net, false)?;
    row += 1;
    money_row(
        ws,
        row,
        "Unmatched payments (sheet Unapplied)",
        &unmatched,
        false,
    )?;
    row += 1;
    let withheld = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.withheld)
            .sum()
    });
    let fees = per_currency(&|c| {
        o.class
            .clients
            .iter()
            .filter(|s| s.currency == c)
            .map(|s| s.fees)
            .sum()
    });
    money_row(
        ws,
        row,
        "Withheld at source (certificates to collect)",
        &withheld,
        false,
    )?;
    row += 1;
    money_row(ws, row, "Bank fees closed", &fees, false)?;
    row += 2;

    // Key figures.
    section(ws, row, "Key figures", &currencies)?;
    row += 1;
    let month_start = o
        .as_of
        .checked_sub_months(Months::new(1))
        .unwrap_or(o.as_of);
    let dso_start = o
        .as_of
        .checked_sub_days(Days::new(u64::from(DSO_DAYS)))
        .unwrap_or(o.as_of);
    let get = |c: &str| figures.get(c).cloned().unwrap_or_default();
    ws.write_string_with_format(row, 0, "DSO, days sales outstanding", &st.label)?;
    for (c, cur) in currencies.iter().enumerate() {
        if let Some(dso) = get(cur).dso {
            let v = dso.to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), v, &st.days)?;
        } else {
            ws.write_string_with_format(row, col_num(c + 1), "n/a", &st.note)?;
        }
    }
    row += 1;
    let v = per_currency(&|c| get(c).open);
    money_row(ws, row, "   open receivables", &v, false)?;
    ws.set_cell_format(row, 0, &st.indent)?;
    row += 1;
    let v = per_currency(&|c| get(c).sales_90);
    let label = format!(
        "   ÷ sales {} to {} × {DSO_DAYS}",
        dso_start + Days::new(1),
        o.as_of
    );
    money_row(ws, row, &label, &v, false)?;
    ws.set_cell_format(row, 0, &st.indent)?;
    row += 1;
    ws.write_string_with_format(row, 0, "CEI, collection effectiveness (month)", &st.label)?;
    for (c, cur) in currencies.iter().enumerate() {
        if let Some(cei) = get(cur).cei {
            let v = cei.to_f64().unwrap_or(0.0);
            ws.write_number_with_format(row, col_num(c + 1), v, &st.percent)?;
        } else {
            ws.write_string_with_format(row, col_num(c + 1), "n/a", &st.note)?;
        }
    }
    row += 1;
    for (label, pick) in [
        (
            format!("   receivables at {month_start} (B)"),
            (|f: &KeyFigures| f.beginning) as fn(&KeyFigures) -> Decimal,
        ),
        (
            format!("   sales {} to {} (S)", month_start + Days::new(1), o.as_of),
            |f: &KeyFigures| f.sales_month,
        ),
        (
            format!("   receivables at {} (E)", o.as_of),
            |f: &KeyFigures| f.open,
        ),
        (
            "   of which not yet due (C)".to_string(),
            |f: &KeyFigures| f.current,
        ),
    ] {
        let v = per_currency(&|c| pick(&get(c)));
        money_row(ws, row, &label, &v, false)?;
        ws.set_cell_format(row, 0, &st.indent)?;
        row += 1;
    }
    ws.write_string_with_format(
        row,
        0,
        "   CEI = (B + S − E) ÷ (B + S − C); formulas in the README",
        &st.note,
    )?;
    row += 2;

    // Clients by level and risk.
    let risks = [Risk::Low, Risk::Medium, Risk::High];
    section(
        ws,
        row,
        "Clients by level and risk (client × currency)",
        &["low", "medium", "high", "total"],
    )?;
    row += 1;
    let mut levels: Vec<&str> = vec!["none"];
    levels.extend(config.dunning_levels.iter().map(|l| l.name.as_str()));
    let mut counts: BTreeMap<(&str, Risk), i64> = BTreeMap::new();
    for c in &o.class.clients {
        *counts.entry((c.level_name(config), c.risk)).or_default() += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let count_row = |ws: &mut Worksheet, row: u32, label: &str, n: &[i64], bold: bool| {
        ws.write_string_with_format(row, 0, label, if bold { &st.bold } else { &st.label })?;
        for (c, v) in n.iter().enumerate() {
            let f = if bold { &st.int_bold } else { &st.int };
            ws.write_number_with_format(row, col_num(c + 1), *v as f64, f)?;
        }
        Ok::<(), XlsxError>(())
    };
    let mut column_totals = [0i64; 4];
    for level in &levels {
        let mut n: Vec<i64> = risks
            .iter()
            .map(|r| counts.get(&(*level, *r)).copied().unwrap_or(0))
            .collect();
        n.push(n.iter().sum());
        for (t, v) in column_totals.iter_mut().zip(&n) {
            *t += v;
        }
        count_row(ws, row, level, &n, false)?;
        row += 1;
    }
    count_row(ws, row, "Total", &column_totals, true)?;
    row += 2;

    // Changes since the previous run.
    let changes = &o.changes;
    let title = match &changes.previous_run {
        Some(date) => format!("Changes since the run of {date}"),
        None => "Changes since the last run".to_string(),
    };
    section(ws, row, &title, &[])?;
    row += 1;
    if changes.previous_run.is_none() {
        ws.write_string_with_format(
            row,
            0,
            "First run in this output folder: nothing to compare with.",
            &st.note,
        )?;
        row += 1;
    } else {
        let name_of = |id: &String| -> String {
            match o.ledger.clients.get(id) {
                Some(c) if !c.name.is_empty() && c.name != *id => format!("{} ({id})", c.name),
                _ => id.clone(),
            }
        };
        for (label, list, payments) in [
            ("Newly overdue", &changes.newly_overdue, false),
            ("Escalated to a higher level", &changes.escalated, false),
            ("No longer overdue", &changes.cured, false),
            (
                "Promised payment date passed",
                &changes.promises_broken,
                false,
            ),
            ("New unmatched payments", &changes.new_unmatched, true),
        ] {
            ws.write_string_with_format(row, 0, label, &st.label)?;
            #[allow(clippy::cast_precision_loss)]
            ws.write_number_with_format(row, 1, list.len() as f64, &st.int)?;
            let shown: Vec<String> = list
                .iter()
                .take(8)
                .map(|id| if payments { id.clone() } else { name_of(id) })
                .collect();
            let mut text = shown.join(", ");
            if list.len() > shown.len() {
                text.push_str(&format!(" and {} more", list.len() - shown.len()));
            }
            write_text(ws, st, row, 2, &text, None)?;
            row += 1;
        }
    }
    row += 1;

    // Notes.
    section(ws, row, "Notes", &[])?;
    row += 1;
    let errors = o
        .ledger
        .issues
        .iter()
        .filter(|i| i.severity == crate::model::Severity::Error)
        .count();
    let mut notes = vec![
        format!(
            "Issues in the inputs: {errors} errors, {} warnings (sheet Issues).",
            o.ledger.issues.len() - errors
        ),
        "Amounts in different currencies are never added together.".to_string(),
        format!(
            "Rows with an item {STAND_OUT_DAYS} or more days overdue are shaded red; totals rows count the rows a filter shows."
        ),
    ];
    for (name, sheets) in continued {
        notes.push(format!(
            "{name} is longer than one sheet: it continues on {}.",
            (1..*sheets)
                .map(|p| format!("'{}'", sheet_name(name, p)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for note in notes {
        ws.write_string_with_format(row, 0, note, &st.note)?;
        row += 1;
    }

    // One chart per currency beside the aging table: the buckets at a glance.
    let chart_col = col_num(wide + 2);
    for (c, cur) in currencies.iter().enumerate() {
        let mut chart = Chart::new(ChartType::Column);
        let value_col = col_num(c + 1);
        let colors = bucket_colors(labels.len());
        let points: Vec<ChartPoint> = colors
            .iter()
            .map(|rgb| {
                ChartPoint::new().set_format(
                    ChartFormat::new()
                        .set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(*rgb)))
                        .set_no_border(),
                )
            })
            .collect();
        chart
            .add_series()
            .set_categories(("Summary", buckets_first, 0, buckets_last, 0))
            .set_values(("Summary", buckets_first, value_col, buckets_last, value_col))
            .set_points(&points)
            .set_gap(60);
        let mut font = ChartFont::new();
        font.set_name(FONT).set_size(9);
        let mut title_font = ChartFont::new();
        title_font.set_name(FONT).set_size(12).set_bold();
        chart
            .title()
            .set_name(&format!("Open {cur} by days overdue"))
            .set_font(&title_font);
        chart.legend().set_hidden();
        chart
            .y_axis()
            .set_num_format("#,##0")
            .set_font(&font)
            .set_major_gridlines(true);
        chart.x_axis().set_font(&font);
        chart.set_width(520).set_height(300);
        let chart_row = aging_top + u32::try_from(c).unwrap_or(0) * 16;
        ws.insert_chart(chart_row, chart_col, &chart)?;
    }
    Ok(())
}

/// Bucket colours from green (not due) through amber to dark red (oldest).
fn bucket_colors(n: usize) -> Vec<u32> {
    const RAMP: [u32; 6] = [
        0x70_AD_47, 0xC9_D6_5B, 0xFF_C0_00, 0xF4_8C_1F, 0xE0_3C_31, 0x9C_00_06,
    ];
    (0..n)
        .map(|i| {
            if n <= 1 {
                RAMP[0]
            } else {
                RAMP[(i * (RAMP.len() - 1) + (n - 1) / 2) / (n - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::bucket_colors;

    #[test]
    fn bucket_colours_run_from_green_to_dark_red() {
        let c = bucket_colors(6);
        assert_eq!(c.first(), Some(&0x70_AD_47));
        assert_eq!(c.last(), Some(&0x9C_00_06));
        assert_eq!(bucket_colors(3).len(), 3);
    }
}
