//! Tenants, users, usage, and the first-start operator account.

use crate::identity::{AuthMethod, Identity};
use crate::{Result, Service, ServiceError};
use kura_auth::{hash_password, random_secret};
use kura_core::name::validate_login;
use kura_core::{OversizePolicy, Role, Tenant, TenantCode, TenantStatus, User, UserStatus};
use kura_db::{DbError, Usage};

/// Code of the tenant that holds the operator account.
pub const SYSTEM_TENANT: &str = "system";
/// Default shortest password (a tenant's policy may ask for more).
const MIN_PASSWORD_CHARS: usize = 12;
/// No tenant may go below NIST SP 800-63B's minimum.
pub(crate) const MIN_PASSWORD_FLOOR: usize = 8;

/// A tenant to create.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub capacity_bytes: u64,
    pub keep_versions: Option<i64>,
    pub trash_days: Option<i64>,
}

/// Changes to a tenant's contract; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantChanges<'a> {
    pub name: Option<&'a str>,
    pub capacity_bytes: Option<u64>,
    pub status: Option<TenantStatus>,
    pub keep_versions: Option<i64>,
    pub trash_days: Option<i64>,
    /// What happens to files longer than the virus scanner accepts.
    pub scan_oversize: Option<OversizePolicy>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub password: Option<String>,
}

/// What the first start created: the operator's login and one-time password.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub tenant: String,
    pub login: String,
    pub password: String,
}

/// The tenant's password rules (length, the common-password list).
pub(crate) fn check_password(pw: &str, tenant: &Tenant) -> Result<()> {
    let min = usize::try_from(tenant.password_min_length).unwrap_or(MIN_PASSWORD_CHARS);
    match kura_auth::password_check(pw, min.max(MIN_PASSWORD_FLOOR)) {
        Some(why) => Err(ServiceError::PasswordRejected(why)),
        None => Ok(()),
    }
}

fn check_keep_and_trash(keep: i64, trash: i64) -> Result<()> {
    if !(1..=1000).contains(&keep) {
        return Err(ServiceError::InvalidInput(
            "keep_versions must be between 1 and 1000".into(),
        ));
    }
    if !(0..=3650).contains(&trash) {
        return Err(ServiceError::InvalidInput(
            "trash_days must be between 0 and 3650".into(),
        ));
    }
    Ok(())
}

impl Service {
    /// An identity for local administration from the command line.
    pub async fn cli_identity(&self) -> Result<Identity> {
        let tenant = self.db.tenant_by_code(SYSTEM_TENANT).await.ok();
        let tenant = match tenant {
            Some(t) => t,
            None => self.create_system_tenant().await?,
        };
        let now = self.now();
        Ok(Identity {
            user: User {
                id: 0,
                tenant_id: tenant.id,
                login: "cli".into(),
                display_name: "command line".into(),
                email: None,
                role: Role::Operator,
                status: UserStatus::Active,
                password_hash: None,
                created_at: now,
                failed_logins: 0,
                locked_until: None,
                password_changed_at: None,
                otp_enabled: false,
            },
            tenant,
            method: AuthMethod::Cli,
            ip: None,
            user_agent: None,
        })
    }

    async fn create_system_tenant(&self) -> Result<Tenant> {
        match self
            .db
            .create_tenant(
                SYSTEM_TENANT,
                "Operator",
                0,
                1,
                30,
                &Self::new_etag(),
                self.now(),
            )
            .await
        {
            Ok(t) => Ok(t),
            // Another process created it first.
            Err(DbError::Conflict(_)) => Ok(self.db.tenant_by_code(SYSTEM_TENANT).await?),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates the operator account if none exists; returns its credentials once.
    pub async fn ensure_operator(&self) -> Result<Option<Bootstrap>> {
        if self.db.count_role(Role::Operator).await? > 0 {
            return Ok(None);
        }
        let tenant = self.cli_identity().await?.tenant;
        let password = random_secret(18);
        let hash = hash_password(&password).map_err(|e| ServiceError::Internal(e.to_string()))?;
        match self
            .db
            .create_user(
                tenant.id,
                "operator",
                "Operator",
                None,
                Role::Operator,
                Some(&hash),
                self.now(),
            )
            .await
        {
            Ok(_) => {}
            Err(DbError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        Ok(Some(Bootstrap {
            tenant: SYSTEM_TENANT.into(),
            login: "operator".into(),
            password,
        }))
    }

    /// Creates a tenant (operator only).
    pub async fn create_tenant(&self, who: &Identity, t: NewTenant) -> Result<Tenant> {
        who.require_operator()?;
        let code = TenantCode::parse(&t.code)?;
        if code.as_str() == SYSTEM_TENANT {
            return Err(ServiceError::InvalidInput(format!(
                "{SYSTEM_TENANT:?} is reserved"
            )));
        }
        let name = t.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::InvalidInput(
                "a tenant name has 1-200 characters".into(),
            ));
        }
        let keep = t.keep_versions.unwrap_or(self.cfg.default_keep_versions);
        let trash = t.trash_days.unwrap_or(self.cfg.default_trash_days);
        check_keep_and_trash(keep, trash)?;
        let cap = i64::try_from(t.capacity_bytes)
            .map_err(|_| ServiceError::InvalidInput("capacity is too large".into()))?;
        let now = self.now();
        let tenant = self
            .db
            .create_tenant(
                code.as_str(),
                name,
                cap,
                keep,
                trash,
                &Self::new_etag(),
                now,
            )
            .await?;
        self.audit(who, "tenant.create", code.as_str(), None)
            .await?;
        Ok(tenant)
    }

    /// Every tenant except the operator's own.
    pub async fn list_tenants(&self, who: &Identity) -> Result<Vec<Tenant>> {
        who.require_operator()?;
        Ok(self
            .db
            .list_tenants()
            .await?
            .into_iter()
            .filter(|t| t.code != SYSTEM_TENANT)
            .collect())
    }

    /// A tenant by code (operator only).
    pub async fn tenant(&self, who: &Identity, code: &str) -> Result<Tenant> {
        who.require_operator()?;
        // The operator's own tenant is not a customer contract: not managed here.
        if code.eq_ignore_ascii_case(SYSTEM_TENANT) {
            return Err(ServiceError::NotFound(format!("tenant {code:?}")));
        }
        self.db
            .tenant_by_code(&code.to_ascii_lowercase())
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound(format!("tenant {code:?}")),
                e => e.into(),
            })
    }

    /// Changes a tenant's contract (operator only).
    pub async fn update_tenant(
        &self,
        who: &Identity,
        code: &str,
        changes: TenantChanges<'_>,
    ) -> Result<Tenant> {
        let TenantChanges {
            name,
            capacity_bytes,
            status,
            keep_versions,
            trash_days,
            scan_oversize,
        } = changes;
        let t = self.tenant(who, code).await?;
        let name = name.map(str::trim);
        if name.is_some_and(|n| n.is_empty() || n.chars().count() > 200) {
            return Err(ServiceError::InvalidInput(
                "a tenant name has 1-200 characters".into(),
            ));
        }
        check_keep_and_trash(
            keep_versions.unwrap_or(t.keep_versions),
            trash_days.unwrap_or(t.trash_days),
        )?;
        let cap = capacity_bytes
            .map(i64::try_from)
            .transpose()
            .map_err(|_| ServiceError::InvalidInput("capacity is too large".into()))?;
        let out = self
            .db
            .update_tenant(
                t.id,
                name,
                cap,
                status,
                keep_versions,
                trash_days,
                scan_oversize,
            )
            .await?;
        // Cached identities carry the tenant (status, capacity): drop them.
        self.auth_cache.clear();
        self.audit(who, "tenant.update", &t.code, None).await?;
        Ok(out)
    }

    /// Creates a user in the caller's tenant (tenant admin), or in `tenant_code` (operator).
    pub async fn create_user(
        &self,
        who: &Identity,
        tenant_code: Option<&str>,
        u: NewUser,
    ) -> Result<User> {
        let tenant = match tenant_code {
            Some(code) => self.tenant(who, code).await?,
            None => {
                who.require_tenant_admin()?;
                who.tenant.clone()
            }
        };
        // Operators are made only at first start, in the operator's tenant:
        // an operator inside a customer tenant could manage every tenant.
        if u.role == Role::Operator {
            return Err(ServiceError::InvalidInput(
                "the role must be admin, member or guest".into(),
            ));
        }
        let login = validate_login(&u.login)?;
        let hash = match &u.password {
            Some(pw) => {
                check_password(pw, &tenant)?;
                Some(crate::passwords::hash(pw).await?)
            }
            None => None,
        };
        let display = u
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or(&login);
        let email = u.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email
            && (!e.contains('@') || e.len() > 254)
        {
            return Err(ServiceError::InvalidInput(format!(
                "{e:?} is not an email address"
            )));
        }
        let user = self
            .db
            .create_user(
                tenant.id,
                &login,
                display,
                email,
                u.role,
                hash.as_deref(),
                self.now(),
            )
            .await?;
        self.audit(
            who,
            "user.create",
            &format!("{}/{}", tenant.code, user.login),
            Some(u.role.as_str()),
        )
        .await?;
        Ok(user)
    }

    /// Users of the caller's tenant (tenant admin).
    pub async fn list_users(&self, who: &Identity) -> Result<Vec<User>> {
        who.require_tenant_admin()?;
        Ok(self.db.list_users(who.tenant_id()).await?)
    }

    /// Usage of the caller's tenant (tenant admin), or of `tenant_code` (operator).
    pub async fn usage(&self, who: &Identity, tenant_code: Option<&str>) -> Result<Usage> {
        let tenant = match tenant_code {
            Some(code) => self.tenant(who, code).await?,
            None => {
                who.require_tenant_admin()?;
                who.tenant.clone()
            }
        };
        Ok(self.db.usage(tenant.id).await?)
    }

    /// Creates a token for a user named by tenant and login (command line).
    pub async fn create_token_for(
        &self,
        tenant_code: &str,
        login: &str,
        name: &str,
    ) -> Result<String> {
        let tenant = self
            .db
            .tenant_by_code(&tenant_code.to_ascii_lowercase())
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound(format!("tenant {tenant_code:?}")),
                e => e.into(),
            })?;
        let user = self
            .db
            .user_by_login(tenant.id, login)
            .await
            .map_err(|e| match e {
                DbError::NotFound => {
                    ServiceError::NotFound(format!("user {login:?} in tenant {tenant_code:?}"))
                }
                e => e.into(),
            })?;
        let who = Identity {
            user,
            tenant,
            method: AuthMethod::Cli,
            ip: None,
            user_agent: None,
        };
        Ok(self.create_token(&who, name, None, false).await?.1)
    }

    /// Appends an audit event for the caller.
    pub(crate) async fn audit(
        &self,
        who: &Identity,
        action: &str,
        target: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        let user = (who.user.id != 0).then_some(who.user.id);
        self.db
            .audit_with_agent(
                Some(who.tenant_id()),
                user,
                action,
                Some(target),
                detail,
                who.ip.as_deref(),
                who.user_agent.as_deref(),
                self.now(),
            )
            .await?;
        Ok(())
    }
}
