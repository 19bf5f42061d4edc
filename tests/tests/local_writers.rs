//! Nothing lost on one machine: several writers on one data directory at once (CLI
//! beside CLI, beside `sync --watch`), writers killed with SIGKILL at random moments,
//! damaged files that sync refills, a lost key. Real processes, real files, a real
//! relay.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use samspill_tests::{Client, Relay, eventually, shared_project, task_titles};

fn project_dir(client: &Client, id: &str) -> std::path::PathBuf {
    client.data_dir().join("projects").join(id)
}

fn titles(client: &Client, id: &str) -> BTreeSet<String> {
    task_titles(&client.show(id)).into_iter().collect()
}

#[test]
fn two_cli_writers_at_once_lose_nothing() {
    let alice = Client::new("Alice");
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "To skrivere"]);
    let before = titles(&alice, &id).len();
    std::thread::scope(|s| {
        for who in ["a", "b"] {
            let (alice, id) = (&alice, &id);
            s.spawn(move || {
                for i in 0..25 {
                    alice.ok(&["task", "add", id, "--phase", "1", &format!("{who}{i}")]);
                }
            });
        }
    });
    let after = titles(&alice, &id);
    assert_eq!(after.len(), before + 50, "every task of both writers");
    for who in ["a", "b"] {
        for i in 0..25 {
            assert!(after.contains(&format!("{who}{i}")), "{who}{i} kept");
        }
    }
    assert!(alice.ok(&["list"]).contains(&id));
}

#[test]
fn writers_killed_at_random_moments_keep_every_change_they_reported() {
    let alice = Client::new("Alice");
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "Uheldig"]);
    let reported = Arc::new(Mutex::new(Vec::new()));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        // xorshift: enough randomness for kill moments, and reproducible.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let delays: Vec<u64> = (0..200).map(|_| next() % 40).collect();
    std::thread::scope(|s| {
        for lane in 0..4 {
            let (alice, id, reported, delays) = (&alice, &id, reported.clone(), &delays);
            s.spawn(move || {
                for n in (lane..200).step_by(4) {
                    let title = format!("t{n}");
                    let mut child = alice
                        .command()
                        .args(["task", "add", id, "--phase", "2", &title])
                        .stdout(Stdio::piped())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    if n % 2 == 0 {
                        std::thread::sleep(Duration::from_millis(delays[n]));
                        let _ = child.kill();
                    }
                    let out = child.wait_with_output().unwrap();
                    if out.status.success() && !out.stdout.is_empty() {
                        reported.lock().unwrap().push(title);
                    }
                }
            });
        }
    });
    let reported = reported.lock().unwrap().clone();
    assert!(
        reported.len() >= 100,
        "the unkilled half at least: {}",
        reported.len()
    );
    let kept = titles(&alice, &id);
    for t in &reported {
        assert!(kept.contains(t), "{t} was reported saved and must be there");
    }
    // And the project takes more edits afterwards.
    alice.ok(&["task", "add", &id, "--phase", "2", "etterpå"]);
    assert!(titles(&alice, &id).contains("etterpå"));
}

#[test]
fn the_cli_beside_sync_watch_reaches_the_relay_and_watch_says_what_happens() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Side om side");
    bob.last_line(&["join", &link]);

    let mut watch = alice
        .command()
        .args(["sync", "--watch"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let lines = lines.clone();
        let stderr = watch.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
    }
    eventually("sync --watch to say it is in sync", || {
        lines.lock().unwrap().iter().any(|l| l.ends_with("in sync"))
    });
    // Alice edits from another terminal while the watcher runs.
    std::thread::scope(|s| {
        for who in ["x", "y"] {
            let (alice, id) = (&alice, &id);
            s.spawn(move || {
                for i in 0..10 {
                    alice.ok(&["task", "add", id, "--phase", "1", &format!("{who}{i}")]);
                }
            });
        }
    });
    eventually("Bob to receive every task the CLI added", || {
        bob.sync(&id);
        let t = titles(&bob, &id);
        (0..10).all(|i| t.contains(&format!("x{i}")) && t.contains(&format!("y{i}")))
    });
    watch.kill().unwrap();
    watch.wait().unwrap();
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.starts_with("connected to ws://")),
        "{lines:?}"
    );
    // Alice's copy is whole and still takes edits.
    assert_eq!(titles(&alice, &id).len(), titles(&bob, &id).len());
}

#[test]
fn a_damaged_change_log_is_repaired_and_sync_refills_what_it_lost() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, _link) = shared_project(&alice, &relay, "Skadet logg");
    for i in 0..6 {
        alice.ok(&["task", "add", &id, "--phase", "1", &format!("oppgave {i}")]);
    }
    alice.sync_until_ok(&id);
    let want = titles(&alice, &id);

    // A byte flips in the length of the second record.
    let log = project_dir(&alice, &id).join("changes.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let first_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let second = 8 + 16 + first_len;
    bytes[second + 1] ^= 0x20;
    std::fs::write(&log, &bytes).unwrap();

    let out = alice.run(&["show", &id, "--json"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unreadable") && err.contains("copied to"),
        "{err}"
    );
    assert!(alice.ok(&["list"]).contains(&id), "still listed");
    // The next edit appends after the good records; it never cuts them off.
    alice.ok(&["task", "add", &id, "--phase", "1", "etter skaden"]);
    alice.sync_until_ok(&id);
    let now = titles(&alice, &id);
    assert!(want.is_subset(&now), "refilled from the relay: {now:?}");
    assert!(now.contains("etter skaden"));
}

#[test]
fn a_deleted_snapshot_or_an_emptied_log_leaves_the_project_listed_and_sync_refills_it() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, _link) = shared_project(&alice, &relay, "Borte");
    alice.ok(&["task", "add", &id, "--phase", "1", "før"]);
    alice.sync_until_ok(&id);
    let want = titles(&alice, &id);

    std::fs::remove_file(project_dir(&alice, &id).join("doc.automerge")).unwrap();
    let list = alice.ok(&["list"]);
    assert!(
        list.contains(&id),
        "a project never vanishes from the list: {list}"
    );
    alice.sync_until_ok(&id);
    assert_eq!(titles(&alice, &id), want, "refilled");
    assert_eq!(alice.show(&id)["meta"]["title"], "Borte");

    std::fs::write(project_dir(&alice, &id).join("changes.log"), b"").unwrap();
    let out = alice.run(&["show", &id, "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    alice.sync_until_ok(&id);
    assert_eq!(titles(&alice, &id), want);
}

#[test]
fn no_key_no_sync_and_joining_again_puts_the_key_back() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Nøkkelen");
    bob.last_line(&["join", &link]);
    let secret = project_dir(&alice, &id).join("secret");

    std::fs::remove_file(&secret).unwrap();
    let out = alice.run(&["task", "add", &id, "--phase", "1", "uten nøkkel"]);
    assert!(out.status.success(), "the edit is kept locally");
    assert!(String::from_utf8_lossy(&out.stderr).contains("this device only"));
    let out = alice.run(&["sync", &id]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key") && err.contains("invite link"), "{err}");
    assert!(alice.ok(&["list"]).contains("Sync stopped"));

    // A key of zeros (anyone could derive it) is refused the same way, never used.
    std::fs::write(&secret, [0u8; 32]).unwrap();
    let err = String::from_utf8_lossy(&alice.run(&["sync", &id]).stderr).into_owned();
    assert!(err.contains("another project"), "{err}");
    bob.sync_until_ok(&id);
    assert!(
        !titles(&bob, &id).contains("uten nøkkel"),
        "nothing was pushed"
    );

    // Joining the link again puts the key back; the change made meanwhile goes out.
    // (The link is given on standard input, so its key never shows in `ps`.)
    std::fs::remove_file(&secret).unwrap();
    let mut join = alice
        .command()
        .args(["join", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(join.stdin.take().unwrap(), "{link}").unwrap();
    let out = join.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), id);
    alice.sync_until_ok(&id);
    eventually("Bob to get the change made without the key", || {
        bob.sync(&id);
        titles(&bob, &id).contains("uten nøkkel")
    });
}
