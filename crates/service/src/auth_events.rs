//! Audit records of authentication events (sign-in, factors, refusals), each
//! with tenant, user, client address and user agent.

use crate::{Result, Service};

/// One authentication event.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthEvent<'a> {
    pub tenant_id: Option<i64>,
    pub user_id: Option<i64>,
    /// e.g. `login.success`, `otp.enrol`, `sso.login`, `cert.refused`.
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

impl Service {
    /// Records an authentication event.
    pub(crate) async fn auth_event(&self, e: AuthEvent<'_>) -> Result<()> {
        self.db
            .audit_with_agent(
                e.tenant_id,
                e.user_id,
                e.action,
                e.target,
                e.detail,
                e.ip,
                e.user_agent,
                self.now(),
            )
            .await?;
        Ok(())
    }
}
