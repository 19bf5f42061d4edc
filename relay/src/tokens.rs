//! Tokens that allow creating documents on a relay run with `--require-token`.
//!
//! A token is `srt_` followed by 32 random bytes in base64url. It is shown once, when
//! created; the relay keeps only its BLAKE3 hash (keyed by a fixed context), so a copy of
//! the database does not give away any token. Revoking a token keeps its row (so `token
//! list` shows the history) but it no longer verifies.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{OptionalExtension, params};

use crate::config::DatabaseUrl;
use crate::store::open_database;

const TOKEN_PREFIX: &str = "srt_";
const TOKEN_HASH_CONTEXT: &str = "samspill-relay 2026-11-23 token hash v1";

/// The hash the relay stores and looks tokens up by.
pub fn hash_token(token: &str) -> [u8; 32] {
    blake3::derive_key(TOKEN_HASH_CONTEXT, token.as_bytes())
}

/// What the client presented in its `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    None,
    /// The hash of a bearer token (the token itself is not kept).
    Token([u8; 32]),
    /// A header that is not `Bearer <token>`.
    Malformed,
}

impl Presented {
    /// Reads an `Authorization` header value.
    pub fn from_header(value: Option<&[u8]>) -> Self {
        let Some(value) = value else {
            return Self::None;
        };
        let Ok(value) = std::str::from_utf8(value) else {
            return Self::Malformed;
        };
        let mut parts = value.trim().splitn(2, ' ');
        match (parts.next(), parts.next()) {
            (Some(scheme), Some(token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Self::Token(hash_token(token.trim()))
            }
            _ => Self::Malformed,
        }
    }
}

/// Longest token name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A token name as stored: any printable text (a centre's or a person's name, "KORUS
/// Sør"), trimmed, 1 to 64 characters; no control characters (they would break `token
/// list`'s columns and a terminal).
fn checked_name(name: &str) -> anyhow::Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        bail!("a token name is 1 to {MAX_NAME_CHARS} characters");
    }
    if name.chars().any(char::is_control) {
        bail!("a token name cannot hold tabs, line breaks or other control characters");
    }
    Ok(name)
}

/// Where the token commands find the relay's tokens.
#[derive(Debug, Clone, Copy)]
pub enum Tokens<'a> {
    /// The SQLite database in this data directory.
    Sqlite(&'a Path),
    Postgres(&'a DatabaseUrl),
}

impl Tokens<'_> {
    /// Issues a token named `name` from 32 random bytes; returns the token (shown once).
    /// A revoked token's name may be reused.
    pub fn create(self, name: &str, random: [u8; 32]) -> anyhow::Result<String> {
        match self {
            Self::Sqlite(dir) => create(dir, name, random),
            Self::Postgres(url) => {
                let name = checked_name(name)?;
                let token = new_token(random);
                block_on(crate::postgres::tokens::create(
                    url,
                    name,
                    hash_token(&token),
                ))?;
                Ok(token)
            }
        }
    }

    pub fn list(self) -> anyhow::Result<Vec<TokenInfo>> {
        match self {
            Self::Sqlite(dir) => list(dir),
            Self::Postgres(url) => block_on(crate::postgres::tokens::list(url)),
        }
    }

    pub fn revoke(self, name: &str) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(dir) => revoke(dir, name),
            Self::Postgres(url) => block_on(crate::postgres::tokens::revoke(url, name.trim())),
        }
    }
}

/// Runs a PostgreSQL token command (the commands are synchronous; the driver is not).
fn block_on<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(f)
}

fn new_token(random: [u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random))
}

/// Issues a token named `name` from 32 random bytes in the SQLite database in
/// `data_dir`; returns the token (shown once). A revoked token's name may be reused.
pub fn create(data_dir: &Path, name: &str, random: [u8; 32]) -> anyhow::Result<String> {
    let name = checked_name(name)?;
    let token = new_token(random);
    let conn = open_database(data_dir)?;
    let active: Option<Option<String>> = conn
        .query_row(
            "SELECT revoked_at FROM tokens WHERE name = ?1",
            params![name],
            |row| row.get(0),
        )
        .optional()
        .context("cannot read tokens")?;
    if let Some(None) = active {
        bail!("a token named {name} exists; revoke it first (samspill-relay token revoke {name})");
    }
    conn.execute(
        "INSERT INTO tokens (name, hash) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET hash = excluded.hash,
             created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), revoked_at = NULL",
        params![name, &hash_token(&token)[..]],
    )
    .context("cannot store the token")?;
    Ok(token)
}

/// One token as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Documents created with this token.
    pub documents: u64,
}

pub fn list(data_dir: &Path) -> anyhow::Result<Vec<TokenInfo>> {
    let conn = open_database(data_dir)?;
    let mut stmt = conn
        .prepare(
            "SELECT t.name, t.created_at, t.revoked_at,
                    (SELECT COUNT(*) FROM documents d WHERE d.created_by = t.name)
             FROM tokens t ORDER BY t.name",
        )
        .context("cannot read tokens")?;
    let rows = stmt
        .query_map([], |row| {
            Ok(TokenInfo {
                name: row.get(0)?,
                created_at: row.get(1)?,
                revoked_at: row.get(2)?,
                documents: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
            })
        })
        .context("cannot read tokens")?;
    rows.collect::<Result<Vec<_>, _>>()
        .context("cannot read tokens")
}

pub fn revoke(data_dir: &Path, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    let conn = open_database(data_dir)?;
    let changed = conn
        .execute(
            "UPDATE tokens SET revoked_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             WHERE name = ?1 AND revoked_at IS NULL",
            params![name],
        )
        .context("cannot revoke the token")?;
    if changed == 0 {
        bail!("no active token named {name} (see samspill-relay token list)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_parsed_and_hashed() {
        let h = hash_token("srt_abc");
        assert_eq!(
            Presented::from_header(Some(b"Bearer srt_abc")),
            Presented::Token(h)
        );
        assert_eq!(
            Presented::from_header(Some(b"bearer  srt_abc ")),
            Presented::Token(h)
        );
        assert_eq!(
            Presented::from_header(Some(b"Basic xyz")),
            Presented::Malformed
        );
        assert_eq!(
            Presented::from_header(Some(b"Bearer")),
            Presented::Malformed
        );
        assert_eq!(Presented::from_header(None), Presented::None);
    }

    #[test]
    fn create_list_revoke_and_reissue() {
        let dir = tempfile::tempdir().unwrap();
        let token = create(dir.path(), "alice", [1; 32]).unwrap();
        assert!(token.starts_with("srt_"));
        assert!(
            create(dir.path(), "alice", [2; 32]).is_err(),
            "duplicate active name"
        );
        for bad in ["", "   ", "tab\there", "line\nbreak", &"x".repeat(65)] {
            assert!(create(dir.path(), bad, [2; 32]).is_err(), "{bad:?}");
        }
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "alice");
        assert_eq!(listed[0].revoked_at, None);
        revoke(dir.path(), "alice").unwrap();
        assert!(revoke(dir.path(), "alice").is_err(), "already revoked");
        assert!(list(dir.path()).unwrap()[0].revoked_at.is_some());
        let again = create(dir.path(), "alice", [3; 32]).unwrap();
        assert_ne!(again, token);
    }

    #[test]
    fn names_are_printable_text() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "KORUS Sør",
            "RVTS Nord – Tromsø",
            "Máret Čoavddáš",
            &"ø".repeat(64),
        ];
        for (n, name) in (4..).zip(names) {
            create(dir.path(), name, [n; 32]).unwrap();
        }
        create(dir.path(), "  RBUP Øst  ", [9; 32]).unwrap();
        let names: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert!(names.contains(&"KORUS Sør".to_owned()));
        assert!(names.contains(&"RBUP Øst".to_owned()), "trimmed: {names:?}");
        revoke(dir.path(), "KORUS Sør").unwrap();
    }

    #[test]
    fn only_the_hash_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let token = create(dir.path(), "bob", [7; 32]).unwrap();
        let raw = std::fs::read(crate::config::database_path(dir.path())).unwrap();
        let wal = std::fs::read(dir.path().join("relay.sqlite3-wal")).unwrap_or_default();
        for bytes in [raw, wal] {
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        }
    }
}
