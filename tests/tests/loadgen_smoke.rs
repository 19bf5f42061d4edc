//! The load generator's scenarios run end to end against a real relay it spawns, briefly
//! (the measured runs are in docs/PERFORMANCE.md): each reports JSON with no errors.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

fn loadgen(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_samspill-loadgen"))
        .args(args)
        .args(["--spawn", "--json"])
        .output()
        .expect("run samspill-loadgen");
    assert!(
        out.status.success(),
        "samspill-loadgen {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn typing_through_the_apps_own_engines_loses_no_keystroke() {
    let r = loadgen(&["--scenario", "typing", "--rate", "10", "--duration", "3"]);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["converged"], true, "{r}");
    let typed = r["keystrokes"].as_u64().expect("keystrokes");
    assert!(typed >= 20, "{r}");
    assert_eq!(r["arrived"].as_u64(), Some(typed), "{r}");
    assert!(r["p50_us"].as_u64().is_some_and(|p| p > 0), "{r}");
}

#[test]
fn propagation_reaches_every_reader_with_the_echo_baseline_beside_it() {
    let r = loadgen(&[
        "--clients",
        "4",
        "--writers",
        "2",
        "--rate",
        "20",
        "--duration",
        "2",
        "--baseline-secs",
        "1",
    ]);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert!(r["deliveries"].as_u64().is_some_and(|d| d > 0), "{r}");
    assert!(r["baseline_p50_us"].as_u64().is_some_and(|p| p > 0), "{r}");
}

#[test]
fn three_postgres_nodes_forward_within_and_across_nodes() {
    if let Err(why) = samspill_tests::servers::Postgres::start() {
        return samspill_tests::servers::skip("three_postgres_nodes_forward", &why);
    }
    let r = loadgen(&[
        "--nodes",
        "3",
        "--clients",
        "6",
        "--rate",
        "20",
        "--duration",
        "2",
        "--baseline-secs",
        "1",
    ]);
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["nodes"], 3, "{r}");
    assert!(r["same_node_n"].as_u64().is_some_and(|n| n > 0), "{r}");
    assert!(r["cross_node_n"].as_u64().is_some_and(|n| n > 0), "{r}");
    let many = loadgen(&[
        "--nodes",
        "2",
        "--scenario",
        "many-documents",
        "--clients",
        "4",
        "--docs",
        "200",
        "--baseline-secs",
        "1",
    ]);
    assert_eq!(many["errors"], 0, "{many}");
    assert_eq!(many["subscriptions"], 400, "{many}");
}
