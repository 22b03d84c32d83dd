//! Client certificates: Kura serves HTTPS itself and asks for certificates;
//! a tenant uploads its CAs and CRL and may require a certificate on every
//! sign-in and request (403 `client_certificate_required` otherwise); the
//! certificate may have to name the user; behind a proxy the certificate
//! header counts only from trusted proxies; a policy change never shuts out
//! the admin making it without a warning.

use crate::common::*;
use crate::pki::{Ca, Leaf, ServerPki, escaped};
use kura_core::Role;
use kura_http::HttpConfig;
use kura_service::{NewUser, ServiceConfig};
use reqwest::Method;

both!(
    cert_required_guards_every_request_and_sign_in,
    cert_must_name_the_user_when_the_tenant_says_so,
    cert_header_counts_only_from_trusted_proxies,
    cert_and_ip_allowlist_must_both_hold,
    cert_trust_of_one_tenant_never_reaches_another,
);

/// No credential cache, so refusals show at once.
fn uncached() -> ServiceConfig {
    ServiceConfig {
        auth_cache_ms: 0,
        ..ServiceConfig::default()
    }
}

async fn me(c: &reqwest::Client, s: &TestServer, token: &str) -> reqwest::Response {
    c.get(s.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn pem_post(
    c: &reqwest::Client,
    s: &TestServer,
    token: &str,
    path: &str,
    pem: &str,
) -> reqwest::Response {
    c.post(s.url(path))
        .bearer_auth(token)
        .header("content-type", "application/x-pem-file")
        .body(pem.to_string())
        .send()
        .await
        .unwrap()
}

async fn pem_put(
    c: &reqwest::Client,
    s: &TestServer,
    token: &str,
    path: &str,
    pem: &str,
) -> reqwest::Response {
    c.put(s.url(path))
        .bearer_auth(token)
        .header("content-type", "application/x-pem-file")
        .body(pem.to_string())
        .send()
        .await
        .unwrap()
}

async fn policy(
    c: &reqwest::Client,
    s: &TestServer,
    token: &str,
    query: &str,
    body: Value,
) -> reqwest::Response {
    c.put(s.url(&format!("/api/v1/tenant/policy{query}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn login(
    c: &reqwest::Client,
    s: &TestServer,
    u: &TestUser,
    password: &str,
) -> reqwest::Response {
    c.post(s.url("/api/v1/session"))
        .json(&json!({"tenant": u.tenant, "login": u.login, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn refused(r: reqwest::Response) {
    let p = problem(r, StatusCode::FORBIDDEN, "client_certificate_required").await;
    assert!(
        p["detail"].as_str().unwrap().contains("client certificate"),
        "{p}"
    );
}

/// A user with an e-mail address and a token.
async fn user_with_email(s: &TestServer, tenant: &str, login: &str, role: Role) -> TestUser {
    let cli = s.svc.cli_identity().await.unwrap();
    let password = format!("{login}-secret-password");
    s.svc
        .create_user(
            &cli,
            Some(tenant),
            NewUser {
                login: login.into(),
                display_name: None,
                email: Some(format!("{login}@example.com")),
                role,
                password: Some(password.clone()),
            },
        )
        .await
        .unwrap();
    let token = s.svc.create_token_for(tenant, login, "t").await.unwrap();
    TestUser {
        tenant: tenant.into(),
        login: login.into(),
        password,
        token,
    }
}

async fn operator_token(s: &TestServer) -> String {
    s.operator().await.token
}

/// Uploads `ca` for the tenant of `admin` and turns the rule on, presenting
/// `cert` (which must be valid for the tenant).
async fn require_certs(s: &TestServer, pki: &ServerPki, admin: &TestUser, ca: &Ca, cert: &Leaf) {
    let c = pki.client(Some(cert));
    let r = pem_post(&c, s, &admin.token, "/api/v1/tenant/client-cas", &ca.pem).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = policy(
        &c,
        s,
        &admin.token,
        "",
        json!({"client_cert_required": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}

async fn cert_required_guards_every_request_and_sign_in(b: Backend) {
    let pki = ServerPki::new();
    let s = TestServer::start_tls(b, uncached(), HttpConfig::default(), pki.tls.clone()).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let ca = Ca::new("Acme Client CA");
    let other_ca = Ca::new("Globex Client CA");
    let valid = ca.client("admin", "admin@example.com", 10, -1, 30);
    let expired = ca.client("admin", "admin@example.com", 11, -30, -1);
    let not_yet = ca.client("admin", "admin@example.com", 12, 2, 30);
    let revoked = ca.client("admin", "admin@example.com", 13, -1, 30);
    let foreign = other_ca.client("admin", "admin@example.com", 10, -1, 30);
    let bare = pki.client(None);

    // Policy off: HTTPS without a certificate is fine.
    assert_eq!(me(&bare, &s, &admin.token).await.status(), StatusCode::OK);
    assert_eq!(
        me(&pki.client(Some(&foreign)), &s, &admin.token)
            .await
            .status(),
        StatusCode::OK
    );

    // Uploads are checked: a leaf is not a CA, junk is not PEM.
    let r = pem_post(
        &bare,
        &s,
        &admin.token,
        "/api/v1/tenant/client-cas",
        &valid.cert_pem,
    )
    .await;
    let p = problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(p["detail"].as_str().unwrap().contains("not a CA"), "{p}");
    let r = pem_post(
        &bare,
        &s,
        &admin.token,
        "/api/v1/tenant/client-cas",
        "hello",
    )
    .await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;

    // Turning the rule on with no CA, or without a certificate the tenant
    // would accept, would shut the admin out: refused unless confirmed.
    let r = policy(
        &bare,
        &s,
        &admin.token,
        "",
        json!({"client_cert_required": true}),
    )
    .await;
    let p = problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    assert!(p["detail"].as_str().unwrap().contains("no CA"), "{p}");
    let r = pem_post(
        &bare,
        &s,
        &admin.token,
        "/api/v1/tenant/client-cas",
        &ca.pem,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: Value = r.json().await.unwrap();
    assert!(
        added["items"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("Acme Client CA")
    );
    for c in [
        &bare,
        &pki.client(Some(&foreign)),
        &pki.client(Some(&expired)),
    ] {
        let r = policy(
            c,
            &s,
            &admin.token,
            "",
            json!({"client_cert_required": true}),
        )
        .await;
        problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    }
    let good = pki.client(Some(&valid));
    let r = policy(
        &good,
        &s,
        &admin.token,
        "",
        json!({"client_cert_required": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Every request now needs a valid certificate from the tenant's CA.
    assert_eq!(me(&good, &s, &admin.token).await.status(), StatusCode::OK);
    refused(me(&bare, &s, &admin.token).await).await;
    for bad in [&expired, &not_yet, &foreign] {
        refused(me(&pki.client(Some(bad)), &s, &admin.token).await).await;
    }
    assert_eq!(
        me(&pki.client(Some(&revoked)), &s, &admin.token)
            .await
            .status(),
        StatusCode::OK
    );

    // A CRL must come from one of the tenant's CAs; then its entries count.
    let r = pem_put(
        &good,
        &s,
        &admin.token,
        "/api/v1/tenant/crl",
        &other_ca.crl(&[13]),
    )
    .await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    // Revoking the admin's own certificate is a lock-out, so it needs confirming.
    let r = pem_put(
        &good,
        &s,
        &admin.token,
        "/api/v1/tenant/crl",
        &ca.crl(&[10, 13]),
    )
    .await;
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    let r = pem_put(
        &good,
        &s,
        &admin.token,
        "/api/v1/tenant/crl",
        &ca.crl(&[13]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let crl: Value = r.json().await.unwrap();
    assert_eq!(crl["crls"][0]["revoked"], 1, "{crl}");
    refused(me(&pki.client(Some(&revoked)), &s, &admin.token).await).await;
    assert_eq!(me(&good, &s, &admin.token).await.status(), StatusCode::OK);

    // Signing in needs the certificate too, before the password is judged.
    refused(login(&bare, &s, &admin, &admin.password).await).await;
    refused(login(&bare, &s, &admin, "wrong password").await).await;
    refused(login(&pki.client(Some(&revoked)), &s, &admin, &admin.password).await).await;
    problem(
        login(&good, &s, &admin, "wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let r = login(&good, &s, &admin, &admin.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // The session cookie alone, from a connection without the certificate, is refused.
    let with_cookie = |c: &reqwest::Client| {
        c.get(s.url("/api/v1/me"))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(with_cookie(&good).await.unwrap().status(), StatusCode::OK);
    refused(with_cookie(&bare).await.unwrap()).await;

    // Refusals are audited with the reason.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 200).await.unwrap();
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "cert.refused")
        .filter_map(|e| e.detail.as_deref())
        .collect();
    for why in [
        "expired",
        "not valid yet",
        "revoked",
        "not issued by",
        "no client certificate",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "{why}: {reasons:?}"
        );
    }
    assert!(events.iter().any(|e| e.action == "client_ca.add"));
    assert!(events.iter().any(|e| e.action == "client_crl.set"));

    // The service clock decides validity: a month on, the certificate has expired.
    s.clock.advance_ms(31 * 86_400_000);
    refused(me(&good, &s, &admin.token).await).await;
}

async fn cert_must_name_the_user_when_the_tenant_says_so(b: Backend) {
    let pki = ServerPki::new();
    let s = TestServer::start_tls(b, uncached(), HttpConfig::default(), pki.tls.clone()).await;
    s.tenant("acme", 1 << 30).await;
    let admin = user_with_email(&s, "acme", "boss", Role::Admin).await;
    let alice = user_with_email(&s, "acme", "alice", Role::Member).await;
    let bob = user_with_email(&s, "acme", "bob", Role::Member).await;
    let ca = Ca::new("Acme Client CA");
    let boss_cert = ca.client("boss", "boss@example.com", 1, -1, 30);
    let alice_cert = ca.client("alice", "alice@example.com", 2, -1, 30);
    // Named for alice by e-mail, but with another common name.
    let alice_mail_only = ca.client("Alice Liddell", "alice@example.com", 3, -1, 30);
    require_certs(&s, &pki, &admin, &ca, &boss_cert).await;
    let as_alice = pki.client(Some(&alice_cert));

    // Without mapping, any certificate of the tenant's CA will do.
    assert_eq!(me(&as_alice, &s, &bob.token).await.status(), StatusCode::OK);

    // Mapping by e-mail: the admin's own certificate must still fit.
    let set = |c: reqwest::Client, q: &'static str, m: &'static str| {
        let url = s.url(&format!("/api/v1/tenant/client-cert{q}"));
        let token = admin.token.clone();
        async move {
            c.put(url)
                .bearer_auth(token)
                .json(&json!({"user_match": m}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = set(pki.client(Some(&alice_cert)), "", "email").await;
    problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
    let r = set(pki.client(Some(&boss_cert)), "", "email").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["user_match"], "email");
    assert_eq!(
        me(&as_alice, &s, &alice.token).await.status(),
        StatusCode::OK
    );
    refused(me(&as_alice, &s, &bob.token).await).await;
    let mail_only = pki.client(Some(&alice_mail_only));
    assert_eq!(
        me(&mail_only, &s, &alice.token).await.status(),
        StatusCode::OK
    );
    // Bob's password with Alice's certificate does not open a session.
    refused(login(&as_alice, &s, &bob, &bob.password).await).await;
    assert_eq!(
        login(&as_alice, &s, &alice, &alice.password).await.status(),
        StatusCode::OK
    );

    // Mapping by common name; set by the operator (operator route).
    let op = operator_token(&s).await;
    let r = pki
        .client(None)
        .put(s.url("/api/v1/tenants/acme/client-cert"))
        .bearer_auth(&op)
        .json(&json!({"user_match": "cn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        me(&as_alice, &s, &alice.token).await.status(),
        StatusCode::OK
    );
    refused(me(&mail_only, &s, &alice.token).await).await;
    refused(me(&as_alice, &s, &bob.token).await).await;
    let r = pki
        .client(None)
        .get(s.url("/api/v1/tenants/acme/client-cert"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["user_match"], "cn");
    let r = set(pki.client(Some(&boss_cert)), "", "sometimes").await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
}

async fn cert_header_counts_only_from_trusted_proxies(b: Backend) {
    let ca = Ca::new("Acme Client CA");
    let other_ca = Ca::new("Globex Client CA");
    let valid = ca.client("admin", "admin@example.com", 1, -1, 30);
    let expired = ca.client("admin", "admin@example.com", 2, -30, -1);
    let foreign = other_ca.client("admin", "admin@example.com", 1, -1, 30);

    for trusted in [false, true] {
        let http = HttpConfig {
            trusted_proxies: if trusted {
                vec!["127.0.0.1/32".parse().unwrap()]
            } else {
                Vec::new()
            },
            ..HttpConfig::default()
        };
        let s = TestServer::start_with(b, uncached(), http).await;
        let admin = s.tenant("acme", 1 << 30).await;
        let c = client();
        let r = pem_post(&c, &s, &admin.token, "/api/v1/tenant/client-cas", &ca.pem).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let with = |cert: Option<&Leaf>, path: &str, method: Method| {
            let mut r = c.request(method, s.url(path)).bearer_auth(&admin.token);
            if let Some(cert) = cert {
                r = r.header("x-client-cert", escaped(&cert.cert_pem));
            }
            r
        };
        // The lock-out check sees the header only from a trusted proxy.
        let r = with(Some(&valid), "/api/v1/tenant/policy", Method::PUT)
            .json(&json!({"client_cert_required": true}))
            .send()
            .await
            .unwrap();
        if trusted {
            assert_eq!(r.status(), StatusCode::OK);
        } else {
            problem(r, StatusCode::CONFLICT, "would_lock_out_caller").await;
            let r = policy(
                &c,
                &s,
                &admin.token,
                "?confirm=true",
                json!({"client_cert_required": true}),
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        let get_me = |cert: Option<&Leaf>| with(cert, "/api/v1/me", Method::GET).send();
        let r = get_me(Some(&valid)).await.unwrap();
        if trusted {
            assert_eq!(r.status(), StatusCode::OK);
        } else {
            // A forged header from an untrusted peer is ignored.
            refused(r).await;
        }
        refused(get_me(None).await.unwrap()).await;
        refused(get_me(Some(&expired)).await.unwrap()).await;
        refused(get_me(Some(&foreign)).await.unwrap()).await;
        let r = c
            .get(s.url("/api/v1/me"))
            .bearer_auth(&admin.token)
            .header("x-client-cert", "not%20a%20certificate")
            .send()
            .await
            .unwrap();
        refused(r).await;
    }
}

async fn cert_and_ip_allowlist_must_both_hold(b: Backend) {
    let pki = ServerPki::new();
    let s = TestServer::start_tls(b, uncached(), HttpConfig::default(), pki.tls.clone()).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let member = s.user("acme", "member1", Role::Member).await;
    let ca = Ca::new("Acme Client CA");
    let valid = ca.client("admin", "admin@example.com", 1, -1, 30);
    require_certs(&s, &pki, &admin, &ca, &valid).await;
    let good = pki.client(Some(&valid));
    let bare = pki.client(None);
    // Tests connect from 127.0.0.1.
    let r = policy(
        &good,
        &s,
        &admin.token,
        "",
        json!({"ip_allowlist": ["127.0.0.1/32"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(me(&good, &s, &member.token).await.status(), StatusCode::OK);
    refused(me(&bare, &s, &member.token).await).await;
    // The allowlist no longer admits us: a valid certificate is not enough.
    let r = policy(
        &good,
        &s,
        &admin.token,
        "?confirm=true",
        json!({"ip_allowlist": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    problem(
        me(&good, &s, &member.token).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    problem(
        login(&good, &s, &member, &member.password).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    let refused_here = me(&bare, &s, &member.token).await;
    assert_eq!(refused_here.status(), StatusCode::FORBIDDEN);
}

async fn cert_trust_of_one_tenant_never_reaches_another(b: Backend) {
    let pki = ServerPki::new();
    let s = TestServer::start_tls(b, uncached(), HttpConfig::default(), pki.tls.clone()).await;
    let acme = s.tenant("acme", 1 << 30).await;
    let globex = s.tenant("globex", 1 << 30).await;
    let acme_ca = Ca::new("Acme Client CA");
    let globex_ca = Ca::new("Globex Client CA");
    let acme_cert = acme_ca.client("admin", "admin@example.com", 1, -1, 30);
    let globex_cert = globex_ca.client("admin", "admin@example.com", 1, -1, 30);
    require_certs(&s, &pki, &acme, &acme_ca, &acme_cert).await;
    require_certs(&s, &pki, &globex, &globex_ca, &globex_cert).await;
    let as_acme = pki.client(Some(&acme_cert));
    let as_globex = pki.client(Some(&globex_cert));

    // Each tenant's certificate opens only its own tenant.
    assert_eq!(me(&as_acme, &s, &acme.token).await.status(), StatusCode::OK);
    assert_eq!(
        me(&as_globex, &s, &globex.token).await.status(),
        StatusCode::OK
    );
    refused(me(&as_globex, &s, &acme.token).await).await;
    refused(me(&as_acme, &s, &globex.token).await).await;

    // Each admin sees and changes only its own CAs.
    let list = |c: &reqwest::Client, token: &str| {
        c.get(s.url("/api/v1/tenant/client-cas"))
            .bearer_auth(token.to_string())
            .send()
    };
    let mine: Value = list(&as_acme, &acme.token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["subject"].as_str().unwrap().contains("Acme"));
    let theirs: Value = list(&as_globex, &globex.token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let globex_ca_id = theirs["items"][0]["id"].as_i64().unwrap();
    let r = as_acme
        .delete(s.url(&format!(
            "/api/v1/tenant/client-cas/{globex_ca_id}?confirm=true"
        )))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // The operator routes are for the operator only.
    for path in [
        "/api/v1/tenants/globex/client-cas",
        "/api/v1/tenants/globex/crl",
        "/api/v1/tenants/globex/client-cert",
    ] {
        let r = as_acme
            .get(s.url(path))
            .bearer_auth(&acme.token)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Globex's CA is still there and still admits globex.
    assert_eq!(
        me(&as_globex, &s, &globex.token).await.status(),
        StatusCode::OK
    );

    // The operator sees each tenant's own CAs, and removing acme's CA (with
    // confirmation: acme would have none) leaves acme closed, not open.
    let op = operator_token(&s).await;
    let bare = pki.client(None);
    let r: Value = bare
        .get(s.url("/api/v1/tenants/acme/client-cas"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let acme_ca_id = r["items"][0]["id"].as_i64().unwrap();
    assert_ne!(acme_ca_id, globex_ca_id);
    let r = bare
        .delete(s.url(&format!("/api/v1/tenants/acme/client-cas/{acme_ca_id}")))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    refused(me(&as_acme, &s, &acme.token).await).await;
    refused(me(&as_globex, &s, &acme.token).await).await;
    // The operator's own tenant has no rule, so the operator is not affected.
    assert_eq!(me(&bare, &s, &op).await.status(), StatusCode::OK);
}

both!(otp_certificate_and_ip_allowlist_all_hold_together);

/// An HTTPS client with a cookie jar, presenting `cert` (if any).
fn browser(pki: &ServerPki, cert: Option<&Leaf>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca.pem.as_bytes()).unwrap());
    if let Some(c) = cert {
        let pem = format!("{}{}", c.cert_pem, c.key_pem);
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

fn cookie_of(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn otp_certificate_and_ip_allowlist_all_hold_together(b: Backend) {
    use kura_core::clock::Clock;
    let pki = ServerPki::new();
    let s = TestServer::start_tls(b, uncached(), HttpConfig::default(), pki.tls.clone()).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let ca = Ca::new("Acme Client CA");
    let valid = ca.client("admin", "admin@example.com", 1, -1, 30);
    require_certs(&s, &pki, &admin, &ca, &valid).await;
    let good = pki.client(Some(&valid));
    let r = policy(
        &good,
        &s,
        &admin.token,
        "",
        json!({"ip_allowlist": ["127.0.0.1/32"], "otp_required": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let now_s = || u64::try_from(s.clock.now_ms() / 1000).unwrap();

    // Certificate and password: OTP must be set up first.
    let br = browser(&pki, Some(&valid));
    let r = login(&br, &s, &bob, &bob.password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["next"], "otp_enrol", "{v}");
    let csrf = v["csrf_token"].as_str().unwrap().to_string();
    let r = br
        .post(s.url("/api/v1/me/otp"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let secret = r.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = kura_auth::otp::code_at(&secret, now_s(), 6).unwrap();
    let r = br
        .post(s.url("/api/v1/me/otp/confirm"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let full = cookie_of(&r);
    assert_eq!(
        br.get(s.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The same session without the certificate: refused.
    let bare = pki.client(None);
    let r = bare
        .get(s.url("/api/v1/me"))
        .header("cookie", &full)
        .send()
        .await
        .unwrap();
    refused(r).await;

    // Next sign-in: the passcode step needs the certificate too.
    let br = browser(&pki, Some(&valid));
    let r = login(&br, &s, &bob, &bob.password).await;
    let half = cookie_of(&r);
    assert_eq!(r.json::<Value>().await.unwrap()["next"], "otp");
    s.clock.advance_ms(30_000);
    let code = kura_auth::otp::code_at(&secret, now_s(), 6).unwrap();
    let r = bare
        .post(s.url("/api/v1/session/otp"))
        .header("cookie", &half)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    refused(r).await;
    let r = br
        .post(s.url("/api/v1/session/otp"))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        br.get(s.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Outside the allowlist nothing helps: certificate, session or passcode.
    let r = policy(
        &good,
        &s,
        &admin.token,
        "?confirm=true",
        json!({"ip_allowlist": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    problem(
        br.get(s.url("/api/v1/me")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
    problem(
        login(&br, &s, &bob, &bob.password).await,
        StatusCode::FORBIDDEN,
        "ip_not_allowed",
    )
    .await;
}
