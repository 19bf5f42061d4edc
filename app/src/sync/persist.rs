//! `sync.json`: where a shared project syncs, and the state machine's [`SyncState`].
//!
//! ```json
//! { "format": 1, "relay": "ws://127.0.0.1:8787", "created": true,
//!   "last_seq": 12, "snapshot_seq": 0, "next_push_id": 5,
//!   "shipped_heads": ["3f2a…"], "unacked": [{ "id": 4, "blob": "AQ…" }] }
//! ```
//!
//! Written with [`store::atomic_write`] under the project's lock (through a temp file
//! of its own), so a crash leaves the old or the new file and two processes never mix
//! theirs. A project without the file has never been shared.

use anyhow::Context as _;
use samspill_shared::link::RelayUrl;
use samspill_shared::sync::SyncState;
use serde::{Deserialize, Serialize};

use crate::store::ProjectFiles;

const FORMAT: u32 = 1;

/// The contents of `sync.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFile {
    pub format: u32,
    pub relay: RelayUrl,
    /// The relay has the document (a subscribe succeeded once). Until then, subscribing
    /// asks the relay to create it.
    pub created: bool,
    /// The epoch `state` is for (0 until someone is removed). State for an older epoch
    /// than `epoch.key`'s (a crash while following a removal) is started afresh.
    #[serde(default)]
    pub epoch: u32,
    /// This device was left out of a removal: it keeps what it had, read-only, and
    /// syncs no more.
    #[serde(default)]
    pub removed: Option<Removed>,
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

impl SyncFile {
    pub fn new(relay: RelayUrl) -> Self {
        Self {
            format: FORMAT,
            relay,
            created: false,
            epoch: 0,
            removed: None,
            state: SyncState {
                // A project put on a relay by this version holds only signed entries:
                // no older, unsigned snapshot needs replacing.
                snapshot_signed: true,
                ..SyncState::default()
            },
        }
    }

    /// The state for a new epoch's document, which the rotation created on the relay
    /// with the whole document as entry 1 and its write key registered. `shipped` are
    /// the heads of that entry when this device has them all (then only what it has
    /// beyond them is pushed), else empty (the whole document is pushed once).
    pub fn for_epoch(relay: RelayUrl, epoch: u32, shipped: Vec<String>) -> Self {
        let mut file = Self::new(relay);
        file.created = true;
        file.epoch = epoch;
        file.state.write_registered = true;
        file.state.shipped_heads = shipped;
        file
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
    let file: SyncFile = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is damaged; move it away and run `samspill share` again",
            path.display()
        )
    })?;
    if file.format != FORMAT {
        anyhow::bail!(
            "{} was written by another version of Samspill (format {}); update Samspill",
            path.display(),
            file.format
        );
    }
    Ok(Some(file))
}

/// Writes a project's `sync.json` atomically.
pub fn save(files: &ProjectFiles, file: &SyncFile) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(file)?;
    files.write_locked(&files.sync_path(), &json)?;
    Ok(())
}

/// After local damage: subscribe from the start next time, so the relay sends the
/// whole project again (what this device still has is ignored as duplicates), and push
/// the whole local document again (so changes only this device had are not lost).
/// Entries not yet acknowledged stay queued.
pub fn refill_after_damage(files: &ProjectFiles) -> anyhow::Result<()> {
    // Read and written under one hold of the lock.
    let _lock = files.lock()?;
    let Some(mut file) = load(files)? else {
        return Ok(());
    };
    file.state.last_seq = 0;
    file.state.snapshot_seq = 0;
    file.state.shipped_heads.clear();
    let json = serde_json::to_vec_pretty(&file)?;
    crate::store::atomic_write(&files.sync_path(), &json)?;
    Ok(())
}
