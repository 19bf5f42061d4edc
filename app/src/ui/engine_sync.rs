//! The real sync engine ([`crate::sync::SyncHandle`]) behind the UI's [`SyncHook`].
//!
//! The engine runs on the app's own [`Device`], so it works on the same open documents
//! as the UI (see [`crate::handle`]). Sharing and joining talk to a relay for up to a
//! minute, so they run on their own thread and report back through
//! [`SyncHook::replies`]. After either, the background engine is restarted so it picks
//! up the newly shared project.

use std::collections::BTreeSet;
use std::sync::mpsc;

use samspill_shared::crypto::DocumentId;
use samspill_shared::link::RelayUrl;

use super::sync_hook::{Presence, SyncCommand, SyncHook, SyncReply, SyncStatus};
use crate::device::Device;
use crate::sync::{self, SyncHandle};

pub struct EngineSync {
    device: Device,
    handle: Option<SyncHandle>,
    shared: BTreeSet<DocumentId>,
    replies_tx: mpsc::Sender<SyncReply>,
    replies_rx: mpsc::Receiver<SyncReply>,
    repaint: egui::Context,
    /// "Synkroniser på dette nettverket", kept across restarts of the engine.
    lan: bool,
}

impl EngineSync {
    pub fn start(device: Device, repaint: egui::Context) -> Self {
        let (replies_tx, replies_rx) = mpsc::channel();
        let mut this = Self {
            device,
            handle: None,
            shared: BTreeSet::new(),
            replies_tx,
            replies_rx,
            repaint,
            lan: false,
        };
        this.restart();
        this
    }

    fn restart(&mut self) {
        if let Some(old) = self.handle.take() {
            // Saying goodbye to the relay may take a moment; not on the UI thread.
            std::thread::spawn(move || old.shutdown());
        }
        self.shared = match sync::shared_projects(&self.device) {
            Ok(ids) => ids.into_iter().collect(),
            Err(e) => {
                tracing::warn!("could not list shared projects: {e:#}");
                BTreeSet::new()
            }
        };
        let p = &self.device.profile;
        let mut session = [0u8; 8];
        crate::device::fill_random(&mut session);
        let presence = samspill_shared::sync::Presence {
            session: hex::encode(session),
            person: p.person_id.to_string(),
            name: p.display_name().to_owned(),
            colour: p.colour.clone(),
            editing: None,
            leaving: false,
        };
        let handle = SyncHandle::start(self.device.clone(), Some(presence));
        let ctx = self.repaint.clone();
        handle.set_repaint(Box::new(move || ctx.request_repaint()));
        handle.set_lan(self.lan);
        self.handle = Some(handle);
    }

    fn in_background(&self, job: impl FnOnce(&Device) -> SyncReply + Send + 'static) {
        let (device, tx, ctx) = (
            self.device.clone(),
            self.replies_tx.clone(),
            self.repaint.clone(),
        );
        std::thread::spawn(move || {
            // The receiver lives as long as the app; a closed app needs no answer.
            let _ = tx.send(job(&device));
            ctx.request_repaint();
        });
    }
}

impl SyncHook for EngineSync {
    fn send(&mut self, command: SyncCommand) -> SyncReply {
        match command {
            SyncCommand::Share {
                project,
                relay,
                token,
            } => {
                let relay: RelayUrl = match relay.parse() {
                    Ok(r) => r,
                    Err(e) => return SyncReply::Failed(format!("{e}")),
                };
                self.in_background(move |device| {
                    match sync::block_on(sync::share(device, &project, &relay, token.as_deref()))
                        .and_then(|r| r)
                    {
                        Ok(invite) => SyncReply::Invite {
                            link: invite.to_string(),
                        },
                        Err(e) => SyncReply::Failed(format!("{e:#}")),
                    }
                });
                SyncReply::Started
            }
            SyncCommand::Join { link } => {
                self.in_background(move |device| {
                    match sync::block_on(sync::join(device, &link, sync::LAN_JOIN_WAIT))
                        .and_then(|r| r)
                    {
                        Ok(project) => SyncReply::Joined { project },
                        Err(e) => SyncReply::Failed(format!("{e:#}")),
                    }
                });
                SyncReply::Started
            }
            SyncCommand::Remove { project, person } => {
                self.in_background(move |device| {
                    match sync::block_on(sync::remove(device, &project, &person)).and_then(|r| r) {
                        Ok(done) => SyncReply::Removed {
                            name: done.removed,
                            need_link: done.need_link,
                        },
                        Err(e) => SyncReply::Failed(format!("{e:#}")),
                    }
                });
                SyncReply::Started
            }
            SyncCommand::LanInvite { project } => {
                match sync::invite(
                    &self.device,
                    &project,
                    samspill_shared::crypto::Role::Editor,
                    true,
                ) {
                    Ok(invite) => {
                        // A project shared here for the first time: the engine takes it on.
                        if !self.shared.contains(&project) {
                            self.restart();
                        }
                        SyncReply::Invite {
                            link: invite.to_string(),
                        }
                    }
                    Err(e) => SyncReply::Failed(format!("{e:#}")),
                }
            }
            SyncCommand::InviteLink { project } => {
                let link = self.device.store.project(&project).and_then(|f| {
                    let secret = f.capability()?;
                    Ok(sync::persist::load(&f)
                        .ok()
                        .flatten()
                        .and_then(|file| file.home().cloned())
                        .map(|home| samspill_shared::link::Invite::new(home, secret)))
                });
                match link {
                    Ok(Some(invite)) => SyncReply::Invite {
                        link: invite.to_string(),
                    },
                    Ok(None) => SyncReply::Failed("this project is not shared yet".to_owned()),
                    Err(e) => SyncReply::Failed(e.to_string()),
                }
            }
        }
    }

    fn replies(&mut self) -> Vec<SyncReply> {
        // The UI reads state from the status and presence tables, not from the event
        // stream; drain it every frame so it cannot grow for as long as the app runs.
        if let Some(h) = &self.handle {
            drop(h.events());
        }
        let replies: Vec<SyncReply> = self.replies_rx.try_iter().collect();
        if replies.iter().any(|r| {
            matches!(
                r,
                SyncReply::Invite { .. } | SyncReply::Joined { .. } | SyncReply::Removed { .. }
            )
        }) {
            self.restart();
        }
        replies
    }

    fn status(&self, project: &DocumentId) -> SyncStatus {
        if !self.shared.contains(project) {
            return SyncStatus::Local;
        }
        match &self.handle {
            Some(h) => h.status(project),
            None => SyncStatus::Stopped("the sync engine is not running".to_owned()),
        }
    }

    fn presence(&self, project: &DocumentId) -> Vec<Presence> {
        let Some(h) = &self.handle else {
            return Vec::new();
        };
        h.presence(project)
            .into_iter()
            .map(|p| Presence {
                person: p.person,
                name: p.name,
                colour: p.colour,
                editing: p.editing,
            })
            .collect()
    }

    fn local_changes_saved(&mut self, project: &DocumentId) {
        if let (Some(h), true) = (&self.handle, self.shared.contains(project)) {
            h.local_changes_saved(project);
        }
    }

    fn set_editing(&mut self, project: &DocumentId, what: Option<String>) {
        if let Some(h) = &self.handle {
            h.set_editing(project, what);
        }
    }

    fn reconnect_now(&mut self) {
        if let Some(h) = &self.handle {
            h.reconnect_now();
        }
    }

    fn lan(&self) -> bool {
        self.lan
    }

    fn set_lan(&mut self, on: bool) {
        self.lan = on;
        if let Some(h) = &self.handle {
            h.set_lan(on);
        }
    }

    fn live_on_lan(&self, project: &DocumentId) -> usize {
        self.handle.as_ref().map_or(0, |h| h.live_on_lan(project))
    }
}
