//! # samspill-shared
//!
//! The pure core of Samspill. Nothing in this crate touches sockets, files, clocks or an
//! async runtime: time and randomness are passed in, so everything here is tested fast
//! and deterministically.
//!
//! - [`ids`]: typed ids for everything in a project.
//! - [`model`]: the project as an Automerge document, its operations and its view model.
//! - [`content`]: the method library, templates and UI strings compiled from `content/`.
//! - [`crypto`]: key derivation from a project secret, blob encryption, subscribe proofs.
//! - [`epoch`]: removing someone: the `Rotation` record and capabilities wrapped to devices.
//! - [`link`]: the invite link format.
//! - [`lan`]: mDNS adverts only a project's members recognise (`sync --lan`).
//! - [`changelog`]: the byte format of the app's on-disk change log.
//! - [`protocol`]: the relay's binary websocket frames.
//! - [`sync`]: the client's sync state machine (events in, effects out).

pub mod changelog;
pub mod content;
pub mod crypto;
pub mod dates;
pub mod epoch;
pub mod ids;
pub mod lan;
pub mod link;
pub mod model;
pub mod pipe;
pub mod protocol;
pub mod sync;
