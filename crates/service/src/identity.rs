//! Who is calling, and what they may do. Permission decisions live here.

use crate::{Result, ServiceError};
use kura_core::{Role, Tenant, TenantStatus, User};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A browser session; unsafe requests must carry this CSRF token.
    Session { csrf_token: String },
    /// A personal access token / app password (no CSRF needed: it is never
    /// sent automatically). A read-only one may only read.
    Token { id: i64, read_only: bool },
    /// A local administrator at the command line.
    Cli,
}

/// An authenticated caller, always bound to exactly one tenant.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: User,
    pub tenant: Tenant,
    pub method: AuthMethod,
    /// Client address, for the audit log.
    pub ip: Option<String>,
    /// The client's User-Agent, for the audit log.
    pub user_agent: Option<String>,
}

impl Identity {
    /// The tenant every query of this caller is scoped to.
    pub fn tenant_id(&self) -> i64 {
        self.tenant.id
    }

    /// Reading files of the tenant.
    pub fn require_read(&self) -> Result<()> {
        self.require_active()?;
        match self.user.role {
            Role::Operator | Role::Admin | Role::Member => Ok(()),
            // Guests see only what is shared with them; sharing arrives later.
            Role::Guest => Err(ServiceError::Forbidden(
                "guests can only open folders shared with them".into(),
            )),
        }
    }

    /// Changing files of the tenant.
    pub fn require_write(&self) -> Result<()> {
        self.check_scope(false)?;
        self.require_read()
    }

    /// A read-only app password may make safe (reading) requests only; the
    /// HTTP layer calls this for every request, before any handler runs.
    pub fn check_scope(&self, safe: bool) -> Result<()> {
        match self.method {
            AuthMethod::Token {
                read_only: true, ..
            } if !safe => Err(ServiceError::ReadOnlyToken),
            _ => Ok(()),
        }
    }

    /// Administering the tenant (users, usage).
    pub fn require_tenant_admin(&self) -> Result<()> {
        self.require_active()?;
        if self.user.role.is_admin() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "this needs a tenant administrator".into(),
            ))
        }
    }

    /// Operating the service (tenants, plans).
    pub fn require_operator(&self) -> Result<()> {
        if self.user.role == Role::Operator {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "this needs the service operator".into(),
            ))
        }
    }

    fn require_active(&self) -> Result<()> {
        if self.tenant.status != TenantStatus::Active && self.user.role != Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        Ok(())
    }
}

impl Identity {
    /// For state-changing requests: a session caller must present its CSRF
    /// token; token and command-line callers need none.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<()> {
        match &self.method {
            AuthMethod::Session { csrf_token } => match presented {
                Some(p) if kura_auth::constant_time_eq(p, csrf_token) => Ok(()),
                _ => Err(ServiceError::CsrfFailed),
            },
            AuthMethod::Token { .. } | AuthMethod::Cli => Ok(()),
        }
    }
}
