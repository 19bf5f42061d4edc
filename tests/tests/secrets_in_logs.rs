//! Nothing secret and no project content reaches a log, at any level: a relay with
//! `RUST_LOG=trace` and clients with `SAMSPILL_LOG=trace` share (with a token), join
//! (the link on standard input) and sync; then every byte they logged is searched for
//! the token, the link's secret and the project's text.

// Tests: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use samspill_tests::{Client, bin};

#[test]
fn trace_logs_hold_no_token_no_secret_and_no_content() {
    let dir = tempfile::tempdir().unwrap();
    let relay_data = dir.path().join("relay");
    let relay_log = dir.path().join("relay.log");
    let token = {
        let out = Command::new(bin("samspill-relay"))
            .arg("--data")
            .arg(&relay_data)
            .args(["token", "create", "KORUS Sør"])
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let token = stdout.lines().last().unwrap().trim().to_owned();
        assert!(!stderr.contains(&token));
        token
    };
    let mut relay = Command::new(bin("samspill-relay"))
        .args(["--listen", "127.0.0.1:0", "--require-token", "--data"])
        .arg(&relay_data)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&relay_log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(relay.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let mut logged = String::new();
    let mut run = |client: &Client, args: &[&str], stdin: Option<&str>| -> String {
        let mut child = client
            .command()
            .args(args)
            .env("SAMSPILL_LOG", "trace")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "samspill {args:?}: {stderr}");
        logged.push_str(&stderr);
        String::from_utf8(out.stdout).unwrap()
    };

    let alice = Client::new("Alice Hemmelig-navn");
    let bob = Client::new("Bob");
    let title = "Tittel-som-ikke-skal-logges";
    let task = "Oppgave-som-ikke-skal-logges";
    let id = run(
        &alice,
        &["new", "--template", "four-phase", "--title", title],
        None,
    )
    .lines()
    .last()
    .unwrap()
    .trim()
    .to_owned();
    run(&alice, &["task", "add", &id, "--phase", "1", task], None);
    let link = run(
        &alice,
        &[
            "share",
            &id,
            "--relay",
            &format!("ws://{addr}"),
            "--token",
            &token,
        ],
        None,
    )
    .lines()
    .last()
    .unwrap()
    .trim()
    .to_owned();
    run(&bob, &["join", "-"], Some(&link));
    run(&bob, &["sync", &id], None);
    run(
        &bob,
        &["note", &id, "--phase", "1", "Notat-som-ikke-skal-logges"],
        None,
    );
    run(&bob, &["sync", &id], None);
    run(&alice, &["sync", &id], None);
    assert!(run(&alice, &["show", &id, "--json"], None).contains("Notat-som-ikke-skal-logges"));

    relay.kill().unwrap();
    relay.wait().unwrap();
    logged.push_str(&std::fs::read_to_string(&relay_log).unwrap());
    // The logs are not empty: trace logging was on and our own code spoke.
    assert!(
        logged.contains("TRACE") || logged.contains("DEBUG"),
        "{logged}"
    );

    let secret = link.rsplit('#').next().unwrap();
    for (what, needle) in [
        ("the token", token.as_str()),
        ("the token's random part", token.trim_start_matches("srt_")),
        ("the link's secret", secret),
        ("the title", title),
        ("a task", task),
        ("a note", "Notat-som-ikke-skal-logges"),
        ("a name", "Hemmelig-navn"),
    ] {
        assert!(!logged.contains(needle), "{what} is in the logs");
    }
}
