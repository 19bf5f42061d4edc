//! "Deling og tilgang": a project's invite links (an editor's and a viewer's, to copy)
//! and its members with their devices and last change, each with "Fjern fra
//! prosjektet" (after a confirmation that says what removal does and does not do).

use egui::RichText;
use samspill_shared::content::Lang;
use samspill_shared::crypto::Role;

use super::history_ui;
use super::project_ui::card_ui;
use super::state::{Command, Dialog, Outbox, Session};
use super::sync_hook::SyncCommand;
use super::theme::muted;
use super::tr;
use crate::device::Device;

/// The links as last read from the project's files (read when the page is opened).
#[derive(Debug, Clone)]
pub struct AccessLinks {
    /// Per role: the link, or why there is none.
    pub links: Vec<(Role, Result<String, String>)>,
    pub shared: bool,
    /// Shared on the local network only (a `sync.json` with no relay address).
    pub lan_only: bool,
    /// This device was removed (or left out): it removes nobody.
    pub removed: bool,
}

fn read_links(device: &Device, lang: Lang, s: &Session) -> AccessLinks {
    let id = s.project.id();
    let file = crate::sync::persist::load(s.project.files()).ok().flatten();
    let confirmed = file.as_ref().is_some_and(|f| {
        f.home()
            .and_then(|h| f.relay(&crate::sync::RelayRef::Url(h.clone())))
            .is_some_and(|r| r.state.write_registered && r.state.snapshot_signed)
    });
    let removed = file.as_ref().is_some_and(|f| f.removed.is_some());
    let links = [Role::Editor, Role::Viewer]
        .into_iter()
        .map(|role| {
            let link = crate::sync::invite(device, &id, role, false)
                .map(|i| i.to_string())
                .map_err(|e| match role {
                    _ if removed => tr(lang, "sync-removed").to_owned(),
                    Role::Editor if s.viewer => tr(lang, "access-editor-only").to_owned(),
                    Role::Viewer if !confirmed => tr(lang, "access-wait-relay").to_owned(),
                    _ => format!("{e:#}"),
                });
            (role, link)
        })
        .collect();
    AccessLinks {
        links,
        removed,
        // On a relay: a project shared on the LAN only has links for the LAN alone.
        shared: file.as_ref().is_some_and(|f| f.home().is_some()),
        lan_only: file.as_ref().is_some_and(|f| f.home().is_none()),
    }
}

pub fn access_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    device: &Device,
    s: &mut Session,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    if s.ui.access.is_none() {
        s.ui.access = Some(read_links(device, lang, s));
    }
    history_ui::refresh(s);
    ui.heading(t("access-title"));
    ui.add(egui::Label::new(RichText::new(t("access-intro")).color(muted(ui))).wrap());
    ui.add_space(10.0);
    let access = s.ui.access.clone();
    let access_shared = access.as_ref().is_some_and(|a| a.shared && !a.removed);
    card_ui(ui, t("access-links"), |ui| {
        let Some(access) = access else { return };
        if !access.shared {
            let why = if access.lan_only {
                "access-lan-only"
            } else {
                "access-not-shared"
            };
            ui.add(egui::Label::new(t(why)).wrap());
            if !s.viewer && ui.button(format!("👥 {}", t("sync-share"))).clicked() {
                out.send(Command::OpenDialog(Dialog::Share {
                    relay: device.profile.default_relay.clone(),
                    token: String::new(),
                }));
            }
        }
        for (role, link) in access.links.iter().filter(|_| access.shared) {
            let (label, help) = match role {
                Role::Editor => (t("access-editor-link"), t("access-editor-help")),
                Role::Viewer => (t("access-viewer-link"), t("access-viewer-help")),
            };
            ui.label(RichText::new(label).strong());
            ui.add(egui::Label::new(RichText::new(help).small().color(muted(ui))).wrap());
            match link {
                Ok(link) => {
                    ui.horizontal(|ui| {
                        let mut shown = link.clone();
                        let width = (ui.available_width() - 140.0).max(120.0);
                        ui.add(egui::TextEdit::singleline(&mut shown).desired_width(width))
                            .accessible_name(label);
                        if ui.button(t("sync-copy")).clicked() {
                            ui.ctx().copy_text(link.clone());
                            out.send(Command::Notify(t("access-copied").to_owned()));
                        }
                    });
                }
                Err(why) => {
                    ui.add(egui::Label::new(RichText::new(why).small().color(muted(ui))).wrap());
                }
            }
            ui.add_space(8.0);
        }
        if !access.removed && !s.viewer {
            ui.separator();
            ui.label(RichText::new(t("access-lan-link")).strong());
            ui.add(
                egui::Label::new(RichText::new(t("access-lan-help")).small().color(muted(ui)))
                    .wrap(),
            );
            if ui.button(format!("📡 {}", t("access-lan-make"))).clicked() {
                out.send(Command::Sync(SyncCommand::LanInvite {
                    project: s.project.id(),
                }));
            }
            ui.add_space(8.0);
        }
        if ui.button(t("access-refresh")).clicked() {
            s.ui.access = None;
        }
    });
    ui.add_space(10.0);
    let history =
        s.ui.history
            .as_ref()
            .map(|h| h.entries.as_slice())
            .unwrap_or(&[]);
    card_ui(ui, t("access-members"), |ui| {
        let me = device.profile.person_id.as_str();
        let may_remove = access_shared && !s.viewer;
        egui::Grid::new("members")
            .num_columns(6)
            .spacing([18.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "access-name",
                    "access-centre",
                    "access-role",
                    "access-devices",
                    "access-last",
                ] {
                    ui.label(RichText::new(t(h)).small().color(muted(ui)));
                }
                ui.label("");
                ui.end_row();
                for p in &s.view.people {
                    ui.label(&p.name);
                    ui.label(&p.centre);
                    ui.label(if p.role.trim().is_empty() {
                        "–"
                    } else {
                        p.role.as_str()
                    });
                    ui.label(if p.devices.is_empty() {
                        t("access-no-device").to_owned()
                    } else {
                        p.devices.len().to_string()
                    });
                    let last = history
                        .iter()
                        .filter(|e| e.by == p.id)
                        .map(|e| e.time)
                        .max();
                    ui.label(last.map_or_else(
                        || t("access-never").to_owned(),
                        |secs| history_ui::when(lang, secs),
                    ));
                    if p.removed.is_some() {
                        ui.label(
                            RichText::new(t("access-was-removed"))
                                .small()
                                .color(muted(ui)),
                        );
                    } else if may_remove && p.id != me {
                        if ui
                            .button(t("access-remove"))
                            .on_hover_text(t("access-remove-hover"))
                            .clicked()
                        {
                            out.send(Command::OpenDialog(Dialog::ConfirmRemove {
                                person: p.id.clone(),
                                name: if p.name.trim().is_empty() {
                                    p.id.clone()
                                } else {
                                    p.name.clone()
                                },
                            }));
                        }
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        ui.add_space(6.0);
        ui.add(
            egui::Label::new(
                RichText::new(t("access-members-help"))
                    .small()
                    .color(muted(ui)),
            )
            .wrap(),
        );
    });
}
