//! History: every change with who, when and what; the project as it was at any change;
//! restoring an earlier state as a new change; named checkpoints.

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};

use super::{ChangeMeta, ModelError, Project, ProjectDoc, Result, read};
use crate::ids::CheckpointId;

/// One change of the document, as history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change hash, 64 hex digits.
    pub hash: String,
    /// Seconds since the Unix epoch, as the author's clock said.
    pub time: i64,
    /// The author's person id (empty for changes not made by Samspill).
    pub by: String,
    pub msg: String,
}

impl HistoryEntry {
    /// The first 12 hex digits, enough to name a change.
    pub fn short(&self) -> &str {
        &self.hash[..self.hash.len().min(12)]
    }
}

/// Changes grouped into sessions of work: one author, no gap over `gap_s` seconds.
pub fn sessions(history: &[HistoryEntry], gap_s: i64) -> Vec<&[HistoryEntry]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=history.len() {
        let split = i == history.len()
            || history[i].by != history[i - 1].by
            || history[i].time - history[i - 1].time > gap_s;
        if split {
            out.push(&history[start..i]);
            start = i;
        }
    }
    out
}

impl ProjectDoc {
    /// Every change, oldest first (causal order).
    pub fn history(&mut self) -> Vec<HistoryEntry> {
        self.doc
            .get_changes(&[])
            .iter()
            .map(|c| {
                let meta = ChangeMeta::parse(c.message().unwrap_or_default());
                HistoryEntry {
                    hash: c.hash().to_string(),
                    time: c.timestamp(),
                    by: meta.by,
                    msg: meta.msg,
                }
            })
            .collect()
    }

    /// The change whose hash starts with `prefix` (at least 4 hex digits).
    pub fn resolve_change(&mut self, prefix: &str) -> Result<ChangeHash> {
        let prefix = prefix.trim().to_ascii_lowercase();
        let not_found = || ModelError::NotFound {
            what: "change",
            id: prefix.chars().take(64).collect(),
        };
        if prefix.len() < 4 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let matches: Vec<ChangeHash> = self
            .doc
            .get_changes(&[])
            .iter()
            .map(|c| c.hash())
            .filter(|h| h.to_string().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(not_found()),
            _ => Err(ModelError::Ambiguous(prefix)),
        }
    }

    /// The project as it was right after `change` (read-only).
    pub fn view_at(&mut self, change: ChangeHash) -> Result<Project> {
        let old = self.doc.fork_at(&[change])?;
        Ok(read::project(&old))
    }

    /// Makes the project look as it did right after `change`, as one new change. History
    /// is never rewritten: the restore itself can be undone by restoring again.
    pub fn restore(&mut self, change: ChangeHash) -> Result<()> {
        self.restore_heads(&[change])
    }

    /// Makes the project look as it did at `heads` (several when people edited at the
    /// same moment), as one new change. Undoing a restore is a restore to the heads
    /// from before it.
    pub fn restore_heads(&mut self, heads: &[ChangeHash]) -> Result<()> {
        self.writable()?;
        let Some(&change) = heads.first() else {
            return Err(ModelError::NotAProject(
                "could not restore: no version given".to_owned(),
            ));
        };
        let old = self.doc.hydrate(ROOT, Some(heads))?;
        self.doc
            .update_object(ROOT, &old)
            .map_err(|e| ModelError::NotAProject(format!("could not restore: {e}")))?;
        // An older state may predate a layout change: bring it forward again.
        let schema = read::project(&self.doc).schema;
        if schema < super::SCHEMA_VERSION {
            self.schema = schema;
            self.migrate_steps()?;
        }
        let short: String = change.to_string().chars().take(12).collect();
        self.commit(&format!("Restored the project as it was after {short}"));
        Ok(())
    }

    /// Names the current state ("after the first gathering").
    pub fn add_checkpoint(&mut self, name: &str) -> Result<CheckpointId> {
        self.writable()?;
        let name = super::non_empty(name)?;
        let heads: Vec<String> = self
            .doc
            .get_heads()
            .iter()
            .map(ToString::to_string)
            .collect();
        let coll = self.root_map("checkpoints")?;
        let id = CheckpointId::random(self.editor.entropy.as_mut());
        let obj = self.insert_item(&coll, id.as_str(), None)?;
        self.put_text(&obj, "name", name)?;
        self.doc.put(&obj, "heads", heads.join(","))?;
        self.doc.put(&obj, "at", self.editor.clock.now_ms())?;
        self.doc.put(&obj, "by", self.editor.author.as_str())?;
        self.commit(&format!("Checkpoint “{}”", super::short(name)));
        Ok(id)
    }

    /// The project as it was at a checkpoint.
    pub fn view_at_heads(&mut self, heads: &[ChangeHash]) -> Result<Project> {
        let old = self.doc.fork_at(heads)?;
        Ok(read::project(&old))
    }
}

/// Parses a checkpoint's comma-separated heads.
pub fn parse_heads(s: &str) -> Vec<ChangeHash> {
    s.split(',').filter_map(|h| h.trim().parse().ok()).collect()
}
