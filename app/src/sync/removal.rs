//! Removing someone from a shared project (`samspill remove`, "Fjern fra prosjektet"):
//! a new epoch.
//!
//! The remover catches up with the relay, makes a fresh epoch secret, wraps its
//! capability for every remaining device that published an identity (HPKE, see
//! [`samspill_shared::epoch`]), and sends one `Rotate`: the relay stores the rotation as
//! the old document's last entry, seals it, and creates the new document with the whole
//! project as its first entry. Every remaining device follows by itself when it reads
//! the rotation ([`super::session`]). If another editor rotated first, the relay says
//! `Moved`: this device follows that rotation and tries again in the new epoch, so two
//! removals at once end in one epoch without either person.

use std::time::Duration;

use anyhow::{Context as _, bail};
use samspill_shared::crypto::{Capability, DevicePublic, DocumentId, ProjectSecret, Role};
use samspill_shared::epoch::Rotation;
use samspill_shared::ids::{Entropy as _, PersonId};
use samspill_shared::model::{Person, ProjectDoc};
use samspill_shared::protocol::{ErrorCode, ServerFrame};

use super::persist::{self, RelayRef, RelaySync};
use super::session::{REMOVED_REASON, SessionOutcome, Stop, Tracked, drive};
use super::{Connection, Events, READ_ONLY_REASON, refused_message, sync_once};
use crate::device::{Access, Device, OsEntropy};

/// How often a removal is tried again when other removals keep moving the project.
const ATTEMPTS: usize = 4;
/// How long the relay has to answer the rotation.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// What a removal did, for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Who was removed (their name, or their id when they have none).
    pub removed: String,
    /// The project's new epoch.
    pub epoch: u32,
    /// Devices given the new key (this one included).
    pub devices: usize,
    /// People who keep access but published no device: they need a new link.
    pub need_link: Vec<String>,
}

/// Removes `who` (a person id, or a name) from the shared project `id`.
pub async fn remove(device: &Device, id: &DocumentId, who: &str) -> anyhow::Result<Removal> {
    if let Some(file) = persist::load(&device.store.project(id)?)?
        && file.home().is_none()
        && file.removed.is_none()
    {
        bail!("{LAN_ONLY}");
    }
    for _ in 0..ATTEMPTS {
        // Catch up first: this follows any rotation made meanwhile (and fails, saying
        // so, if it removed this device).
        sync_once(device, &[*id]).await?;
        if let Some(done) = Box::pin(try_remove(device, id, who)).await? {
            return Ok(done);
        }
    }
    bail!(
        "the project moved to new keys {ATTEMPTS} times while removing (others are removing people at the same time); run the removal again"
    )
}

/// Why a project shared on the local network only cannot have anyone removed.
const LAN_ONLY: &str = "this project is shared on the local network only; removing someone needs it on a relay (`samspill share ID --relay URL`), where its old keys can be sealed";

/// One attempt; `None` when another removal got to the relay first.
async fn try_remove(
    device: &Device,
    id: &DocumentId,
    who: &str,
) -> anyhow::Result<Option<Removal>> {
    // Opened to edit: this device is then published in the project (before the
    // rotation), so the others can check that the rotation is signed by it.
    let project = device.open_project(id, Access::Edit)?;
    let files = project.files();
    let (epoch, cap) = files.epoch()?;
    if cap.role() != Role::Editor {
        bail!("{READ_ONLY_REASON}; only an editor can remove someone");
    }
    let Some(file) = persist::load(files)? else {
        bail!("this project is not shared, so nobody else has it; there is no one to remove");
    };
    if file.removed.is_some() {
        bail!("{REMOVED_REASON}");
    }
    let me = device.profile.person_id.as_str().to_owned();
    let check = |people: &[Person]| -> anyhow::Result<()> {
        let target = resolve_person(people, who)?;
        if target.id == me {
            bail!(
                "you cannot remove yourself; ask another editor, or delete the project from this device"
            );
        }
        if let Some(epoch) = target.removed {
            bail!(
                "{} was removed already (epoch {epoch})",
                display_name(target)
            );
        }
        Ok(())
    };
    check(&project.view().people)?;

    // Live and in sync on a connection of its own first: the people (and their
    // devices) are read after the catch-up, so nobody published meanwhile is missed.
    let Some(relay) = file.home().cloned() else {
        bail!("{LAN_ONLY}");
    };
    let mut t = Tracked::new(project.clone(), &RelayRef::Url(relay.clone()), device)?;
    let mut conn = Connection::open(&relay, None).await?;
    let events = Events::discard();
    let result = tokio::time::timeout(
        super::ONCE_TIMEOUT,
        drive(
            &mut conn,
            std::slice::from_mut(&mut t),
            &events,
            &Stop::WhenInSync,
            || None,
        ),
    )
    .await
    .map_err(|_| {
        anyhow::anyhow!("the relay at {relay} did not catch this device up in time; try again")
    })?;
    match result {
        Ok(_) => {}
        Err(SessionOutcome::Refused { code, message }) => {
            bail!("{}", refused_message(&relay, code, &message))
        }
        Err(SessionOutcome::Failed(e)) => return Err(anyhow::Error::new(e)),
    }
    if t.is_removed() {
        bail!("{REMOVED_REASON}");
    }
    if t.doc_id() != cap.doc_id() {
        // Someone else's rotation arrived meanwhile, and this device followed it.
        conn.close().await;
        return Ok(None);
    }
    let view = project.view();
    check(&view.people)?;
    let target = resolve_person(&view.people, who)?;
    let next = epoch
        .checked_add(1)
        .context("the project has had too many epochs")?;
    // Recorded in the document the new epoch starts from, so no later removal (by
    // anyone) wraps a key for their devices again. Made on a fork: until the relay
    // has taken the rotation, nothing here changes.
    let person: PersonId = target
        .id
        .parse()
        .map_err(|e| anyhow::anyhow!("the person id {} is damaged: {e}", target.id))?;
    let base = project.with_automerge(|d| d.get_heads());
    let mut fork = ProjectDoc::open(
        project.with_automerge(|d| d.fork()),
        crate::device::fresh_actor(),
        device.editor(),
    )?;
    fork.mark_removed(&person, next)?;
    let marked = fork.automerge_mut().save_after(&base);
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    OsEntropy.fill(&mut *secret);
    let new_cap = Capability::Editor(ProjectSecret::from_bytes(*secret));
    let hex_heads = |mut heads: Vec<automerge::ChangeHash>| {
        heads.sort();
        heads.iter().map(ToString::to_string).collect::<Vec<_>>()
    };
    // What the old document holds as of now: a device that has it pushes only what it
    // has beyond (the new document's first entry holds all of it, and the mark).
    let heads = hex_heads(base.clone());
    let first_heads = hex_heads(fork.automerge_mut().get_heads());
    let mut rotation = Rotation {
        epoch: next,
        from: cap.doc_id().to_string(),
        to: new_cap.doc_id().to_string(),
        heads,
        removed: vec![target.id.clone()],
        by: me.clone(),
        keys: Vec::new(),
        signer: String::new(),
        signature: String::new(),
    };
    // This device first: it may not have published itself in the project yet.
    let mine = device.identity.public();
    rotation.wrap_for(&me, &mine, &new_cap, &mut OsEntropy)?;
    let mut need_link = Vec::new();
    for p in view
        .people
        .iter()
        .filter(|p| p.id != target.id && p.removed.is_none())
    {
        let mut any = false;
        for d in &p.devices {
            let Some(public) = device_public(&d.sign, &d.kx).filter(|k| k.device_id() == d.id)
            else {
                continue;
            };
            any = true;
            if public == mine || rotation.includes(&d.id) {
                continue;
            }
            rotation.wrap_for(&p.id, &public, &new_cap, &mut OsEntropy)?;
        }
        if !any && p.id != me {
            need_link.push(display_name(p));
        }
    }
    let devices = rotation.keys.len();
    rotation.sign(&device.identity);

    let new_keys = new_cap.keys();
    let Some((push, frame)) =
        t.sm.rotate_frame(fork.automerge_mut(), &new_keys, &rotation, &mut OsEntropy)
    else {
        bail!("the connection to {relay} was not ready for the removal; try again");
    };
    conn.send(&frame).await?;
    let answer = tokio::time::timeout(ANSWER_TIMEOUT, async {
        loop {
            match conn.recv().await? {
                ServerFrame::Ack { doc, id, .. } if doc == cap.doc_id() && id == push => {
                    return Ok::<_, anyhow::Error>(None);
                }
                ServerFrame::Error {
                    id: Some(id),
                    code,
                    message,
                    ..
                } if id == push => return Ok(Some((code, message))),
                // Anything else (a peer's entry) is read again by the next sync.
                _ => {}
            }
        }
    })
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "the relay at {relay} did not answer the removal within {} seconds; nothing changed for the others unless `samspill members` shows otherwise after `samspill sync`",
            ANSWER_TIMEOUT.as_secs()
        )
    })??;
    match answer {
        None => {}
        Some((ErrorCode::Moved, _)) => {
            // Another removal was first: follow it, then try again.
            conn.close().await;
            return Ok(None);
        }
        Some((code, message)) => bail!("{}", refused_message(&relay, code, &message)),
    }
    // This device moves at once; its other sessions follow the rotation entry.
    project
        .with_automerge(|d| d.load_incremental(&marked))
        .context("could not record the removal in the project on this device")?;
    project.save()?;
    files.set_epoch(next, &new_cap)?;
    persist::save_relay(
        files,
        &RelaySync::for_epoch(RelayRef::Url(relay.clone()), next, first_heads),
    )?;
    conn.close().await;
    tracing::info!(project = %id, epoch = next, devices, "removed a person from the project");
    Ok(Some(Removal {
        removed: display_name(target),
        epoch: next,
        devices,
        need_link,
    }))
}

/// A person by id, or by name (case does not matter; a name two people share must be
/// given as an id).
pub fn resolve_person<'a>(people: &'a [Person], who: &str) -> anyhow::Result<&'a Person> {
    let who = who.trim();
    if let Some(p) = people.iter().find(|p| p.id == who) {
        return Ok(p);
    }
    let named: Vec<&Person> = people
        .iter()
        .filter(|p| p.name.trim().eq_ignore_ascii_case(who) || p.name.trim() == who)
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            bail!("nobody called “{who}” works on this project; `samspill members ID` lists them")
        }
        many => bail!(
            "{} people are called “{who}”; give one of their ids: {}",
            many.len(),
            many.iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn display_name(p: &Person) -> String {
    if p.name.trim().is_empty() {
        p.id.clone()
    } else {
        p.name.clone()
    }
}

fn device_public(sign: &str, kx: &str) -> Option<DevicePublic> {
    let sign: [u8; 32] = hex::decode(sign).ok()?.try_into().ok()?;
    let kx: [u8; 32] = hex::decode(kx).ok()?.try_into().ok()?;
    Some(DevicePublic { sign, kx })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn person(id: &str, name: &str) -> Person {
        Person {
            id: id.to_owned(),
            name: name.to_owned(),
            ..Person::default()
        }
    }

    #[test]
    fn a_person_is_found_by_id_or_unique_name_and_a_shared_name_asks_for_the_id() {
        let people = vec![
            person("p1", "Kari Nordmann"),
            person("p2", "Ola"),
            person("p3", "Ola"),
        ];
        assert_eq!(resolve_person(&people, "p2").unwrap().id, "p2");
        assert_eq!(resolve_person(&people, "kari nordmann").unwrap().id, "p1");
        let err = resolve_person(&people, "Ola").unwrap_err().to_string();
        assert!(err.contains("p2") && err.contains("p3"), "{err}");
        assert!(resolve_person(&people, "Per").is_err());
    }
}
