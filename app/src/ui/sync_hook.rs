//! Where the sync engine plugs into the UI.
//!
//! The UI never talks to sockets. It sends [`SyncCommand`]s to a [`SyncHook`] and, once a
//! frame, asks it for the project's [`SyncStatus`] and who else is present. Documents
//! are not passed through here: the UI and the engine share the process's
//! [`crate::handle::DocHandle`]s, so remote changes show up in the open project's
//! handle (its version moves and the app rebuilds its view model). Without an engine
//! ([`NoSync`], in tests), every command answers "not available" and every project is
//! local.

use samspill_shared::crypto::DocumentId;

pub use crate::sync::SyncStatus;

/// What the UI asks the sync engine to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncCommand {
    /// Put a project on a relay (`samspill share ID --relay URL [--token T]`).
    Share {
        project: DocumentId,
        relay: String,
        token: Option<String>,
    },
    /// Fetch a shared project from an invite link (`samspill join LINK`).
    Join { link: String },
    /// Show the invite link of a shared project again.
    InviteLink { project: DocumentId },
    /// An editor's link for the local network (`samspill invite ID --role editor
    /// --lan`); shares a project never put on a relay on the LAN only.
    LanInvite { project: DocumentId },
    /// Take someone's access away (`samspill remove ID PERSON`): a new epoch.
    Remove {
        project: DocumentId,
        /// Their person id.
        person: String,
    },
}

/// The answer to a [`SyncCommand`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReply {
    /// The project is shared; this is the link to give co-facilitators.
    Invite { link: String },
    /// A project was joined and stored; the UI opens it.
    Joined { project: DocumentId },
    /// The engine is not available (yet); the text says so in the UI language's terms.
    Unavailable,
    /// Under way on the engine's threads; the outcome comes from [`SyncHook::replies`].
    Started,
    /// Someone was removed; these people keep access but need a new link (they
    /// published no device).
    Removed {
        name: String,
        need_link: Vec<String>,
    },
    /// It failed; the text says what to do (never contains the secret).
    Failed(String),
}

/// Someone else who has the project open, as their own machine announces them. The UI
/// shows them by `person` from the project's people; `name` and `colour` are what they
/// claim, and are not trusted for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Their person id in the project's people.
    pub person: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Where they are (a place such as `agenda/<id>`, see `presence_ui`), if anywhere.
    pub editing: Option<String>,
}

/// The sync engine as the UI sees it. Every method returns at once; slow work happens on
/// the engine's own threads, which wake the UI with `egui::Context::request_repaint`.
pub trait SyncHook {
    fn send(&mut self, command: SyncCommand) -> SyncReply;
    /// Outcomes of commands answered with [`SyncReply::Started`], since the last call.
    fn replies(&mut self) -> Vec<SyncReply>;
    fn status(&self, project: &DocumentId) -> SyncStatus;
    fn presence(&self, project: &DocumentId) -> Vec<Presence>;
    /// The UI changed this project; the engine may push at once.
    fn local_changes_saved(&mut self, project: &DocumentId);
    /// What this user is editing now (for presence), or `None`.
    fn set_editing(&mut self, project: &DocumentId, what: Option<String>);
    /// "Koble til nå": try unreachable relays at once rather than after the backoff.
    fn reconnect_now(&mut self) {}
    /// Whether "Synkroniser på dette nettverket" is on.
    fn lan(&self) -> bool {
        false
    }
    /// Turns syncing on the local network on or off.
    fn set_lan(&mut self, _on: bool) {}
    /// How many other machines on the local network the project is live with.
    fn live_on_lan(&self, _project: &DocumentId) -> usize {
        0
    }
}

/// No engine (tests of the UI alone): every project is local.
#[derive(Debug, Default)]
pub struct NoSync;

impl SyncHook for NoSync {
    fn send(&mut self, _command: SyncCommand) -> SyncReply {
        SyncReply::Unavailable
    }
    fn replies(&mut self) -> Vec<SyncReply> {
        Vec::new()
    }
    fn status(&self, _project: &DocumentId) -> SyncStatus {
        SyncStatus::Local
    }
    fn presence(&self, _project: &DocumentId) -> Vec<Presence> {
        Vec::new()
    }
    fn local_changes_saved(&mut self, _project: &DocumentId) {}
    fn set_editing(&mut self, _project: &DocumentId, _what: Option<String>) {}
}
