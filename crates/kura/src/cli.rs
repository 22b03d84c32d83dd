//! Command-line interface.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kura", version, about = "Kura (蔵): multi-tenant file sharing")]
pub struct Cli {
    /// TOML configuration file (see deploy/kura.example.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Folder for the SQLite database and local blobs (default ./kura-data).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (default http://127.0.0.1:8080).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administration commands (work while a server runs on the same data).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Tenants (customer contracts).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Users of a tenant.
    #[command(subcommand)]
    User(UserCommand),
    /// Personal access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run one cleanup pass (orphaned blobs, expired trash and sessions) now.
    Janitor,
    /// Rescan stored files with clamd's current signatures; files a new
    /// signature matches are quarantined (kept, not downloadable), never deleted.
    Rescan {
        /// Only this tenant (default: every tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// Only versions stored on or after this date (YYYY-MM-DD, UTC) or time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Plan capacity, e.g. 10GiB, 500MB, 1TiB.
        #[arg(long)]
        capacity: String,
        /// Versions kept per file (default from config, 10).
        #[arg(long)]
        keep_versions: Option<i64>,
        /// Days items stay in the trash (default from config, 30).
        #[arg(long)]
        trash_days: Option<i64>,
    },
    /// List tenants with usage.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        login: String,
        /// admin, member or guest.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print only the token on standard output.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}
