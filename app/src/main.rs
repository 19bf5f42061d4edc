//! `samspill`: with no subcommand it opens the desktop app; otherwise see `--help`.

use std::process::ExitCode;

use clap::Parser;
use samspill::cli::Cli;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SAMSPILL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // Clap prints usage errors and exits with 2 by itself.
    let cli = Cli::parse();
    let result = if cli.command.is_none() {
        samspill::ui::run(cli.data_dir)
    } else {
        samspill::cli::run(cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
