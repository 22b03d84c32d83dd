//! One-time passcodes: enrolment, the two-step sign-in and its bypass
//! attempts, recovery codes, the tenant's "OTP required" policy, lockout, an
//! admin's reset; and app passwords with a read-only scope.

use crate::common::*;
use kura_auth::otp::code_at;
use kura_core::Role;
use reqwest::Method;

both!(
    enrolment_then_two_step_sign_in,
    codes_are_accepted_one_step_either_way_and_once,
    recovery_codes_work_once_each,
    otp_required_policy_forces_enrolment_at_sign_in,
    wrong_codes_count_towards_the_lockout,
    admins_reset_otp_of_their_own_tenant_only,
    read_only_app_passwords_cannot_change_anything,
);

/// A browser: a cookie jar and the CSRF token of its session.
pub(crate) struct Browser {
    http: reqwest::Client,
    csrf: String,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Self {
            http: cookie_client(),
            csrf: String::new(),
        }
    }

    /// `POST /api/v1/session`; keeps the CSRF token of the answer.
    pub(crate) async fn login(&mut self, s: &TestServer, u: &TestUser) -> (StatusCode, Value) {
        let r = self
            .http
            .post(s.url("/api/v1/session"))
            .header("user-agent", "otp-test-browser/1.0")
            .json(&json!({"tenant": u.tenant, "login": u.login, "password": u.password}))
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    async fn keep(&mut self, r: reqwest::Response) -> (StatusCode, Value) {
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if let Some(c) = v["csrf_token"].as_str() {
            self.csrf = c.to_string();
        }
        (status, v)
    }

    fn req(&self, s: &TestServer, m: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(m, s.url(path))
            .header("x-csrf-token", &self.csrf)
            .header("user-agent", "otp-test-browser/1.0")
    }

    async fn otp(&mut self, s: &TestServer, code: &str) -> reqwest::Response {
        self.req(s, Method::POST, "/api/v1/session/otp")
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap()
    }

    async fn me(&self, s: &TestServer) -> reqwest::Response {
        self.req(s, Method::GET, "/api/v1/me").send().await.unwrap()
    }

    /// Enrols with the current code; returns the secret and recovery codes.
    pub(crate) async fn enrol(&mut self, s: &TestServer) -> (String, Vec<String>) {
        let r = self
            .req(s, Method::POST, "/api/v1/me/otp")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let e: Value = r.json().await.unwrap();
        let secret = e["secret"].as_str().unwrap().to_string();
        let code = code_at(&secret, now_s(s), 6).unwrap();
        let r = self
            .req(s, Method::POST, "/api/v1/me/otp/confirm")
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap();
        let (status, v) = self.keep(r).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let codes: Vec<String> = v["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        (secret, codes)
    }

    /// Signs out (with the CSRF token of the current session, from /me).
    async fn logout(&mut self, s: &TestServer) {
        let r = self.me(s).await;
        let (status, v) = self.keep(r).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let r = self
            .req(s, Method::DELETE, "/api/v1/session")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
}

/// The server's (injected) clock in Unix seconds.
fn now_s(s: &TestServer) -> u64 {
    use kura_core::clock::Clock;
    u64::try_from(s.clock.now_ms() / 1000).unwrap()
}

fn step_code(secret: &str, s: &TestServer, steps: i64) -> String {
    let t = i64::try_from(now_s(s)).unwrap() + steps * 30;
    code_at(secret, u64::try_from(t).unwrap(), 6).unwrap()
}

fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn enrolment_then_two_step_sign_in(b: Backend) {
    let s = TestServer::start(b).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let mut br = Browser::new();
    assert_eq!(br.login(&s, &bob).await.0, StatusCode::OK);

    // Enrolment: the URI and QR code are what authenticator apps expect.
    let r = br
        .req(&s, Method::POST, "/api/v1/me/otp")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let e: Value = r.json().await.unwrap();
    let secret = e["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32, "160-bit base32 secret");
    let url = e["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Kura:acme%2Fbob?"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    assert!(e["qr_svg"].as_str().unwrap().starts_with("<svg"));
    // Without the CSRF token, nothing starts.
    let r = br
        .http
        .post(s.url("/api/v1/me/otp/confirm"))
        .json(&json!({"code": step_code(&secret, &s, 0)}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
    // A wrong first code does not turn OTP on.
    let wrong = if step_code(&secret, &s, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = br
        .req(&s, Method::POST, "/api/v1/me/otp/confirm")
        .json(&json!({"code": wrong}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "invalid_otp").await;
    let code0 = step_code(&secret, &s, 0);
    let r = br
        .req(&s, Method::POST, "/api/v1/me/otp/confirm")
        .json(&json!({"code": code0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, v) = br.keep(r).await;
    assert_eq!(v["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(v["user"]["otp_enabled"], true);
    assert_eq!(
        br.me(&s).await.status(),
        StatusCode::OK,
        "the new session works"
    );
    // Enrolling again is refused while OTP is on.
    let r = br
        .req(&s, Method::POST, "/api/v1/me/otp")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "otp_already_enabled").await;
    br.logout(&s).await;

    // The password alone gives a half session that can do nothing else.
    let (status, v) = br.login(&s, &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["next"], "otp", "{v}");
    assert!(v.get("user").is_none(), "{v}");
    problem(br.me(&s).await, StatusCode::UNAUTHORIZED, "otp_required").await;
    for (m, path) in [
        (Method::GET, "/api/v1/folders"),
        (Method::PUT, "/api/v1/files/x.txt"),
        (Method::GET, "/api/v1/tokens"),
        (Method::POST, "/api/v1/tokens"),
        (Method::GET, "/api/v1/me/sessions"),
        (Method::POST, "/api/v1/me/password"),
        (Method::GET, "/api/v1/me/otp"),
        // A half session must not set up a new secret to get past the step.
        (Method::POST, "/api/v1/me/otp"),
        (Method::POST, "/api/v1/me/otp/confirm"),
    ] {
        let r = br
            .req(&s, m.clone(), path)
            .json(&json!({"name": "x", "code": "123456"}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::UNAUTHORIZED, "otp_required").await;
    }
    // The code used for enrolment is spent: replaying it fails.
    problem(
        br.otp(&s, &code0).await,
        StatusCode::UNAUTHORIZED,
        "invalid_otp",
    )
    .await;
    // Next step's code completes it, with a new session id.
    let half_cookie = {
        let r = br.login(&s, &bob).await;
        assert_eq!(r.1["next"], "otp");
        br.http
            .get(s.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(half_cookie, StatusCode::UNAUTHORIZED);
    s.clock.advance_ms(30_000);
    let code1 = step_code(&secret, &s, 0);
    let r = br.otp(&s, &code1).await;
    assert_eq!(r.status(), StatusCode::OK);
    let full = session_cookie(&r);
    let (_, v) = br.keep(r).await;
    assert_eq!(v["user"]["login"], "bob");
    assert_eq!(br.me(&s).await.status(), StatusCode::OK);
    // The same code cannot sign in a second browser.
    let mut other = Browser::new();
    assert_eq!(other.login(&s, &bob).await.1["next"], "otp");
    problem(
        other.otp(&s, &code1).await,
        StatusCode::UNAUTHORIZED,
        "invalid_otp",
    )
    .await;
    // A half session's cookie is not the full one.
    assert!(full.starts_with("kura_session="));
    let r = client()
        .get(s.url("/api/v1/me"))
        .header("cookie", &full)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Audit: enrolment and use, with the user agent.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    for action in [
        "otp.enrol_start",
        "otp.enrol",
        "login.otp_due",
        "otp.success",
        "otp.failure",
    ] {
        let e = events
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} event"));
        assert_eq!(
            e.user_agent.as_deref(),
            Some("otp-test-browser/1.0"),
            "{action}"
        );
        assert!(e.ip.is_some(), "{action}");
    }
}

async fn codes_are_accepted_one_step_either_way_and_once(b: Backend) {
    let s = TestServer::start(b).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let mut br = Browser::new();
    br.login(&s, &bob).await;
    let (secret, _) = br.enrol(&s).await;
    br.logout(&s).await;
    s.clock.advance_ms(5 * 30_000);

    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    // Two steps old: refused. One step old: accepted.
    let two_back = step_code(&secret, &s, -2);
    let one_back = step_code(&secret, &s, -1);
    if two_back != one_back && two_back != step_code(&secret, &s, 0) {
        problem(
            br.otp(&s, &two_back).await,
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        )
        .await;
    }
    assert_eq!(br.otp(&s, &one_back).await.status(), StatusCode::OK);
    br.logout(&s).await;

    // One step ahead: accepted; two ahead: refused.
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    let two_ahead = step_code(&secret, &s, 2);
    let one_ahead = step_code(&secret, &s, 1);
    if two_ahead != one_ahead && two_ahead != step_code(&secret, &s, 0) {
        problem(
            br.otp(&s, &two_ahead).await,
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        )
        .await;
    }
    assert_eq!(br.otp(&s, &one_ahead).await.status(), StatusCode::OK);
    br.logout(&s).await;

    // The current step is older than one already used: refused (a code is
    // never accepted twice, nor an older one after a newer).
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    let now_code = step_code(&secret, &s, 0);
    if now_code != one_ahead {
        problem(
            br.otp(&s, &now_code).await,
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        )
        .await;
    }
    s.clock.advance_ms(60_000);
    assert_eq!(
        br.otp(&s, &step_code(&secret, &s, 0)).await.status(),
        StatusCode::OK
    );
}

async fn recovery_codes_work_once_each(b: Backend) {
    let s = TestServer::start(b).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let mut br = Browser::new();
    br.login(&s, &bob).await;
    let (_, codes) = br.enrol(&s).await;
    br.logout(&s).await;

    // As typed by a person: lower case, spaces instead of dashes.
    let typed = codes[0].to_lowercase().replace('-', " ");
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    assert_eq!(br.otp(&s, &typed).await.status(), StatusCode::OK);
    let r = br
        .req(&s, Method::GET, "/api/v1/me/otp")
        .send()
        .await
        .unwrap();
    let st: Value = r.json().await.unwrap();
    assert_eq!(st["enabled"], true);
    assert_eq!(st["recovery_codes_left"], 9);
    br.logout(&s).await;

    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    problem(
        br.otp(&s, &codes[0]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_otp",
    )
    .await;
    problem(
        br.otp(&s, "ZZZZ-ZZZZ-ZZZZ-ZZZZ").await,
        StatusCode::UNAUTHORIZED,
        "invalid_otp",
    )
    .await;
    assert_eq!(br.otp(&s, &codes[1]).await.status(), StatusCode::OK);

    // New codes replace the old ones.
    let r = br.me(&s).await;
    br.keep(r).await;
    let r = br
        .req(&s, Method::POST, "/api/v1/me/otp/recovery-codes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let fresh: Value = r.json().await.unwrap();
    let fresh: Vec<String> = fresh["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(fresh.len(), 10);
    br.logout(&s).await;
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    problem(
        br.otp(&s, &codes[2]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_otp",
    )
    .await;
    assert_eq!(br.otp(&s, &fresh[0]).await.status(), StatusCode::OK);

    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "otp.recovery_code_used")
            .count(),
        3
    );
}

async fn otp_required_policy_forces_enrolment_at_sign_in(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let r = call(&s, &admin, Method::PUT, "/api/v1/tenant/policy")
        .json(&json!({"otp_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["otp_required"], true);

    let mut br = Browser::new();
    let (status, v) = br.login(&s, &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["next"], "otp_enrol", "{v}");
    problem(br.me(&s).await, StatusCode::UNAUTHORIZED, "otp_required").await;
    let r = br
        .req(&s, Method::GET, "/api/v1/folders")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "otp_required").await;
    // No passcode can be due before one exists.
    problem(
        br.otp(&s, "123456").await,
        StatusCode::UNAUTHORIZED,
        "otp_required",
    )
    .await;
    // Enrolment completes the sign-in.
    let (secret, _) = br.enrol(&s).await;
    let r = br.me(&s).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["user"]["otp_enabled"],
        true
    );
    // Turning it off is not allowed under this policy.
    let r = br
        .req(&s, Method::DELETE, "/api/v1/me/otp")
        .json(&json!({"code": step_code(&secret, &s, 1)}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    // Next time, the passcode step.
    br.logout(&s).await;
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");

    // An app password never asks for OTP: that is what they are for.
    assert_eq!(
        call(&s, &bob, Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

async fn wrong_codes_count_towards_the_lockout(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let r = call(&s, &admin, Method::PUT, "/api/v1/tenant/policy")
        .json(&json!({"lockout_threshold": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut br = Browser::new();
    br.login(&s, &bob).await;
    let (secret, _) = br.enrol(&s).await;
    br.logout(&s).await;
    s.clock.advance_ms(30_000);
    let right = step_code(&secret, &s, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };

    // Two wrong codes, a new sign-in (the right password does not clear
    // them), two more: locked, and the half session is gone.
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    for _ in 0..2 {
        problem(
            br.otp(&s, wrong).await,
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        )
        .await;
    }
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    for _ in 0..2 {
        problem(
            br.otp(&s, wrong).await,
            StatusCode::UNAUTHORIZED,
            "invalid_otp",
        )
        .await;
    }
    problem(
        br.otp(&s, &right).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let (status, v) = br.login(&s, &bob).await;
    assert_eq!(status, StatusCode::LOCKED, "{v}");
    assert_eq!(v["code"], "account_locked");

    // The admin unlocks; the right code works.
    let bob_id = user_id(&s, &admin, "bob").await;
    let r = call(
        &s,
        &admin,
        Method::POST,
        &format!("/api/v1/users/{bob_id}/unlock"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp");
    assert_eq!(br.otp(&s, &right).await.status(), StatusCode::OK);
}

async fn user_id(s: &TestServer, admin: &TestUser, login: &str) -> i64 {
    let r = call(s, admin, Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == login)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn admins_reset_otp_of_their_own_tenant_only(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let carol = s.user("acme", "carol", Role::Member).await;
    let mut br = Browser::new();
    br.login(&s, &bob).await;
    br.enrol(&s).await;
    br.logout(&s).await;
    let bob_id = user_id(&s, &admin, "bob").await;
    let path = format!("/api/v1/users/{bob_id}/otp");

    let r = call(&s, &other, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, &carol, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(br.login(&s, &bob).await.1["next"], "otp", "still on");

    let r = call(&s, &admin, Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, v) = br.login(&s, &bob).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["user"]["otp_enabled"], false, "{v}");
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    assert!(events.iter().any(|e| e.action == "otp.reset"));
}

async fn read_only_app_passwords_cannot_change_anything(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        put(&s, &admin, "/図面/a.txt", "hello").await.status(),
        StatusCode::CREATED
    );
    let r = call(&s, &admin, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "backup script", "scope": "read_only", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["scope"], "read_only");
    let ro = TestUser {
        token: v["token"].as_str().unwrap().to_string(),
        ..admin.clone()
    };
    let id = v["id"].as_i64().unwrap();

    // Reading works.
    let r = get(&s, &ro, "/図面/a.txt").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "hello");
    assert_eq!(
        listing(&s, &ro, "/図面", "").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Anything that changes something does not, admin rights or not.
    problem(
        put(&s, &ro, "/図面/b.txt", "x").await,
        StatusCode::FORBIDDEN,
        "read_only_token",
    )
    .await;
    for (m, path, body) in [
        (
            Method::DELETE,
            "/api/v1/files/%E5%9B%B3%E9%9D%A2/a.txt",
            json!({}),
        ),
        (Method::POST, "/api/v1/folders/new", json!({})),
        (
            Method::POST,
            "/api/v1/move",
            json!({"from": "/図面/a.txt", "to": "/b.txt"}),
        ),
        (Method::POST, "/api/v1/tokens", json!({"name": "stronger"})),
        (
            Method::POST,
            "/api/v1/users",
            json!({"login": "eve", "role": "admin", "password": "a long password 123"}),
        ),
        (
            Method::PUT,
            "/api/v1/tenant/policy",
            json!({"ip_allowlist": []}),
        ),
        (Method::DELETE, &format!("/api/v1/tokens/{id}"), json!({})),
    ] {
        let r = call(&s, &ro, m.clone(), path)
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN, "read_only_token").await;
    }
    assert_eq!(
        get(&s, &admin, "/図面/a.txt").await.status(),
        StatusCode::OK
    );

    // The list shows the scope; a bad scope is refused; revoked means gone.
    let r = call(&s, &admin, Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(item["scope"], "read_only");
    assert!(item["last_used"].is_string(), "{item}");
    let r = call(&s, &admin, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "x", "scope": "admin"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = call(&s, &admin, Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(
        get(&s, &ro, "/図面/a.txt").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

both!(authentication_events_are_audited_with_client_and_user_agent);

async fn authentication_events_are_audited_with_client_and_user_agent(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let ua_header = "audit-probe/2.0";
    let bob_id = user_id(&s, &admin, "bob").await;
    // A failed sign-in of a real account.
    let r = client()
        .post(s.url("/api/v1/session"))
        .header("user-agent", ua_header)
        .json(&json!({"tenant": "acme", "login": "bob", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    // Token creation and its first use.
    let r = call(&s, &bob, Method::POST, "/api/v1/tokens")
        .header("user-agent", ua_header)
        .json(&json!({"name": "sync"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = client()
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("user-agent", ua_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A request from outside the tenant's allowlist.
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
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("user-agent", ua_header)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "ip_not_allowed").await;

    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    for action in ["login.failure", "token.create", "token.use", "ip.refused"] {
        let e = events
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} event in {events:?}"));
        assert_eq!(e.user_id, Some(bob_id), "{action}");
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{action}");
        assert_eq!(e.user_agent.as_deref(), Some(ua_header), "{action}");
    }
}

both!(app_passwords_work_over_basic_auth_and_real_passwords_do_not);

async fn app_passwords_work_over_basic_auth_and_real_passwords_do_not(b: Backend) {
    let s = TestServer::start(b).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let carol = s.user("acme", "carol", Role::Member).await;
    assert_eq!(
        put(&s, &bob, "/写真/a.jpg", "jpeg").await.status(),
        StatusCode::CREATED
    );
    let basic = |user: &str, pw: &str, m: Method, path: &str| {
        client().request(m, s.url(path)).basic_auth(user, Some(pw))
    };
    let file = format!("/api/v1/files{}", enc("/写真/a.jpg"));
    // The app password with its owner's name (any case) reads and writes.
    let r = basic("acme/BOB", &bob.token, Method::GET, &file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "jpeg");
    let r = basic("acme/bob", &bob.token, Method::PUT, &file)
        .body("jpeg v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Someone else's name with bob's token, the real password, another
    // tenant, or no tenant: refused alike.
    for (user, pw) in [
        ("acme/carol", bob.token.as_str()),
        ("acme/bob", bob.password.as_str()),
        ("globex/bob", bob.token.as_str()),
        ("bob", bob.token.as_str()),
        ("acme/carol", carol.password.as_str()),
    ] {
        let r = basic(user, pw, Method::GET, &file).send().await.unwrap();
        problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    // A read-only app password stays read-only over Basic.
    let r = call(&s, &bob, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "camera", "scope": "read_only"}))
        .send()
        .await
        .unwrap();
    let ro = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        basic("acme/bob", &ro, Method::GET, &file)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = basic("acme/bob", &ro, Method::DELETE, &file)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "read_only_token").await;
}
