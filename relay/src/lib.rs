//! # samspill-relay
//!
//! The server a centre runs so its facilitators' projects sync. It stores and forwards
//! **encrypted blobs** per document, in order, and that is all it can see: it never runs
//! Automerge, never holds a project key, and knows a document only by its id (an Ed25519
//! public key).
//!
//! ## A tour
//!
//! - [`config`]: flags (with `SAMSPILL_RELAY_*` environment fallbacks) → validated
//!   [`Config`].
//! - [`server`]: [`router`] (`GET /v1/sync`, `/healthz`, `/metrics`), [`RelayState`],
//!   [`serve`](server::serve) with graceful shutdown (cancel, then wait for connections to
//!   finish their pending commits, then close the store).
//! - `accept` (private): the accept loop — connection caps in total and per address, a
//!   deadline for request headers, surviving EMFILE.
//! - `upgrade` (private): the websocket handshake, and the byte budget before Hello.
//! - `ws` (private): one connection — hello and challenge, subscribe with proof and
//!   catch-up, pushes acknowledged once durable, limits.
//! - [`hub`]: subscribers per document and live fan-out; send buffers bounded in bytes.
//! - [`store`]: the [`Store`](store::Store) trait and the SQLite implementation (WAL,
//!   group commit on a writer thread, reads off the runtime).
//! - [`postgres`]: the PostgreSQL store, for several nodes behind one address (row locks
//!   for gap-free numbering, `LISTEN`/`NOTIFY` for fan-out across nodes).
//! - `memory` (private): gives freed memory back to the system after connections close.
//! - [`tokens`]: bearer tokens for `--require-token`, stored hashed.
//! - [`metrics`]: Prometheus names.
//!
//! The wire format lives in `samspill_shared::protocol` (documented in
//! `docs/protocol.md`); running a relay is described in the README ("Run a relay for your centre").
//!
//! ## Testing
//!
//! Tests [`serve`](server::serve) on `127.0.0.1:0` with a temporary data directory and talk to it
//! with a real websocket client (`relay/tests/`); the durability test kills the real
//! binary with SIGKILL.

mod accept;
pub mod config;
pub mod hub;
mod memory;
pub mod metrics;
pub mod postgres;
pub mod server;
pub mod store;
pub mod tokens;
mod upgrade;
mod ws;

pub use config::{Config, DocumentList};
pub use server::{RelayState, router, serve};
