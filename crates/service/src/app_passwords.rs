//! App passwords over HTTP Basic authentication, for WebDAV clients and
//! scripts that only know a user name and a password. The user name is
//! `tenant/login`; the password must be one of that user's app passwords
//! (API tokens). The account's real password is never accepted this way, so
//! OTP and SSO users never type it into such clients.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::TenantCode;
use kura_core::name::{name_key, validate_login};

impl Service {
    /// The identity behind Basic credentials `user` (`tenant/login`) and
    /// `password` (an app password of that user).
    pub async fn authenticate_app_password(
        &self,
        user: &str,
        password: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<Identity> {
        let (tenant, login) = user
            .split_once('/')
            .or_else(|| user.split_once('\\'))
            .ok_or(ServiceError::Unauthenticated)?;
        let (Ok(tenant), Ok(login)) = (TenantCode::parse(tenant), validate_login(login)) else {
            return Err(ServiceError::Unauthenticated);
        };
        let who = self.authenticate_token(password, ip, user_agent).await?;
        // The token names its owner; a different user name is a wrong guess,
        // not a way to borrow someone's token.
        let same_login = name_key(&who.user.login) == name_key(&login);
        if who.tenant.code != tenant.as_str() || !same_login {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(who)
    }
}
