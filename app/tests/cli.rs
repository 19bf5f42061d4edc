//! The command line, driven as a person or a script would: the real `samspill` binary,
//! a fresh data directory per test.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Samspill {
    dir: tempfile::TempDir,
}

impl Samspill {
    fn new() -> Self {
        let s = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        s.ok(&[
            "profile",
            "--name",
            "Kari Nordmann",
            "--centre",
            "RVTS Sør",
            "--colour",
            "#aa3355",
        ]);
        s
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_samspill"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("SAMSPILL_DATA_DIR")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail with `code`; returns its one-line error.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn json(&self, id: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", id, "--json"])).unwrap()
    }
}

/// A PDF from its header to its end-of-file marker.
fn is_whole_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF")
}

/// Runs one of poppler's tools (`pdftotext`, `pdffonts`, `pdfinfo`) on `pdf`; `None`,
/// with the reason printed, where the tool is not installed (`.ci/run` installs it).
fn poppler(tool: &str, args: &[&str], pdf: &std::path::Path) -> Option<String> {
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(pdf);
    if tool == "pdftotext" {
        command.arg("-"); // to standard output
    }
    let out = match command.output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipping the {tool} check: {e} (apt install poppler-utils)");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The text of a PDF as a reader extracts it.
fn pdf_text(pdf: &std::path::Path) -> Option<String> {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf).map(|t| {
        // Lines wrapped in the PDF join again with spaces.
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    })
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap().trim()
}

#[test]
fn a_facilitator_plans_a_process_from_the_command_line() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&[
        "new",
        "--template",
        "four-phase",
        "--title",
        "Tidlig innsats i Fjellvik",
    ]))
    .to_owned();
    assert_eq!(id.len(), 64);

    let list = s.ok(&["list"]);
    let line = list.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.contains("Tidlig innsats i Fjellvik"), "{line}");

    // Any unique prefix names the project; phases by number or id.
    let task = last_line(&s.ok(&[
        "task",
        "add",
        &id[..6],
        "--phase",
        "1",
        "Avklare rammer med kommunalsjefen",
    ]))
    .to_owned();
    s.ok(&["task", "done", &id[..6], &task]);
    s.ok(&[
        "note",
        &id,
        "--phase",
        "planlegging",
        "Første møte er 14. januar.",
    ]);

    let project = s.json(&id);
    assert_eq!(project["id"], id.as_str());
    let oppstart = &project["phases"][0];
    let added = oppstart["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task.as_str())
        .unwrap();
    assert_eq!(added["title"], "Avklare rammer med kommunalsjefen");
    assert_eq!(added["done"], true);
    assert_eq!(
        project["phases"][1]["notes"].as_str().unwrap().trim_end(),
        "Første møte er 14. januar."
    );
    // This device's person is in the project and did the work.
    let me = &project["people"][0];
    assert_eq!(me["name"], "Kari Nordmann");
    assert_eq!(added["done_by"], me["id"]);

    // Tick and untick a checklist item by the start of its id.
    let item = oppstart["checklist"][0]["id"].as_str().unwrap().to_owned();
    s.ok(&["check", &id, &item[..8]]);
    assert_eq!(s.json(&id)["phases"][0]["checklist"][0]["done"], true);
    s.ok(&["check", &id, &item, "--undo"]);
    assert_eq!(s.json(&id)["phases"][0]["checklist"][0]["done"], false);
}

#[test]
fn every_template_makes_a_project_that_exports_to_markdown_and_html() {
    let s = Samspill::new();
    let templates = s.ok(&["templates"]);
    let ids: Vec<&str> = templates
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        samspill_shared::content::library().templates.len(),
        "{templates}"
    );
    assert!(ids.len() >= 5, "{templates}");
    let out = tempfile::tempdir().unwrap();
    for template in ids {
        let id = last_line(&s.ok(&[
            "new",
            "--template",
            template,
            "--title",
            "Prosjekt ÆØÅ <test>",
        ]))
        .to_owned();
        let project = s.json(&id);
        let md = out.path().join(format!("{template}.md"));
        let html = out.path().join(format!("{template}.html"));
        s.ok(&["export", &id, "--format", "md", "-o", md.to_str().unwrap()]);
        s.ok(&[
            "export",
            &id,
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ]);
        let md = std::fs::read_to_string(md).unwrap();
        let html = std::fs::read_to_string(html).unwrap();
        assert!(
            md.starts_with("# Prosjekt ÆØÅ &lt;test&gt;"),
            "raw HTML made literal"
        );
        assert!(html.contains("Prosjekt ÆØÅ &lt;test&gt;"), "escaped");
        for phase in project["phases"].as_array().unwrap() {
            let name = phase["name"].as_str().unwrap();
            assert!(
                md.contains(name) && html.contains(name),
                "{template}: phase {name} missing"
            );
            let first_task = phase["tasks"][0]["title"].as_str().unwrap();
            assert!(
                md.contains(&format!("- [ ] {first_task}")),
                "{template}: {first_task}"
            );
        }
        let lang = project["meta"]["language"].as_str().unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        // The print-ready plan: a whole PDF with one page or more.
        let pdf = out.path().join(format!("{template}.pdf"));
        s.ok(&[
            "export",
            &id,
            "--format",
            "pdf",
            "-o",
            pdf.to_str().unwrap(),
        ]);
        assert!(is_whole_pdf(&std::fs::read(&pdf).unwrap()), "{template}");
        if let Some(text) = pdf_text(&pdf) {
            for phase in project["phases"].as_array().unwrap() {
                let name = phase["name"].as_str().unwrap();
                assert!(
                    text.contains(name),
                    "{template}: phase {name} not in the PDF"
                );
            }
        }
    }
}

#[test]
fn the_danish_template_exports_in_danish() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&[
        "new",
        "--template",
        "samskabt-styring",
        "--title",
        "Samskabt styring i Ringby",
    ]))
    .to_owned();
    let md = s.ok(&["export", &id, "--format", "md", "-o", "-"]);
    assert!(
        md.contains("Tjekliste") || md.contains("tjekliste"),
        "Danish labels expected:\n{md}"
    );
}

#[test]
fn exports_import_back_as_new_projects() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&[
        "new",
        "--template",
        "gathering-programme",
        "--title",
        "Medarbeiderskap",
    ]))
    .to_owned();
    s.ok(&["note", &id, "--phase", "1", "Ledergruppen er med."]);
    let out = tempfile::tempdir().unwrap();
    let am = out.path().join("p.automerge");
    let json = out.path().join("p.json");
    s.ok(&[
        "export",
        &id,
        "--format",
        "automerge",
        "-o",
        am.to_str().unwrap(),
    ]);
    s.ok(&[
        "export",
        &id,
        "--format",
        "json",
        "-o",
        json.to_str().unwrap(),
    ]);

    let original = s.json(&id);
    for file in [&am, &json] {
        let new_id = last_line(&s.ok(&["import", file.to_str().unwrap()])).to_owned();
        assert_ne!(new_id, id, "an import is a new project");
        let mut imported = s.json(&new_id);
        imported["id"] = original["id"].clone();
        assert_eq!(imported, original, "import of {}", file.display());
    }
}

#[test]
fn the_automerge_export_is_a_plain_automerge_document() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Plain"])).to_owned();
    let out = tempfile::tempdir().unwrap();
    let am = out.path().join("p.automerge");
    s.ok(&[
        "export",
        &id,
        "--format",
        "automerge",
        "-o",
        am.to_str().unwrap(),
    ]);
    let doc = automerge::AutoCommit::load(&std::fs::read(&am).unwrap()).unwrap();
    use automerge::ReadDoc;
    let (_, meta) = doc.get(automerge::ROOT, "meta").unwrap().unwrap();
    let (_, title) = doc.get(&meta, "title").unwrap().unwrap();
    assert_eq!(doc.text(&title).unwrap(), "Plain");
}

#[test]
fn methods_can_be_filtered_by_phase_name_or_number() {
    let s = Samspill::new();
    let all = s.ok(&["methods"]);
    assert!(all.lines().count() >= 20);
    assert!(all.lines().any(|l| l.starts_with("six-thinking-hats\t")));
    let evaluation = s.ok(&["methods", "--phase", "evaluering"]);
    assert_eq!(evaluation, s.ok(&["methods", "--phase", "4"]));
    assert!(
        evaluation
            .lines()
            .any(|l| l.starts_with("gathering-evaluation\t"))
    );
    assert!(evaluation.lines().count() < all.lines().count());
    let err = s.fails(&["methods", "--phase", "7"], 1);
    assert!(err.contains("unknown phase"), "{err}");
}

#[test]
fn bad_input_gets_a_one_line_error_and_changes_nothing() {
    let s = Samspill::new();
    let id =
        last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Uendret"])).to_owned();
    let before = s.json(&id);

    for (args, needle) in [
        (vec!["show", "ffff"], "no project id starts with"),
        (
            vec!["new", "--template", "nope", "--title", "x"],
            "unknown template",
        ),
        (
            vec!["task", "add", &id, "--phase", "9", "x"],
            "phases 1 to 4",
        ),
        (
            vec!["task", "add", &id, "--phase", "sluttfase", "x"],
            "no phase",
        ),
        (vec!["task", "done", &id, "zzzz"], "no task"),
        (vec!["check", &id, "zzzz"], "no checklist item"),
        (vec!["note", &id, "--phase", "1", "   "], "empty"),
        (vec!["profile", "--colour", "red"], "#RRGGBB"),
        (vec!["import", "/nonexistent/file.json"], "could not read"),
    ] {
        let err = s.fails(&args, 1);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    }
    assert_eq!(s.json(&id), before);

    // Bad usage is exit code 2.
    s.fails(&["task"], 2);
    s.fails(&["export", &id, "--format", "docx", "-o", "x"], 2);
}

#[test]
fn a_damaged_project_file_is_reported_with_its_path_and_left_alone() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Skadet"])).to_owned();
    let snapshot = s
        .dir
        .path()
        .join("projects")
        .join(&id)
        .join("doc.automerge");
    let bytes = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, &bytes[..bytes.len() / 2]).unwrap();
    // The person is told, the unreadable file is kept aside, the project stays listed
    // (read-only until its relay, if any, refills it).
    let out = s.run(&["show", &id, "--json"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("doc.automerge") && err.contains("moved to"),
        "{err}"
    );
    assert!(s.ok(&["list"]).contains(&id), "still listed");
    let err = s.fails(&["task", "add", &id, "--phase", "1", "x"], 1);
    assert!(err.contains("incomplete"), "{err}");
    let dir = snapshot.parent().unwrap();
    let aside: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("doc.automerge.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "moved aside once");
    assert_eq!(
        std::fs::read(&aside[0]).unwrap().len(),
        bytes.len() / 2,
        "kept as it was"
    );
    assert!(
        Path::new(&snapshot).exists(),
        "a fresh (empty) snapshot in its place"
    );
}

#[test]
fn a_bad_import_file_creates_nothing() {
    let s = Samspill::new();
    let out = tempfile::tempdir().unwrap();
    let bad = out.path().join("bad.json");
    std::fs::write(&bad, r#"{"schema": 2, "meta": {"title": "x"}}"#).unwrap();
    let err = s.fails(&["import", bad.to_str().unwrap()], 1);
    assert!(err.contains("not a Samspill JSON export"), "{err}");
    let garbage = out.path().join("bad.automerge");
    std::fs::write(&garbage, b"\x85\x6f\x4a\x83garbage").unwrap();
    s.fails(&["import", garbage.to_str().unwrap()], 1);
    assert_eq!(s.ok(&["list"]), "");
}

#[test]
fn history_lists_changes_oldest_first_and_restore_brings_an_earlier_state_back() {
    let s = Samspill::new();
    let id =
        last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Historikk"])).to_owned();
    s.ok(&["note", &id, "--phase", "1", "Riktig notat."]);
    let good = s.json(&id);
    s.ok(&["note", &id, "--phase", "1", "Et notat skrevet ved en feil."]);
    s.ok(&["task", "add", &id, "--phase", "2", "Feil oppgave"]);

    let history = s.ok(&["history", &id]);
    let lines: Vec<&str> = history.lines().collect();
    assert!(lines[0].contains("Created “Historikk”"), "{history}");
    assert!(
        lines
            .iter()
            .all(|l| l.split('\t').count() == 4 && l.contains("Kari Nordmann (RVTS Sør)")),
        "{history}"
    );
    let note_line = lines
        .iter()
        .position(|l| l.ends_with("Added a note to oppstart"))
        .unwrap();
    let hash = lines[note_line].split('\t').next().unwrap();

    s.ok(&["restore", &id, "--at", hash]);
    let restored = s.json(&id);
    assert_eq!(restored["phases"], good["phases"]);
    let after = s.ok(&["history", &id]);
    assert_eq!(
        after.lines().count(),
        lines.len() + 1,
        "restore is one new change"
    );
    assert!(
        after
            .lines()
            .last()
            .unwrap()
            .contains("Restored the project as it was after")
    );

    let err = s.fails(&["restore", &id, "--at", "zzzz"], 1);
    assert!(err.contains("no change"), "{err}");
}

#[test]
fn the_plan_and_a_gathering_agenda_export_to_pdf_and_html() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&[
        "new",
        "--template",
        "gathering-programme",
        "--title",
        "Medarbeiderskap i Ringvik",
    ]))
    .to_owned();
    let project = s.json(&id);
    let gathering = &project["gatherings"][0];
    let gid = gathering["id"].as_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let plan = out.path().join("plan.pdf");
    let agenda_pdf = out.path().join("agenda.pdf");
    let agenda_html = out.path().join("agenda.html");
    s.ok(&[
        "export",
        &id,
        "--format",
        "pdf",
        "-o",
        plan.to_str().unwrap(),
    ]);
    s.ok(&[
        "export",
        &id,
        "--gathering",
        &gid[..6],
        "--format",
        "pdf",
        "-o",
        agenda_pdf.to_str().unwrap(),
    ]);
    s.ok(&[
        "export",
        &id,
        "--gathering",
        gid,
        "--format",
        "html",
        "-o",
        agenda_html.to_str().unwrap(),
    ]);

    for file in [&plan, &agenda_pdf] {
        assert!(is_whole_pdf(&std::fs::read(file).unwrap()));
    }
    if let Some(text) = pdf_text(&agenda_pdf) {
        let first_item = gathering["agenda"][0]["title"].as_str().unwrap();
        assert!(text.contains(first_item), "{first_item}");
    }
    let html = std::fs::read_to_string(&agenda_html).unwrap();
    for item in gathering["agenda"].as_array().unwrap() {
        assert!(
            html.contains(&item["title"].as_str().unwrap().replace('&', "&amp;")),
            "agenda item missing"
        );
    }
    assert!(
        !html.contains(project["gatherings"][1]["title"].as_str().unwrap()),
        "only the one gathering"
    );

    let err = s.fails(
        &[
            "export",
            &id,
            "--gathering",
            "zzzz",
            "--format",
            "pdf",
            "-o",
            "-",
        ],
        1,
    );
    assert!(err.contains("no gathering"), "{err}");
}

#[test]
fn a_share_that_cannot_reach_the_relay_leaves_the_project_local() {
    let s = Samspill::new();
    let id =
        last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Ikke delt"])).to_owned();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = s.fails(
        &["share", &id, "--relay", &format!("ws://127.0.0.1:{port}")],
        1,
    );
    assert!(err.contains("could not reach the relay"), "{err}");
    assert!(s.ok(&["list"]).contains("\tLocal"), "still local");
    // Sharing again, on another relay, is allowed: the first attempt left nothing behind.
    let err = s.fails(
        &["share", &id, "--relay", &format!("wss://127.0.0.1:{port}")],
        1,
    );
    assert!(err.contains("could not reach the relay"), "{err}");
}

#[test]
fn a_reader_that_stops_early_gets_no_broken_pipe_error() {
    let s = Samspill::new();
    for args in [&["templates"][..], &["methods"][..], &["--help"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_samspill"))
            .arg("--data-dir")
            .arg(s.dir.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -0`: the reader is gone before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?} printed: {stderr}");
    }
}

#[test]
fn a_word_that_is_neither_a_command_nor_a_link_is_a_usage_error() {
    let s = Samspill::new();
    let out = s.run(&["tempaltes"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("neither a command nor an invite link"),
        "{stderr}"
    );
}

#[test]
fn a_task_gets_someone_to_do_it_and_a_date_typed_the_norwegian_way() {
    let s = Samspill::new();
    let id =
        last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Oppgaver"])).to_owned();
    let task = last_line(&s.ok(&[
        "task",
        "add",
        &id,
        "--phase",
        "1",
        "Kalle inn til oppstartsmøte",
        "--assignee",
        "kari nordmann",
        "--due",
        "15.1.27",
    ]))
    .to_owned();
    let me = s.json(&id)["people"][0]["id"].as_str().unwrap().to_owned();
    let find = |v: &Value| {
        v["phases"][0]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == task.as_str())
            .cloned()
            .unwrap()
    };
    let t = find(&s.json(&id));
    assert_eq!(t["assignee"], me.as_str());
    assert_eq!(t["due"], "2027-01-15");

    s.ok(&[
        "task",
        "edit",
        &id,
        &task,
        "--due",
        "3.2.2027",
        "--title",
        "Kalle inn",
    ]);
    let t = find(&s.json(&id));
    assert_eq!(
        (t["due"].as_str(), t["title"].as_str()),
        (Some("2027-02-03"), Some("Kalle inn"))
    );
    s.ok(&["task", "edit", &id, &task, "--assignee", "", "--due", ""]);
    let t = find(&s.json(&id));
    assert_eq!(
        (t["assignee"].as_str(), t["due"].as_str()),
        (Some(""), Some(""))
    );

    // Bad input says what is wrong and changes nothing.
    let before = s.json(&id);
    let err = s.fails(
        &[
            "task",
            "edit",
            &id,
            &task,
            "--due",
            "31.2.2027",
            "--title",
            "X",
        ],
        1,
    );
    assert!(err.contains("is not a date"), "{err}");
    let err = s.fails(&["task", "edit", &id, &task, "--assignee", "Per Ukjent"], 1);
    assert!(err.contains("nobody called"), "{err}");
    let err = s.fails(
        &[
            "task", "add", &id, "--phase", "1", "Ny", "--due", "i morgen",
        ],
        1,
    );
    assert!(err.contains("is not a date"), "{err}");
    assert_eq!(s.json(&id), before);
}

#[test]
fn a_sami_name_prints_as_written_in_a_tagged_pdf_with_its_font_embedded() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&[
        "new",
        "--template",
        "four-phase",
        "--title",
        "Samhandling i Kárášjohka",
    ]))
    .to_owned();
    let name = "Ringe Máret Čoavddáš (Đ ŋ š ŧ ž)";
    s.ok(&["task", "add", &id, "--phase", "1", name]);
    let out = tempfile::tempdir().unwrap();
    let pdf = out.path().join("plan.pdf");
    s.ok(&[
        "export",
        &id,
        "--format",
        "pdf",
        "-o",
        pdf.to_str().unwrap(),
    ]);
    assert!(is_whole_pdf(&std::fs::read(&pdf).unwrap()));

    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains(name), "{name} not in: {text}");
        assert!(text.contains("Samhandling i Kárášjohka"), "{text}");
    }
    if let Some(fonts) = poppler("pdffonts", &[], &pdf) {
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{fonts}");
        for row in rows {
            // name, type…, encoding, then "emb sub uni": every font embedded.
            let cols: Vec<&str> = row.split_whitespace().collect();
            let emb = cols.len().checked_sub(5).map(|i| cols[i]);
            assert_eq!(emb, Some("yes"), "not embedded: {row}");
        }
    }
    if let Some(info) = poppler("pdfinfo", &[], &pdf) {
        assert!(
            info.lines()
                .any(|l| l.starts_with("Tagged:") && l.ends_with("yes")),
            "{info}"
        );
        assert!(
            info.contains("Samhandling i Kárášjohka"),
            "the title: {info}"
        );
        assert!(info.contains("595 x 842 pts (A4)"), "{info}");
    }
}

#[test]
fn a_project_shared_on_the_local_network_only_says_what_works_there() {
    let s = Samspill::new();
    let id =
        last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Bare her"])).to_owned();
    // Never put on a relay, it can still get a link: one with no relay in it.
    let link = last_line(&s.ok(&["invite", &id, "--role", "editor", "--lan"])).to_owned();
    assert!(link.starts_with("samspill+lan:///join#"), "{link}");
    let viewer = last_line(&s.ok(&["invite", &id, "--role", "viewer", "--lan"])).to_owned();
    assert!(viewer.starts_with("samspill+lan:///join#") && viewer != link);
    let err = s.fails(&["invite", &id, "--role", "viewer"], 1);
    assert!(
        err.contains("shared on the local network only; pass --lan"),
        "{err}"
    );
    let err = s.fails(&["sync", &id], 1);
    assert!(err.contains("`samspill sync --lan`"), "{err}");
    let err = s.fails(&["remove", &id, "Noen"], 1);
    assert!(err.contains("needs it on a relay"), "{err}");
    assert!(s.ok(&["list"]).contains("Shared, nothing waiting"));
    // The secret is nowhere in what went wrong.
    let secret = link.split_once('#').unwrap().1;
    assert!(!err.contains(secret));
}

#[test]
fn a_sync_state_from_the_first_version_is_read_and_kept() {
    let s = Samspill::new();
    let id = last_line(&s.ok(&["new", "--template", "four-phase", "--title", "Gammel"])).to_owned();
    let path = s.dir.path().join("projects").join(&id).join("sync.json");
    std::fs::write(
        &path,
        r#"{ "format": 1, "relay": "ws://127.0.0.1:9", "created": true, "last_seq": 7,
            "snapshot_seq": 0, "snapshot_signed": true, "write_registered": true,
            "next_push_id": 3, "shipped_heads": [], "unacked": [] }"#,
    )
    .unwrap();
    // Read as it was: shared on that relay, its viewer link allowed.
    let viewer = last_line(&s.ok(&["invite", &id, "--role", "viewer"])).to_owned();
    assert!(
        viewer.starts_with("samspill+ws://127.0.0.1:9/join#"),
        "{viewer}"
    );
    // Reading it rewrites nothing (a sync writes it back as format 2, see
    // `app/src/sync/persist.rs`).
    s.ok(&["invite", &id, "--role", "editor", "--lan"]);
    let state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(state["format"], 1, "nothing needed writing");
    let err = s.fails(&["share", &id, "--relay", "ws://127.0.0.1:10"], 1);
    assert!(err.contains("already shared on ws://127.0.0.1:9"), "{err}");
    // A file from a later version is refused by name, not taken for damage.
    std::fs::write(&path, r#"{ "format": 9 }"#).unwrap();
    let err = s.fails(&["invite", &id, "--role", "editor"], 1);
    assert!(err.contains("another version of Samspill"), "{err}");
}
