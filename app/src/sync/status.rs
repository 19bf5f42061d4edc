//! One status model for a project's sync, shown the same way in the app's header, the
//! app's project list, `samspill list` and `sync --watch`.
//!
//! "Synced" is said only when the engine is live on the relay and nothing is waiting;
//! every other state says what is true instead: how many changes wait, since when the
//! relay has been out of reach, or why syncing stopped.

use std::time::SystemTime;

use samspill_shared::content::{Lang, library};

/// Where a project's sync stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SyncStatus {
    /// Not shared: lives on this device only.
    #[default]
    Local,
    /// Shared, nothing waiting, and no engine running here to say more (the CLI).
    Shared,
    /// Shared; the engine is connecting or catching up.
    Connecting,
    /// Live on the relay with nothing waiting.
    Synced,
    /// Live, with this many local changes not yet acknowledged by the relay.
    Waiting(usize),
    /// The relay cannot be reached since then; changes wait on disk.
    Offline { since: SystemTime, waiting: usize },
    /// Syncing has stopped and will not resume by itself; the text says why and what to
    /// do (never a secret).
    Stopped(String),
    /// This device was removed from the project: what it had stays, read-only.
    Removed,
}

impl SyncStatus {
    /// One line for the person, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let strings = &library().strings;
        let s = |key: &str| strings.get(lang, key).to_owned();
        let offline = |since: &SystemTime| {
            strings.format(
                lang,
                "sync-offline-since",
                &[("time", clock_time(lang, *since).into())],
            )
        };
        match self {
            Self::Local => s("sync-local"),
            Self::Shared => s("sync-idle"),
            Self::Connecting => s("sync-connecting"),
            Self::Synced => s("sync-synced"),
            Self::Waiting(n) => waiting(lang, *n),
            Self::Offline { since, waiting: 0 } => offline(since),
            Self::Offline { since, waiting: n } => {
                format!("{} · {}", offline(since), waiting(lang, *n))
            }
            Self::Stopped(reason) => {
                strings.format(lang, "sync-stopped", &[("reason", reason.as_str().into())])
            }
            Self::Removed => s("sync-removed"),
        }
    }

    /// A short word for the line of `sync --watch`.
    pub fn is_trouble(&self) -> bool {
        matches!(
            self,
            Self::Offline { .. } | Self::Stopped(_) | Self::Removed
        )
    }
}

/// "3 endringer venter", "1 endring venter".
fn waiting(lang: Lang, n: usize) -> String {
    library()
        .strings
        .format(lang, "sync-waiting", &[("n", n.into())])
}

/// `HH:MM` in the reader's time zone (see `samspill_shared::dates`).
pub fn clock_time(lang: Lang, t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => samspill_shared::dates::clock(lang, ts.as_second()),
        Err(_) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synced_is_said_only_of_a_live_engine_with_nothing_waiting() {
        assert_eq!(SyncStatus::Synced.text(Lang::Nb), "Synkronisert");
        assert_eq!(SyncStatus::Waiting(3).text(Lang::Nb), "3 endringer venter");
        assert_eq!(SyncStatus::Waiting(1).text(Lang::En), "1 change waiting");
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(3600);
        let offline = SyncStatus::Offline {
            since: at,
            waiting: 2,
        }
        .text(Lang::Nb);
        assert!(offline.starts_with("Frakoblet siden "), "{offline}");
        assert!(offline.ends_with("2 endringer venter"), "{offline}");
        assert_eq!(
            SyncStatus::Stopped("nøkkelen mangler".to_owned()).text(Lang::Nb),
            "Synkronisering stoppet: nøkkelen mangler"
        );
    }
}
