//! Native file dialogs ("Lagre som …", "Velg fil …") behind a trait, so the UI tests
//! can answer them. The real one goes through the XDG desktop portal (`rfd`), which
//! GNOME, KDE and most other desktops provide; where there is no portal (no session
//! bus, as under a bare X server) it says so, and the typed path beside the button
//! still works.

use std::path::{Path, PathBuf};

/// What a file dialog came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    File(PathBuf),
    /// The person closed the dialog without choosing.
    Cancelled,
    /// No dialog could be shown on this desktop.
    Unavailable,
}

/// A "save as" question: where, under what name, of which kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    pub title: String,
    pub folder: PathBuf,
    pub file_name: String,
    /// The extension without its dot ("pdf"), and the filter's name ("PDF").
    pub extension: String,
    pub kind: String,
}

/// An "open" question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub title: String,
    pub folder: PathBuf,
    pub extensions: Vec<String>,
    pub kind: String,
}

/// Shows file dialogs. Called on a background thread: a dialog may stay open for as
/// long as the person likes, and the window keeps drawing meanwhile.
pub trait FileDialogs: Send + Sync {
    fn save(&self, request: &SaveRequest) -> Chosen;
    fn open(&self, request: &OpenRequest) -> Chosen;
}

/// The desktop's own dialogs, through the XDG desktop portal.
pub struct PortalDialogs;

impl PortalDialogs {
    /// The portal is reached over the session bus; without one there is no dialog.
    fn available() -> bool {
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
            || Path::new(&format!("/run/user/{}/bus", current_uid())).exists()
    }
}

/// The user id, for the default session bus socket (`/run/user/UID/bus`).
fn current_uid() -> String {
    std::env::var("UID")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("Uid:"))
                        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
                })
        })
        .unwrap_or_default()
}

impl FileDialogs for PortalDialogs {
    fn save(&self, r: &SaveRequest) -> Chosen {
        if !Self::available() {
            return Chosen::Unavailable;
        }
        rfd::FileDialog::new()
            .set_title(&r.title)
            .set_directory(&r.folder)
            .set_file_name(&r.file_name)
            .add_filter(&r.kind, &[r.extension.as_str()])
            .save_file()
            .map_or(Chosen::Cancelled, Chosen::File)
    }

    fn open(&self, r: &OpenRequest) -> Chosen {
        if !Self::available() {
            return Chosen::Unavailable;
        }
        let extensions: Vec<&str> = r.extensions.iter().map(String::as_str).collect();
        rfd::FileDialog::new()
            .set_title(&r.title)
            .set_directory(&r.folder)
            .add_filter(&r.kind, &extensions)
            .pick_file()
            .map_or(Chosen::Cancelled, Chosen::File)
    }
}

/// Where files go and come from by default: the documents folder, else home, else
/// the working directory.
pub fn default_folder() -> PathBuf {
    directories::UserDirs::new()
        .map(|d| {
            d.document_dir()
                .map_or_else(|| d.home_dir().to_owned(), ToOwned::to_owned)
        })
        .unwrap_or_else(|| PathBuf::from("."))
}
