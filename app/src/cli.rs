//! The command line: `samspill <subcommand>`. Every subcommand works without a display.
//!
//! Output rules, relied on by scripts and tests: ids a command makes are printed alone
//! on the last line; listings put the id first and separate columns with a tab; errors
//! are one line on stderr (exit 1); bad usage exits 2 (clap's own code).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use samspill_shared::content::{Lang, PhaseKind};
use samspill_shared::crypto::ProjectSecret;
use samspill_shared::ids::{Entropy, ItemId, PhaseId, TaskId};
use samspill_shared::model::{NewProject, Project, ProjectDoc};

use samspill_shared::link::RelayUrl;

use samspill_shared::crypto::DocumentId;

use crate::device::{Access, Device, OsEntropy, default_data_dir};
use crate::export;
use crate::handle::DocHandle;
use crate::sync;
use crate::sync::SyncStatus;

#[derive(Debug, Parser)]
#[command(
    name = "samspill",
    version,
    about = "Plan and run development processes together — local-first, end-to-end encrypted.",
    long_about = None
)]
pub struct Cli {
    /// Where projects and the profile are kept [default: the platform data directory]
    #[arg(long, global = true, env = "SAMSPILL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// An invite link (samspill://… or samspill+ws://…): opens the app's "Bli med"
    /// dialog with it filled in, and joins only when you say so. This is what clicking
    /// a link runs.
    #[arg(value_name = "LINK")]
    pub link: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show or set who you are: the author of every change this device makes
    Profile {
        #[arg(long)]
        name: Option<String>,
        /// Your centre, e.g. "RVTS Sør"
        #[arg(long)]
        centre: Option<String>,
        /// Your colour as #RRGGBB
        #[arg(long)]
        colour: Option<String>,
        /// Language of the app and listings: nb, en or da
        #[arg(long)]
        language: Option<String>,
    },
    /// Create a project from a template; prints its id
    New {
        /// Template id (`samspill templates` lists them)
        #[arg(long)]
        template: String,
        #[arg(long)]
        title: String,
        /// Project language (nb, en or da); defaults to the template's
        #[arg(long)]
        language: Option<String>,
    },
    /// List the projects on this device: id, title, sync state
    List,
    /// List the project templates: id, name
    Templates,
    /// List the method library: id, name
    Methods {
        /// Only methods that suit this phase (oppstart, planlegging, gjennomforing, evaluering, or 1–4)
        #[arg(long)]
        phase: Option<String>,
    },
    /// Show a project
    Show {
        /// Project id, or any unique start of it
        id: String,
        /// The whole project as JSON (documented in docs/schema.md)
        #[arg(long)]
        json: bool,
    },
    /// Export a project to a file
    Export {
        id: String,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Export only this gathering's agenda (id or a unique start of it; pdf, html or md)
        #[arg(long, value_name = "GATHERING")]
        gathering: Option<String>,
        /// Output file; `-` writes to standard output
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// The project's history: one change a line, oldest first (hash, time, author, message)
    History { id: String },
    /// Make the project as it was after a change, applied as a new change
    Restore {
        id: String,
        /// Change hash, or a unique start of it (at least 4 digits; `samspill history` lists them)
        #[arg(long, value_name = "CHANGE")]
        at: String,
    },
    /// Name the project's current state, e.g. "after the first gathering"
    Checkpoint { id: String, name: String },
    /// Import a .automerge or .json export as a new project; prints its id
    Import { file: PathBuf },
    /// Tasks in a phase
    #[command(subcommand)]
    Task(TaskCommand),
    /// Tick (or untick) a checklist item
    Check {
        id: String,
        /// Checklist item id (or a unique start of it)
        item: String,
        #[arg(long)]
        undo: bool,
    },
    /// Append a paragraph to a phase's notes
    Note {
        id: String,
        /// Phase id or number (1 for the first)
        #[arg(long)]
        phase: String,
        text: String,
    },
    /// Put a project on a relay; prints its invite link (keep it secret: it opens the project)
    Share {
        id: String,
        /// The relay: ws://HOST:PORT or wss://HOST[:PORT]
        #[arg(long, value_parser = parse_relay_url)]
        relay: RelayUrl,
        /// A token from the relay's operator, when the relay requires one to host projects
        #[arg(long, env = "SAMSPILL_RELAY_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Print an invite link for a shared project: `editor` reads and writes, `viewer`
    /// only reads (keep either secret: it opens the project)
    Invite {
        id: String,
        /// What the link lets its holder do
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A link that names no relay: the joiner finds the project on this network
        /// while a member runs `samspill sync --lan --watch` (works for a project never
        /// put on a relay)
        #[arg(long)]
        lan: bool,
    },
    /// Who works on a project: one person a line (id, name, centre, role, devices, last
    /// change). People who joined from a viewer's link cannot write, so they are not here
    Members { id: String },
    /// Take someone's access away: the project moves to new keys that every other
    /// member's devices get by themselves. What they already had stays with them
    Remove {
        id: String,
        /// The person: their id (`samspill members ID` lists them) or their name
        person: String,
    },
    /// Fetch a shared project from an invite link; prints its id. Give `-` to read the
    /// link from standard input, so the key in it never shows in `ps` or shell history
    Join {
        link: String,
        /// With a link for this network (samspill+lan://): how many seconds to look for
        /// a member's machine
        #[arg(long, default_value_t = 30, value_name = "SECS")]
        lan_wait: u64,
    },
    /// Pull what is missing and push what is unacknowledged (all shared projects without ID)
    Sync {
        id: Option<String>,
        /// Keep syncing until interrupted (Ctrl-C or SIGTERM)
        #[arg(long)]
        watch: bool,
        /// Sync on this network too, with no relay and no internet: serve the projects
        /// here and find the other members' machines (alone: once, with those found
        /// within 3 seconds; with --watch: beside the relays, until interrupted)
        #[arg(long)]
        lan: bool,
    },
}

/// `--role` of `invite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Reads and writes the project
    Editor,
    /// Reads the project; cannot change it
    Viewer,
}

impl From<RoleArg> for samspill_shared::crypto::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Editor => Self::Editor,
            RoleArg::Viewer => Self::Viewer,
        }
    }
}

fn parse_relay_url(s: &str) -> Result<RelayUrl, String> {
    s.parse::<RelayUrl>().map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a task to a phase; prints the task id
    Add {
        id: String,
        /// Phase id or number (1 for the first)
        #[arg(long)]
        phase: String,
        text: String,
        /// Who does it: anyone in the project's people (name or id), facilitators and
        /// the municipality's people alike
        #[arg(long, value_name = "NAME")]
        assignee: Option<String>,
        /// When it is due: 15.01.2027, 15.1.27, 3.2 (this year) or 2027-01-15
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
    },
    /// Change a task: its title, who does it, when it is due (give "" to clear)
    Edit {
        id: String,
        /// Task id (or a unique start of it)
        task: String,
        #[arg(long)]
        title: Option<String>,
        /// Name or id of someone in the project's people; "" for nobody
        #[arg(long, value_name = "NAME")]
        assignee: Option<String>,
        /// 15.01.2027, 15.1.27, 3.2 or 2027-01-15; "" for no date
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
    },
    /// Mark a task done
    Done {
        id: String,
        /// Task id (or a unique start of it)
        task: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Md,
    Html,
    Pdf,
    Json,
    Automerge,
}

/// Runs a subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let device = Device::open(&data_dir)?;
    let Some(command) = cli.command else {
        bail!("no subcommand given; see `samspill --help`");
    };
    let mut out = std::io::stdout().lock();
    match command {
        Command::Profile {
            name,
            centre,
            colour,
            language,
        } => profile(device, name, centre, colour, language.as_deref(), &mut out),
        Command::New {
            template,
            title,
            language,
        } => {
            let lib = device.library();
            let Some(t) = lib.template(&template) else {
                bail!("unknown template “{template}”; `samspill templates` lists them");
            };
            let language = language
                .map(|l| l.parse::<Lang>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let project = device.create_project(&NewProject {
                template: t,
                title: &title,
                language,
            })?;
            writeln!(out, "{}", project.id())?;
            Ok(())
        }
        Command::List => {
            for id in device.store.list()? {
                let (title, state) = match device.open_project(&id, Access::Read) {
                    Ok(p) => {
                        let title = p.view().meta.title;
                        let title = if title.is_empty() && p.read(|d| d.is_incomplete()) {
                            "(damaged: waiting for the relay to refill it)".to_owned()
                        } else {
                            title
                        };
                        let status = sync_status(&p);
                        let mut state = status.text(Lang::En);
                        if status == SyncStatus::Removed {
                            state.push_str(" (read only: someone removed you)");
                        } else if p.read(ProjectDoc::is_viewer) {
                            state.push_str(" (read only: joined from a viewer's link)");
                        }
                        (title, state)
                    }
                    Err(e) => (format!("(unreadable: {e:#})"), "unknown".to_owned()),
                };
                writeln!(out, "{id}\t{}\t{state}", one_line(&title))?;
            }
            Ok(())
        }
        Command::Templates => {
            let lang = device.profile.language;
            for t in &device.library().templates {
                writeln!(out, "{}\t{}", t.id, t.name_for(lang))?;
            }
            Ok(())
        }
        Command::Methods { phase } => {
            let lang = device.profile.language;
            let kind = phase.map(|p| parse_phase_kind(&p)).transpose()?;
            for m in &device.library().methods {
                if kind.is_none_or(|k| m.suits(k)) {
                    writeln!(out, "{}\t{}", m.id, m.name(lang))?;
                }
            }
            Ok(())
        }
        Command::Show { id, json } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Read)?;
            let view = project.view();
            if json {
                writeln!(out, "{}", to_json(&id.to_string(), &view)?)?;
            } else {
                write!(out, "{}", export::markdown(&view, device.library()))?;
            }
            Ok(())
        }
        Command::Export {
            id,
            format,
            gathering,
            output,
        } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Read)?;
            let view = project.view();
            let lib = device.library();
            let gathering = match &gathering {
                Some(g) => {
                    let ids = view.gatherings.iter().map(|g| g.id.as_str());
                    let gid = resolve_item(ids, g, "gathering")?;
                    view.gathering(gid)
                }
                None => None,
            };
            let scope = gathering.map_or(export::Scope::Plan, export::Scope::Gathering);
            let bytes = match format {
                ExportFormat::Md => export::markdown_of(&view, lib, scope).into_bytes(),
                ExportFormat::Html => export::html_of(&view, lib, scope).into_bytes(),
                ExportFormat::Pdf => export::pdf(&view, lib, scope)?,
                ExportFormat::Json | ExportFormat::Automerge if gathering.is_some() => {
                    bail!(
                        "--gathering exports pdf, html or md; json and automerge hold the whole project"
                    )
                }
                ExportFormat::Json => {
                    format!("{}\n", to_json(&id.to_string(), &view)?).into_bytes()
                }
                ExportFormat::Automerge => project.with_automerge(|d| d.save()),
            };
            if output.as_os_str() == "-" {
                out.write_all(&bytes)?;
            } else {
                std::fs::write(&output, &bytes)
                    .with_context(|| format!("could not write {}", output.display()))?;
            }
            Ok(())
        }
        Command::History { id } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Read)?;
            let view = project.view();
            for e in project.with(|d| d.history()) {
                let who = match view.person(&e.by) {
                    Some(p) if !p.centre.is_empty() => format!("{} ({})", p.name, p.centre),
                    Some(p) => p.name.clone(),
                    None if e.by.is_empty() => "?".to_owned(),
                    None => e.by.clone(),
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    e.short(),
                    samspill_shared::dates::utc_stamp(e.time),
                    one_line(&who),
                    one_line(&e.msg)
                )?;
            }
            Ok(())
        }
        Command::Restore { id, at } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            project.with(|d| -> anyhow::Result<()> {
                let change = d.resolve_change(&at)?;
                d.restore(change)?;
                Ok(())
            })?;
            project.save()?;
            Ok(())
        }
        Command::Checkpoint { id, name } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let checkpoint = project.with(|d| d.add_checkpoint(&name))?;
            project.save()?;
            writeln!(out, "{checkpoint}")?;
            Ok(())
        }
        Command::Import { file } => {
            let project = import(&device, &file)?;
            writeln!(out, "{}", project)?;
            Ok(())
        }
        Command::Task(TaskCommand::Add {
            id,
            phase,
            text,
            assignee,
            due,
        }) => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let view = project.view();
            let phase = resolve_phase(&view, &phase)?;
            // Everything is checked before anything is written.
            let assignee = assignee.map(|a| task_assignee(&view, &a)).transpose()?;
            let due = due.map(|d| task_due(&d)).transpose()?;
            let task = project.with(|d| -> anyhow::Result<TaskId> {
                let task = d.add_task(&phase, &text)?;
                if let Some(a) = &assignee {
                    d.set_task_assignee(&task, a.as_ref())?;
                }
                if let Some(due) = &due {
                    d.set_task_due(&task, due)?;
                }
                Ok(task)
            })?;
            project.save()?;
            writeln!(out, "{task}")?;
            Ok(())
        }
        Command::Task(TaskCommand::Edit {
            id,
            task,
            title,
            assignee,
            due,
        }) => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let view = project.view();
            let all = view
                .phases
                .iter()
                .flat_map(|p| p.tasks.iter().map(|t| t.id.as_str()));
            let task: TaskId = resolve_item(all, &task, "task")?.parse()?;
            if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
                bail!("a task needs a title; give --title some text");
            }
            let assignee = assignee.map(|a| task_assignee(&view, &a)).transpose()?;
            let due = due.map(|d| task_due(&d)).transpose()?;
            if title.is_none() && assignee.is_none() && due.is_none() {
                bail!("nothing to change: give --title, --assignee or --due");
            }
            project.with(|d| -> anyhow::Result<()> {
                if let Some(t) = &title {
                    d.set_task_title(&task, t)?;
                }
                if let Some(a) = &assignee {
                    d.set_task_assignee(&task, a.as_ref())?;
                }
                if let Some(due) = &due {
                    d.set_task_due(&task, due)?;
                }
                Ok(())
            })?;
            project.save()?;
            Ok(())
        }
        Command::Task(TaskCommand::Done { id, task }) => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let view = project.view();
            let all = view
                .phases
                .iter()
                .flat_map(|p| p.tasks.iter().map(|t| t.id.as_str()));
            let task: TaskId = resolve_item(all, &task, "task")?.parse()?;
            project.with(|d| d.set_task_done(&task, true))?;
            project.save()?;
            Ok(())
        }
        Command::Check { id, item, undo } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let view = project.view();
            let all = view
                .phases
                .iter()
                .flat_map(|p| p.checklist.iter().map(|c| c.id.as_str()));
            let item: ItemId = resolve_item(all, &item, "checklist item")?.parse()?;
            project.with(|d| d.set_check_done(&item, !undo))?;
            project.save()?;
            Ok(())
        }
        Command::Note { id, phase, text } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Edit)?;
            let phase = resolve_phase(&project.view(), &phase)?;
            project.with(|d| d.append_note(&phase, &text))?;
            project.save()?;
            Ok(())
        }
        Command::Share { id, relay, token } => {
            let id = device.resolve(&id)?;
            let invite = sync::block_on(sync::share(&device, &id, &relay, token.as_deref()))??;
            writeln!(out, "{invite}")?;
            Ok(())
        }
        Command::Invite { id, role, lan } => {
            let id = device.resolve(&id)?;
            let invite = sync::invite(&device, &id, role.into(), lan)?;
            writeln!(out, "{invite}")?;
            Ok(())
        }
        Command::Members { id } => {
            let id = device.resolve(&id)?;
            let project = open(&device, &id, Access::Read)?;
            let view = project.view();
            let history = project.with(|d| d.history());
            for p in &view.people {
                let last = history
                    .iter()
                    .filter(|e| e.by == p.id)
                    .map(|e| e.time)
                    .max()
                    .map_or_else(|| "never".to_owned(), samspill_shared::dates::utc_stamp);
                let devices = if p.devices.is_empty() {
                    "no device published (needs a new link after a removal)".to_owned()
                } else {
                    p.devices
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let removed;
                let role = if let Some(epoch) = p.removed {
                    removed = format!("removed (epoch {epoch})");
                    removed.as_str()
                } else if p.role.is_empty() {
                    "-"
                } else {
                    p.role.as_str()
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{role}\t{devices}\t{last}",
                    p.id,
                    one_line(&p.name),
                    one_line(&p.centre),
                )?;
            }
            Ok(())
        }
        Command::Remove { id, person } => {
            let id = device.resolve(&id)?;
            let done = sync::block_on(sync::remove(&device, &id, &person))??;
            writeln!(
                out,
                "{} was removed: the project moved to new keys (epoch {}), given to {} device{}; the relay sealed the old ones",
                done.removed,
                done.epoch,
                done.devices,
                if done.devices == 1 { "" } else { "s" }
            )?;
            writeln!(
                out,
                "what {} had already read or copied stays with them; they cannot read anything written from now on",
                done.removed
            )?;
            if !done.need_link.is_empty() {
                writeln!(
                    out,
                    "these people published no device and need a new link (`samspill invite {id} --role editor`): {}",
                    done.need_link.join(", ")
                )?;
            }
            writeln!(
                out,
                "viewers who joined from a viewer's link need a new one too (`samspill invite {id} --role viewer`)"
            )?;
            Ok(())
        }
        Command::Join { link, lan_wait } => {
            let link = if link == "-" {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("could not read the invite link from standard input")?;
                line.trim().to_owned()
            } else {
                link
            };
            let id = sync::block_on(sync::join(
                &device,
                &link,
                std::time::Duration::from_secs(lan_wait),
            ))??;
            writeln!(out, "{id}")?;
            Ok(())
        }
        Command::Sync { id, watch, lan } => {
            let ids = match id {
                Some(id) => vec![device.resolve(&id)?],
                None => vec![],
            };
            if watch {
                watch_until_signal(&device, ids, lan)
            } else if lan {
                let n = sync::block_on(sync::sync_lan_once(&device, &ids))??;
                eprintln!("synced through {n} relay(s) on this network");
                Ok(())
            } else {
                let n = sync::block_on(sync::sync_once(&device, &ids))??;
                if n == 0 {
                    eprintln!(
                        "no shared projects on this device; `samspill share ID --relay URL` shares one"
                    );
                }
                Ok(())
            }
        }
    }
}

/// `--assignee`: someone in the project's people (name or id); `""` is nobody.
fn task_assignee(
    view: &samspill_shared::model::Project,
    who: &str,
) -> anyhow::Result<Option<samspill_shared::ids::PersonId>> {
    if who.trim().is_empty() {
        return Ok(None);
    }
    let p = sync::resolve_person(&view.people, who)?;
    Ok(Some(p.id.parse().map_err(|e| {
        anyhow::anyhow!("the person id {} is damaged: {e}", p.id)
    })?))
}

/// `--due`: a date as people type it (see `normalize_date`); `""` is no date.
fn task_due(typed: &str) -> anyhow::Result<String> {
    if typed.trim().is_empty() {
        return Ok(String::new());
    }
    let year = i32::from(jiff::Zoned::now().year());
    samspill_shared::model::normalize_date(typed, year).ok_or_else(|| {
        anyhow::anyhow!(
            "“{}” is not a date; write it as 15.01.2027, 15.1.27, 3.2 or 2027-01-15",
            typed.chars().take(40).collect::<String>()
        )
    })
}

/// Opens a project for a command, telling the person on stderr what was repaired and
/// when a shared project cannot sync (its key is missing or wrong).
fn open(device: &Device, id: &DocumentId, access: Access) -> anyhow::Result<DocHandle> {
    let project = device.open_project(id, access)?;
    for notice in project.take_notices() {
        eprintln!("warning: {notice}");
    }
    if access == Access::Edit && sync::is_removed(device, id) {
        bail!("{}", sync::REMOVED_REASON);
    }
    if access == Access::Edit && project.read(ProjectDoc::is_incomplete) {
        bail!(
            "{}; `samspill sync {}` fetches it again if the project is shared",
            samspill_shared::model::ModelError::Incomplete,
            &id.to_string()[..8]
        );
    }
    if access == Access::Edit
        && project.files().sync_path().exists()
        && let Err(e) = project.files().capability()
    {
        eprintln!("warning: the change is saved on this device only: {e}");
    }
    Ok(project)
}

/// The third column of `list`, from `sync.json` (no engine runs here, so never
/// "synced": "shared" says nothing is waiting as of the last sync).
pub fn sync_status(project: &DocHandle) -> SyncStatus {
    let files = project.files();
    match sync::persist::load(files) {
        Ok(None) => SyncStatus::Local,
        Ok(Some(file)) if file.removed.is_some() => SyncStatus::Removed,
        Ok(Some(file)) => {
            if let Err(e) = files.capability() {
                return SyncStatus::Stopped(e.to_string());
            }
            // What waits for the home relay (or, shared on the LAN only, for the
            // relay on the network it last synced with).
            let Some(entry) = file
                .home()
                .and_then(|h| file.relay(&sync::RelayRef::Url(h.clone())))
                .or_else(|| file.relays.first())
            else {
                return SyncStatus::Shared;
            };
            let (changes, entries) =
                project.with_automerge(|d| samspill_shared::sync::unsent(&entry.state, d));
            match changes + entries {
                0 => SyncStatus::Shared,
                n => SyncStatus::Waiting(n),
            }
        }
        Err(e) => SyncStatus::Stopped(format!("{e:#}")),
    }
}

/// `sync --watch`: runs the engine until SIGINT or SIGTERM, printing one line on stderr
/// per change of state (connected, offline, waiting N, in sync, stopped, errors).
fn watch_until_signal(
    device: &Device,
    ids: Vec<samspill_shared::crypto::DocumentId>,
    lan: bool,
) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, mpsc};
    let stop = Arc::new(AtomicBool::new(false));
    let (_cmd_tx, cmd_rx) = mpsc::channel();
    let (events, lines) = sync::Events::channel();
    let printer = std::thread::Builder::new()
        .name("samspill-watch-log".to_owned())
        .spawn(move || {
            let mut said = Said::default();
            for event in lines {
                if let Some(line) = watch_line(&event)
                    && said.is_news(&event, &line)
                {
                    eprintln!("{line}");
                }
            }
        })
        .context("could not start the status printer")?;
    let device = device.clone();
    let _files = crate::watch::FileWatch::start(&device);
    let result = sync::block_on(async move {
        let flag = stop.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            flag.store(true, Ordering::SeqCst);
        });
        sync::watch(
            device,
            ids,
            events,
            stop,
            None,
            Arc::new(Mutex::new(cmd_rx)),
            Arc::new(AtomicBool::new(lan)),
        )
        .await
    })?;
    // The engine dropped its sender: the printer ends after the last line.
    let _ = printer.join();
    result
}

/// What `sync --watch` last said of each relay that is offline: a retry that fails the
/// same way again is not news (a member who left the network is retried for as long
/// as the LAN is on).
#[derive(Default)]
struct Said(std::collections::HashMap<String, String>);

impl Said {
    fn is_news(&mut self, event: &sync::SyncEvent, line: &str) -> bool {
        match event {
            sync::SyncEvent::Offline { relay, .. } => {
                self.0.insert(relay.to_string(), line.to_owned()).as_deref() != Some(line)
            }
            sync::SyncEvent::Connected { relay } => {
                self.0.remove(&relay.to_string());
                true
            }
            _ => true,
        }
    }
}

/// The line `sync --watch` prints for an event, if any.
fn watch_line(event: &sync::SyncEvent) -> Option<String> {
    use sync::SyncEvent as E;
    let short = |id: &DocumentId| id.to_string()[..8].to_owned();
    Some(match event {
        E::Connected { relay } => format!("connected to {relay}"),
        E::Offline { relay, reason, .. } => format!("offline: {relay}: {reason}"),
        E::Status { project, status } => match status {
            // The relay's line says it once for all of its projects.
            SyncStatus::Offline { .. } => return None,
            SyncStatus::Synced => format!("{}: in sync", short(project)),
            other => format!("{}: {}", short(project), other.text(Lang::En)),
        },
        E::Error {
            project: Some(p),
            message,
        } => format!("{}: error: {message}", short(p)),
        E::Error { message, .. } => format!("error: {message}"),
        E::Moved {
            project,
            epoch,
            by,
            removed,
        } => format!(
            "{}: {by} removed {}; moved to the project's new keys (epoch {epoch})",
            short(project),
            removed.join(", ")
        ),
        E::Removed { project } => format!("{}: {}", short(project), sync::REMOVED_REASON),
        E::PeerJoined { .. } | E::PeerLeft { .. } | E::RemoteChange { .. } => return None,
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn profile(
    mut device: Device,
    name: Option<String>,
    centre: Option<String>,
    colour: Option<String>,
    language: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let p = &mut device.profile;
    let changed = name.is_some() || centre.is_some() || colour.is_some() || language.is_some();
    if let Some(colour) = colour {
        let ok = colour.len() == 7
            && colour.starts_with('#')
            && colour[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            bail!("“{colour}” is not a colour; use #RRGGBB, e.g. #2f7d6d");
        }
        p.colour = colour.to_ascii_lowercase();
    }
    if let Some(language) = language {
        p.language = match language.parse::<Lang>() {
            Ok(l) => l,
            Err(_) => bail!(
                "the app speaks nb (Norwegian bokmål), en (English) or da (Danish), not “{language}”"
            ),
        };
    }
    if let Some(name) = name {
        let name = name.trim();
        if name.is_empty() {
            bail!("the name is empty");
        }
        p.name = name.to_owned();
    }
    if let Some(centre) = centre {
        p.centre = centre.trim().to_owned();
    }
    if changed {
        p.save(device.store.data_dir())?;
    }
    writeln!(out, "name\t{}", p.name)?;
    writeln!(out, "centre\t{}", p.centre)?;
    writeln!(out, "colour\t{}", p.colour)?;
    writeln!(out, "language\t{}", p.language)?;
    writeln!(out, "person\t{}", p.person_id)?;
    Ok(())
}

/// The project JSON: the view model with the project id first.
pub fn to_json(id: &str, view: &Project) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct WithId<'a> {
        id: &'a str,
        #[serde(flatten)]
        project: &'a Project,
    }
    Ok(serde_json::to_string_pretty(&WithId { id, project: view })?)
}

/// Imports a `.automerge` or `.json` export as a new project with a fresh secret.
pub fn import(
    device: &Device,
    file: &std::path::Path,
) -> anyhow::Result<samspill_shared::crypto::DocumentId> {
    let bytes =
        std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    let actor = crate::device::fresh_actor();
    let looks_like_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let doc = if looks_like_json {
        let view: Project = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a Samspill JSON export", file.display()))?;
        ProjectDoc::from_project(&view, actor, device.editor())
            .with_context(|| format!("{} cannot be imported", file.display()))?
    } else {
        let doc = ProjectDoc::load(&bytes, actor, device.editor())
            .with_context(|| format!("{} cannot be imported", file.display()))?;
        if doc.is_read_only() {
            bail!(
                "{} was made by a newer version of Samspill; update Samspill to import it",
                file.display()
            );
        }
        doc
    };
    let mut secret = [0u8; 32];
    OsEntropy.fill(&mut secret);
    let project = device.adopt(&ProjectSecret::from_bytes(secret).into(), doc)?;
    Ok(project.id())
}

fn parse_phase_kind(s: &str) -> anyhow::Result<PhaseKind> {
    if let Ok(n) = s.parse::<u8>()
        && let Some(k) = PhaseKind::ALL.into_iter().find(|k| k.number() == n)
    {
        return Ok(k);
    }
    s.parse::<PhaseKind>().map_err(|_| {
        anyhow::anyhow!(
            "unknown phase “{s}”; use oppstart, planlegging, gjennomforing, evaluering or 1–4"
        )
    })
}

/// A phase by id or by number (1 for the first).
pub fn resolve_phase(view: &Project, s: &str) -> anyhow::Result<PhaseId> {
    let s = s.trim();
    if let Ok(n) = s.parse::<usize>() {
        return match n.checked_sub(1).and_then(|i| view.phases.get(i)) {
            Some(p) => Ok(p.id.parse()?),
            None => bail!(
                "this project has phases 1 to {}, not {n}",
                view.phases.len()
            ),
        };
    }
    match view.phases.iter().find(|p| p.id == s) {
        Some(p) => Ok(p.id.parse()?),
        None => {
            let ids: Vec<&str> = view.phases.iter().map(|p| p.id.as_str()).collect();
            bail!(
                "no phase “{s}” in this project; its phases are {}",
                ids.join(", ")
            )
        }
    }
}

/// An item id, or the one item whose id starts with `s`.
fn resolve_item<'a>(
    all: impl Iterator<Item = &'a str>,
    s: &str,
    what: &str,
) -> anyhow::Result<&'a str> {
    let s = s.trim();
    let matches: Vec<&str> = all.filter(|id| id.starts_with(s)).collect();
    if let Some(exact) = matches.iter().find(|id| **id == s) {
        return Ok(exact);
    }
    match matches.as_slice() {
        [one] if !s.is_empty() => Ok(one),
        [] | [_] => bail!("no {what} “{s}” in this project"),
        many => bail!("“{s}” matches {} {what}s; give more of the id", many.len()),
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\t'], " ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sync_watch_says_a_relay_is_offline_once_until_something_changes() {
        let relay: sync::RelayRef = "lan:000102030405060708090a0b0c0d0e0f".parse().unwrap();
        let offline = |reason: &str| sync::SyncEvent::Offline {
            relay: relay.clone(),
            since: std::time::SystemTime::UNIX_EPOCH,
            reason: reason.to_owned(),
        };
        let mut said = Said::default();
        let mut printed = Vec::new();
        for event in [
            offline("refused"),
            offline("refused"),
            offline("refused"),
            offline("timed out"),
            sync::SyncEvent::Connected {
                relay: relay.clone(),
            },
            offline("timed out"),
        ] {
            let line = watch_line(&event).unwrap();
            if said.is_news(&event, &line) {
                printed.push(line);
            }
        }
        let relay = relay.to_string();
        assert_eq!(
            printed,
            vec![
                format!("offline: {relay}: refused"),
                format!("offline: {relay}: timed out"),
                format!("connected to {relay}"),
                format!("offline: {relay}: timed out"),
            ]
        );
    }
}
