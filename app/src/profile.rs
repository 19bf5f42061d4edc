//! Who this device's user is, and their preferences.
//!
//! `profile.toml` in the data directory. The person id is the author of every change
//! this device makes, made once, on first use. (Automerge actor ids are not kept here:
//! every opening of a project takes a fresh one, see `device`.) Preferences (language, theme, default relay) live here too, so
//! the CLI and the app agree on them.

use std::fs;
use std::path::{Path, PathBuf};

use samspill_shared::content::Lang;
use samspill_shared::ids::{Entropy, PersonId};
use serde::{Deserialize, Serialize};

use crate::store::atomic_write;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid profile ({reason}); fix or delete it")]
    Invalid { path: PathBuf, reason: String },
    #[error("could not save the profile: {0}")]
    Write(#[from] crate::store::StoreError),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub person_id: PersonId,
    /// Written by the first version (one actor per device, which let two processes
    /// write the same change twice); read and ignored.
    #[serde(default, skip_serializing)]
    pub actor: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub centre: String,
    #[serde(default = "default_colour")]
    pub colour: String,
    #[serde(default = "default_language")]
    pub language: Lang,
    #[serde(default)]
    pub theme: Theme,
    /// Offered when sharing a project, e.g. `wss://relay.rvts.no`.
    #[serde(default)]
    pub default_relay: String,
    /// The first-start screen was saved or skipped: it is not shown again by itself.
    #[serde(default)]
    pub welcomed: bool,
}

fn default_language() -> Lang {
    Lang::Nb
}

fn default_colour() -> String {
    "#2f7d6d".to_owned()
}

impl Profile {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("profile.toml")
    }

    /// Loads the profile, creating (and saving) a fresh one on first use.
    pub fn load_or_create(
        data_dir: &Path,
        entropy: &mut dyn Entropy,
    ) -> Result<Self, ProfileError> {
        let path = Self::path(data_dir);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let profile: Profile =
                    toml::from_str(&text).map_err(|e| ProfileError::Invalid {
                        path: path.clone(),
                        reason: e.message().to_owned(),
                    })?;
                Ok(profile)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let profile = Profile {
                    person_id: PersonId::random(entropy),
                    actor: String::new(),
                    name: std::env::var("USER").unwrap_or_default(),
                    centre: String::new(),
                    colour: default_colour(),
                    language: Lang::Nb,
                    theme: Theme::Light,
                    default_relay: String::new(),
                    welcomed: false,
                };
                profile.save(data_dir)?;
                Ok(profile)
            }
            Err(source) => Err(ProfileError::Read { path, source }),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), ProfileError> {
        let text = toml::to_string_pretty(self).map_err(|e| ProfileError::Invalid {
            path: Self::path(data_dir),
            reason: e.to_string(),
        })?;
        atomic_write(&Self::path(data_dir), text.as_bytes())?;
        Ok(())
    }

    /// The name to show for this person; a placeholder when it is not set yet.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            "?"
        } else {
            &self.name
        }
    }
}
