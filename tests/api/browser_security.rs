//! The tenant administrator's security screens in a real browser (see
//! browser.rs for how scenarios run): the security policy page, the lock-out
//! warning, users' unlock and sign-out actions, client certificate
//! authorities and the virus detections list. Each scenario phase is one
//! run of tests/browser/scenarios/<name>.mjs with `KURA_PHASE`; the server's
//! side is checked through the API between phases.

use crate::browser::{scenario, server};
use crate::common::*;
use crate::pki::Ca;
use kura_core::Role;
use kura_testkit::clamd::{Clamd, ClamdLimits, EICAR, free_port};

/// The tenant's policy document, by the API.
async fn policy(s: &TestServer, u: &TestUser) -> Value {
    get_json(s, u, "/api/v1/tenant/policy").await
}

/// The audit actions of a tenant, newest first.
async fn audit_actions(s: &TestServer, tenant: &str) -> Vec<(String, String)> {
    let t = s.svc.db().tenant_by_code(tenant).await.unwrap();
    s.svc.flush_audit().await;
    s.svc
        .db()
        .audit_events(t.id, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.target.unwrap_or_default()))
        .collect()
}

async fn phase(s: &TestServer, u: &TestUser, name: &str, phase: &str, extra: &[(&str, String)]) {
    let mut env = vec![("KURA_PHASE", phase.to_string())];
    env.extend(extra.iter().cloned());
    scenario(s, u, name, &env).await;
}

async fn api_login(s: &TestServer, u: &TestUser, password: &str) -> reqwest::Response {
    client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": u.tenant, "login": u.login, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_policy_is_validated_and_saved_from_the_page() {
    let (s, u) = server().await;
    let before = policy(&s, &u).await;
    assert_eq!(before["ip_allowlist"], json!([]));
    assert_eq!(before["otp_required"], false);

    // A bad line is named and nothing is saved.
    phase(&s, &u, "security", "invalid", &[]).await;
    assert_eq!(policy(&s, &u).await, before);

    // Allowlists, two-step verification and password rules are saved.
    phase(&s, &u, "security", "save", &[]).await;
    let p = policy(&s, &u).await;
    assert_eq!(p["ip_allowlist"], json!(["127.0.0.0/8", "203.0.113.0/24"]));
    assert_eq!(p["admin_ip_allowlist"], json!(["127.0.0.1/32"]));
    assert_eq!(p["otp_required"], true);
    assert_eq!(p["sso_only"], false);
    assert_eq!(p["client_cert_required"], false);
    assert_eq!(p["password_min_length"], 14);
    assert_eq!(p["password_max_age_days"], 90);
    assert_eq!(p["lockout_threshold"], 5);
    assert_eq!(p["lockout_minutes"], 30);
    // The refused single sign-on set-up saved nothing.
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/tenant/sso")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let audit = audit_actions(&s, "acme").await;
    assert!(
        audit
            .iter()
            .any(|(a, t)| a == "policy.update" && t == "acme"),
        "{audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowlist_without_the_admins_address_needs_confirming() {
    let (s, u) = server().await;
    let op = s.operator().await;
    let before = policy(&s, &u).await;

    // The warning names the admin's own address; nothing is saved.
    phase(&s, &u, "security", "lockout", &[]).await;
    assert_eq!(policy(&s, &u).await, before);

    // "Save anyway" applies it: the admin is then shut out of the tenant.
    phase(&s, &u, "security", "confirm", &[]).await;
    let p = get_json(&s, &op, "/api/v1/tenants/acme/policy").await;
    assert_eq!(p["ip_allowlist"], json!(["203.0.113.0/24"]));
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/tenant/policy")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "ip_not_allowed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_get_403_on_the_security_screens() {
    let (s, admin) = server().await;
    let member = s.user("acme", "tanaka", Role::Member).await;
    let before = policy(&s, &admin).await;
    phase(&s, &member, "security", "member", &[]).await;
    // The member's form post (with a valid CSRF token) changed nothing.
    assert_eq!(policy(&s, &admin).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_sets_a_tenants_policy() {
    let (s, _admin) = server().await;
    let op = s.operator().await;
    assert!(
        !op.password.is_empty(),
        "a fresh server has no operator yet"
    );
    phase(&s, &op, "security", "operator", &[]).await;
    // Set on acme (from an address outside its new allowlist: the operator
    // is not shut out of another tenant, so no confirmation was needed).
    let token = s.operator().await;
    let p = get_json(&s, &token, "/api/v1/tenants/acme/policy").await;
    assert_eq!(p["otp_required"], true);
    assert_eq!(p["ip_allowlist"], json!(["198.51.100.0/24"]));
    let mine = get_json(&s, &token, "/api/v1/tenant/policy").await;
    assert_eq!(
        mine["otp_required"], false,
        "the operator's own tenant is unchanged"
    );
    assert_eq!(mine["ip_allowlist"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_unlocks_resets_two_step_and_ends_sessions() {
    let (s, admin) = server().await;
    let bob = s.user("acme", "bob", Role::Member).await;
    // Carol has two-step verification on.
    let carol = s.user("acme", "carol", Role::Member).await;
    let mut carol_browser = crate::otp::Browser::new();
    assert_eq!(carol_browser.login(&s, &carol).await.0, StatusCode::OK);
    carol_browser.enrol(&s).await;
    assert_eq!(carol_browser.login(&s, &carol).await.1["next"], "otp");
    let r = call(&s, &admin, reqwest::Method::PUT, "/api/v1/tenant/policy")
        .json(&json!({"lockout_threshold": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A session of bob's, then three wrong passwords lock the account.
    let bob_browser = cookie_client();
    let r = bob_browser
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "bob", "password": bob.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me = || bob_browser.get(s.url("/api/v1/me")).send();
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    for _ in 0..3 {
        let r = api_login(&s, &bob, "a wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    problem(
        api_login(&s, &bob, &bob.password).await,
        StatusCode::LOCKED,
        "account_locked",
    )
    .await;

    phase(&s, &admin, "security", "unlock", &[]).await;

    // Bob signs in again; his old session was ended.
    assert_eq!(
        api_login(&s, &bob, &bob.password).await.status(),
        StatusCode::OK
    );
    assert_eq!(me().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // Carol signs in with her password alone again.
    let (status, v) = crate::otp::Browser::new().login(&s, &carol).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["user"]["otp_enabled"], false, "{v}");
    let audit = audit_actions(&s, "acme").await;
    assert!(
        audit.iter().any(|(a, t)| a == "otp.reset" && t == "carol"),
        "{audit:?}"
    );
    assert!(audit.iter().any(|(a, _)| a == "user.unlock"), "{audit:?}");
    assert!(
        audit
            .iter()
            .any(|(a, t)| a == "user.sessions_ended" && t == "bob"),
        "{audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_authorities_are_added_and_removed() {
    let (s, u) = server().await;
    let kept = Ca::new("Acme 社内 CA");
    let removed = Ca::new("Old Root");
    phase(
        &s,
        &u,
        "certificates",
        "run",
        &[
            ("KURA_CA_PEM", kept.pem.clone()),
            ("KURA_OLD_CA_PEM", removed.pem.clone()),
            ("KURA_CRL_PEM", kept.crl(&[7, 9])),
        ],
    )
    .await;
    let cas = get_json(&s, &u, "/api/v1/tenant/client-cas").await;
    let items = cas["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{cas}");
    assert!(
        items[0]["subject"]
            .as_str()
            .unwrap()
            .contains("Acme 社内 CA"),
        "{cas}"
    );
    let crl = get_json(&s, &u, "/api/v1/tenant/crl").await;
    assert_eq!(crl["crls"][0]["revoked"], 2, "{crl}");
    let audit = audit_actions(&s, "acme").await;
    assert_eq!(
        audit.iter().filter(|(a, _)| a == "client_ca.add").count(),
        2,
        "{audit:?}"
    );
    assert_eq!(
        audit
            .iter()
            .filter(|(a, _)| a == "client_ca.delete")
            .count(),
        1,
        "{audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detections_page_lists_an_eicar_upload() {
    let clamd = tokio::task::spawn_blocking(|| Clamd::start_limits(ClamdLimits::default()))
        .await
        .unwrap();
    let s = TestServer::start_scanning(Backend::Sqlite, &clamd.scan_config()).await;
    let u = s.tenant("acme", 1 << 30).await;
    let path = "/図面/ウイルス入りの見積書.com";
    let r = put(&s, &u, path, EICAR).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    let d = get_json(&s, &u, "/api/v1/detections").await;
    assert_eq!(d["items"][0]["path"], path, "{d}");
    phase(
        &s,
        &u,
        "detections",
        "run",
        &[("KURA_DETECTED_PATH", path.to_string())],
    )
    .await;
}
