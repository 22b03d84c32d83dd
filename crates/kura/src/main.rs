//! `kura`: the Kura file-sharing server and its administration commands.

mod admin;
mod cli;
mod config;
mod first_run;
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
    // Without --config, the data dir's kura.toml is the config file; the
    // first `serve` writes one (see first_run.rs).
    if cli.config.is_none() {
        let file = cfg.server.data_dir.join("kura.toml");
        if !file.exists() && matches!(cli.command, cli::Command::Serve { .. }) {
            match first_run::write_config(&file).await? {
                Some(addr) => eprintln!(
                    "Kura wrote {} on this first start: virus scanning with clamd at {addr}.",
                    file.display()
                ),
                None => eprintln!(
                    "Kura wrote {} on this first start. No ClamAV daemon answered, so VIRUS SCANNING IS OFF \
                     (uploads are stored unscanned); that file says how to turn it on.",
                    file.display()
                ),
            }
        }
        if file.exists() {
            let data_dir = cfg.server.data_dir.clone();
            cfg = config::Config::load(Some(&file))?;
            cfg.server.data_dir = data_dir;
        }
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
