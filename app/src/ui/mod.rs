//! The egui desktop app.
//!
//! Split the way rerun splits its viewer:
//! - [`state`]: what the app remembers (screens, the open project's session, dialogs);
//! - [`app`]: the logic — background jobs, commands, edits, undo, debounced saving;
//! - [`edit`]: every change the UI makes to a project, with its inverse for undo;
//! - [`text_bind`]: text fields bound to the document, with cursors that survive
//!   remote edits;
//! - [`sync_hook`]: the seam where the sync engine plugs in;
//! - `*_ui.rs`: drawing only. Panels read state and push [`state::Command`]s and
//!   [`edit::Edit`]s into an [`state::Outbox`], which the app drains once per frame.
//!
//! Every string comes from `content/ui/<lang>.ftl` (Fluent) in the profile's language.

mod access_ui;
pub mod app;
mod chrome_ui;
mod date_picker;
pub mod edit;
pub mod engine_sync;
pub mod file_dialog;
mod gatherings_ui;
mod history_ui;
mod keys;
mod library_ui;
mod presence_ui;
mod project_ui;
mod projects_ui;
mod run_ui;
mod settings_ui;
pub mod state;
pub mod sync_hook;
pub mod text_bind;
pub mod theme;

use std::path::PathBuf;

use anyhow::Context as _;
use samspill_shared::content::{Arg, Lang, library};

pub use app::SamspillApp;

use crate::device::{Device, default_data_dir};

/// A UI string in `lang` (English, then the key itself, when missing).
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    library().strings.get(lang, key)
}

/// A UI string with its variables filled in (names, counts that choose plural forms).
pub fn tr_args(lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    library().strings.format(lang, key, args)
}

/// A UI string whose key is built at run time (phase kinds, tags, statuses).
pub fn tr_dyn(lang: Lang, key: &str) -> String {
    library().strings.get(lang, key).to_owned()
}

/// Opens the desktop app's window; with an invite `link`, on the join dialog filled in
/// with it (joining waits for the person to say so).
pub fn run(data_dir: Option<PathBuf>, link: Option<String>) -> anyhow::Result<()> {
    let data_dir = match data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let device = Device::open(&data_dir)?;
    // Other programs' writes (the CLI, `sync --watch`) reach the open documents.
    let _files = crate::watch::FileWatch::start(&device);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([820.0, 560.0])
            .with_title("Samspill")
            // Wayland desktops match the window to packaging/app/no.samspill.Samspill.desktop
            // by this id (X11 by the WM class, `StartupWMClass`).
            .with_app_id("no.samspill.Samspill"),
        ..Default::default()
    };
    eframe::run_native(
        "Samspill",
        options,
        Box::new(move |cc| {
            let sync = engine_sync::EngineSync::start(device.clone(), cc.egui_ctx.clone());
            let mut app = SamspillApp::with_sync(device, data_dir, Box::new(sync));
            if let Some(link) = link {
                app.open_invite(&link);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("could not open the window")
}
