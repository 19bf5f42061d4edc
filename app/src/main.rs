//! `samspill`: with no subcommand it opens the desktop app; otherwise see `--help`.

use std::process::ExitCode;

use clap::Parser;
use samspill::cli::Cli;

fn main() -> ExitCode {
    use tracing_subscriber::prelude::*;
    let wanted = tracing_subscriber::EnvFilter::try_from_env("SAMSPILL_LOG")
        .unwrap_or_else(|_| "warn".into());
    // Other crates log what passes through them at debug and trace — automerge the
    // commit messages (task titles), tungstenite the request headers (the bearer
    // token) — so below info only Samspill's own code logs, whatever SAMSPILL_LOG asks.
    // Our own code logs ids and counts, never content or keys.
    let own_or_info = tracing_subscriber::filter::filter_fn(|meta| {
        meta.target().starts_with("samspill") || *meta.level() <= tracing::Level::INFO
    });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(wanted)
                .with_filter(own_or_info),
        )
        .init();
    // Clap prints usage errors and exits with 2 by itself.
    let cli = Cli::parse();
    // A word that is neither a command nor a link is a typo, not a reason to open a window.
    if let Some(link) = &cli.link
        && !samspill_shared::link::Invite::has_link_scheme(link)
    {
        eprintln!(
            "error: “{}” is neither a command nor an invite link (samspill://…, samspill+ws://… or samspill+lan://…); see `samspill --help`",
            link.trim()
        );
        return ExitCode::from(2);
    }
    let result = if cli.command.is_none() {
        samspill::ui::run(cli.data_dir, cli.link)
    } else {
        samspill::cli::run(cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`samspill templates | head -1`) wanted no more.
        Err(e) if samspill_shared::pipe::is_broken_pipe(e.chain()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
