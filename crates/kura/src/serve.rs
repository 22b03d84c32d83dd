//! `kura serve`: start-up checks, the janitor, the HTTP server, graceful shutdown.

use crate::config::Config;
use crate::open;
use anyhow::Context;
use kura_http::{AppState, HttpConfig};
use std::time::Duration;

pub async fn run(cfg: Config) -> anyhow::Result<()> {
    open::init_logging(&cfg)?;
    let svc = open::service(&cfg, cfg.database.max_connections).await?;
    // Said at every start, in the log and on the console: files go in unscanned.
    let scan = svc.scanner_status().await;
    match scan.state {
        "disabled" => {
            tracing::warn!(
                "VIRUS SCANNING IS DISABLED ([scan] mode = \"disabled\"): uploads are stored unscanned"
            );
            eprintln!("WARNING: virus scanning is disabled; uploads are stored unscanned.");
        }
        "unavailable" => tracing::warn!(
            scanner = ?scan.scanner,
            error = ?scan.error,
            "the virus scanner does not answer: uploads are refused (503) until it does"
        ),
        _ => {
            tracing::info!(scanner = ?scan.scanner, engine = ?scan.engine, limit = ?scan.stream_max_length, "virus scanning is on")
        }
    }
    if let Some(b) = svc.ensure_operator().await? {
        // Printed once, to the console of whoever started the first run.
        println!(
            "\nKura created the operator account on this first start.\n  tenant:   {}\n  login:    {}\n  password: {}\nSign in with POST /api/v1/session. This password is not stored in clear anywhere and will not be shown again.\n",
            b.tenant, b.login, b.password
        );
    }
    let report = svc
        .janitor_pass(true)
        .await
        .context("start-up cleanup failed")?;
    tracing::info!(?report, "start-up cleanup done");
    let trusted_proxies = cfg
        .server
        .trusted_proxies
        .iter()
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| {
                    format!("server.trusted_proxies: {s:?} is not an address or CIDR range")
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client_cert_header = axum::http::HeaderName::try_from(cfg.server.client_cert_header.trim())
        .with_context(|| {
            format!(
                "server.client_cert_header: {:?} is not a header name",
                cfg.server.client_cert_header
            )
        })?;
    let tls = match (&cfg.server.tls_cert, &cfg.server.tls_key) {
        (Some(c), Some(k)) => {
            Some(kura_http::TlsConfig::from_files(c, k).context("server.tls_cert / tls_key")?)
        }
        (None, None) => None,
        _ => anyhow::bail!("server.tls_cert and server.tls_key must be set together"),
    };
    let listener = tokio::net::TcpListener::bind(&cfg.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.server.listen))?;
    let addr = listener.local_addr()?;
    let public_url = match cfg.server.public_url.trim().trim_end_matches('/') {
        "" => format!("http://{addr}"),
        u if u.starts_with("https://") || u.starts_with("http://") => u.to_string(),
        u => anyhow::bail!("server.public_url: {u:?} must start with https:// or http://"),
    };
    let http_cfg = HttpConfig {
        trusted_proxies,
        force_secure_cookies: cfg.server.force_secure_cookies,
        client_cert_header: Some(client_cert_header),
        public_url,
    };
    tracing::info!(%addr, data_dir = %cfg.server.data_dir.display(), backend = ?svc.db().backend(), "kura is serving");
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("Kura is listening on {scheme}://{addr}");

    // Thumbnails are made in the background, by whichever node claims the job.
    let _thumbnail_workers = svc.start_thumbnail_workers();

    if cfg.server.janitor_interval_seconds > 0 {
        let svc = svc.clone();
        let every = Duration::from_secs(cfg.server.janitor_interval_seconds);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match svc.janitor_pass(false).await {
                    Ok(r) => tracing::debug!(?r, "janitor pass"),
                    Err(e) => tracing::warn!(error = %e, "janitor pass failed"),
                }
            }
        });
    }

    if cfg.scan.rescan_interval_hours > 0 && !svc.scanning_disabled() {
        let svc = svc.clone();
        let every = Duration::from_secs(cfg.scan.rescan_interval_hours * 3600);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let who = match svc.cli_identity().await {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(error = %e, "periodic rescan: no operator identity");
                        continue;
                    }
                };
                match svc
                    .rescan(&who, &kura_service::RescanOptions::default())
                    .await
                {
                    Ok(r) => tracing::info!(?r, "periodic rescan done"),
                    Err(e) => tracing::warn!(error = %e, "periodic rescan stopped"),
                }
            }
        });
    }

    let grace = Duration::from_secs(cfg.server.shutdown_grace_seconds);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(svc.clone(), http_cfg);
    let stop = async move {
        stop_rx.await.ok();
    };
    let server = match tls {
        Some(tls) => tokio::spawn(kura_http::serve_tls(listener, tls, state, stop)),
        None => tokio::spawn(kura_http::serve(listener, state, stop)),
    };
    shutdown_signal().await;
    tracing::info!("shutting down: no new connections; in-flight requests may finish");
    stop_tx.send(()).ok();
    match tokio::time::timeout(grace, server).await {
        Ok(res) => res
            .context("server task failed")?
            .context("server failed")?,
        Err(_) => tracing::warn!(
            "in-flight requests did not finish within {}s",
            grace.as_secs()
        ),
    }
    svc.flush_audit().await;
    svc.db().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
