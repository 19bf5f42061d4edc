//! Exports a facilitator can hand to a municipal service: Markdown and HTML.
//!
//! A project is first laid out as a list of [`Block`]s in the project's language, then
//! rendered; so both formats always say the same thing. The HTML is one self-contained
//! file with print styles, so "Print" in a browser gives clean pages.

use samspill_shared::content::{Lang, Library};
use samspill_shared::dates::display_date;
use samspill_shared::model::{Gathering, Project};

/// One piece of an exported document.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Title(String),
    Heading(String),
    Subheading(String),
    Para(String),
    /// Label: value lines.
    Fields(Vec<(String, String)>),
    /// Checkbox items with a trailing detail.
    Checks(Vec<(bool, String, String)>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

struct Words<'a> {
    lib: &'a Library,
    lang: Lang,
}

impl Words<'_> {
    fn t(&self, key: &str) -> String {
        self.lib
            .strings
            .get(self.lang, &format!("export-{key}"))
            .to_owned()
    }
}

fn layout(p: &Project, lib: &Library) -> Vec<Block> {
    let lang: Lang = p.meta.language.parse().unwrap_or(Lang::Nb);
    let w = Words { lib, lang };
    let mut out = vec![Block::Title(p.meta.title.clone())];
    let mut fields = Vec::new();
    if !p.meta.goal.is_empty() {
        fields.push((w.t("goal"), p.meta.goal.clone()));
    }
    if !p.meta.service.is_empty() {
        fields.push((w.t("service"), p.meta.service.clone()));
    }
    if !p.meta.start_date.is_empty() || !p.meta.end_date.is_empty() {
        fields.push((
            w.t("dates"),
            format!(
                "{} – {}",
                display_date(&p.meta.start_date),
                display_date(&p.meta.end_date)
            ),
        ));
    }
    if !p.people.is_empty() {
        let people: Vec<String> = p
            .people
            .iter()
            .map(|x| {
                let extra: Vec<&str> = [x.centre.as_str(), x.role.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                if extra.is_empty() {
                    x.name.clone()
                } else {
                    format!("{} ({})", x.name, extra.join(", "))
                }
            })
            .collect();
        fields.push((w.t("people"), people.join("; ")));
    }
    if !fields.is_empty() {
        out.push(Block::Fields(fields));
    }

    for (n, ph) in p.phases.iter().enumerate() {
        let (done, total) = ph.progress();
        out.push(Block::Heading(format!(
            "{} {}: {}",
            w.t("phase"),
            n + 1,
            ph.name
        )));
        out.push(Block::Fields(vec![(
            w.t("status"),
            format!(
                "{} ({done}/{total})",
                w.t(&format!("status-{}", ph.status.as_str()))
            ),
        )]));
        if !ph.tasks.is_empty() {
            out.push(Block::Subheading(w.t("tasks")));
            let items = ph
                .tasks
                .iter()
                .map(|t| {
                    let mut detail = Vec::new();
                    if !t.assignee.is_empty() {
                        detail.push(format!(
                            "{}: {}",
                            w.t("assignee"),
                            p.person_name(&t.assignee)
                        ));
                    }
                    if !t.due.is_empty() {
                        detail.push(format!("{}: {}", w.t("due"), display_date(&t.due)));
                    }
                    (t.done, t.title.clone(), detail.join(", "))
                })
                .collect();
            out.push(Block::Checks(items));
        }
        if !ph.checklist.is_empty() {
            out.push(Block::Subheading(w.t("checklist")));
            let items = ph
                .checklist
                .iter()
                .map(|c| {
                    let who = if c.done && !c.done_by.is_empty() {
                        p.person_name(&c.done_by).to_owned()
                    } else {
                        String::new()
                    };
                    (c.done, c.text.clone(), who)
                })
                .collect();
            out.push(Block::Checks(items));
        }
        if !ph.notes.trim().is_empty() {
            out.push(Block::Subheading(w.t("notes")));
            out.extend(paragraphs(&ph.notes));
        }
    }

    if !p.gatherings.is_empty() {
        out.push(Block::Heading(w.t("gatherings")));
        for g in &p.gatherings {
            out.extend(gathering_blocks(p, g, &w));
        }
    }
    if !p.between_work.is_empty() {
        out.push(Block::Heading(w.t("between-work")));
        let items = p
            .between_work
            .iter()
            .map(|b| {
                let mut detail = Vec::new();
                if !b.description.is_empty() {
                    detail.push(b.description.clone());
                }
                if let Some(g) = p.gathering(&b.gathering) {
                    detail.push(g.title.clone());
                }
                if !b.due.is_empty() {
                    detail.push(format!("{}: {}", w.t("due"), display_date(&b.due)));
                }
                (b.done, b.title.clone(), detail.join(" · "))
            })
            .collect();
        out.push(Block::Checks(items));
    }
    if !p.log.is_empty() {
        out.push(Block::Heading(w.t("project-log")));
        let rows = p
            .log
            .iter()
            .map(|e| {
                vec![
                    display_date(&e.date),
                    p.person_name(&e.author).to_owned(),
                    e.text.clone(),
                ]
            })
            .collect();
        out.push(Block::Table {
            head: vec![String::new(), w.t("responsible"), w.t("log")],
            rows,
        });
    }
    out
}

fn gathering_blocks(p: &Project, g: &Gathering, w: &Words<'_>) -> Vec<Block> {
    let mut out = vec![Block::Subheading(g.title.clone())];
    let mut fields = Vec::new();
    let date = display_date(&g.date);
    let when = [date.as_str(), g.start.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !when.is_empty() {
        let end = g
            .end
            .as_deref()
            .map(|e| format!("–{e}"))
            .unwrap_or_default();
        fields.push((w.t("time"), format!("{when}{end}")));
    }
    if !g.place.is_empty() {
        fields.push((w.t("place"), g.place.clone()));
    }
    fields.push((w.t("total"), format!("{} min", g.total_minutes)));
    out.push(Block::Fields(fields));
    if g.agenda.is_empty() {
        out.push(Block::Para(w.t("no-items")));
    } else {
        let rows = g
            .agenda
            .iter()
            .map(|a| {
                let method = w
                    .lib
                    .method(&a.method)
                    .map(|m| m.name(w.lang))
                    // An item added from the library is titled with the method's name:
                    // the Method column then stays empty rather than saying it twice.
                    .filter(|name| !same_words(name, &a.title))
                    .unwrap_or_default()
                    .to_owned();
                vec![
                    a.starts_at.clone().unwrap_or_default(),
                    format!("{}", a.minutes),
                    if a.notes.is_empty() {
                        a.title.clone()
                    } else {
                        format!("{} — {}", a.title, a.notes)
                    },
                    method,
                    p.person_name(&a.responsible).to_owned(),
                ]
            })
            .collect();
        out.push(Block::Table {
            head: vec![
                w.t("time"),
                w.t("minutes"),
                w.t("agenda"),
                w.t("method"),
                w.t("responsible"),
            ],
            rows,
        });
    }
    if !g.log.trim().is_empty() {
        out.push(Block::Fields(vec![(w.t("log"), String::new())]));
        out.extend(paragraphs(&g.log));
    }
    if !g.evaluation.worked.is_empty() || !g.evaluation.change.is_empty() {
        out.push(Block::Fields(vec![
            (w.t("worked"), g.evaluation.worked.clone()),
            (w.t("change"), g.evaluation.change.clone()),
        ]));
    }
    out
}

/// Whether two labels say the same, ignoring case and spacing.
fn same_words(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

fn paragraphs(text: &str) -> impl Iterator<Item = Block> + '_ {
    text.split("\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Block::Para(s.to_owned()))
}

/// One gathering: its agenda with clock times, for the participants.
fn gathering_layout(p: &Project, g: &Gathering, lib: &Library) -> Vec<Block> {
    let lang: Lang = p.meta.language.parse().unwrap_or(Lang::Nb);
    let w = Words { lib, lang };
    let mut out = vec![
        Block::Title(g.title.clone()),
        Block::Para(p.meta.title.clone()),
    ];
    let mut blocks = gathering_blocks(p, g, &w);
    // The gathering's own title is already the page title.
    if matches!(blocks.first(), Some(Block::Subheading(_))) {
        blocks.remove(0);
    }
    out.extend(blocks);
    let work: Vec<(bool, String, String)> = p
        .between_work
        .iter()
        .filter(|b| b.gathering == g.id)
        .map(|b| (b.done, b.title.clone(), b.description.clone()))
        .collect();
    if !work.is_empty() {
        out.push(Block::Heading(w.t("between-work")));
        out.push(Block::Checks(work));
    }
    out
}

/// Which part of a project to export.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The whole project plan.
    Plan,
    /// One gathering's agenda.
    Gathering(&'a Gathering),
}

fn blocks(p: &Project, lib: &Library, scope: Scope<'_>) -> Vec<Block> {
    match scope {
        Scope::Plan => layout(p, lib),
        Scope::Gathering(g) => gathering_layout(p, g, lib),
    }
}

/// The project (or one gathering) laid out for print, ready to finish as a PDF.
fn pdf_writer(p: &Project, lib: &Library, scope: Scope<'_>) -> crate::pdf::PdfWriter {
    use crate::pdf::PdfWriter;
    let title = match scope {
        Scope::Plan => p.meta.title.clone(),
        Scope::Gathering(g) => format!("{} — {}", g.title, p.meta.title),
    };
    let lang: Lang = p.meta.language.parse().unwrap_or(Lang::Nb);
    let mut w = PdfWriter::new(&title, lang.code(), &p.meta.title);
    for block in blocks(p, lib, scope) {
        match block {
            Block::Title(t) => w.heading(&t, 1, 20.0, true),
            Block::Heading(t) => w.heading(&t, 2, 14.0, true),
            Block::Subheading(t) => w.heading(&t, 3, 11.5, false),
            Block::Para(t) => {
                w.paragraph(&t, 10.0, false, 0.0);
                w.gap(4.0);
            }
            Block::Fields(fields) => w.fields(&fields, 10.0),
            Block::Checks(items) => {
                w.checklist(&items, 10.0);
                w.gap(4.0);
            }
            Block::Table { head, rows } => {
                let widths: Vec<f32> = match head.len() {
                    5 => vec![0.1, 0.1, 0.44, 0.2, 0.16],
                    3 => vec![0.16, 0.22, 0.62],
                    n => vec![1.0 / n as f32; n],
                };
                w.table(&head, &rows, &widths, 9.0);
            }
        }
    }
    w
}

/// The project (or one gathering) as a print-ready, tagged PDF.
pub fn pdf(p: &Project, lib: &Library, scope: Scope<'_>) -> Result<Vec<u8>, crate::pdf::PdfError> {
    pdf_writer(p, lib, scope).finish()
}

/// The PDF's structure tree as text (see [`crate::pdf::PdfWriter::structure`]).
pub fn pdf_structure(p: &Project, lib: &Library, scope: Scope<'_>) -> String {
    pdf_writer(p, lib, scope).structure()
}

/// The project (or one gathering) as Markdown.
pub fn markdown_of(p: &Project, lib: &Library, scope: Scope<'_>) -> String {
    render_markdown(blocks(p, lib, scope))
}

/// The project (or one gathering) as HTML.
pub fn html_of(p: &Project, lib: &Library, scope: Scope<'_>) -> String {
    let title = match scope {
        Scope::Plan => p.meta.title.clone(),
        Scope::Gathering(g) => format!("{} — {}", g.title, p.meta.title),
    };
    render_html(p, &title, blocks(p, lib, scope))
}

/// The project as Markdown.
pub fn markdown(p: &Project, lib: &Library) -> String {
    markdown_of(p, lib, Scope::Plan)
}

fn render_markdown(blocks: Vec<Block>) -> String {
    let mut s = String::new();
    for block in blocks {
        match block {
            Block::Title(t) => s.push_str(&format!("# {}\n\n", md_line(&t))),
            Block::Heading(t) => s.push_str(&format!("## {}\n\n", md_line(&t))),
            Block::Subheading(t) => s.push_str(&format!("### {}\n\n", md_line(&t))),
            Block::Para(t) => s.push_str(&format!("{}\n\n", md_text(t.trim()))),
            Block::Fields(fields) => {
                for (k, v) in fields {
                    s.push_str(&format!("**{}:** {}  \n", md_line(&k), md_line(&v)));
                }
                s.push('\n');
            }
            Block::Checks(items) => {
                for (done, text, detail) in items {
                    let mark = if done { "x" } else { " " };
                    let detail = if detail.is_empty() {
                        String::new()
                    } else {
                        format!(" — _{}_", md_line(&detail))
                    };
                    s.push_str(&format!("- [{mark}] {}{detail}\n", md_line(&text)));
                }
                s.push('\n');
            }
            Block::Table { head, rows } => {
                s.push_str(&format!(
                    "| {} |\n",
                    head.iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
                s.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for row in rows {
                    s.push_str(&format!(
                        "| {} |\n",
                        row.iter()
                            .map(|c| md_cell(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// Text for Markdown with raw HTML made literal: Markdown renderers pass HTML through,
/// and a project's text comes from every co-editor (or an imported file).
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn md_line(s: &str) -> String {
    md_text(s).replace('\n', " ")
}

fn md_cell(s: &str) -> String {
    md_line(s).replace('|', "\\|")
}

/// The project as one self-contained, print-ready HTML page.
pub fn html(p: &Project, lib: &Library) -> String {
    html_of(p, lib, Scope::Plan)
}

fn render_html(p: &Project, title: &str, blocks: Vec<Block>) -> String {
    // Only a language this build knows goes into the page: the field comes from the
    // document, which any co-editor (or an imported file) may have filled with markup.
    let lang = esc(p.meta.language.parse().unwrap_or(Lang::Nb).code());
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::Title(t) => body.push_str(&format!("<h1>{}</h1>\n", esc(&t))),
            Block::Heading(t) => body.push_str(&format!("<h2>{}</h2>\n", esc(&t))),
            Block::Subheading(t) => body.push_str(&format!("<h3>{}</h3>\n", esc(&t))),
            Block::Para(t) => body.push_str(&format!("<p>{}</p>\n", esc(&t).replace('\n', "<br>"))),
            Block::Fields(fields) => {
                body.push_str("<dl>\n");
                for (k, v) in fields {
                    body.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(&k), esc(&v)));
                }
                body.push_str("</dl>\n");
            }
            Block::Checks(items) => {
                body.push_str("<ul class=\"checks\">\n");
                for (done, text, detail) in items {
                    let mark = if done { "☑" } else { "☐" };
                    let class = if done { " class=\"done\"" } else { "" };
                    let detail = if detail.is_empty() {
                        String::new()
                    } else {
                        format!(" <small>{}</small>", esc(&detail))
                    };
                    body.push_str(&format!(
                        "<li{class}><span class=\"box\">{mark}</span> {}{detail}</li>\n",
                        esc(&text)
                    ));
                }
                body.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                body.push_str("<table>\n<thead><tr>");
                for h in head {
                    body.push_str(&format!("<th>{}</th>", esc(&h)));
                }
                body.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    body.push_str("<tr>");
                    for c in row {
                        body.push_str(&format!("<td>{}</td>", esc(&c)));
                    }
                    body.push_str("</tr>\n");
                }
                body.push_str("</tbody>\n</table>\n");
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        title = esc(title),
    )
}

const STYLE: &str = "
body { font-family: 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d2a2a; line-height: 1.45; }
h1 { color: #1f5e52; border-bottom: 3px solid #2f7d6d; padding-bottom: .3rem; }
h2 { color: #1f5e52; margin-top: 2rem; border-bottom: 1px solid #cfe0dc; }
h3 { margin-bottom: .3rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
ul.checks { list-style: none; padding-left: 0; }
ul.checks li { margin: .2rem 0; }
ul.checks li.done { color: #4d6b64; }
.box { display: inline-block; width: 1.2em; }
small { color: #5a6f6b; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #cfe0dc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eaf3f1; }
@media print { body { margin: 0; max-width: none; } h2 { break-before: auto; } table, ul, dl { break-inside: avoid; } a { color: inherit; } }
";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use samspill_shared::model::{AgendaItem, Phase, PhaseStatus, Task};

    #[test]
    fn an_item_titled_with_its_method_names_it_once() {
        let lib = samspill_shared::content::library();
        let igp = lib.method("igp").expect("igp is in the library");
        let mut p = empty_project("Plan", "nb");
        let item = |title: &str| samspill_shared::model::AgendaItem {
            id: title.to_owned(),
            title: title.to_owned(),
            minutes: 30,
            method: "igp".to_owned(),
            ..Default::default()
        };
        let g = Gathering {
            id: "g".to_owned(),
            title: "Samling 1".to_owned(),
            agenda: vec![item(igp.name(Lang::Nb)), item("Hva gjør vi nå?")],
            ..Default::default()
        };
        p.gatherings.push(g.clone());
        let md = markdown_of(&p, lib, Scope::Gathering(&g));
        let name = igp.name(Lang::Nb);
        let rows: Vec<&str> = md.lines().filter(|l| l.contains("| 30 |")).collect();
        assert_eq!(rows.len(), 2, "{md}");
        assert_eq!(rows[0].matches(name).count(), 1, "{}", rows[0]);
        assert_eq!(rows[1].matches(name).count(), 1, "{}", rows[1]);
    }

    #[test]
    fn html_escapes_what_people_type() {
        assert_eq!(esc("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    /// A project with only a title and a language field.
    fn empty_project(title: &str, language: &str) -> Project {
        Project {
            schema: 3,
            meta: samspill_shared::model::Meta {
                title: title.to_owned(),
                language: language.to_owned(),
                ..Default::default()
            },
            people: vec![],
            phases: vec![],
            gatherings: vec![],
            between_work: vec![],
            log: vec![],
            checkpoints: vec![],
        }
    }

    #[test]
    fn a_language_field_carrying_markup_never_reaches_the_page() {
        let p = empty_project("Plan", "nb\"><script>alert(1)</script>");
        let page = render_html(&p, "Plan", Vec::new());
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("<html lang=\"nb\">"));
    }

    /// Every kind of block, each text carrying markup.
    fn hostile_blocks() -> Vec<Block> {
        let x = |tag: &str| format!("<{tag} onload=\"alert(1)\">&amp;'");
        vec![
            Block::Title(x("script")),
            Block::Heading(x("iframe")),
            Block::Subheading(x("img")),
            Block::Para(format!("{}\n{}", x("svg"), x("a"))),
            Block::Fields(vec![(x("b"), x("style"))]),
            Block::Checks(vec![(true, x("object"), x("embed"))]),
            Block::Table {
                head: vec![x("th")],
                rows: vec![vec![x("td")]],
            },
        ]
    }

    #[test]
    fn markdown_passes_no_raw_html() {
        let md = render_markdown(hostile_blocks());
        assert!(!md.contains('<') && !md.contains('>'), "{md}");
        assert!(md.contains("&lt;script onload"), "{md}");
        assert!(
            md.contains("&amp;amp;"),
            "an entity typed stays literal: {md}"
        );
    }

    #[test]
    fn html_escapes_every_text_and_attribute() {
        let p = empty_project("<title>", "da");
        let page = render_html(&p, "<title>", hostile_blocks());
        for tag in [
            "script", "iframe", "img", "svg", "a ", "b ", "style ", "object", "embed", "th ", "td ",
        ] {
            assert!(
                !page.contains(&format!("<{tag} onload")),
                "<{tag} in {page}"
            );
        }
        assert!(!page.contains("<title><title>"));
        assert!(page.contains("<html lang=\"da\">"));
    }

    #[test]
    fn markdown_table_cells_keep_pipes_literal() {
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }

    /// A small plan with a Sámi name in every kind of block.
    fn sami_plan() -> Project {
        let mut p = empty_project("Samhandling i Kárášjohka", "nb");
        p.meta.goal = "Bedre overganger for Máret og familien".to_owned();
        let task = |title: &str, done: bool| Task {
            id: title.to_owned(),
            title: title.to_owned(),
            assignee: String::new(),
            due: String::new(),
            done,
            done_by: String::new(),
            done_at: None,
            conflicts: vec![],
        };
        p.phases.push(Phase {
            id: "oppstart".to_owned(),
            kind: "oppstart".to_owned(),
            name: "Oppstart".to_owned(),
            status: PhaseStatus::Active,
            guide: String::new(),
            notes: "Ánde Čoavddáš (Đ ŋ š ŧ ž) leder arbeidet.".to_owned(),
            tasks: vec![task("Ringe Máret", true), task("Invitere Ŋuvvi", false)],
            checklist: vec![],
        });
        p.gatherings.push(Gathering {
            id: "g1".to_owned(),
            title: "Samling 1".to_owned(),
            date: "2027-01-14".to_owned(),
            start: "09:00".to_owned(),
            agenda: vec![AgendaItem {
                id: "a".to_owned(),
                title: "Innsjekk med Šiellá".to_owned(),
                minutes: 20,
                starts_at: Some("09:00".to_owned()),
                ..Default::default()
            }],
            total_minutes: 20,
            ..Default::default()
        });
        p
    }

    /// The PDF's structure tree is what a screen reader follows: headings, the fields as
    /// a table with row headers, check lists with their state, the agenda as a table.
    /// Kept in `app/tests/golden/plan-structure.txt`; `UPDATE_GOLDEN=1` rewrites it.
    #[test]
    fn the_pdf_structure_matches_its_golden_file() {
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("golden")
            .join("plan-structure.txt");
        let lib = samspill_shared::content::library();
        let found = pdf_structure(&sami_plan(), lib, Scope::Plan);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &found).expect("golden file written");
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        assert_eq!(
            found, expected,
            "run with UPDATE_GOLDEN=1 to accept a change"
        );
        // And the PDF itself is made, with every Sámi letter in it.
        let pdf = pdf(&sami_plan(), lib, Scope::Plan).expect("the PDF is written");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
