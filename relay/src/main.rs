//! `samspill-relay`: see the README, "Run a relay for your centre".

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use samspill_relay::config::{Args, Command, Config, TokenCommand};
use samspill_relay::{RelayState, server, tokens};

fn main() -> ExitCode {
    // clap exits with 2 on bad usage by itself.
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped early (`samspill-relay token list | head -1`).
        Err(e) if samspill_shared::pipe::is_broken_pipe(e.chain()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    use tracing_subscriber::prelude::*;
    let wanted = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Below info only the relay's own code logs, whatever RUST_LOG asks: tungstenite and
    // hyper log request headers (bearer tokens) and frames at debug and trace.
    let own_or_info = tracing_subscriber::filter::filter_fn(|meta| {
        meta.target().starts_with("samspill") || *meta.level() <= tracing::Level::INFO
    });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(wanted)
                .with_filter(own_or_info),
        )
        .init();
    match &args.command {
        Some(Command::Token { action }) => token_command(args, action),
        None => serve(Config::from_args(args)?),
    }
}

fn token_command(args: &Args, action: &TokenCommand) -> anyhow::Result<()> {
    let url = args.database_url()?;
    let store = match &url {
        Some(url) => tokens::Tokens::Postgres(url),
        None => tokens::Tokens::Sqlite(&args.data),
    };
    let mut out = std::io::stdout().lock();
    match action {
        TokenCommand::Create { name } => {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random)
                .map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
            let token = store.create(name, random)?;
            writeln!(
                out,
                "Token {} created. It is shown only this once; give it to whoever may create projects:",
                name.trim()
            )?;
            writeln!(out, "{token}")?;
        }
        TokenCommand::List => {
            for t in store.list()? {
                let status = match &t.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_owned(),
                };
                writeln!(
                    out,
                    "{}\tcreated {}\t{status}\t{} documents",
                    t.name, t.created_at, t.documents
                )?;
            }
        }
        TokenCommand::Revoke { name } => {
            store.revoke(name)?;
            writeln!(out, "Token {} revoked.", name.trim())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Pending connections the kernel holds for the accept loop. Tokio's default (1024) is
/// less than a reconnect storm after a restart; beyond it the kernel drops handshakes and
/// clients wait for their SYN retransmits. Linux caps it at `net.core.somaxconn` (4096).
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's TcpListener does on Unix: a restarted relay can bind at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener =
            listen(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let place = match &config.database {
            Some(url) => url.to_string(),
            None => config.data_dir.display().to_string(),
        };
        let state = RelayState::start(config)
            .await
            .with_context(|| format!("cannot open the relay's data in {place}"))?;
        tracing::info!(data = %place, "relay ready");
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {addr}")?;
            out.flush()?;
        }
        server::serve(listener, state, server::shutdown_signal())
            .await
            .context("the server failed")
    })
}
