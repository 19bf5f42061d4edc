//! A fresh relay's `/metrics` lists every series (zeros and build info), and token
//! names are printable text. Runs the real binary, so the metrics are this process's
//! alone.
// Tests and their helpers: a panic is a failed test, and says where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn relay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_samspill-relay"))
}

#[test]
fn a_fresh_relay_lists_every_series_with_zeros_and_build_info() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = relay();
    command
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stderr(Stdio::null());
    let (mut child, addr) = common::spawn_listening(command);
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    tcp.read_to_string(&mut body).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    for series in [
        "samspill_relay_connections 0",
        "samspill_relay_subscriptions 0",
        "samspill_relay_connections_total 0",
        "samspill_relay_subscribes_total 0",
        "samspill_relay_documents_created_total 0",
        "samspill_relay_pushes_total 0",
        "samspill_relay_snapshots_total 0",
        "samspill_relay_ephemeral_total 0",
        "samspill_relay_bytes_received_total 0",
        "samspill_relay_bytes_sent_total 0",
        "samspill_relay_slow_disconnects_total 0",
        "samspill_relay_commit_failures_total 0",
        "samspill_relay_accept_errors_total 0",
        "samspill_relay_errors_total{code=\"bad_frame\"} 0",
        "samspill_relay_errors_total{code=\"internal\"} 0",
        "samspill_relay_errors_total{code=\"hello_timeout\"} 0",
        "samspill_relay_connections_refused_total{reason=\"per_ip\"} 0",
    ] {
        assert!(body.contains(series), "{series} missing from:\n{body}");
    }
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        body.lines()
            .any(|l| l.starts_with("samspill_relay_build_info{")
                && l.contains(&format!("version=\"{version}\""))
                && l.contains("protocol=")
                && l.ends_with(" 1")),
        "build info missing from:\n{body}"
    );
}

#[test]
fn a_token_may_be_named_korus_sor() {
    let dir = tempfile::tempdir().unwrap();
    let out = relay()
        .arg("--data")
        .arg(dir.path())
        .args(["token", "create", "KORUS Sør"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = relay()
        .arg("--data")
        .arg(dir.path())
        .args(["token", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.starts_with("KORUS Sør\t"), "{listed}");
    let out = relay()
        .arg("--data")
        .arg(dir.path())
        .args(["token", "create", "two\nlines"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("control characters"));
}
