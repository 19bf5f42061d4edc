//! # samspill — the desktop app and command line
//!
//! - [`store`]: projects on disk (append-only change log, atomic compaction).
//! - [`profile`]: who this device's user is; their preferences.
//! - [`device`]: the store and profile together; opening and creating projects.
//! - [`handle`]: the one in-memory copy of an open project, shared by the UI and the
//!   sync engine of a process.
//! - [`watch`]: picking up other processes' writes to open projects.
//! - [`cli`]: `samspill <subcommand>`.
//! - [`export`]: Markdown and print-ready HTML.
//! - [`sync`]: the sync engine (share, join, sync; the app's background engine).
//! - [`ui`]: the egui app.
//!
//! The document model, content, protocol and crypto live in `samspill-shared`.

pub mod cli;
pub mod dates;
pub mod device;
pub mod export;
pub mod handle;
pub mod pdf;
pub mod profile;
pub mod store;
pub mod sync;
pub mod ui;
pub mod watch;
