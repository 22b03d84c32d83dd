//! `kura`: the Kura file-sharing server and its administration commands.

mod admin;
mod cli;
mod config;
mod open;
mod serve;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kura: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let mut cfg = config::Config::load(cli.config.as_deref())?;
    if let Some(d) = &cli.data_dir {
        cfg.server.data_dir = d.clone();
    }
    match cli.command {
        cli::Command::Serve { listen } => {
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            serve::run(cfg).await
        }
        cli::Command::Migrate => {
            open::init_logging(&cfg)?;
            let svc = open::service(&cfg, 2).await?;
            svc.db().close().await;
            println!("migrations applied");
            Ok(())
        }
        cli::Command::Admin(cmd) => admin::run(cfg, cmd).await,
    }
}
