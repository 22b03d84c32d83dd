//! The records Kura keeps: tenants, users, nodes, versions, tokens, sessions.

use crate::{CoreError, Timestamp};
use serde::{Deserialize, Serialize};

/// Database id of any record.
pub type Id = i64;

/// What a user may do within their tenant (or, for the operator, across tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the service: manages tenants, plans and quotas.
    Operator,
    /// Manages one tenant: users, policy, usage.
    Admin,
    /// A regular employee of the tenant.
    Member,
    /// A partner from another company with restricted access.
    Guest,
}

impl Role {
    /// The stored and displayed form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }

    /// Parses the stored form; `tenant_admin` is accepted for `admin`.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "operator" => Ok(Role::Operator),
            "admin" | "tenant_admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "guest" => Ok(Role::Guest),
            _ => Err(CoreError::InvalidValue(format!(
                "unknown role {s:?} (use admin, member or guest)"
            ))),
        }
    }

    /// True if this role administers its tenant.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::Operator)
    }
}

/// Whether a tenant's contract is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(CoreError::InvalidValue(format!(
                "unknown tenant status {s:?}"
            ))),
        }
    }
}

/// Whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(CoreError::InvalidValue(format!(
                "unknown user status {s:?}"
            ))),
        }
    }
}

/// A file or a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    File,
    Folder,
}

impl NodeKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::File => "file",
            NodeKind::Folder => "folder",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "file" => Ok(Self::File),
            "folder" => Ok(Self::Folder),
            _ => Err(CoreError::InvalidValue(format!("unknown node kind {s:?}"))),
        }
    }
}

/// How a stored version was checked for viruses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Scanned whole; nothing found.
    Clean,
    /// Not scanned (scanning disabled, over the scanner's limit with the
    /// tenant's `accept_unscanned` policy, or stored before scanning existed).
    Unscanned,
    /// A later rescan found a virus: kept, but not downloadable or shareable.
    Quarantined,
}

impl ScanStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Clean => "clean",
            ScanStatus::Unscanned => "unscanned",
            ScanStatus::Quarantined => "quarantined",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "clean" => Ok(Self::Clean),
            "unscanned" => Ok(Self::Unscanned),
            "quarantined" => Ok(Self::Quarantined),
            _ => Err(CoreError::InvalidValue(format!(
                "unknown scan status {s:?}"
            ))),
        }
    }
}

/// A tenant's choice for files longer than the virus scanner accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OversizePolicy {
    /// Refuse the upload (413).
    #[default]
    Refuse,
    /// Store it, marked unscanned.
    AcceptUnscanned,
}

impl OversizePolicy {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OversizePolicy::Refuse => "refuse",
            OversizePolicy::AcceptUnscanned => "accept_unscanned",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "refuse" => Ok(Self::Refuse),
            "accept_unscanned" => Ok(Self::AcceptUnscanned),
            _ => Err(CoreError::InvalidValue(format!(
                "unknown oversize policy {s:?} (use refuse or accept_unscanned)"
            ))),
        }
    }
}

/// One customer contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub capacity_bytes: i64,
    pub used_bytes: i64,
    pub status: TenantStatus,
    /// How many versions of a file are kept (the current one included).
    pub keep_versions: i64,
    /// Days an item stays in the trash before it is purged automatically.
    pub trash_days: i64,
    /// What happens to files longer than the virus scanner accepts.
    pub scan_oversize: OversizePolicy,
    /// Addresses everyone in the tenant must come from (`None`: anywhere).
    pub ip_allow: Option<Vec<ipnet::IpNet>>,
    /// A stricter list for its admins (`None`: as `ip_allow`).
    pub ip_allow_admin: Option<Vec<ipnet::IpNet>>,
    /// Shortest password accepted, in characters.
    pub password_min_length: i64,
    /// Failed sign-ins in a row that lock an account (0: never).
    pub lockout_threshold: i64,
    /// How long a locked account stays locked.
    pub lockout_minutes: i64,
    /// Days a password may be used before it must be changed (`None`: no limit).
    pub password_max_age_days: Option<i64>,
    /// Idle timeout of browser sessions (`None`: the server's default).
    pub session_idle_minutes: Option<i64>,
    /// Absolute lifetime of browser sessions in hours (`None`: the server's default).
    pub session_max_hours: Option<i64>,
    /// Every member must pass a one-time passcode after the password.
    pub otp_required: bool,
    /// Members sign in only through the tenant's identity provider.
    pub sso_only: bool,
    /// Every request must come with a client certificate from the tenant's CAs.
    pub client_cert_required: bool,
    pub root_id: Id,
    pub created_at: Timestamp,
}

impl Tenant {
    /// True if someone with `role` may reach this tenant from `ip`.
    pub fn ip_allowed(&self, role: Role, ip: Option<std::net::IpAddr>) -> bool {
        use crate::allowlist::allows;
        allows(self.ip_allow.as_deref(), ip)
            && (!role.is_admin() || allows(self.ip_allow_admin.as_deref(), ip))
    }
}

/// A person (or the operator) who can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Id,
    pub tenant_id: Id,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    /// Failed sign-ins since the last success or lock.
    pub failed_logins: i64,
    /// Locked (sign-in refused) until then.
    pub locked_until: Option<Timestamp>,
    /// When the password was last set.
    pub password_changed_at: Option<Timestamp>,
    /// Signs in with a one-time passcode after the password.
    pub otp_enabled: bool,
}

/// A file or folder in a tenant's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: Id,
    pub tenant_id: Id,
    /// `None` only for the tenant's root folder.
    pub parent_id: Option<Id>,
    pub kind: NodeKind,
    pub name: String,
    /// Size of the current version (files) or 0 (folders).
    pub size: i64,
    pub current_version_id: Option<Id>,
    /// Opaque token that changes with every new content (files) or change (folders).
    pub etag: String,
    pub content_type: Option<String>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub modified_by: Option<Id>,
    pub trashed_at: Option<Timestamp>,
    /// The current version's scan status (files only).
    pub scan_status: Option<ScanStatus>,
}

/// One stored content of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: Id,
    pub tenant_id: Id,
    pub node_id: Id,
    pub blob_key: String,
    pub size: i64,
    pub etag: String,
    pub created_at: Timestamp,
    pub created_by: Option<Id>,
    pub scan_status: ScanStatus,
    /// Engine and signature version of the last scan.
    pub scan_engine: Option<String>,
    pub scanned_at: Option<Timestamp>,
    /// Why unscanned, or the signature that quarantined it.
    pub scan_detail: Option<String>,
}

/// True if an If-Match value (`*`, one etag, or a comma-separated list of bare
/// etags) names `etag`.
pub fn etag_matches(if_match: &str, etag: &str) -> bool {
    if_match == "*" || if_match.split(',').any(|t| !t.is_empty() && t == etag)
}
