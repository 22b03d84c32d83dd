//! The OpenID Connect relying party: provider discovery, the authorization
//! request (code flow with PKCE S256, state and nonce), and the code exchange
//! with full ID token verification (signature, issuer, audience, expiry,
//! nonce, access token hash). Rules about users and tenants are the service's.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope,
    TokenResponse, UserInfoClaims,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long discovered provider metadata (endpoints and signing keys) is reused.
const METADATA_TTL: Duration = Duration::from_secs(300);
/// Any call to a provider gives up after this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why talking to a provider failed. Messages never hold secrets.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The issuer URL is unusable or its discovery document could not be read.
    #[error("{0}")]
    Discovery(String),
    /// The sign-in failed: the code exchange or the ID token was refused.
    #[error("{0}")]
    Rejected(String),
}

/// One tenant's client registration at its provider.
#[derive(Debug, Clone, Copy)]
pub struct RelyingParty<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Kura's callback URL, as registered at the provider.
    pub redirect_uri: &'a str,
}

/// A started sign-in: where to send the browser, and the secrets to keep
/// until the provider sends it back.
#[derive(Debug, Clone)]
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// What a verified ID token (and, where the token lacks them, the userinfo
/// endpoint) says about the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifiedUser {
    pub subject: String,
    pub email: Option<String>,
    /// `None` when the provider does not say.
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub preferred_username: Option<String>,
}

/// A relying party shared by every tenant: one HTTP client that never follows
/// redirects (against SSRF through a provider), and cached discovery results.
pub struct Oidc {
    http: Option<openidconnect::reqwest::Client>,
    cache: Mutex<HashMap<String, (Instant, ProviderMetadataWithLogout)>>,
}

impl Default for Oidc {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").finish_non_exhaustive()
    }
}

fn discovery_err(e: impl std::fmt::Display) -> OidcError {
    OidcError::Discovery(e.to_string())
}

fn rejected(what: &str, e: impl std::fmt::Display) -> OidcError {
    OidcError::Rejected(format!("{what}: {e}"))
}

impl Oidc {
    /// A relying party with an empty cache.
    pub fn new() -> Self {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(HTTP_TIMEOUT)
            .build()
            .ok();
        Self {
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn http(&self) -> Result<&openidconnect::reqwest::Client, OidcError> {
        self.http
            .as_ref()
            .ok_or_else(|| OidcError::Discovery("the HTTP client could not be built".into()))
    }

    /// The provider's metadata and signing keys; `fresh` skips the cache
    /// (when settings are saved, and after a signature did not verify, in
    /// case the provider rotated its keys).
    pub async fn discover(
        &self,
        issuer: &str,
        fresh: bool,
    ) -> Result<ProviderMetadataWithLogout, OidcError> {
        if !fresh
            && let Ok(cache) = self.cache.lock()
            && let Some((at, meta)) = cache.get(issuer)
            && at.elapsed() < METADATA_TTL
        {
            return Ok(meta.clone());
        }
        let url = IssuerUrl::new(issuer.to_string()).map_err(discovery_err)?;
        let meta = ProviderMetadataWithLogout::discover_async(url, self.http()?)
            .await
            .map_err(|e| {
                OidcError::Discovery(format!("discovery at {issuer} failed: {}", chain(&e)))
            })?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < METADATA_TTL);
            cache.insert(issuer.to_string(), (Instant::now(), meta.clone()));
        }
        Ok(meta)
    }

    async fn client(&self, rp: &RelyingParty<'_>, fresh: bool) -> Result<Client, OidcError> {
        let meta = self.discover(rp.issuer, fresh).await?;
        let redirect = RedirectUrl::new(rp.redirect_uri.to_string()).map_err(discovery_err)?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(rp.client_id.to_string()),
            Some(ClientSecret::new(rp.client_secret.to_string())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: the provider's authorization URL with a fresh state,
    /// nonce and PKCE challenge.
    pub async fn start(&self, rp: &RelyingParty<'_>) -> Result<Started, OidcError> {
        let client = self.client(rp, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The provider's logout URL, if it has one.
    pub async fn end_session_url(&self, issuer: &str, client_id: &str) -> Option<String> {
        let meta = self.discover(issuer, false).await.ok()?;
        let mut url = meta
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?
            .url()
            .clone();
        url.query_pairs_mut().append_pair("client_id", client_id);
        Some(url.to_string())
    }

    /// Exchanges the authorization code and verifies the ID token against the
    /// nonce, this client's id, the issuer, the provider's keys and `now_ms`.
    pub async fn finish(
        &self,
        rp: &RelyingParty<'_>,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now_ms: i64,
    ) -> Result<VerifiedUser, OidcError> {
        let client = self.client(rp, false).await?;
        let http = self.http()?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| rejected("the provider has no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(http)
            .await
            .map_err(|e| rejected("the code exchange failed", token_error(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Rejected("the provider returned no ID token".into()))?;
        let now = chrono::DateTime::from_timestamp_millis(now_ms)
            .ok_or_else(|| OidcError::Rejected("the clock is out of range".into()))?;
        let nonce = Nonce::new(nonce.to_string());
        let verified = {
            let verifier = client.id_token_verifier().set_time_fn(move || now);
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims: CoreIdTokenClaims = match verified {
            Ok(c) => c,
            // The provider may have rotated its keys since they were cached:
            // look again once, then judge.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let client = self.client(rp, true).await?;
                let verifier = client.id_token_verifier().set_time_fn(move || now);
                id_token
                    .claims(&verifier, &nonce)
                    .cloned()
                    .map_err(|e| rejected("the ID token was refused", e))?
            }
            Err(e) => return Err(rejected("the ID token was refused", e)),
        };
        // The access token must be the one issued with this ID token.
        if let Some(expected) = claims.access_token_hash() {
            let verifier = client.id_token_verifier();
            let alg = id_token
                .signing_alg()
                .map_err(|e| rejected("the ID token was refused", e))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| rejected("the ID token was refused", e))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| rejected("the ID token was refused", e))?;
            if actual != *expected {
                return Err(OidcError::Rejected(
                    "the access token does not match the ID token (at_hash)".into(),
                ));
            }
        }
        let mut user = VerifiedUser {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
        };
        // Providers that keep ID tokens small put the profile in userinfo;
        // the subject there must be the ID token's.
        if user.email.is_none()
            && let Ok(req) = client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
        {
            let info: CoreUserInfoClaims = req
                .request_async(http)
                .await
                .map_err(|e| rejected("the userinfo request failed", e))?;
            merge_userinfo(&mut user, &info);
        }
        Ok(user)
    }
}

fn merge_userinfo(
    user: &mut VerifiedUser,
    info: &UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>,
) {
    user.email = info.email().map(|e| e.to_string());
    user.email_verified = info.email_verified();
    if user.name.is_none() {
        user.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string());
    }
    if user.preferred_username.is_none() {
        user.preferred_username = info.preferred_username().map(|u| u.to_string());
    }
}

/// The provider's own error code for a refused exchange, or the transport
/// error, without the response body (which could echo what we sent).
fn token_error<RE: std::error::Error + 'static>(
    e: &openidconnect::RequestTokenError<
        RE,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> String {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => {
            format!("the provider answered {}", r.error())
        }
        openidconnect::RequestTokenError::Request(e) => format!("request failed: {}", chain(e)),
        openidconnect::RequestTokenError::Parse(e, _) => format!("unreadable answer: {e}"),
        openidconnect::RequestTokenError::Other(m) => m.clone(),
    }
}

/// An error with its sources, for messages.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
