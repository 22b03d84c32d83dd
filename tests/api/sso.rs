//! Single sign-on against a real OpenID provider (npm oidc-provider, started
//! per test on loopback): the whole authorization code flow driven over HTTP,
//! user matching within one tenant, just-in-time creation, the state's
//! single use and browser binding, logout and the IP allowlist.

use crate::common::*;
use kura_core::Role;
use kura_http::HttpConfig;
use kura_service::{NewUser, ServiceConfig};
use kura_testkit::oidc::{
    Account, CLIENT_ID, CLIENT_SECRET, Provider, browser, sign_in_at_provider, start_sign_in,
};
use reqwest::Method;

both!(
    sso_signs_in_the_matching_user_of_that_tenant_only,
    sso_creates_users_just_in_time_only_when_enabled,
    sso_state_is_single_use_bound_to_the_browser_and_expires,
    sso_refuses_unverified_email_and_provider_errors,
    sso_logout_ends_the_session_and_names_the_provider_logout,
    sso_applies_the_tenant_ip_allowlist,
);

/// A server that accepts the provider's plain-http loopback issuer.
pub async fn sso_server(b: Backend) -> TestServer {
    let cfg = ServiceConfig {
        sso_allow_http_issuers: true,
        ..ServiceConfig::default()
    };
    TestServer::start_with(b, cfg, HttpConfig::default()).await
}

/// Creates a user with an email address (password `<login>-secret-password`).
pub async fn user_with_email(s: &TestServer, tenant: &str, login: &str, email: &str, role: Role) {
    let cli = s.svc.cli_identity().await.unwrap();
    s.svc
        .create_user(
            &cli,
            Some(tenant),
            NewUser {
                login: login.into(),
                display_name: None,
                email: Some(email.into()),
                role,
                password: Some(format!("{login}-secret-password")),
            },
        )
        .await
        .unwrap();
}

/// `PUT /api/v1/tenant/sso` as `admin`.
pub async fn configure(
    s: &TestServer,
    admin: &TestUser,
    issuer: &str,
    jit_role: Option<&str>,
) -> reqwest::Response {
    call(s, admin, Method::PUT, "/api/v1/tenant/sso")
        .json(&json!({
            "issuer": issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "match_claim": "email",
            "jit_role": jit_role,
            "label": "Acme ID",
        }))
        .send()
        .await
        .unwrap()
}

/// Signs in through the provider as `login` in a new browser; returns the
/// browser and Kura's answer to the callback.
pub async fn sso_login(
    s: &TestServer,
    tenant: &str,
    login: &str,
    return_to: Option<&str>,
) -> (reqwest::Client, reqwest::Response) {
    let b = browser();
    let auth = start_sign_in(&b, &s.base, tenant, return_to).await;
    let cb = sign_in_at_provider(&b, auth.as_str(), login).await;
    assert!(
        cb.as_str().starts_with(&s.url("/api/v1/sso/callback?")),
        "the provider returned to {cb}"
    );
    let r = b.get(cb).send().await.unwrap();
    (b, r)
}

pub async fn me(s: &TestServer, b: &reqwest::Client) -> reqwest::Response {
    b.get(s.url("/api/v1/me")).send().await.unwrap()
}

pub async fn actions(s: &TestServer, tenant: &str) -> Vec<(String, Option<String>)> {
    let t = s.svc.db().tenant_by_code(tenant).await.unwrap();
    s.svc.flush_audit().await;
    s.svc
        .db()
        .audit_events(t.id, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

async fn sso_signs_in_the_matching_user_of_that_tenant_only(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    s.tenant("beta", 1 << 30).await;
    user_with_email(&s, "acme", "alice", "Alice@Acme.test", Role::Member).await;
    // Same address in another tenant: never a match for acme's provider.
    user_with_email(&s, "beta", "carol", "carol@acme.test", Role::Member).await;
    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[
            Account::new("alice", "acme.test"),
            Account::new("carol", "acme.test"),
        ],
    )
    .await;
    let r = configure(&s, &admin, &p.issuer, None).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // The login page can ask whether a tenant offers SSO.
    let r = client()
        .get(s.url("/api/v1/sso/acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["label"], "Acme ID");
    assert_eq!(v["login_url"], "/api/v1/sso/acme/login");
    let r = client()
        .get(s.url("/api/v1/sso/beta"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = client()
        .get(s.url("/api/v1/sso/beta/login"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;

    // The authorization request: code flow, PKCE S256, state, nonce, our callback.
    let bz = browser();
    let auth = start_sign_in(&bz, &s.base, "acme", None).await;
    let q: std::collections::HashMap<_, _> = auth.query_pairs().into_owned().collect();
    assert!(auth.as_str().starts_with(&p.issuer));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], s.url("/api/v1/sso/callback"));
    assert!(q["scope"].split(' ').any(|x| x == "openid"));
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);

    // Email matching ignores case; the browser lands where it started.
    let (br, r) = sso_login(&s, "acme", "alice", Some("/files/report.pdf")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/files/report.pdf");
    let cookies: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("kura_session=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("kura_sso=;") && c.contains("Max-Age=0")),
        "the binding cookie is cleared: {cookies:?}"
    );
    let r = me(&s, &br).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["tenant"]["code"], "acme");
    assert_eq!(v["user"]["login"], "alice");
    assert_eq!(v["auth"], "session");
    // The session is a full one: with its CSRF token it can write.
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let r = br
        .put(s.url("/api/v1/files/from-sso.txt"))
        .header("x-csrf-token", &csrf)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // An open redirect is not possible: a foreign return_to becomes "/".
    let (_, r) = sso_login(&s, "acme", "alice", Some("//evil.example/x")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");

    // carol exists only in beta: acme's provider cannot sign her in there,
    // nor into acme (no account, no just-in-time creation).
    let (br, r) = sso_login(&s, "acme", "carol", None).await;
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(v["detail"].as_str().unwrap().contains("no account"), "{v}");
    assert_eq!(me(&s, &br).await.status(), 401);
    let users = call(&s, &admin, Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(!users.to_string().contains("carol"), "{users}");

    // Matching by subject: the provider's `sub` is the Kura login.
    let r = call(&s, &admin, Method::PUT, "/api/v1/tenant/sso")
        .json(&json!({"issuer": p.issuer, "client_id": CLIENT_ID, "match_claim": "sub"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (br, r) = sso_login(&s, "acme", "alice", None).await;
    assert_eq!(r.status(), 303);
    let v: Value = me(&s, &br).await.json().await.unwrap();
    assert_eq!(v["user"]["login"], "alice");
    let (_, r) = sso_login(&s, "acme", "carol", None).await;
    problem(r, StatusCode::FORBIDDEN, "sso_failed").await;

    let acts = actions(&s, "acme").await;
    assert!(acts.iter().any(|(a, _)| a == "sso.login"), "{acts:?}");
    assert!(
        acts.iter().any(|(a, _)| a == "sso.config_update"),
        "{acts:?}"
    );
    assert!(
        acts.iter()
            .any(|(a, d)| a == "sso.failure"
                && d.as_deref().is_some_and(|d| d.contains("no account"))),
        "{acts:?}"
    );
}

async fn sso_creates_users_just_in_time_only_when_enabled(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[Account::new("dave", "acme.test")],
    )
    .await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);
    let (_, r) = sso_login(&s, "acme", "dave", None).await;
    problem(r, StatusCode::FORBIDDEN, "sso_failed").await;

    // An identity provider may never mint administrators.
    let r = configure(&s, &admin, &p.issuer, Some("admin")).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;

    assert_eq!(
        configure(&s, &admin, &p.issuer, Some("member"))
            .await
            .status(),
        200
    );
    let (br, r) = sso_login(&s, "acme", "dave", None).await;
    assert_eq!(r.status(), 303);
    let v: Value = me(&s, &br).await.json().await.unwrap();
    assert_eq!(v["user"]["login"], "dave@acme.test");
    assert_eq!(v["user"]["email"], "dave@acme.test");
    assert_eq!(v["user"]["role"], "member");
    assert_eq!(v["user"]["display_name"], "dave at acme.test");
    // The second sign-in finds the same user.
    let (br, r) = sso_login(&s, "acme", "dave", None).await;
    assert_eq!(r.status(), 303);
    let v2: Value = me(&s, &br).await.json().await.unwrap();
    assert_eq!(v2["user"]["id"], v["user"]["id"]);
    // A created user has no password to sign in with.
    let r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "dave@acme.test", "password": ""}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let acts = actions(&s, "acme").await;
    assert_eq!(
        acts.iter().filter(|(a, _)| a == "user.jit_create").count(),
        1,
        "{acts:?}"
    );
}

async fn sso_state_is_single_use_bound_to_the_browser_and_expires(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    user_with_email(&s, "acme", "alice", "alice@acme.test", Role::Member).await;
    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[Account::new("alice", "acme.test")],
    )
    .await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);
    let callback = |q: &str| s.url(&format!("/api/v1/sso/callback?{q}"));

    // No state, an unknown state.
    let r = browser().get(callback("code=x")).send().await.unwrap();
    problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    let r = browser()
        .get(callback("code=x&state=forged-state"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "sso_failed").await;

    // A state from another browser (no binding cookie) is refused, and used up.
    let a = browser();
    let auth = start_sign_in(&a, &s.base, "acme", None).await;
    let cb = sign_in_at_provider(&a, auth.as_str(), "alice").await;
    let other = browser();
    let r = other.get(cb.clone()).send().await.unwrap();
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(
        v["detail"].as_str().unwrap().contains("another browser"),
        "{v}"
    );
    assert_eq!(me(&s, &other).await.status(), 401);
    let r = a.get(cb).send().await.unwrap();
    problem(r, StatusCode::FORBIDDEN, "sso_failed").await;

    // A replayed callback: the state works once.
    let a = browser();
    let auth = start_sign_in(&a, &s.base, "acme", None).await;
    let cb = sign_in_at_provider(&a, auth.as_str(), "alice").await;
    let used_code: String = cb
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(a.get(cb.clone()).send().await.unwrap().status(), 303);
    let r = a.get(cb).send().await.unwrap();
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(
        v["detail"].as_str().unwrap().contains("already used"),
        "{v}"
    );

    // A used code with a fresh state of this browser: the provider refuses it.
    let fresh = browser();
    let auth = start_sign_in(&fresh, &s.base, "acme", None).await;
    let state: String = auth
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut replay = reqwest::Url::parse(&s.url("/api/v1/sso/callback")).unwrap();
    replay
        .query_pairs_mut()
        .append_pair("code", &used_code)
        .append_pair("state", &state);
    let r = fresh.get(replay).send().await.unwrap();
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(
        v["detail"].as_str().unwrap().contains("code exchange"),
        "{v}"
    );
    assert_eq!(me(&s, &fresh).await.status(), 401);

    // A sign-in left at the provider for more than ten minutes has expired.
    let slow = browser();
    let auth = start_sign_in(&slow, &s.base, "acme", None).await;
    let cb = sign_in_at_provider(&slow, auth.as_str(), "alice").await;
    s.clock.advance_ms(11 * 60_000);
    let r = slow.get(cb).send().await.unwrap();
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(v["detail"].as_str().unwrap().contains("expired"), "{v}");
}

async fn sso_refuses_unverified_email_and_provider_errors(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    user_with_email(&s, "acme", "mallory", "mallory@acme.test", Role::Member).await;
    let mut unverified = Account::new("mallory", "acme.test");
    unverified.email_verified = false;
    let p = Provider::start(&s.url("/api/v1/sso/callback"), &[unverified]).await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);
    let (br, r) = sso_login(&s, "acme", "mallory", None).await;
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(
        v["detail"].as_str().unwrap().contains("not verified"),
        "{v}"
    );
    assert_eq!(me(&s, &br).await.status(), 401);

    // The provider says no (the user cancelled): its error code is reported.
    let a = browser();
    let auth = start_sign_in(&a, &s.base, "acme", None).await;
    let state: String = auth
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let r = a
        .get(s.url(&format!(
            "/api/v1/sso/callback?error=access_denied&error_description=no&state={state}"
        )))
        .send()
        .await
        .unwrap();
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(
        v["detail"].as_str().unwrap().contains("access_denied"),
        "{v}"
    );
    let acts = actions(&s, "acme").await;
    assert!(
        acts.iter().any(|(a, d)| a == "sso.failure"
            && d.as_deref().is_some_and(|d| d.contains("access_denied"))),
        "{acts:?}"
    );
}

async fn sso_logout_ends_the_session_and_names_the_provider_logout(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    user_with_email(&s, "acme", "alice", "alice@acme.test", Role::Member).await;
    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[Account::new("alice", "acme.test")],
    )
    .await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);
    let (br, r) = sso_login(&s, "acme", "alice", None).await;
    assert_eq!(r.status(), 303);
    let v: Value = me(&s, &br).await.json().await.unwrap();
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let r = br
        .delete(s.url("/api/v1/session"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let url = v["provider_logout_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/session/end?", p.issuer)) && url.contains(CLIENT_ID),
        "{url}"
    );
    assert_eq!(me(&s, &br).await.status(), 401);
    // A password session's logout stays as it was.
    let pw = cookie_client();
    let r = pw
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "admin", "password": admin.password}))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = pw
        .delete(s.url("/api/v1/session"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

async fn sso_applies_the_tenant_ip_allowlist(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    user_with_email(&s, "acme", "alice", "alice@acme.test", Role::Member).await;
    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[Account::new("alice", "acme.test")],
    )
    .await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);
    let r = call(
        &s,
        &admin,
        Method::PUT,
        "/api/v1/tenant/policy?confirm=true",
    )
    .json(&json!({"ip_allowlist": ["192.0.2.0/24"]}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let (br, r) = sso_login(&s, "acme", "alice", None).await;
    problem(r, StatusCode::FORBIDDEN, "ip_not_allowed").await;
    assert_eq!(me(&s, &br).await.status(), 401);
    let acts = actions(&s, "acme").await;
    assert!(acts.iter().any(|(a, _)| a == "sso.failure"), "{acts:?}");
}
