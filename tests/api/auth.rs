//! Sign-in, sessions (cookie + CSRF), personal access tokens, roles and
//! suspended tenants.

use crate::common::*;
use kura_core::{Role, TenantStatus};
use kura_http::HttpConfig;
use kura_service::ServiceConfig;

both!(
    login_failures_all_look_the_same,
    session_cookie_flags,
    cookie_requests_need_the_csrf_token,
    bearer_requests_need_no_csrf_token,
    logout_ends_the_session,
    session_expires_when_idle_and_at_max_age,
    tokens_can_be_created_listed_and_revoked,
    expired_token_is_refused,
    missing_or_garbage_credentials_are_unauthenticated,
    guest_cannot_read_or_write_files,
    member_cannot_administer_the_tenant,
    suspended_tenant_is_refused,
);

const HOUR: i64 = 3_600_000;

async fn login_with(
    c: &reqwest::Client,
    s: &TestServer,
    tenant: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    c.post(s.url("/api/v1/session"))
        .json(&json!({"tenant": tenant, "login": login, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Logs in; returns the session cookie value and the CSRF token.
async fn session(s: &TestServer, u: &TestUser) -> (String, String) {
    let r = login_with(&client(), s, &u.tenant, &u.login, &u.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = session_cookie(&r).unwrap();
    let v: Value = r.json().await.unwrap();
    (cookie, v["csrf_token"].as_str().unwrap().to_string())
}

fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    let sc = set_cookie(r)?;
    let first = sc.split(';').next()?;
    first.strip_prefix("kura_session=").map(str::to_string)
}

/// A request carrying only the session cookie (no bearer token, no cookie jar).
fn with_cookie(
    s: &TestServer,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, s.url(path))
        .header("cookie", format!("kura_session={cookie}"))
}

async fn login_failures_all_look_the_same(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    s.tenant("globex", 1 << 30).await;

    let r = login_with(&client(), &s, "acme", "admin", &u.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(session_cookie(&r).is_some_and(|c| c.len() >= 32));
    let v: Value = r.json().await.unwrap();
    assert!(v["csrf_token"].as_str().is_some_and(|t| t.len() >= 16));
    assert_eq!(v["user"]["login"], "admin");
    assert_eq!(v["tenant"]["code"], "acme");
    assert!(v["user"].get("password_hash").is_none());

    let mut bodies = Vec::new();
    for (tenant, login, password) in [
        ("acme", "admin", "wrong-password-123"),
        ("acme", "admin", ""),
        ("acme", "nobody", u.password.as_str()),
        ("nosuch", "admin", u.password.as_str()),
        // The right password, but for another tenant's user of the same login.
        ("globex", "admin", u.password.as_str().trim_end_matches('d')),
        ("x", "admin", u.password.as_str()),
        ("acme", "", u.password.as_str()),
    ] {
        let r = login_with(&client(), &s, tenant, login, password).await;
        assert!(set_cookie(&r).is_none(), "no cookie on failure");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Bearer realm=\"kura\"",
            "{tenant}/{login}"
        );
        let body = problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        bodies.push(body);
    }
    for b in &bodies[1..] {
        assert_eq!(b, &bodies[0], "every failure has the same body");
    }
}

async fn session_cookie_flags(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = login_with(&client(), &s, "acme", "admin", &u.password).await;
    let sc = set_cookie(&r).unwrap();
    let attrs: Vec<&str> = sc.split(';').map(str::trim).collect();
    assert!(attrs.contains(&"HttpOnly"), "{sc}");
    assert!(attrs.contains(&"SameSite=Lax"), "{sc}");
    assert!(attrs.contains(&"Path=/"), "{sc}");
    assert!(attrs.contains(&"Max-Age=43200"), "12 h idle: {sc}");
    assert!(
        !attrs.iter().any(|a| a.eq_ignore_ascii_case("secure")),
        "plain http: {sc}"
    );

    // X-Forwarded-Proto from a peer that is not a trusted proxy is ignored.
    let r = client()
        .post(s.url("/api/v1/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"tenant": "acme", "login": "admin", "password": u.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sc = set_cookie(&r).unwrap();
    assert!(!sc.contains("Secure"), "untrusted X-Forwarded-Proto: {sc}");

    // Behind a trusted proxy that says https, the cookie is Secure.
    let http = HttpConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Default::default()
    };
    let p = TestServer::start_with(b, ServiceConfig::default(), http).await;
    let pu = p.tenant("acme", 1 << 30).await;
    for (name, value, secure) in [
        ("x-forwarded-proto", "https", true),
        ("forwarded", "for=192.0.2.1;proto=https", true),
        ("x-forwarded-proto", "http", false),
    ] {
        let r = client()
            .post(p.url("/api/v1/session"))
            .header(name, value)
            .json(&json!({"tenant": "acme", "login": "admin", "password": pu.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let sc = set_cookie(&r).unwrap();
        let attrs: Vec<&str> = sc.split(';').map(str::trim).collect();
        assert_eq!(attrs.contains(&"Secure"), secure, "{name}: {value}: {sc}");
        assert!(attrs.contains(&"HttpOnly") && attrs.contains(&"SameSite=Lax"));
    }
}

async fn cookie_requests_need_the_csrf_token(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let c = cookie_client();
    let r = login_with(&c, &s, "acme", "admin", &u.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Safe requests need no CSRF token; /me tells the token to a session.
    let r = c.get(s.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["auth"], "session");
    assert_eq!(me["csrf_token"], csrf.as_str());
    assert_eq!(me["user"]["login"], "admin");

    let up = |token: Option<&str>| {
        let mut rb = c.put(s.url("/api/v1/files/csrf.txt")).body("payload");
        if let Some(t) = token {
            rb = rb.header("x-csrf-token", t);
        }
        rb.send()
    };
    problem(
        up(None).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_failed",
    )
    .await;
    problem(
        up(Some("wrong")).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_failed",
    )
    .await;
    problem(
        up(Some("")).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_failed",
    )
    .await;
    let r = c.post(s.url("/api/v1/folders/x")).send().await.unwrap();
    problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
    // Nothing was stored by the refused requests.
    assert_eq!(
        get(&s, &u, "/csrf.txt").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(listing(&s, &u, "/", "").await["items"], json!([]));
    assert!(s.blob_files().is_empty());
    assert_eq!(used_bytes(&s, &u).await, 0);

    assert_eq!(up(Some(&csrf)).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(content(&s, &u, "/csrf.txt").await, b"payload");

    // Deleting needs it too.
    let r = c
        .delete(s.url("/api/v1/files/csrf.txt"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
    assert_eq!(content(&s, &u, "/csrf.txt").await, b"payload");
    let r = c
        .delete(s.url("/api/v1/files/csrf.txt"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(&s, &u, "/csrf.txt").await.status(),
        StatusCode::NOT_FOUND
    );

    // Another session's token does not fit this session.
    let (_, other_csrf) = session(&s, &u).await;
    assert_ne!(other_csrf, csrf);
    problem(
        up(Some(&other_csrf)).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf_failed",
    )
    .await;
}

async fn bearer_requests_need_no_csrf_token(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = put(&s, &u, "/t.txt", "by token").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["auth"], "token");
    assert_eq!(me["csrf_token"], Value::Null);

    // A bearer token wins over a session cookie sent alongside: no CSRF needed.
    let (cookie, _) = session(&s, &u).await;
    let r = with_cookie(&s, &cookie, reqwest::Method::PUT, "/api/v1/files/t.txt")
        .bearer_auth(&u.token)
        .body("again by token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content(&s, &u, "/t.txt").await, b"again by token");
}

async fn logout_ends_the_session(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let (cookie, csrf) = session(&s, &u).await;
    let me = || with_cookie(&s, &cookie, reqwest::Method::GET, "/api/v1/me").send();
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);

    // Logging out is state-changing: without the CSRF token it is refused.
    let r = with_cookie(&s, &cookie, reqwest::Method::DELETE, "/api/v1/session")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);

    let r = with_cookie(&s, &cookie, reqwest::Method::DELETE, "/api/v1/session")
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let sc = set_cookie(&r).unwrap();
    assert!(sc.starts_with("kura_session=;"), "{sc}");
    assert!(sc.contains("Max-Age=0"), "{sc}");

    // The old cookie, replayed by hand, is dead on the server.
    problem(
        me().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let r = with_cookie(&s, &cookie, reqwest::Method::PUT, "/api/v1/files/x.txt")
        .header("x-csrf-token", &csrf)
        .body("x")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Other sessions and tokens of the user are untouched.
    let (other, _) = session(&s, &u).await;
    let r = with_cookie(&s, &other, reqwest::Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        put(&s, &u, "/still.txt", "ok").await.status(),
        StatusCode::CREATED
    );
}

async fn session_expires_when_idle_and_at_max_age(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let me = |cookie: String| with_cookie(&s, &cookie, reqwest::Method::GET, "/api/v1/me").send();

    // Idle: 12 h without a request ends the session; activity pushes the end.
    let (idle, _) = session(&s, &u).await;
    s.clock.advance_ms(11 * HOUR);
    assert_eq!(me(idle.clone()).await.unwrap().status(), StatusCode::OK);
    s.clock.advance_ms(11 * HOUR);
    assert_eq!(
        me(idle.clone()).await.unwrap().status(),
        StatusCode::OK,
        "22 h after login but only 11 h idle"
    );
    s.clock.advance_ms(12 * HOUR);
    problem(
        me(idle.clone()).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "expired",
    )
    .await;
    problem(
        me(idle).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    // Just under the idle limit is still fine.
    let (edge, _) = session(&s, &u).await;
    s.clock.advance_ms(12 * HOUR - 1_000);
    assert_eq!(me(edge).await.unwrap().status(), StatusCode::OK);

    // Max age: 7 days after login, however active.
    let (busy, _) = session(&s, &u).await;
    let mut elapsed = 0;
    while elapsed + 11 * HOUR < 7 * 24 * HOUR {
        s.clock.advance_ms(11 * HOUR);
        elapsed += 11 * HOUR;
        assert_eq!(
            me(busy.clone()).await.unwrap().status(),
            StatusCode::OK,
            "at {elapsed} ms"
        );
    }
    s.clock.advance_ms(11 * HOUR);
    problem(me(busy).await.unwrap(), StatusCode::UNAUTHORIZED, "expired").await;
}

async fn tokens_can_be_created_listed_and_revoked(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = call(&s, &u, reqwest::Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "  backup script  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_i64().unwrap();
    let secret = v["token"].as_str().unwrap().to_string();
    assert_eq!(v["name"], "backup script");
    let t = TestUser {
        token: secret.clone(),
        ..u.clone()
    };
    assert_eq!(
        put(&s, &t, "/by-new-token.txt", "x").await.status(),
        StatusCode::CREATED
    );

    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(!text.contains(&secret), "a listing never shows a secret");
    let list: Value = serde_json::from_str(&text).unwrap();
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(mine["name"], "backup script");
    assert_eq!(mine["revoked"], Value::Null);
    assert_eq!(mine["expires"], Value::Null);
    assert!(mine["last_used"].is_string(), "it was used above");

    // Bad names are refused.
    for name in ["", "   ", &"x".repeat(101)] {
        let r = call(&s, &u, reqwest::Method::POST, "/api/v1/tokens")
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    }

    // Another user cannot revoke it.
    let m = s.user("acme", "member", Role::Member).await;
    let r = call(
        &s,
        &m,
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        get(&s, &t, "/by-new-token.txt").await.status(),
        StatusCode::OK
    );

    let r = call(
        &s,
        &u,
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(
        get(&s, &t, "/by-new-token.txt").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    problem(
        put(&s, &t, "/after-revoke.txt", "x").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let list: Value = call(&s, &u, reqwest::Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert!(mine["revoked"].is_string());
    // The caller's own token still works.
    assert_eq!(
        get(&s, &u, "/by-new-token.txt").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&s, &u, "/after-revoke.txt").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn expired_token_is_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/f.txt", "x").await;
    for days in [0, -1, 3651] {
        let r = call(&s, &u, reqwest::Method::POST, "/api/v1/tokens")
            .json(&json!({"name": "bad", "expires_in_days": days}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    let r = call(&s, &u, reqwest::Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "one day", "expires_in_days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let t = TestUser {
        token: r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string(),
        ..u.clone()
    };
    assert_eq!(get(&s, &t, "/f.txt").await.status(), StatusCode::OK);
    s.clock.advance_ms(24 * HOUR - 1_000);
    assert_eq!(get(&s, &t, "/f.txt").await.status(), StatusCode::OK);
    s.clock.advance_ms(1_000);
    problem(
        get(&s, &t, "/f.txt").await,
        StatusCode::UNAUTHORIZED,
        "expired",
    )
    .await;
    problem(
        put(&s, &t, "/g.txt", "x").await,
        StatusCode::UNAUTHORIZED,
        "expired",
    )
    .await;
    // The token without expiry is unaffected.
    assert_eq!(get(&s, &u, "/f.txt").await.status(), StatusCode::OK);
}

async fn missing_or_garbage_credentials_are_unauthenticated(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/f.txt", "x").await;
    let url = s.url("/api/v1/files/f.txt");
    let attempts: Vec<reqwest::RequestBuilder> = vec![
        client().get(&url),
        client().get(&url).header("authorization", "Bearer garbage"),
        client().get(&url).header("authorization", "Bearer "),
        client()
            .get(&url)
            .header("authorization", "Basic YWRtaW46cGFzc3dvcmQ="),
        client()
            .get(&url)
            .header("authorization", format!("Token {}", u.token)),
        client()
            .get(&url)
            .header("authorization", format!("Bearer {}x", u.token)),
        client().get(&url).header("cookie", "kura_session=garbage"),
        client().get(&url).header("cookie", "other=1"),
        client().put(&url).body("overwrite"),
        client()
            .put(&url)
            .header("authorization", "Bearer garbage")
            .body("overwrite"),
    ];
    for a in attempts {
        let r = a.send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"kura\"");
        problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    for path in [
        "/api/v1/me",
        "/api/v1/folders",
        "/api/v1/trash",
        "/api/v1/tokens",
        "/api/v1/usage",
    ] {
        let r = client().get(s.url(path)).send().await.unwrap();
        problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    assert_eq!(content(&s, &u, "/f.txt").await, b"x");
}

async fn guest_cannot_read_or_write_files(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    put(&s, &admin, "/shared/plan.txt", "secret plan").await;
    let g = s.user("acme", "partner", Role::Guest).await;

    problem(
        get(&s, &g, "/shared/plan.txt").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let r = call(
        &s,
        &g,
        reqwest::Method::HEAD,
        "/api/v1/files/shared/plan.txt",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for path in [
        "/api/v1/folders/shared",
        "/api/v1/folders",
        "/api/v1/versions/shared/plan.txt",
        "/api/v1/trash",
    ] {
        let r = call(&s, &g, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    problem(
        put(&s, &g, "/shared/plan.txt", "guest edit").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        put(&s, &g, "/guest.txt", "guest file").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let r = call(
        &s,
        &g,
        reqwest::Method::DELETE,
        "/api/v1/files/shared/plan.txt",
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    assert_eq!(
        content(&s, &admin, "/shared/plan.txt").await,
        b"secret plan"
    );
    assert_eq!(item_names(&listing(&s, &admin, "/", "").await), ["shared"]);
    assert!(trash_items(&s, &admin).await.is_empty());
}

async fn member_cannot_administer_the_tenant(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let m = s.user("acme", "member", Role::Member).await;

    // Members do work with files.
    assert_eq!(
        put(&s, &m, "/m.txt", "mine").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(content(&s, &m, "/m.txt").await, b"mine");

    let r = call(&s, &m, reqwest::Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = call(&s, &m, reqwest::Method::POST, "/api/v1/users")
        .json(&json!({"login": "intruder", "role": "admin", "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = call(&s, &m, reqwest::Method::GET, "/api/v1/usage")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/admin/tenants"),
        (reqwest::Method::GET, "/api/v1/admin/tenants/acme"),
    ] {
        let r = call(&s, &m, method.clone(), path).send().await.unwrap();
        problem(r, StatusCode::FORBIDDEN, "forbidden").await;
        // A tenant admin is not the operator either.
        let r = call(&s, &admin, method, path).send().await.unwrap();
        problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let r = call(
        &s,
        &admin,
        reqwest::Method::PATCH,
        "/api/v1/admin/tenants/acme",
    )
    .json(&json!({"capacity": "1TiB"}))
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    // The admin can list users; the refused creation left nothing behind.
    let r = call(&s, &admin, reqwest::Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let mut logins: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    logins.sort();
    assert_eq!(logins, ["admin", "member"]);
    let r = login_with(&client(), &s, "acme", "intruder", "long-enough-password").await;
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

async fn suspended_tenant_is_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    put(&s, &u, "/f.txt", "before suspension").await;
    let (cookie, _) = session(&s, &u).await;
    let cli = s.svc.cli_identity().await.unwrap();
    let t = s
        .svc
        .update_tenant(
            &cli,
            "acme",
            kura_service::TenantChanges {
                status: Some(TenantStatus::Suspended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(t.status, TenantStatus::Suspended);

    problem(
        get(&s, &u, "/f.txt").await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    problem(
        put(&s, &u, "/f.txt", "during").await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    problem(
        put(&s, &u, "/new.txt", "during").await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/folders")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "tenant_suspended").await;
    let r = with_cookie(&s, &cookie, reqwest::Method::GET, "/api/v1/files/f.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "tenant_suspended").await;
    let r = login_with(&client(), &s, "acme", "admin", &u.password).await;
    problem(r, StatusCode::FORBIDDEN, "tenant_suspended").await;
    // A wrong password learns nothing about the suspension.
    let r = login_with(&client(), &s, "acme", "admin", "wrong-password-123").await;
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    // Other tenants carry on.
    assert_eq!(
        put(&s, &other, "/g.txt", "fine").await.status(),
        StatusCode::CREATED
    );

    s.svc
        .update_tenant(
            &cli,
            "acme",
            kura_service::TenantChanges {
                status: Some(TenantStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(content(&s, &u, "/f.txt").await, b"before suspension");
    assert_eq!(versions_of(&s, &u, "/f.txt").await.len(), 1);
    assert_eq!(
        get(&s, &u, "/new.txt").await.status(),
        StatusCode::NOT_FOUND
    );
}
