//! `kura admin ...`: commands scripts rely on. Output formats are part of the contract.

use crate::cli::{AdminCommand, TenantCommand, TokenCommand, UserCommand};
use crate::config::Config;
use crate::open;
use anyhow::Context;
use kura_core::Role;
use kura_core::size::{format_size, parse_size};
use kura_service::{NewTenant, NewUser};
use std::io::BufRead;

pub async fn run(cfg: Config, cmd: AdminCommand) -> anyhow::Result<()> {
    open::init_logging(&Config {
        log: crate::config::LogConfig {
            level: "warn".into(),
            ..cfg.log.clone()
        },
        ..cfg.clone()
    })?;
    let svc = open::service(&cfg, 2).await?;
    let who = svc.cli_identity().await?;
    let out = match cmd {
        AdminCommand::Tenant(TenantCommand::Create {
            code,
            name,
            capacity,
            keep_versions,
            trash_days,
        }) => {
            let capacity_bytes = parse_size(&capacity)?;
            let t = svc
                .create_tenant(
                    &who,
                    NewTenant {
                        code,
                        name,
                        capacity_bytes,
                        keep_versions,
                        trash_days,
                    },
                )
                .await?;
            println!(
                "created tenant {} ({}) with capacity {}",
                t.code,
                t.name,
                format_size(capacity_bytes)
            );
            Ok(())
        }
        AdminCommand::Tenant(TenantCommand::List) => {
            println!(
                "{:<20} {:<10} {:>14} {:>14}  NAME",
                "CODE", "STATUS", "USED", "CAPACITY"
            );
            for t in svc.list_tenants(&who).await? {
                println!(
                    "{:<20} {:<10} {:>14} {:>14}  {}",
                    t.code,
                    t.status.as_str(),
                    format_size(t.used_bytes.max(0) as u64),
                    format_size(t.capacity_bytes.max(0) as u64),
                    t.name
                );
            }
            Ok(())
        }
        AdminCommand::User(UserCommand::Create {
            tenant,
            login,
            role,
            email,
            name,
        }) => {
            let role = Role::parse(&role)?;
            if role == Role::Operator {
                anyhow::bail!("use admin, member or guest");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                anyhow::bail!(
                    "no password on standard input (pipe it in, e.g. `printf '%s\\n' \"$PW\" | kura admin user create ...`)"
                );
            }
            let u = svc
                .create_user(
                    &who,
                    Some(&tenant),
                    NewUser {
                        login,
                        display_name: name,
                        email,
                        role,
                        password: Some(password),
                    },
                )
                .await?;
            println!(
                "created user {} ({}) in tenant {}",
                u.login,
                u.role.as_str(),
                tenant.to_ascii_lowercase()
            );
            Ok(())
        }
        AdminCommand::Token(TokenCommand::Create {
            tenant,
            login,
            name,
        }) => {
            let token = svc.create_token_for(&tenant, &login, &name).await?;
            println!("{token}");
            Ok(())
        }
        AdminCommand::Rescan { tenant, since } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let r = svc
                .rescan(&who, &kura_service::RescanOptions { tenant, since })
                .await?;
            println!(
                "rescanned {} versions: {} clean, {} quarantined, {} too large to scan, {} unreadable",
                r.scanned, r.clean, r.quarantined, r.skipped_too_large, r.failed
            );
            Ok(())
        }
        AdminCommand::Janitor => {
            let r = svc.janitor_pass(false).await?;
            println!("{r:?}");
            Ok(())
        }
    };
    svc.db().close().await;
    out
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time, as ms since the epoch.
fn parse_since(s: &str) -> anyhow::Result<i64> {
    use time::format_description::well_known::Rfc3339;
    let t = if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        t
    } else {
        let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--since {s:?}: use YYYY-MM-DD or an RFC 3339 time"))?;
        d.midnight().assume_utc()
    };
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).context("--since is out of range")
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_dates() {
        assert_eq!(super::parse_since("2026-11-27").unwrap(), 1_795_737_600_000);
        assert_eq!(
            super::parse_since("2026-11-27T09:00:00+09:00").unwrap(),
            1_795_737_600_000
        );
        assert!(super::parse_since("27/11/2026").is_err());
    }
}
