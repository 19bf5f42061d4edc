//! Picking up other processes' writes: a file watcher on the projects directory.
//!
//! When the CLI (or another app, or `sync --watch`) appends to a project this process
//! has open, the watcher hears of it and the project's [`crate::handle::DocHandle`]
//! merges the new records in, on the watcher's thread, never on the UI thread. A slow
//! poll (every two seconds) backs the watcher up: file-system events can be dropped
//! (a full inotify queue) or unavailable (some network file systems).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::Watcher as _;
use samspill_shared::crypto::DocumentId;

use crate::device::Device;

const POLL: Duration = Duration::from_secs(2);

/// Watches while it lives.
pub struct FileWatch {
    _watcher: Option<notify::RecommendedWatcher>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for FileWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatch").finish_non_exhaustive()
    }
}

impl FileWatch {
    /// Starts watching `device`'s projects directory for the projects this process has
    /// open (through `device` or a clone of it).
    pub fn start(device: &Device) -> Self {
        let dir = device.store.projects_dir();
        let watcher = {
            let device = device.clone();
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                match event {
                    // Reading a file is an event too: only writes, creations and
                    // renames can bring changes (and our own reads must not loop).
                    Ok(event) if !matches!(event.kind, notify::EventKind::Access(_)) => {
                        for path in &event.paths {
                            if let Some(id) = project_of(path) {
                                refresh(&device, &id);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!("file watcher: {e}"),
                }
            })
            .and_then(|mut w| w.watch(&dir, notify::RecursiveMode::Recursive).map(|()| w))
        };
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(
                    "cannot watch {} ({e}); changes from other programs are picked up every {} s",
                    dir.display(),
                    POLL.as_secs()
                );
                None
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (device, stop) = (device.clone(), stop.clone());
            let spawned = std::thread::Builder::new()
                .name("samspill-poll".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(POLL);
                        for handle in device.open_handles() {
                            refresh(&device, &handle.id());
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!("could not start the file poll: {e}");
            }
        }
        Self {
            _watcher: watcher,
            stop,
        }
    }
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `…/projects/<id>/changes.log` or `…/doc.automerge` → the project id.
fn project_of(path: &Path) -> Option<DocumentId> {
    let name = path.file_name()?.to_str()?;
    if name != "changes.log" && name != "doc.automerge" {
        return None;
    }
    path.parent()?.file_name()?.to_str()?.parse().ok()
}

fn refresh(device: &Device, id: &DocumentId) {
    let Some(handle) = device.open_handle(id) else {
        return;
    };
    match handle.refresh_from_disk() {
        Ok(changed) => {
            tracing::trace!(project = %id, changed, "looked for other programs' changes");
        }
        Err(e) => tracing::warn!(project = %id, "could not read another program's changes: {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::device::Access;
    use samspill_shared::model::NewProject;

    #[test]
    fn another_programs_write_reaches_an_open_project() {
        let dir = tempfile::tempdir().unwrap();
        let app = Device::open(dir.path()).unwrap();
        let template = samspill_shared::content::library()
            .template("four-phase")
            .unwrap();
        let id = app
            .create_project(&NewProject {
                template,
                title: "Overvåket",
                language: None,
            })
            .unwrap()
            .id();
        let mine = app.open_project(&id, Access::Read).unwrap();
        let _watch = FileWatch::start(&app);
        let before = mine.version();
        let cli = Device::open(dir.path()).unwrap();
        let theirs = cli.open_project(&id, Access::Edit).unwrap();
        let phase = theirs.view().phases[0].id.parse().unwrap();
        theirs.with(|d| d.add_task(&phase, "Fra CLI")).unwrap();
        theirs.save().unwrap();
        drop(theirs);
        let start = std::time::Instant::now();
        while mine.version() == before {
            assert!(start.elapsed() < Duration::from_secs(30), "picked up");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            mine.view().phases[0]
                .tasks
                .iter()
                .any(|t| t.title == "Fra CLI")
        );
    }
}
