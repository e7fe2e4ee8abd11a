//! Statements of account (SPEC section 14): for every client with an open item, a non-zero
//! net balance or a movement in the period, one document per configured kind — `open-item`
//! (what is open, aged) and `activity` (the opening balance, every movement of the period with
//! a running balance, the closing balance) — with one section per currency, in the letter
//! formats (`html`, `txt`, `pdf`, and an `eml` draft with the PDF attached when the client has
//! an e-mail address), plus `statements/index.csv` and `statements/print-run.pdf` (every
//! statement of the clients without an e-mail address).
//!
//! Statements are facts, not reminders: flags that hold letters back do not hold them back.
//! The numbers come from [`account`] (the movements) and the classification (open items,
//! buckets, net balance); [`context`] formats them; the templates
//! (`<language>/statement-<kind>.<format>.tera`, built in and replaceable like the letters')
//! place them. A statement is written in the client's language when the templates speak it,
//! else in `[letters] language`, else in English.

pub mod account;
pub mod context;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use rayon::prelude::*;

use crate::config::Config;
use crate::report::csv::CsvOut;
use crate::report::letters::context::ClientBlock;
use crate::report::letters::{eml, names, Letterhead, Templates};
use crate::report::Input;

pub use account::{Account, Accounts};

/// The folder, inside the run folder, that holds the statements.
pub const FOLDER: &str = "statements";

/// What stops the statements from being written.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    /// A template or the typesetter failed for one statement.
    #[error("statement for client {client} ({file}): {message}")]
    Render {
        client: String,
        file: String,
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One client's statements: where they go and what they are made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub client: String,
    pub name: String,
    pub language: String,
    pub stem: String,
    pub email: Option<String>,
    /// Indices into `Accounts::list`: the client's currencies that get a section.
    pub accounts: Vec<usize>,
    /// Per kind (in the configured order): the files, relative to the run folder.
    pub files: Vec<(String, Vec<String>)>,
}

fn wants(config: &Config, format: &str) -> bool {
    config.letter_formats.iter().any(|f| f == format)
}

/// The first day of the activity period: `as-of − period_days + 1`.
#[must_use]
pub fn period_start(period_days: u32, as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(u64::from(period_days.saturating_sub(1))))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether `language` has every template the configured kinds and formats need.
fn speaks(config: &Config, templates: &Templates, language: &str) -> bool {
    let mut kinds: Vec<&str> = Vec::new();
    for format in &config.letter_formats {
        kinds.extend(match format.as_str() {
            "html" => &["html"][..],
            "txt" => &["txt"][..],
            "eml" => &["txt", "html"][..],
            "pdf" => &["typ"][..],
            _ => &[][..],
        });
    }
    config.statements.kinds.iter().all(|kind| {
        kinds
            .iter()
            .all(|f| templates.has(language, &format!("statement-{kind}"), f))
    })
}

/// The clients that get statements, in client order, with their sections and files. Pure.
#[must_use]
pub fn plan(config: &Config, templates: &Templates, o: &Input) -> Vec<Planned> {
    if config.statements.kinds.is_empty() {
        return Vec::new();
    }
    let from = period_start(config.statements.period_days, o.as_of);
    let open = open_items_by_account(o);
    let net = summaries_by_account(o);
    let mut chosen: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, account) in o.accounts.list.iter().enumerate() {
        let key = (&*account.client, &*account.currency);
        let qualifies = open.contains_key(&key)
            || net
                .get(&key)
                .is_some_and(|&s| !o.class.clients[s].net_balance.is_zero())
            || account.moved_in(&o.ledger, &o.recon, from, o.as_of);
        if !qualifies {
            continue;
        }
        match chosen.last_mut() {
            Some((client, list)) if *client == &*account.client => list.push(i),
            _ => chosen.push((&account.client, vec![i])),
        }
    }
    let names_of: Vec<(&str, &str)> = chosen
        .iter()
        .map(|(client, accounts)| {
            // The clients table's name, else the name on the client's first document.
            let name = o
                .ledger
                .clients
                .get(*client)
                .map(|c| c.name.as_str())
                .or_else(|| {
                    accounts.iter().find_map(|&a| {
                        let docs = &o.accounts.list[a].docs;
                        docs.first().map(|&d| &*o.ledger.invoices[d].client_name)
                    })
                })
                .filter(|n| !n.is_empty())
                .unwrap_or(client);
            (*client, name)
        })
        .collect();
    let stems = names::unique_stems(names_of.iter().copied());
    chosen
        .into_iter()
        .zip(names_of)
        .zip(stems)
        .map(|(((client, accounts), (_, name)), stem)| {
            let email = client_email(o, client, &accounts);
            let record = o.ledger.clients.get(client);
            let language = record
                .and_then(|c| c.language.clone())
                .filter(|l| speaks(config, templates, l))
                .or_else(|| {
                    speaks(config, templates, &config.language).then(|| config.language.clone())
                })
                .unwrap_or_else(|| "en".to_string());
            let files = config
                .statements
                .kinds
                .iter()
                .map(|kind| {
                    let files = ["html", "txt", "pdf", "eml"]
                        .into_iter()
                        .filter(|f| wants(config, f) && (*f != "eml" || email.is_some()))
                        .map(|f| format!("{FOLDER}/{stem}-{kind}.{f}"))
                        .collect();
                    (kind.clone(), files)
                })
                .collect();
            Planned {
                client: client.to_string(),
                name: name.to_string(),
                language,
                stem,
                email,
                accounts,
                files,
            }
        })
        .collect()
}

/// The client's e-mail address: the clients table's, else the first on one of its invoices.
fn client_email(o: &Input, client: &str, accounts: &[usize]) -> Option<String> {
    o.ledger
        .clients
        .get(client)
        .and_then(|c| c.email.clone())
        .or_else(|| {
            accounts.iter().find_map(|&a| {
                o.accounts.list[a]
                    .docs
                    .iter()
                    .find_map(|&d| o.ledger.invoices[d].email.as_deref().map(str::to_string))
            })
        })
        .map(|e| e.trim().to_string())
        .filter(|e| e.contains('@'))
}

type AccountKey<'a> = (&'a str, &'a str);

/// `Classification::items` of each (client, currency), in their order.
fn open_items_by_account(o: &Input) -> BTreeMap<AccountKey<'_>, Vec<usize>> {
    let mut out: BTreeMap<AccountKey<'_>, Vec<usize>> = BTreeMap::new();
    for (i, item) in o.class.items.iter().enumerate() {
        let inv = &o.ledger.invoices[item.invoice];
        out.entry((&inv.client, &inv.currency)).or_default().push(i);
    }
    out
}

/// The `clients.csv` row (index into `Classification::clients`) of each (client, currency).
fn summaries_by_account(o: &Input) -> BTreeMap<AccountKey<'_>, usize> {
    o.class
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.client.as_str(), c.currency.as_str()), i))
        .collect()
}

/// One statement in every format asked for.
#[derive(Default)]
struct Rendered {
    html: Option<String>,
    txt: Option<String>,
    typ: Option<String>,
    pdf: Option<Vec<u8>>,
    eml: Option<Vec<u8>>,
    /// (currency, closing balance) per section.
    closing: Vec<(String, String)>,
}

/// A rendered text file: no blank lines at the start, one line break at the end.
fn tidy(text: &str) -> String {
    let mut out = text.trim_start_matches(['\n', '\r']).trim_end().to_string();
    out.push('\n');
    out
}

struct Shared<'a> {
    config: &'a Config,
    head: &'a Letterhead,
    o: &'a Input,
    open: BTreeMap<AccountKey<'a>, Vec<usize>>,
    net: BTreeMap<AccountKey<'a>, usize>,
    from: NaiveDate,
}

/// The context of one client's statement of `kind`.
fn build_context(s: &Shared<'_>, planned: &Planned, kind: &str) -> context::StatementContext {
    let o = s.o;
    let lang = planned.language.as_str();
    let sources = context::Sources {
        ledger: &o.ledger,
        recon: &o.recon,
        class: &o.class,
        as_of: o.as_of,
        period_from: s.from,
    };
    let sections = planned
        .accounts
        .iter()
        .map(|&a| {
            let account = &o.accounts.list[a];
            let key = (&*account.client, &*account.currency);
            let input = context::SectionInput {
                account,
                summary: s.net.get(&key).map(|&i| &o.class.clients[i]),
                items: s.open.get(&key).map_or(&[][..], Vec::as_slice),
            };
            context::section(&sources, &input, lang, kind == "activity")
        })
        .collect();
    let record = o.ledger.clients.get(&planned.client);
    let text = |f: fn(&crate::model::Client) -> Option<&String>| {
        record.and_then(f).cloned().unwrap_or_default()
    };
    context::StatementContext {
        language: lang.to_string(),
        dir: if matches!(lang, "he" | "ar") {
            "rtl"
        } else {
            "ltr"
        },
        kind: kind.to_string(),
        title: context::title(kind, lang).to_string(),
        date: crate::report::letters::format::date(o.as_of, lang),
        period_from: crate::report::letters::format::date(s.from, lang),
        period_to: crate::report::letters::format::date(o.as_of, lang),
        period_days: s.config.statements.period_days,
        company: s.head.company(lang).clone(),
        client: ClientBlock {
            id: planned.client.clone(),
            name: planned.name.clone(),
            contact: text(|c| c.contact.as_ref()),
            email: planned.email.clone().unwrap_or_default(),
            phone: text(|c| c.phone.as_ref()),
            address: text(|c| c.address.as_ref()),
            collector: text(|c| c.collector.as_ref()),
        },
        sections,
    }
}

fn render_one(s: &Shared<'_>, planned: &Planned, kind: &str) -> Result<Rendered, String> {
    let t = &s.head.templates;
    let config = s.config;
    let lang = planned.language.as_str();
    let ctx = build_context(s, planned, kind);
    let tera_ctx = tera::Context::from_serialize(&ctx).map_err(|e| e.to_string())?;
    let name = format!("statement-{kind}");
    let by_mail = wants(config, "eml") && planned.email.is_some();
    let mut out = Rendered {
        closing: ctx
            .sections
            .iter()
            .map(|sec| {
                (
                    sec.currency.clone(),
                    crate::model::format_money(sec.closing_value, &sec.currency),
                )
            })
            .collect(),
        ..Rendered::default()
    };
    if wants(config, "html") || by_mail {
        out.html = Some(tidy(&t.render(lang, &name, "html", &tera_ctx)?));
    }
    if wants(config, "txt") || by_mail {
        out.txt = Some(tidy(&t.render(lang, &name, "txt", &tera_ctx)?));
    }
    let stem = format!("{}-{kind}", planned.stem);
    #[cfg(feature = "pdf")]
    if wants(config, "pdf") {
        let typ = t.render(lang, &name, "typ", &tera_ctx)?;
        out.pdf = Some(crate::report::letters::pdf::render(
            &typ,
            s.head.logo(),
            s.o.as_of,
            &stem,
        )?);
        out.typ = Some(typ);
    }
    if let (true, Some(to)) = (wants(config, "eml"), planned.email.as_deref()) {
        let pdf_name = format!("{stem}.pdf");
        let subject = format!("{} · {}", ctx.title, ctx.company.name);
        let draft = eml::Draft {
            to_name: &planned.name,
            to_email: to,
            from_name: &ctx.company.name,
            from_email: &ctx.company.email,
            subject: subject.trim_end_matches([' ', '·']),
            text: out.txt.as_deref().unwrap_or_default(),
            html: out.html.as_deref().unwrap_or_default(),
            pdf: out.pdf.as_deref().map(|b| (pdf_name.as_str(), b)),
            as_of: s.o.as_of,
            stem: &format!("{FOLDER}/{stem}"),
        };
        out.eml = Some(eml::build(&draft).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Clients whose statements render at once before their files are written.
const CHUNK: usize = 512;

/// Writes the statements into `run_dir/statements/`. Nothing is written when no kind is
/// configured or no client qualifies.
///
/// # Errors
/// When a statement cannot be rendered or a file cannot be written.
pub fn write(
    run_dir: &Path,
    config: &Config,
    head: &Letterhead,
    o: &Input,
) -> Result<(), StatementError> {
    let plans = plan(config, &head.templates, o);
    if plans.is_empty() {
        return Ok(());
    }
    let dir = run_dir.join(FOLDER);
    std::fs::create_dir_all(&dir).map_err(|source| StatementError::Write {
        path: dir.clone(),
        source,
    })?;
    let put = |name: String, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| StatementError::Write { path, source })
    };
    let shared = Shared {
        config,
        head,
        o,
        open: open_items_by_account(o),
        net: summaries_by_account(o),
        from: period_start(config.statements.period_days, o.as_of),
    };
    let kinds = &config.statements.kinds;
    // Per client, per kind: the closing balances for the index; the Typst markup of the
    // statements that go by post, for the print run.
    let mut closings: Vec<Vec<Vec<(String, String)>>> = Vec::with_capacity(plans.len());
    let mut post: Vec<String> = Vec::new();
    for chunk in plans.chunks(CHUNK) {
        let rendered: Vec<Vec<Rendered>> = chunk
            .par_iter()
            .map(|planned| {
                kinds
                    .iter()
                    .map(|kind| {
                        render_one(&shared, planned, kind).map_err(|message| {
                            StatementError::Render {
                                client: planned.client.clone(),
                                file: format!("{}-{kind}", planned.stem),
                                message,
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()?;
        for (planned, statements) in chunk.iter().zip(rendered) {
            let mut closing = Vec::with_capacity(statements.len());
            for (kind, r) in kinds.iter().zip(statements) {
                let stem = format!("{}-{kind}", planned.stem);
                if wants(config, "html") {
                    put(
                        format!("{stem}.html"),
                        r.html.unwrap_or_default().as_bytes(),
                    )?;
                }
                if wants(config, "txt") {
                    put(format!("{stem}.txt"), r.txt.unwrap_or_default().as_bytes())?;
                }
                if let Some(pdf) = &r.pdf {
                    put(format!("{stem}.pdf"), pdf)?;
                }
                if let Some(eml) = &r.eml {
                    put(format!("{stem}.eml"), eml)?;
                }
                if planned.email.is_none() {
                    post.extend(r.typ);
                }
                closing.push(r.closing);
            }
            closings.push(closing);
        }
        #[cfg(feature = "pdf")]
        crate::report::letters::pdf::forget();
    }
    #[cfg(feature = "pdf")]
    if !post.is_empty() {
        let documents: Vec<&str> = post.iter().map(String::as_str).collect();
        let bytes = crate::report::letters::pdf::print_run(&documents, head.logo(), o.as_of)
            .map_err(|message| StatementError::Render {
                client: String::new(),
                file: "print-run".to_string(),
                message,
            })?;
        put("print-run.pdf".to_string(), &bytes)?;
    }
    #[cfg(not(feature = "pdf"))]
    drop(post);
    write_index(&dir, &plans, &closings)
}

/// `statements/index.csv`: one row per client, kind and currency.
fn write_index(
    dir: &Path,
    plans: &[Planned],
    closings: &[Vec<Vec<(String, String)>>],
) -> Result<(), StatementError> {
    let index = dir.join("index.csv");
    let io = |source| StatementError::Write {
        path: index.clone(),
        source,
    };
    let mut csv = CsvOut::create(
        &index,
        &[
            "client_id",
            "client_name",
            "kind",
            "language",
            "email",
            "files",
            "currency",
            "closing_balance",
        ],
    )
    .map_err(io)?;
    for (planned, per_kind) in plans.iter().zip(closings) {
        for ((kind, files), closing) in planned.files.iter().zip(per_kind) {
            for (currency, balance) in closing {
                csv.text(&planned.client)
                    .text(&planned.name)
                    .text(kind)
                    .text(&planned.language)
                    .opt(planned.email.as_deref())
                    .text(&files.join(";"))
                    .text(currency)
                    .raw(balance);
                csv.end().map_err(io)?;
            }
        }
    }
    csv.finish().map_err(io)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[test]
    fn the_period_ends_on_the_as_of_date_with_both_ends_counted() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(super::period_start(90, day(2026, 11, 30)), day(2026, 9, 2));
        assert_eq!(super::period_start(1, day(2026, 11, 30)), day(2026, 11, 30));
        assert_eq!(super::period_start(0, day(2026, 11, 30)), day(2026, 11, 30));
    }

    #[test]
    fn titles_follow_the_language() {
        assert_eq!(
            super::context::title("activity", "he"),
            "דף חשבון: תנועות בחשבון"
        );
        assert_eq!(
            super::context::title("open-item", "fr"),
            "Statement of account: open items"
        );
    }
}
