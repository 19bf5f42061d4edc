//! Saving off the UI thread.
//!
//! Appending a change to the log means an fsync, which can take tens of milliseconds
//! (far more on a busy disk); done on the UI thread it swallowed keystrokes. So the UI
//! takes the new changes out of the document ([`crate::device::LocalProject::take_unsaved`],
//! cheap, in memory) and hands the bytes to one saver thread per open project, which
//! appends them (compacting now and then) and reports back. The app tells the sync
//! engine only after the bytes are on disk, so nothing is pushed that a crash could lose.
//!
//! Nothing is lost when a write fails: the bytes stay in the saver's backlog and go out
//! with the next save (Automerge's incremental saves concatenate), and the UI shows the
//! error. [`Saver::flush`] waits until everything handed over is written; the app calls
//! it when a project closes and on exit, and dropping a saver flushes too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use samspill_shared::crypto::DocumentId;

use crate::store::ProjectFiles;

enum Job {
    Save(Vec<u8>),
    /// Answer once everything before this is written (or has failed).
    Flush(Sender<()>),
}

/// What the saver thread reports to the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveReport {
    /// Changes are on disk; the sync engine may push them.
    Saved(DocumentId),
    /// A write failed; the changes are kept and retried with the next save.
    Failed(DocumentId, String),
}

/// The background saver of one open project.
pub struct Saver {
    id: DocumentId,
    jobs: Option<Sender<Job>>,
    reports: Receiver<SaveReport>,
    /// Saves handed over and not yet written.
    pending: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Saver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saver")
            .field("id", &self.id)
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

impl Saver {
    /// Starts the saver thread; `repaint` wakes the UI when a report is ready.
    pub fn start(files: ProjectFiles, repaint: Option<egui::Context>) -> Self {
        let id = *files.id();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let (reports_tx, reports) = mpsc::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let thread = {
            let pending = pending.clone();
            std::thread::Builder::new()
                .name("samspill-saver".to_owned())
                .spawn(move || save_loop(&files, &jobs_rx, &reports_tx, &pending, repaint.as_ref()))
        };
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                // Without a thread the jobs queue up unanswered; say so at once.
                tracing::error!("could not start the saver thread: {e}");
                None
            }
        };
        Self {
            id,
            jobs: Some(jobs_tx),
            reports,
            pending,
            thread,
        }
    }

    /// Hands new changes to the saver thread (never blocks). Empty bytes are ignored.
    pub fn save(&self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        let Some(jobs) = &self.jobs else { return };
        self.pending.fetch_add(1, Ordering::SeqCst);
        if jobs.send(Job::Save(bytes)).is_err() {
            // Only after the thread died (a panic); the error is in the log.
            self.pending.fetch_sub(1, Ordering::SeqCst);
            tracing::error!(project = %self.id, "the saver thread is gone; changes were not saved");
        }
    }

    /// Saves handed over and not written yet.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Reports since the last call.
    pub fn reports(&self) -> Vec<SaveReport> {
        self.reports.try_iter().collect()
    }

    /// Waits until everything handed over is written (or has failed, and was reported).
    pub fn flush(&self) {
        let Some(jobs) = &self.jobs else { return };
        let (tx, rx) = mpsc::channel();
        if jobs.send(Job::Flush(tx)).is_ok() {
            // An error means the thread is gone: nothing more to wait for.
            let _ = rx.recv();
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        // Closing the channel ends the loop once the queue is written.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            // A panicked saver has nothing left to write.
            let _ = t.join();
        }
    }
}

fn save_loop(
    files: &ProjectFiles,
    jobs: &Receiver<Job>,
    reports: &Sender<SaveReport>,
    pending: &AtomicUsize,
    repaint: Option<&egui::Context>,
) {
    let id = *files.id();
    // Bytes whose write failed, retried in front of the next save.
    let mut backlog: Vec<u8> = Vec::new();
    let report = |r: SaveReport| {
        // The receiver goes away only with the app; then nobody needs the report.
        let _ = reports.send(r);
        if let Some(ctx) = repaint {
            ctx.request_repaint();
        }
    };
    let write = |bytes: Vec<u8>, backlog: &mut Vec<u8>| {
        backlog.extend_from_slice(&bytes);
        if backlog.is_empty() {
            return;
        }
        match files.append_and_maybe_compact(backlog) {
            Ok(()) => {
                backlog.clear();
                report(SaveReport::Saved(id));
            }
            Err(e) => report(SaveReport::Failed(id, format!("{e:#}"))),
        }
    };
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Save(bytes) => {
                // Fold in whatever else is already queued: one fsync for a burst.
                let mut bytes = bytes;
                let mut taken = 1;
                let mut flushes = Vec::new();
                while let Ok(more) = jobs.try_recv() {
                    match more {
                        Job::Save(b) => {
                            bytes.extend_from_slice(&b);
                            taken += 1;
                        }
                        Job::Flush(done) => flushes.push(done),
                    }
                }
                write(bytes, &mut backlog);
                pending.fetch_sub(taken, Ordering::SeqCst);
                for done in flushes {
                    let _ = done.send(());
                }
            }
            Job::Flush(done) => {
                write(Vec::new(), &mut backlog);
                let _ = done.send(());
            }
        }
    }
    write(Vec::new(), &mut backlog);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::device::Device;
    use samspill_shared::model::NewProject;

    #[test]
    fn changes_handed_to_the_saver_are_on_disk_after_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::open(dir.path()).unwrap();
        let template = samspill_shared::content::library()
            .template("four-phase")
            .unwrap();
        let new = NewProject {
            template,
            title: "Før",
            language: None,
        };
        let mut p = device.create_project(&new).unwrap();
        p.save().unwrap();
        let saver = Saver::start(p.files.clone(), None);
        for title in ["Blå", "Blåbær", "Blåbærtur på øya"] {
            p.doc.set_title(title).unwrap();
            saver.save(p.take_unsaved());
        }
        saver.flush();
        assert_eq!(saver.pending(), 0);
        assert!(
            saver
                .reports()
                .iter()
                .all(|r| *r == SaveReport::Saved(p.id))
        );
        let again = device
            .open_project(&p.id, crate::device::Access::Read)
            .unwrap();
        assert_eq!(again.doc.view().meta.title, "Blåbærtur på øya");
    }
}
