//! Several relay nodes on one real PostgreSQL, with real nginx as the one address.
//!
//! Each test starts its own cluster (`initdb` in a temporary directory) and real
//! `samspill-relay` processes with `--database`; clients are real `samspill` processes.
//! Without PostgreSQL or nginx on the machine a test prints why it is skipped and passes
//! (`.ci/run` installs both, so CI runs them all).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::Duration;

use samspill_tests::servers::{Nginx, Postgres, skip};
use samspill_tests::{Client, Relay, bin, eventually, shared_project, task_titles};

fn postgres(test: &str) -> Option<Postgres> {
    match Postgres::start() {
        Ok(pg) => Some(pg),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

/// A relay node on the cluster (its --data directory stays unused).
fn node(pg: &Postgres, data: &tempfile::TempDir) -> Relay {
    Relay::start_with(data.path(), &["--database", &pg.url()])
}

/// `samspill sync --watch`, stopped on drop.
struct Watch(Child);

impl Watch {
    fn start(client: &Client) -> Self {
        Self(
            client
                .command()
                .args(["sync", "--watch"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The same link pointing at another node's port.
fn via(link: &str, from: &Relay, to: &Relay) -> String {
    let moved = link.replace(
        &format!("127.0.0.1:{}/", from.port),
        &format!("127.0.0.1:{}/", to.port),
    );
    assert_ne!(moved, link, "the link names the first node: {link}");
    moved
}

/// A gauge or counter from a node's `/metrics`.
fn metric(relay: &Relay, name: &str) -> Option<f64> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", relay.port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn notes(client: &Client, id: &str, phase: usize) -> String {
    client.show(id)["phases"][phase]["notes"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn clients_on_two_nodes_edit_live_and_the_database_holds_no_plaintext() {
    let Some(pg) = postgres("clients_on_two_nodes_edit_live") else {
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(&pg, &da);
    let b = node(&pg, &db);
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &a, "Samarbeid tvers av noder");
    assert_eq!(bob.last_line(&["join", &via(&link, &a, &b)]), id);

    let _alice_watch = Watch::start(&alice);
    let _bob_watch = Watch::start(&bob);
    // Each edits while both watch: what Alice writes through node A reaches Bob's
    // watcher on node B, and back.
    alice.ok(&["note", &id, "--phase", "2", "Hemmelig notat fra node A"]);
    eventually("Bob (node B) to get Alice's note (node A)", || {
        notes(&bob, &id, 1).contains("Hemmelig notat fra node A")
    });
    bob.ok(&[
        "task",
        "add",
        &id,
        "--phase",
        "1",
        "Oppgave skrevet via node B",
    ]);
    eventually("Alice (node A) to get Bob's task (node B)", || {
        task_titles(&alice.show(&id)).contains(&"Oppgave skrevet via node B".to_owned())
    });
    assert!(
        metric(&a, "samspill_relay_remote_entries_total").unwrap_or(0.0) >= 1.0
            && metric(&b, "samspill_relay_remote_entries_total").unwrap_or(0.0) >= 1.0,
        "each node forwarded the other's entries"
    );
    // Nothing of the project is readable in the database.
    let dump = pg.dump();
    for plain in [
        "Hemmelig notat fra node A",
        "Oppgave skrevet via node B",
        "Samarbeid tvers av noder",
        "Alice",
    ] {
        assert!(
            !dump.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain:?} is in pg_dump"
        );
    }
    // The nodes keep nothing in their --data directories.
    for dir in [&da, &db] {
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "a PostgreSQL node wrote to its data directory"
        );
    }
}

#[test]
fn a_removal_through_one_node_is_followed_live_through_the_other() {
    let Some(pg) = postgres("a_removal_through_one_node") else {
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(&pg, &da);
    let b = node(&pg, &db);
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let carol = Client::new("Carol");
    let (id, link) = shared_project(&alice, &a, "Fjerning over to noder");
    assert_eq!(bob.last_line(&["join", &via(&link, &a, &b)]), id);
    assert_eq!(carol.last_line(&["join", &link]), id);
    for (c, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        c.ok(&["note", &id, "--phase", "1", &format!("{name} var her")]);
        c.sync_until_ok(&id);
    }
    alice.sync_until_ok(&id);
    // Bob watches through node B while Alice removes Carol through node A.
    let _bob_watch = Watch::start(&bob);
    let said = alice.ok(&["remove", &id, "Carol"]);
    assert!(said.contains("epoch 1"), "{said}");
    alice.ok(&["note", &id, "--phase", "2", "Etter fjerningen, via node A"]);
    alice.sync_until_ok(&id);
    eventually(
        "Bob (node B) to follow the removal and get Alice's note",
        || notes(&bob, &id, 1).contains("Etter fjerningen, via node A"),
    );
    // The sealed document refuses Carol's sync; she keeps what she had.
    let out = carol.run(&["sync", &id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no longer have access"));
    assert!(!notes(&carol, &id, 1).contains("Etter fjerningen"));
    assert_eq!(
        pg.psql("SELECT count(*) FROM documents WHERE moved_to IS NOT NULL"),
        "1\n"
    );
}

#[test]
fn a_node_killed_mid_burst_loses_nothing_acknowledged() {
    let Some(pg) = postgres("a_node_killed_mid_burst") else {
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut nodes = [node(&pg, &da), node(&pg, &db)];
    let nginx = match Nginx::start(&[nodes[0].port, nodes[1].port]) {
        Ok(nginx) => nginx,
        Err(why) => return skip("a_node_killed_mid_burst", &why),
    };
    let alice = Client::new("Alice");
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "Bak nginx"]);
    let link = alice.last_line(&["share", &id, "--relay", &nginx.url()]);
    assert!(link.contains(&format!(":{}/", nginx.port)), "{link}");

    let watch = Watch::start(&alice);
    let titles: Vec<String> = (0..24).map(|i| format!("Oppgave {i:02}")).collect();
    for title in &titles[..12] {
        alice.ok(&["task", "add", &id, "--phase", "3", title]);
        std::thread::sleep(Duration::from_millis(30));
    }
    // The node the watcher is connected to dies mid-burst, without warning.
    let mut serving = None;
    eventually("the watcher to be connected to a node", || {
        serving = nodes
            .iter()
            .position(|n| metric(n, "samspill_relay_connections").unwrap_or(0.0) >= 1.0);
        serving.is_some()
    });
    let serving = serving.unwrap();
    nodes[serving].kill();
    for title in &titles[12..] {
        alice.ok(&["task", "add", &id, "--phase", "3", title]);
        std::thread::sleep(Duration::from_millis(30));
    }
    // The watcher reconnects through nginx to the other node and pushes the rest.
    let other = &nodes[1 - serving];
    eventually("the watcher to reach the other node", || {
        metric(other, "samspill_relay_connections").unwrap_or(0.0) >= 1.0
    });
    drop(watch);
    alice.sync_until_ok(&id);
    assert_eq!(alice.sync_column(&id), "Shared, nothing waiting");

    // Someone joining later through the same address gets every task.
    let bob = Client::new("Bob");
    assert_eq!(bob.last_line(&["join", &link]), id);
    let got = task_titles(&bob.show(&id));
    for title in &titles {
        assert_eq!(
            got.iter().filter(|t| *t == title).count(),
            1,
            "{title} once in {got:?}"
        );
    }
}

#[test]
fn nodes_recover_by_themselves_when_postgres_restarts_under_load() {
    recover_after("nodes_recover_when_postgres_restarts", Postgres::restart);
}

#[test]
fn nodes_recover_by_themselves_when_postgres_crashes_under_load() {
    recover_after(
        "nodes_recover_when_postgres_crashes",
        Postgres::crash_and_restart,
    );
}

/// Two nodes, a watcher on each; `outage` happens to PostgreSQL while one client writes.
fn recover_after(test: &str, outage: fn(&mut Postgres)) {
    let Some(mut pg) = postgres(test) else {
        return;
    };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(&pg, &da);
    let b = node(&pg, &db);
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &a, "Omstart");
    bob.last_line(&["join", &via(&link, &a, &b)]);
    let _alice_watch = Watch::start(&alice);
    let _bob_watch = Watch::start(&bob);
    alice.ok(&["note", &id, "--phase", "2", "Før omstarten"]);
    eventually("Bob to get the first note", || {
        notes(&bob, &id, 1).contains("Før omstarten")
    });

    // Alice keeps adding tasks while the database restarts.
    let titles: Vec<String> = (0..10).map(|i| format!("Under omstart {i}")).collect();
    let writer = {
        let titles = titles.clone();
        let alice_dir = alice.data_dir().to_owned();
        let id = id.clone();
        std::thread::spawn(move || {
            for title in titles {
                let out = std::process::Command::new(bin("samspill"))
                    .arg("--data-dir")
                    .arg(&alice_dir)
                    .args(["task", "add", &id, "--phase", "3", &title])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    outage(&mut pg);
    writer.join().unwrap();
    alice.ok(&["note", &id, "--phase", "2", "Etter omstarten"]);

    // No one restarted a node or a client: the nodes reconnect to PostgreSQL, and
    // Bob's watcher on the other node gets everything.
    eventually("Bob to get everything written around the restart", || {
        let got = task_titles(&bob.show(&id));
        titles.iter().all(|t| got.contains(t)) && notes(&bob, &id, 1).contains("Etter omstarten")
    });
}

#[test]
fn tokens_live_in_the_database_for_every_node() {
    let Some(pg) = postgres("tokens_live_in_the_database") else {
        return;
    };
    let url = pg.url();
    let relay = |args: &[&str]| {
        std::process::Command::new(bin("samspill-relay"))
            .args(["--database", &url])
            .args(args)
            .output()
            .unwrap()
    };
    let created = relay(&["token", "create", "RVTS Øst"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8(created.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert!(token.starts_with("srt_"));
    let again = relay(&["token", "create", "RVTS Øst"]);
    assert!(!again.status.success(), "a second active token of one name");

    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Relay::start_with(da.path(), &["--database", &url, "--require-token"]);
    let b = Relay::start_with(db.path(), &["--database", &url, "--require-token"]);
    let alice = Client::new("Alice");
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "Med token"]);
    let refused = alice.run(&["share", &id, "--relay", &a.url()]);
    assert!(
        !refused.status.success(),
        "sharing without a token is refused"
    );
    // The token was made with no node running; both nodes know it.
    let link = alice.last_line(&["share", &id, "--relay", &b.url(), "--token", &token]);
    assert!(link.starts_with("samspill+ws://"), "{link}");

    let listed = String::from_utf8(relay(&["token", "list"]).stdout).unwrap();
    assert!(
        listed.contains("RVTS Øst") && listed.contains("active") && listed.contains("1 documents"),
        "{listed}"
    );
    assert!(relay(&["token", "revoke", "RVTS Øst"]).status.success());
    let listed = String::from_utf8(relay(&["token", "list"]).stdout).unwrap();
    assert!(listed.contains("revoked"), "{listed}");
    // Only the hash is stored.
    let dump = pg.dump();
    assert!(!dump.windows(token.len()).any(|w| w == token.as_bytes()));
    // A bad URL is a clear error, with no password in it.
    let bad = std::process::Command::new(bin("samspill-relay"))
        .args([
            "--database",
            "postgres://relay:hunter2@127.0.0.1:1/none",
            "token",
            "list",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(err.contains("127.0.0.1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn nodes_starting_together_migrate_once_and_a_newer_schema_is_refused() {
    let Some(pg) = postgres("nodes_starting_together_migrate_once") else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<Relay> = std::thread::scope(|s| {
        let started: Vec<_> = dirs.iter().map(|d| s.spawn(|| node(&pg, d))).collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(nodes.len(), 3);
    // One row per migration, each applied once.
    assert_eq!(
        pg.psql("SELECT count(*), count(DISTINCT version) FROM samspill_schema"),
        "3|3\n"
    );
    drop(nodes);

    // A database a newer relay has migrated: this one says so and does not start.
    pg.psql("INSERT INTO samspill_schema (version) VALUES (99)");
    let out = std::process::Command::new(bin("samspill-relay"))
        .args(["--listen", "127.0.0.1:0", "--database", &pg.url()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("newer samspill-relay"), "{err}");
}
