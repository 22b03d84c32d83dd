//! Single sign-on settings (checked by discovery, the secret never shown,
//! tenant admins and the operator) and the "SSO only" policy (passwords
//! refused except the operator's; no change that would lock people out
//! without confirming), against a real OpenID provider.

use crate::common::*;
use crate::sso::{actions, configure, me, sso_login, sso_server, user_with_email};
use kura_core::Role;
use kura_testkit::oidc::{Account, CLIENT_ID, CLIENT_SECRET, Provider};
use reqwest::Method;

both!(
    sso_only_refuses_passwords_but_not_the_operator,
    sso_settings_are_checked_and_never_show_the_secret,
);

async fn sso_only_refuses_passwords_but_not_the_operator(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let member = s.user("acme", "member", Role::Member).await;
    user_with_email(&s, "acme", "alice", "alice@acme.test", Role::Admin).await;
    let boot = s.svc.ensure_operator().await.unwrap().unwrap();
    let op = s
        .svc
        .create_token_for("system", &boot.login, "t")
        .await
        .unwrap();
    let put_policy = |token: String, path: &'static str, body: Value| {
        let url = s.url(path);
        async move {
            client()
                .put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // Without a provider nobody could sign in: refused unless confirmed,
    // even for the operator.
    let r = put_policy(
        op.clone(),
        "/api/v1/tenants/acme/policy",
        json!({"sso_only": true}),
    )
    .await;
    let v = problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    assert!(v["detail"].as_str().unwrap().contains("provider"), "{v}");

    let p = Provider::start(
        &s.url("/api/v1/sso/callback"),
        &[Account::new("alice", "acme.test")],
    )
    .await;
    assert_eq!(configure(&s, &admin, &p.issuer, None).await.status(), 200);

    // An admin signed in with a password (or a token) would lock themself out.
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
        .put(s.url("/api/v1/tenant/policy"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"sso_only": true}))
        .send()
        .await
        .unwrap();
    let v = problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    assert!(
        v["detail"].as_str().unwrap().contains("single sign-on"),
        "{v}"
    );
    let r = put_policy(
        admin.token.clone(),
        "/api/v1/tenant/policy",
        json!({"sso_only": true}),
    )
    .await;
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;

    // An admin who came through SSO can turn it on without confirming.
    let (br, r) = sso_login(&s, "acme", "alice", None).await;
    assert_eq!(r.status(), 303);
    let v: Value = me(&s, &br).await.json().await.unwrap();
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let r = br
        .put(s.url("/api/v1/tenant/policy"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"sso_only": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // Members' (and admins') passwords no longer open sessions...
    for u in [&member, &admin] {
        let r = client()
            .post(s.url("/api/v1/session"))
            .json(&json!({"tenant": "acme", "login": u.login, "password": u.password}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN, "sso_required").await;
    }
    // ...but a wrong password still learns nothing more than before.
    let r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "member", "password": "wrong-password-1"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // The operator keeps the break-glass password login, even with its own
    // tenant "SSO only".
    let r = put_policy(
        op.clone(),
        "/api/v1/tenant/policy?confirm=true",
        json!({"sso_only": true}),
    )
    .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": boot.tenant, "login": boot.login, "password": boot.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // SSO still works.
    let (_, r) = sso_login(&s, "acme", "alice", None).await;
    assert_eq!(r.status(), 303);

    // Removing the provider now would shut everyone out: confirm first.
    let r = call(&s, &admin, Method::DELETE, "/api/v1/tenant/sso")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    let r = call(
        &s,
        &admin,
        Method::DELETE,
        "/api/v1/tenant/sso?confirm=true",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let acts = actions(&s, "acme").await;
    assert!(
        acts.iter().any(|(a, _)| a == "login.sso_required"),
        "{acts:?}"
    );
}

async fn sso_settings_are_checked_and_never_show_the_secret(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    s.tenant("beta", 1 << 30).await;
    let member = s.user("acme", "member", Role::Member).await;
    let p = Provider::start(&s.url("/api/v1/sso/callback"), &[]).await;

    let r = call(&s, &admin, Method::GET, "/api/v1/tenant/sso")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // Members cannot see or change it.
    let r = configure(&s, &member, &p.issuer, None).await;
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // Not a URL, a scheme other than http(s), a missing secret, a bad claim.
    for (issuer, secret, claim) in [
        ("not a url", Some(CLIENT_SECRET), "email"),
        ("ftp://127.0.0.1/", Some(CLIENT_SECRET), "email"),
        (p.issuer.as_str(), None, "email"),
        (p.issuer.as_str(), Some(CLIENT_SECRET), "name"),
    ] {
        let r = call(&s, &admin, Method::PUT, "/api/v1/tenant/sso")
            .json(&json!({"issuer": issuer, "client_id": CLIENT_ID, "client_secret": secret, "match_claim": claim}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    // An issuer that cannot be discovered is refused when saved.
    let r = configure(&s, &admin, "http://127.0.0.1:9/nothing", None).await;
    problem(r, StatusCode::BAD_GATEWAY, "sso_provider_unavailable").await;
    let r = configure(&s, &admin, &format!("{}/other", p.issuer), None).await;
    problem(r, StatusCode::BAD_GATEWAY, "sso_provider_unavailable").await;
    // A plain-http issuer needs the server's permission.
    let strict = TestServer::start(b).await;
    let sadmin = strict.tenant("acme", 1 << 30).await;
    let r = configure(&strict, &sadmin, &p.issuer, None).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;

    let r = configure(&s, &admin, &p.issuer, Some("guest")).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["issuer"], p.issuer);
    assert_eq!(v["client_id"], CLIENT_ID);
    assert_eq!(v["client_secret_set"], true);
    assert_eq!(v["match_claim"], "email");
    assert_eq!(v["jit_role"], "guest");
    assert_eq!(v["redirect_uri"], s.url("/api/v1/sso/callback"));
    // Changing other fields keeps the secret.
    let r = call(&s, &admin, Method::PUT, "/api/v1/tenant/sso")
        .json(&json!({"issuer": p.issuer, "client_id": CLIENT_ID, "match_claim": "sub"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let row = s
        .svc
        .db()
        .sso_config(s.svc.db().tenant_by_code("acme").await.unwrap().id)
        .await
        .unwrap();
    assert_eq!(row.client_secret, CLIENT_SECRET);
    assert_eq!(row.jit_role, None);
    let text = call(&s, &admin, Method::GET, "/api/v1/tenant/sso")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains(CLIENT_SECRET) && text.contains("\"sub\""),
        "{text}"
    );

    // The operator manages any tenant's; a tenant admin cannot use that path.
    let op = s.operator().await.token;
    let r = client()
        .put(s.url("/api/v1/tenants/beta/sso"))
        .bearer_auth(&op)
        .json(&json!({"issuer": p.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .get(s.url("/api/v1/tenants/beta/sso"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["tenant"], "beta");
    let r = call(&s, &admin, Method::GET, "/api/v1/tenants/beta/sso")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = client()
        .delete(s.url("/api/v1/tenants/beta/sso"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let acts = actions(&s, "acme").await;
    assert_eq!(
        acts.iter()
            .filter(|(a, _)| a == "sso.config_update")
            .count(),
        2,
        "{acts:?}"
    );
    assert!(
        acts.iter()
            .all(|(_, d)| !d.as_deref().unwrap_or("").contains(CLIENT_SECRET)),
        "{acts:?}"
    );
}
