//! Sync in a room with no internet: two machines in network namespaces of their own,
//! joined by a veth pair (the room's network), each with a second link to the
//! "internet" (the root namespace, where the normal relay and a third machine are).
//!
//! The test makes the namespaces itself (`ip netns`, root only) and skips with a
//! printed reason where it cannot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use samspill_tests::{Client, Relay, bin, eventually, task_titles};

/// Two namespaces: `a` and `b` on a shared LAN (10.77.0.0/24), each with a link to
/// the root namespace (A: 10.78.1.0/30, B: 10.78.2.0/30) that stands for the
/// internet. The relay is reached at 10.79.0.1, an address on the root namespace's
/// loopback interface, routed to from both (and always reachable from the root
/// namespace itself, where the third machine is).
struct Net {
    a: String,
    b: String,
    wan: [String; 2],
}

const RELAY_IP: &str = "10.79.0.1";

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("`ip` could not run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Net {
    fn make() -> Result<Self, String> {
        let tag = std::process::id() % 100_000;
        let net = Self {
            a: format!("ssa{tag}"),
            b: format!("ssb{tag}"),
            wan: [format!("swa{tag}"), format!("swb{tag}")],
        };
        ip(&["netns", "add", &net.a])?;
        // From here on, Drop cleans up whatever was made.
        ip(&["netns", "add", &net.b])?;
        // Left over from an earlier run that was killed: that is fine.
        if let Err(e) = ip(&["addr", "add", &format!("{RELAY_IP}/32"), "dev", "lo"])
            && !e.contains("File exists")
        {
            return Err(e);
        }
        let (la, lb) = (format!("sla{tag}"), format!("slb{tag}"));
        ip(&["link", "add", &la, "type", "veth", "peer", "name", &lb])?;
        ip(&["link", "set", &la, "netns", &net.a])?;
        ip(&["link", "set", &lb, "netns", &net.b])?;
        for (ns, dev, addr) in [(&net.a, &la, "10.77.0.1/24"), (&net.b, &lb, "10.77.0.2/24")] {
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            // mDNS goes out on the room's network.
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", dev])?;
        }
        for (i, ns) in [&net.a, &net.b].into_iter().enumerate() {
            let n = i + 1;
            let (root_end, ns_end) = (net.wan[i].clone(), format!("sxw{n}{tag}"));
            ip(&[
                "link", "add", &root_end, "type", "veth", "peer", "name", &ns_end,
            ])?;
            ip(&["link", "set", &ns_end, "netns", ns])?;
            ip(&["addr", "add", &format!("10.78.{n}.1/30"), "dev", &root_end])?;
            ip(&["link", "set", &root_end, "up"])?;
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("10.78.{n}.2/30"),
                "dev",
                &ns_end,
            ])?;
            ip(&["-n", ns, "link", "set", &ns_end, "up"])?;
            let gateway = format!("10.78.{n}.1");
            ip(&[
                "-n",
                ns,
                "route",
                "add",
                &format!("{RELAY_IP}/32"),
                "via",
                &gateway,
            ])?;
        }
        Ok(net)
    }

    /// The internet comes and goes: both machines' links to it.
    fn internet(&self, up: bool) {
        for i in 0..self.wan.len() {
            self.internet_for(i, up);
        }
    }

    /// One machine's link to the internet (0: A, 1: B).
    fn internet_for(&self, machine: usize, up: bool) {
        let dev = &self.wan[machine];
        ip(&["link", "set", dev, if up { "up" } else { "down" }]).unwrap();
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends, and with them their peers.
        let _ = ip(&["netns", "del", &self.a]);
        let _ = ip(&["netns", "del", &self.b]);
        let _ = ip(&["addr", "del", &format!("{RELAY_IP}/32"), "dev", "lo"]);
    }
}

/// `samspill --data-dir DIR` inside a namespace.
fn samspill_in(ns: &str, client: &Client) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns])
        .arg(bin("samspill"))
        .arg("--data-dir")
        .arg(client.data_dir())
        .env_remove("SAMSPILL_DATA_DIR")
        .env_remove("SAMSPILL_MDNS_PORT");
    c
}

fn run_in(ns: &str, client: &Client, args: &[&str]) -> Output {
    samspill_in(ns, client).args(args).output().unwrap()
}

fn ok_in(ns: &str, client: &Client, args: &[&str]) -> String {
    let out = run_in(ns, client, args);
    assert!(
        out.status.success(),
        "samspill {args:?} in {ns} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().last().unwrap_or_default().trim().to_owned()
}

fn titles_in(ns: &str, client: &Client, id: &str) -> Vec<String> {
    let out = run_in(ns, client, &["show", id, "--json"]);
    task_titles(&serde_json::from_slice(&out.stdout).unwrap_or_default())
}

/// `sync --lan --watch` in a namespace, SIGKILLed on drop; its log in `log`.
struct Watch(Child);

impl Watch {
    fn start(ns: &str, client: &Client, log: &Path) -> Self {
        let log = std::fs::File::create(log).unwrap();
        let child = samspill_in(ns, client)
            .args(["sync", "--lan", "--watch"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self(child)
    }

    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn has_all(titles: &[String], wanted: &[&str]) -> bool {
    wanted.iter().all(|w| titles.iter().any(|t| t == w))
}

#[test]
fn two_machines_sync_on_a_lan_without_internet_and_reach_the_relay_afterwards() {
    let net = match Net::make() {
        Ok(net) => net,
        Err(why) => {
            eprintln!("skipped: network namespaces cannot be made here ({why})");
            return;
        }
    };
    let logs = tempfile::tempdir().unwrap();
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_listening(relay_dir.path(), "0.0.0.0:0");
    let relay_url = format!("ws://{RELAY_IP}:{}", relay.port);
    let (a, b) = (net.a.as_str(), net.b.as_str());

    // Before the gathering, online: Anne shares the project; Cecilie (never on the
    // LAN) joins through the relay.
    let anne = Client::new("Anne");
    let maret = Client::new("Máret Čoavddáš");
    let cecilie = Client::new("Cecilie");
    let id = ok_in(
        a,
        &anne,
        &[
            "new",
            "--template",
            "four-phase",
            "--title",
            "Samling i Kautokeino",
        ],
    );
    let link = ok_in(a, &anne, &["share", &id, "--relay", &relay_url]);
    assert_eq!(cecilie.last_line(&["join", &link]), id);

    // At the gathering the internet is gone.
    net.internet(false);
    let lan_link = ok_in(a, &anne, &["invite", &id, "--role", "editor", "--lan"]);
    assert!(lan_link.starts_with("samspill+lan:///join#"), "{lan_link}");
    let viewer_link = ok_in(a, &anne, &["invite", &id, "--role", "viewer", "--lan"]);
    let anne_watch = Watch::start(a, &anne, &logs.path().join("anne.log"));

    // Máret joins from the link with no relay: she finds Anne's machine on the LAN.
    assert_eq!(ok_in(b, &maret, &["join", &lan_link]), id);
    let mut maret_watch = Watch::start(b, &maret, &logs.path().join("maret.log"));

    // Live both ways.
    ok_in(
        a,
        &anne,
        &["task", "add", &id, "--phase", "1", "Anne på samlingen"],
    );
    eventually("Máret to see Anne's task", || {
        has_all(&titles_in(b, &maret, &id), &["Anne på samlingen"])
    });
    ok_in(
        b,
        &maret,
        &["task", "add", &id, "--phase", "1", "Máret på samlingen"],
    );
    eventually("Anne to see Máret's task", || {
        has_all(&titles_in(a, &anne, &id), &["Máret på samlingen"])
    });

    // A reader's link for the LAN works too, and reads only.
    let reader = Client::new("Leder");
    assert_eq!(ok_in(b, &reader, &["join", &viewer_link]), id);
    assert!(has_all(
        &titles_in(b, &reader, &id),
        &["Máret på samlingen"]
    ));
    assert!(
        !run_in(b, &reader, &["task", "add", &id, "--phase", "1", "x"])
            .status
            .success()
    );

    // Someone else's project is not recognised: nothing is found for its link.
    let stranger = Client::new("Fremmed");
    let other = ok_in(
        b,
        &stranger,
        &["new", "--template", "four-phase", "--title", "Annet"],
    );
    let other_link = ok_in(
        b,
        &stranger,
        &["invite", &other, "--role", "editor", "--lan"],
    );
    let outsider = Client::new("Utenfor");
    let out = run_in(b, &outsider, &["join", &other_link, "--lan-wait", "3"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("found no one with this project"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Máret's machine goes away mid-gathering; both go on working.
    maret_watch.kill();
    ok_in(
        a,
        &anne,
        &["task", "add", &id, "--phase", "2", "Mens Máret var borte"],
    );
    ok_in(
        b,
        &maret,
        &["task", "add", &id, "--phase", "2", "Máret alene"],
    );
    let all = [
        "Anne på samlingen",
        "Máret på samlingen",
        "Mens Máret var borte",
        "Máret alene",
    ];
    // Back, she syncs once through whoever is on the network: her task goes to Anne's
    // machine, and Anne's comes back.
    let once = run_in(b, &maret, &["sync", "--lan", &id]);
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    assert!(has_all(&titles_in(b, &maret, &id), &all));
    maret_watch = Watch::start(b, &maret, &logs.path().join("maret-2.log"));
    eventually("both machines to hold all four tasks", || {
        has_all(&titles_in(a, &anne, &id), &all) && has_all(&titles_in(b, &maret, &id), &all)
    });
    assert!(
        cecilie.sync(&id),
        "the relay is up; only the machines are cut off"
    );
    assert!(
        !has_all(&task_titles(&cecilie.show(&id)), &["Anne på samlingen"]),
        "nothing reached the relay while the internet was down"
    );

    // The internet comes back, for Máret first: everything made on the LAN, Anne's
    // too, reaches the relay through her machine (she learned its address from the
    // project), and Cecilie, never on the LAN, gets it all.
    net.internet_for(1, true);
    eventually("Cecilie to get everything made on the LAN", || {
        cecilie.sync(&id) && has_all(&task_titles(&cecilie.show(&id)), &all)
    });
    net.internet_for(0, true);
    ok_in(
        a,
        &anne,
        &["task", "add", &id, "--phase", "3", "Anne tilbake på nett"],
    );
    eventually(
        "Cecilie to get Anne's task from after the gathering",
        || {
            cecilie.sync(&id)
                && has_all(&task_titles(&cecilie.show(&id)), &["Anne tilbake på nett"])
        },
    );
    // Máret's state is kept per relay: Anne's machine on the LAN, and the relay.
    let state: serde_json::Value = maret.sync_state(&id);
    let relays: Vec<&str> = state["relays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relay"].as_str().unwrap())
        .collect();
    assert!(relays.iter().any(|r| r.starts_with("lan:")), "{relays:?}");
    assert!(relays.contains(&relay_url.as_str()), "{relays:?}");
    let c = task_titles(&cecilie.show(&id));
    eventually("all three to converge", || {
        titles_in(a, &anne, &id) == c && titles_in(b, &maret, &id) == c
    });
    drop(maret_watch);
    drop(anne_watch);
    drop(net);
}
