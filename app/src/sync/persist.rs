//! `sync.json`: the relays a shared project syncs through, and the state machine's
//! [`SyncState`] for each of them.
//!
//! ```json
//! { "format": 2,
//!   "relays": [
//!     { "relay": "ws://127.0.0.1:8787", "created": true, "epoch": 0,
//!       "last_seq": 12, "snapshot_seq": 0, "next_push_id": 5,
//!       "shipped_heads": ["3f2a…"], "unacked": [{ "id": 4, "blob": "AQ…" }] },
//!     { "relay": "lan:5c1e…", "created": true, "epoch": 0, "last_seq": 3, … } ] }
//! ```
//!
//! The first URL in `relays` is the project's home relay (the one `share` put it on,
//! whose links `invite` prints). A relay on the local network (`sync --lan`) is known
//! by its id, `lan:` and 32 hex digits, since its address changes from run to run; each
//! relay numbers its entries itself, so each keeps its own sequence numbers and its own
//! unacknowledged entries. Format 1 (one relay, its state at the top level) is read as
//! a file with that one relay and written back as format 2.
//!
//! Written with [`store::atomic_write`] under the project's lock (through a temp file
//! of its own), so a crash leaves the old or the new file and two processes never mix
//! theirs. One relay's state is read, replaced and written under one hold of the lock
//! ([`save_relay`]), so engines syncing the same project through different relays
//! never undo each other's progress. A project without the file has never been shared.

use std::fmt;
use std::str::FromStr;

use anyhow::Context as _;
use samspill_shared::lan::LanRelayId;
use samspill_shared::link::RelayUrl;
use samspill_shared::sync::SyncState;
use serde::{Deserialize, Serialize};

use crate::store::ProjectFiles;

const FORMAT: u32 = 2;

/// A relay a project syncs through.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RelayRef {
    /// A relay at a fixed address (`ws://…`, `wss://…`).
    Url(RelayUrl),
    /// A device's relay on the local network, found by mDNS wherever it is now.
    Lan(LanRelayId),
}

impl RelayRef {
    pub fn url(&self) -> Option<&RelayUrl> {
        match self {
            Self::Url(u) => Some(u),
            Self::Lan(_) => None,
        }
    }

    pub fn is_lan(&self) -> bool {
        matches!(self, Self::Lan(_))
    }
}

impl fmt::Display for RelayRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(u) => u.fmt(f),
            Self::Lan(id) => id.fmt(f),
        }
    }
}

impl fmt::Debug for RelayRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayRef({self})")
    }
}

impl FromStr for RelayRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("lan:") {
            return s.parse().map(Self::Lan).map_err(|e| format!("{e}"));
        }
        s.parse().map(Self::Url).map_err(|e| format!("{e}"))
    }
}

impl TryFrom<String> for RelayRef {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RelayRef> for String {
    fn from(r: RelayRef) -> Self {
        r.to_string()
    }
}

impl From<RelayUrl> for RelayRef {
    fn from(u: RelayUrl) -> Self {
        Self::Url(u)
    }
}

/// The contents of `sync.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFile {
    pub format: u32,
    /// Every relay the project syncs through, the home relay first.
    pub relays: Vec<RelaySync>,
    /// This device was left out of a removal: it keeps what it had, read-only, and
    /// syncs no more.
    #[serde(default)]
    pub removed: Option<Removed>,
}

/// One relay's part of `sync.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelaySync {
    pub relay: RelayRef,
    /// The relay has the document (a subscribe succeeded once). Until then, subscribing
    /// asks the relay to create it.
    pub created: bool,
    /// The epoch `state` is for (0 until someone is removed). State for an older epoch
    /// than `epoch.key`'s (a crash while following a removal, or a relay other than the
    /// one the removal happened on) is started afresh.
    #[serde(default)]
    pub epoch: u32,
    #[serde(flatten)]
    pub state: SyncState,
}

/// How this device lost access, as the rotation said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// The epoch this device was left out of.
    pub epoch: u32,
    /// The person id of whoever removed.
    pub by: String,
    /// This device's person was the one removed; otherwise the device was only left
    /// out (it had not published itself in the project).
    #[serde(default = "yes")]
    pub person: bool,
    /// The document the project moved to: a link for it lets this device back in.
    #[serde(default)]
    pub to: Option<String>,
}

fn yes() -> bool {
    true
}

/// Format 1: one relay, its state at the top level.
#[derive(Deserialize)]
struct FileV1 {
    relay: RelayUrl,
    created: bool,
    #[serde(default)]
    epoch: u32,
    #[serde(default)]
    removed: Option<Removed>,
    #[serde(flatten)]
    state: SyncState,
}

impl RelaySync {
    /// A relay the project has not synced with yet.
    pub fn new(relay: RelayRef, epoch: u32) -> Self {
        Self {
            relay,
            created: false,
            epoch,
            state: SyncState {
                // A project put on a relay by this version holds only signed entries:
                // no older, unsigned snapshot needs replacing.
                snapshot_signed: true,
                ..SyncState::default()
            },
        }
    }

    /// A relay that has the document already (this device learned of it from the
    /// project, where another member recorded it).
    pub fn existing(relay: RelayRef, epoch: u32) -> Self {
        Self {
            created: true,
            ..Self::new(relay, epoch)
        }
    }

    /// The state for a new epoch's document, which the rotation created on the relay
    /// with the whole document as entry 1 and its write key registered. `shipped` are
    /// the heads of that entry when this device has them all (then only what it has
    /// beyond them is pushed), else empty (the whole document is pushed once).
    pub fn for_epoch(relay: RelayRef, epoch: u32, shipped: Vec<String>) -> Self {
        let mut entry = Self::existing(relay, epoch);
        entry.state.write_registered = true;
        entry.state.shipped_heads = shipped;
        entry
    }
}

/// The most LAN relays whose state a project keeps (one per machine met on a network).
pub const MAX_LAN_RELAYS: usize = 16;

impl SyncFile {
    /// A project synced through `relays` and no other.
    pub fn with(relays: Vec<RelaySync>) -> Self {
        Self {
            format: FORMAT,
            relays,
            removed: None,
        }
    }

    /// The home relay: the first one with an address (`None` for a project shared on
    /// the local network only).
    pub fn home(&self) -> Option<&RelayUrl> {
        self.relays.iter().find_map(|r| r.relay.url())
    }

    pub fn relay(&self, relay: &RelayRef) -> Option<&RelaySync> {
        self.relays.iter().find(|r| &r.relay == relay)
    }

    /// Puts `entry` in the place of the relay's old state, or adds it at the end. A LAN
    /// relay's state moves to the end whenever it is saved, so the LAN relays stand in
    /// the order they were last used; one beyond [`MAX_LAN_RELAYS`] makes room by
    /// dropping the state of the least recently used one with nothing waiting for its
    /// acknowledgement: meeting that relay again costs one full exchange and loses
    /// nothing.
    pub fn put(&mut self, entry: RelaySync) {
        if !entry.relay.is_lan() {
            match self.relays.iter_mut().find(|r| r.relay == entry.relay) {
                Some(old) => *old = entry,
                None => self.relays.push(entry),
            }
            return;
        }
        self.relays.retain(|r| r.relay != entry.relay);
        self.relays.push(entry);
        let lans = self.relays.iter().filter(|r| r.relay.is_lan()).count();
        let last = self.relays.len() - 1;
        if lans > MAX_LAN_RELAYS
            && let Some(i) = self.relays[..last]
                .iter()
                .position(|r| r.relay.is_lan() && r.state.unacked.is_empty())
        {
            self.relays.remove(i);
        }
    }
}

fn parse(bytes: &[u8]) -> Result<SyncFile, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let format = value.get("format").and_then(serde_json::Value::as_u64);
    match format {
        Some(1) => {
            let v1: FileV1 = serde_json::from_value(value).map_err(|e| e.to_string())?;
            Ok(SyncFile {
                format: FORMAT,
                relays: vec![RelaySync {
                    relay: RelayRef::Url(v1.relay),
                    created: v1.created,
                    epoch: v1.epoch,
                    state: v1.state,
                }],
                removed: v1.removed,
            })
        }
        Some(2) => serde_json::from_value(value).map_err(|e| e.to_string()),
        Some(n) => Err(format!("format {n}")),
        None => Err("no format".to_owned()),
    }
}

/// Reads a project's `sync.json`; `None` when the project is not shared.
pub fn load(files: &ProjectFiles) -> anyhow::Result<Option<SyncFile>> {
    let path = files.sync_path();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
    };
    match parse(&bytes) {
        Ok(file) => Ok(Some(file)),
        Err(why) if why.starts_with("format ") => anyhow::bail!(
            "{} was written by another version of Samspill ({why}); update Samspill",
            path.display()
        ),
        Err(why) => anyhow::bail!(
            "{} is damaged ({why}); move it away and run `samspill share` again",
            path.display()
        ),
    }
}

/// Writes a project's `sync.json` atomically.
pub fn save(files: &ProjectFiles, file: &SyncFile) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(file)?;
    files.write_locked(&files.sync_path(), &json)?;
    Ok(())
}

/// Reads, changes and writes `sync.json` under one hold of the project's lock, so
/// another process's (or another relay's engine's) write in between is kept. A
/// project without the file starts from an empty one.
pub fn update(files: &ProjectFiles, change: impl FnOnce(&mut SyncFile)) -> anyhow::Result<()> {
    let _lock = files.lock()?;
    let mut file = load(files)?.unwrap_or_else(|| SyncFile::with(Vec::new()));
    change(&mut file);
    let json = serde_json::to_vec_pretty(&file)?;
    crate::store::atomic_write(&files.sync_path(), &json)?;
    Ok(())
}

/// Records one relay's state, leaving every other relay's as it is on disk.
pub fn save_relay(files: &ProjectFiles, entry: &RelaySync) -> anyhow::Result<()> {
    update(files, |file| file.put(entry.clone()))
}

/// After local damage: subscribe from the start next time, so each relay sends the
/// whole project again (what this device still has is ignored as duplicates), and push
/// the whole local document again (so changes only this device had are not lost).
/// Entries not yet acknowledged stay queued.
pub fn refill_after_damage(files: &ProjectFiles) -> anyhow::Result<()> {
    if !files.sync_path().exists() {
        return Ok(());
    }
    update(files, |file| {
        for r in &mut file.relays {
            r.state.last_seq = 0;
            r.state.snapshot_seq = 0;
            r.state.shipped_heads.clear();
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_format_1_file_is_read_as_its_one_relay_without_loss() {
        let v1 = r#"{ "format": 1, "relay": "ws://127.0.0.1:8787", "created": true,
            "epoch": 2, "last_seq": 12, "snapshot_seq": 4, "snapshot_bound": true,
            "snapshot_signed": true, "write_registered": true, "next_push_id": 5,
            "shipped_heads": ["aa"], "unacked": [{ "id": 4, "blob": "AQI=" }],
            "removed": { "epoch": 3, "by": "p1", "person": false } }"#;
        let file = parse(v1.as_bytes()).unwrap();
        assert_eq!(file.format, 2);
        assert_eq!(file.relays.len(), 1);
        let r = &file.relays[0];
        assert_eq!(r.relay.to_string(), "ws://127.0.0.1:8787");
        assert!(r.created);
        assert_eq!(r.epoch, 2);
        assert_eq!(r.state.last_seq, 12);
        assert_eq!(r.state.snapshot_seq, 4);
        assert!(r.state.snapshot_bound && r.state.snapshot_signed && r.state.write_registered);
        assert_eq!(r.state.next_push_id, 5);
        assert_eq!(r.state.shipped_heads, vec!["aa".to_owned()]);
        assert_eq!(r.state.unacked.len(), 1);
        assert_eq!(r.state.unacked[0].blob, vec![1, 2]);
        assert_eq!(file.removed.as_ref().map(|r| r.epoch), Some(3));
        // Written back as format 2 and read again: the same.
        let again = parse(&serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(again, file);
    }

    #[test]
    fn relays_keep_their_own_state_and_order() {
        let home: RelayRef = "wss://relay.example.org".parse().unwrap();
        let lan: RelayRef = "lan:000102030405060708090a0b0c0d0e0f".parse().unwrap();
        let mut file = SyncFile::with(vec![RelaySync::new(home.clone(), 0)]);
        let mut on_lan = RelaySync::existing(lan.clone(), 0);
        on_lan.state.last_seq = 9;
        file.put(on_lan);
        let mut home_entry = file.relay(&home).unwrap().clone();
        home_entry.state.last_seq = 3;
        file.put(home_entry);
        assert_eq!(file.relays.len(), 2);
        assert_eq!(
            file.home().map(ToString::to_string).as_deref(),
            Some("wss://relay.example.org")
        );
        assert_eq!(file.relay(&home).unwrap().state.last_seq, 3);
        assert_eq!(file.relay(&lan).unwrap().state.last_seq, 9);
        let back = parse(&serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(back, file);
        assert!(back.relays[1].relay.is_lan());
    }

    #[test]
    fn a_project_keeps_the_state_of_a_bounded_number_of_lan_relays() {
        let home: RelayRef = "wss://relay.example.org".parse().unwrap();
        let lan = |n: u8| -> RelayRef { format!("lan:{n:032x}").parse().unwrap() };
        let mut file = SyncFile::with(vec![RelaySync::new(home.clone(), 0)]);
        // The first machine met still has an entry waiting for its acknowledgement.
        let mut busy = RelaySync::existing(lan(0), 0);
        busy.state.unacked.push(samspill_shared::sync::Unacked {
            id: 1,
            blob: vec![1],
        });
        file.put(busy);
        for n in 1..=MAX_LAN_RELAYS as u8 + 3 {
            file.put(RelaySync::existing(lan(n), 0));
            if n == 10 {
                // Used again: it moves to the end, after the ones met since.
                file.put(RelaySync::existing(lan(1), 0));
            }
        }
        let lans: Vec<&RelayRef> = file
            .relays
            .iter()
            .map(|r| &r.relay)
            .filter(|r| r.is_lan())
            .collect();
        assert_eq!(lans.len(), MAX_LAN_RELAYS);
        // The home relay and the busy one stay; the oldest idle ones made room.
        assert!(file.relay(&home).is_some());
        assert!(file.relay(&lan(0)).is_some());
        assert!(file.relay(&lan(2)).is_none() && file.relay(&lan(5)).is_none());
        assert!(file.relay(&lan(1)).is_some() && file.relay(&lan(6)).is_some());
        assert!(file.relay(&lan(MAX_LAN_RELAYS as u8 + 3)).is_some());
        assert_eq!(file.relays[0].relay, home);
    }

    #[test]
    fn junk_and_future_formats_are_told_apart() {
        assert!(parse(b"{").unwrap_err().contains("EOF"));
        assert_eq!(parse(br#"{"format": 9}"#).unwrap_err(), "format 9");
        assert!(
            parse(br#"{"format": 2, "relays": [{"relay": "lan:zz", "created": true}]}"#).is_err()
        );
    }
}
