//! Per-tenant IP allowlists: everyone, and admins more strictly, must come
//! from listed ranges; the client address is the socket peer, or what a
//! configured trusted proxy forwards. Refusals are 403 `ip_not_allowed`.

use crate::common::*;
use kura_http::HttpConfig;
use kura_service::ServiceConfig;
use reqwest::Method;

both!(
    allowlists_refuse_other_addresses_and_never_lock_out_their_admin,
    forwarded_addresses_count_only_from_trusted_proxies,
);

async fn set(s: &TestServer, u: &TestUser, body: Value, xff: Option<&str>) -> reqwest::Response {
    let mut r = call(s, u, Method::PUT, "/api/v1/tenant/policy").json(&body);
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap()
}

async fn me(s: &TestServer, u: &TestUser, xff: Option<&str>) -> reqwest::Response {
    let mut r = call(s, u, Method::GET, "/api/v1/me");
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap()
}

async fn login(s: &TestServer, u: &TestUser, xff: Option<&str>) -> reqwest::Response {
    let mut r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": u.tenant, "login": u.login, "password": u.password}));
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap()
}

async fn allowlists_refuse_other_addresses_and_never_lock_out_their_admin(b: Backend) {
    // No credential cache, so a change made behind the service's back shows at once.
    let cfg = ServiceConfig {
        auth_cache_ms: 0,
        ..ServiceConfig::default()
    };
    let s = TestServer::start_with(b, cfg, HttpConfig::default()).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let member = s.user("acme", "member1", kura_core::Role::Member).await;
    let other = s.tenant("globex", 1 << 30).await;
    // Tests connect from 127.0.0.1.
    let r = set(&s, &admin, json!({"ip_allowlist": ["10.0.0.0/8"]}), None).await;
    let p = problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    assert!(p["detail"].as_str().unwrap().contains("127.0.0.1"), "{p}");
    let r = set(&s, &admin, json!({"ip_allowlist": ["10.0.0.0/33"]}), None).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    problem(
        set(&s, &member, json!({"ip_allowlist": ["127.0.0.0/8"]}), None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Everyone from loopback, admins only from one host elsewhere: the admin
    // would be shut out, so that is refused too.
    let r = set(
        &s,
        &admin,
        json!({"ip_allowlist": ["127.0.0.0/8", "2001:db8::/32"], "admin_ip_allowlist": ["192.0.2.10"]}),
        None,
    )
    .await;
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    let r = set(
        &s,
        &admin,
        json!({"ip_allowlist": ["127.0.0.0/8", "2001:db8::/32"], "admin_ip_allowlist": ["127.0.0.1/32"]}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = r.json::<Value>().await.unwrap();
    assert_eq!(v["ip_allowlist"], json!(["127.0.0.0/8", "2001:db8::/32"]));
    assert_eq!(v["admin_ip_allowlist"], json!(["127.0.0.1/32"]));
    assert_eq!(me(&s, &member, None).await.status(), StatusCode::OK);

    // Now allow only an outside range, knowingly (?confirm=true).
    let r = call(
        &s,
        &admin,
        Method::PUT,
        "/api/v1/tenant/policy?confirm=true",
    )
    .json(&json!({"ip_allowlist": ["198.51.100.0/24"], "admin_ip_allowlist": []}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for u in [&admin, &member] {
        let p = problem(
            me(&s, u, None).await,
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("127.0.0.1"));
        problem(
            login(&s, u, None).await,
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
        )
        .await;
        problem(
            get(&s, u, "/x").await,
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
        )
        .await;
    }
    // A wrong password from outside learns nothing more than the refusal.
    let mut wrong = member.clone();
    wrong.password = "not-the-password".into();
    problem(
        login(&s, &wrong, None).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    // Another tenant is unaffected.
    assert_eq!(me(&s, &other, None).await.status(), StatusCode::OK);
    // The refusals are audited.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 50).await.unwrap();
    assert!(events.iter().any(|e| e.action == "login.ip_refused"));
    assert!(events.iter().any(|e| e.action == "policy.update"));
    // The operator can set any tenant's policy (and lift this one).
    let op_token = s.operator().await.token;
    let r = client()
        .put(s.url("/api/v1/tenants/acme/policy"))
        .bearer_auth(&op_token)
        .json(&json!({"ip_allowlist": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["ip_allowlist"], json!([]));
    assert_eq!(me(&s, &member, None).await.status(), StatusCode::OK);
    // A tenant admin cannot use the operator's path.
    problem(
        call(&s, &other, Method::GET, "/api/v1/tenants/acme/policy")
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

async fn forwarded_addresses_count_only_from_trusted_proxies(b: Backend) {
    let http = HttpConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..HttpConfig::default()
    };
    let s = TestServer::start_with(b, ServiceConfig::default(), http).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let member = s.user("acme", "member1", kura_core::Role::Member).await;
    // Through the (trusted) proxy the admin is at 203.0.113.5.
    let r = set(
        &s,
        &admin,
        json!({"ip_allowlist": ["203.0.113.0/24"], "admin_ip_allowlist": ["203.0.113.5"]}),
        Some("203.0.113.5"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        me(&s, &admin, Some("203.0.113.5")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        me(&s, &member, Some("203.0.113.77")).await.status(),
        StatusCode::OK
    );
    // The stricter admin list: the admin from another office address is refused.
    problem(
        me(&s, &admin, Some("203.0.113.77")).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    // Spoofed hops to the left of the proxy's own entry do not help.
    problem(
        me(&s, &member, Some("203.0.113.5, 192.0.2.1")).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    // RFC 7239 Forwarded is read too (without X-Forwarded-For).
    let r = call(&s, &member, Method::GET, "/api/v1/me")
        .header("forwarded", "for=\"203.0.113.9:5555\";proto=https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // No forwarding header: the proxy's own address, not allowed.
    problem(
        me(&s, &member, None).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    assert_eq!(
        login(&s, &member, Some("203.0.113.9")).await.status(),
        StatusCode::OK
    );

    // A server that trusts no proxy ignores the header: the peer is 127.0.0.1.
    let plain = TestServer::start(b).await;
    let a2 = plain.tenant("acme", 1 << 30).await;
    let r = set(
        &plain,
        &a2,
        json!({"ip_allowlist": ["203.0.113.0/24"]}),
        Some("203.0.113.5"),
    )
    .await;
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
}
