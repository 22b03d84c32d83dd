//! Password policy (length, common passwords) and lockout after failed sign-ins.

use crate::common::*;
use reqwest::Method;

both!(
    users_list_and_end_their_sessions_and_admins_end_all,
    session_idle_time_follows_the_tenant_policy,
    session_lifetime_follows_the_tenant_policy,
    changing_a_password_ends_other_sessions,
    admin_reset_token_works_once_and_ends_sessions,
    expired_passwords_are_replaced_at_sign_in,
    failures_from_one_address_are_throttled,
    passwords_follow_the_tenant_policy,
    repeated_failures_lock_the_account_until_unlocked_or_expired,
);

async fn create_user(s: &TestServer, admin: &TestUser, login: &str, pw: &str) -> reqwest::Response {
    call(s, admin, Method::POST, "/api/v1/users")
        .json(&json!({"login": login, "role": "member", "password": pw}))
        .send()
        .await
        .unwrap()
}

async fn login(s: &TestServer, tenant: &str, login: &str, pw: &str) -> reqwest::Response {
    client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": tenant, "login": login, "password": pw}))
        .send()
        .await
        .unwrap()
}

/// `n` sign-ins as bob with a wrong password, each refused with the generic error.
async fn wrong_passwords(s: &TestServer, n: usize) {
    for _ in 0..n {
        problem(
            login(s, "acme", "bob", "wrong password!").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
}

async fn set_policy(s: &TestServer, u: &TestUser, body: Value) -> reqwest::Response {
    call(s, u, Method::PUT, "/api/v1/tenant/policy")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn passwords_follow_the_tenant_policy(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let p = problem(
        create_user(&s, &admin, "u1", "short-pw").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("at least 12"), "{p}");
    // Long enough, but on the common-password list (any case).
    let p = problem(
        create_user(&s, &admin, "u1", "QWERTYUIOP123").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("commonly used"),
        "{p}"
    );
    // No composition rules; characters, not bytes, are counted.
    assert_eq!(
        create_user(&s, &admin, "u1", "東京都千代田区丸の内一丁目")
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        create_user(&s, &admin, "u2", "all lower case words")
            .await
            .status(),
        StatusCode::CREATED
    );

    let r = call(&s, &admin, Method::GET, "/api/v1/tenant/policy")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"ip_allowlist": [], "admin_ip_allowlist": [], "password_min_length": 12,
               "lockout_threshold": 10, "lockout_minutes": 15, "password_max_age_days": null,
               "session_idle_minutes": 720, "session_max_hours": 168, "otp_required": false,
               "sso_only": false, "client_cert_required": false})
    );
    for bad in [
        json!({"password_min_length": 4}),
        json!({"lockout_threshold": -1}),
        json!({"lockout_minutes": 0}),
        json!({"colour": 1}),
    ] {
        let r = set_policy(&s, &admin, bad.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = set_policy(&s, &admin, json!({"password_min_length": 20})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["password_min_length"], 20);
    problem(
        create_user(&s, &admin, "u3", "seventeen-chars-x").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(
        create_user(&s, &admin, "u3", "twenty-characters-long")
            .await
            .status(),
        StatusCode::CREATED
    );
    // Members cannot see or change it; another tenant keeps the default.
    let m = s.user("acme", "member9", kura_core::Role::Member).await;
    problem(
        set_policy(&s, &m, json!({"password_min_length": 8})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let other = s.tenant("globex", 1 << 30).await;
    let r = call(&s, &other, Method::GET, "/api/v1/tenant/policy")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["password_min_length"], 12);
}

async fn repeated_failures_lock_the_account_until_unlocked_or_expired(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let bob2 = s.user("globex", "bob", kura_core::Role::Member).await;
    let r = set_policy(
        &s,
        &admin,
        json!({"lockout_threshold": 3, "lockout_minutes": 15}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A success in between starts the count again.
    wrong_passwords(&s, 2).await;
    assert_eq!(
        login(&s, "acme", "bob", &bob.password).await.status(),
        StatusCode::OK
    );
    wrong_passwords(&s, 2).await;
    assert_eq!(
        login(&s, "acme", "bob", &bob.password).await.status(),
        StatusCode::OK
    );

    // Three in a row lock it.
    wrong_passwords(&s, 3).await;
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::LOCKED,
        "account_locked",
    )
    .await;
    // A wrong password learns nothing new.
    problem(
        login(&s, "acme", "bob", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // The same login in another tenant is not affected.
    assert_eq!(
        login(&s, "globex", "bob", &bob2.password).await.status(),
        StatusCode::OK
    );
    // Admins see the lock and can lift it.
    let users: Value = call(&s, &admin, Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "bob")
        .unwrap()
        .clone();
    assert!(entry["locked_until"].is_string(), "{entry}");
    let id = entry["id"].as_i64().unwrap();
    problem(
        call(
            &s,
            &other,
            Method::POST,
            &format!("/api/v1/users/{id}/unlock"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = call(
        &s,
        &admin,
        Method::POST,
        &format!("/api/v1/users/{id}/unlock"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        login(&s, "acme", "bob", &bob.password).await.status(),
        StatusCode::OK
    );

    // Locked again, it opens by itself after lockout_minutes.
    wrong_passwords(&s, 3).await;
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::LOCKED,
        "account_locked",
    )
    .await;
    s.clock.advance_ms(14 * 60_000);
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::LOCKED,
        "account_locked",
    )
    .await;
    s.clock.advance_ms(2 * 60_000);
    assert_eq!(
        login(&s, "acme", "bob", &bob.password).await.status(),
        StatusCode::OK
    );

    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let actions: Vec<String> = s
        .svc
        .db()
        .audit_events(t.id, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "login.lockout").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a == "user.unlock"));
    assert!(actions.iter().any(|a| a == "login.locked"));
}

async fn failures_from_one_address_are_throttled(b: Backend) {
    let cfg = kura_service::ServiceConfig {
        login_failures_per_ip: 5,
        login_failure_window_ms: 60_000,
        ..kura_service::ServiceConfig::default()
    };
    let s = TestServer::start_with(b, cfg, kura_http::HttpConfig::default()).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let carol = s.user("acme", "carol", kura_core::Role::Member).await;
    // Spraying many (even unknown) accounts from one address.
    for i in 0..5 {
        problem(
            login(&s, "acme", &format!("user{i}"), "guess-guess-guess").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let r = login(&s, "acme", "carol", &carol.password).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    problem(r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    // Tokens still work: only sign-in is throttled.
    assert_eq!(
        call(&s, &carol, Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The window passes.
    s.clock.advance_ms(61_000);
    assert_eq!(
        login(&s, "acme", "carol", &carol.password).await.status(),
        StatusCode::OK
    );
    // Carol's own account was never locked by the spraying.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    assert_eq!(
        s.svc
            .db()
            .user_by_login(t.id, "carol")
            .await
            .unwrap()
            .failed_logins,
        0
    );
}

/// Signs in with a cookie client; returns it and its CSRF token.
async fn session(
    s: &TestServer,
    tenant: &str,
    login_id: &str,
    pw: &str,
) -> (reqwest::Client, String) {
    let c = cookie_client();
    let r = c
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": tenant, "login": login_id, "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    (c, csrf)
}

async fn me_status(s: &TestServer, c: &reqwest::Client) -> StatusCode {
    c.get(s.url("/api/v1/me")).send().await.unwrap().status()
}

async fn changing_a_password_ends_other_sessions(b: Backend) {
    let s = TestServer::start(b).await;
    let _admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let (laptop, csrf) = session(&s, "acme", "bob", &bob.password).await;
    let (phone, _) = session(&s, "acme", "bob", &bob.password).await;
    let change = |current: &str, new: &str| {
        laptop
            .post(s.url("/api/v1/me/password"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    problem(
        change("not my password", "a brand new passphrase")
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    problem(
        change(&bob.password, "password1234").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    problem(
        change(&bob.password, &bob.password).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(
        me_status(&s, &phone).await,
        StatusCode::OK,
        "nothing changed yet"
    );
    assert_eq!(
        change(&bob.password, "a brand new passphrase")
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    // This session goes on; the other one has ended.
    assert_eq!(me_status(&s, &laptop).await, StatusCode::OK);
    assert_eq!(me_status(&s, &phone).await, StatusCode::UNAUTHORIZED);
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        login(&s, "acme", "bob", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn admin_reset_token_works_once_and_ends_sessions(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let (old, _) = session(&s, "acme", "bob", &bob.password).await;
    // Lock bob out first: the reset lifts the lock too.
    set_policy(&s, &admin, json!({"lockout_threshold": 2})).await;
    wrong_passwords(&s, 2).await;
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::LOCKED,
        "account_locked",
    )
    .await;
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let id = s.svc.db().user_by_login(t.id, "bob").await.unwrap().id;
    let url = format!("/api/v1/users/{id}/password-reset");
    problem(
        call(&s, &other, Method::POST, &url).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = call(&s, &admin, Method::POST, &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(token.starts_with("kura_reset_"));
    let finish = |tok: String, pw: &'static str| {
        client()
            .post(s.url("/api/v1/password-reset"))
            .json(&json!({"token": tok, "new_password": pw}))
            .send()
    };
    problem(
        finish(token.clone(), "short").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(
        finish(token.clone(), "reset by the admin today")
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(
        finish(token.clone(), "and once more please").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_reset_token",
    )
    .await;
    problem(
        finish("kura_reset_forged".into(), "and once more please")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_reset_token",
    )
    .await;
    assert_eq!(
        me_status(&s, &old).await,
        StatusCode::UNAUTHORIZED,
        "old sessions ended"
    );
    assert_eq!(
        login(&s, "acme", "bob", "reset by the admin today")
            .await
            .status(),
        StatusCode::OK
    );
    // An unused token expires after a day.
    let r = call(&s, &admin, Method::POST, &url).send().await.unwrap();
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    s.clock.advance_ms(25 * 3_600_000);
    problem(
        finish(token, "too late for this one").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_reset_token",
    )
    .await;
    let actions: Vec<String> = s
        .svc
        .db()
        .audit_events(t.id, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().any(|a| a == "user.password_reset_issued"));
    assert!(actions.iter().any(|a| a == "user.password_reset"));
}

async fn expired_passwords_are_replaced_at_sign_in(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let r = set_policy(&s, &admin, json!({"password_max_age_days": 30})).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["password_max_age_days"],
        30
    );
    assert_eq!(
        login(&s, "acme", "bob", &bob.password).await.status(),
        StatusCode::OK
    );
    s.clock.advance_ms(31 * 86_400_000);
    problem(
        login(&s, "acme", "bob", &bob.password).await,
        StatusCode::FORBIDDEN,
        "password_expired",
    )
    .await;
    // A wrong password still gets the usual answer.
    problem(
        login(&s, "acme", "bob", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let with_new = |pw: &str, new: &str| {
        client()
            .post(s.url("/api/v1/session"))
            .json(&json!({"tenant": "acme", "login": "bob", "password": pw, "new_password": new}))
            .send()
    };
    problem(
        with_new(&bob.password, "12345678").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(
        with_new(&bob.password, "renewed for this month")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&s, "acme", "bob", "renewed for this month")
            .await
            .status(),
        StatusCode::OK
    );
    // Lifting the limit.
    let r = set_policy(&s, &admin, json!({"password_max_age_days": null})).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["password_max_age_days"],
        Value::Null
    );
    s.clock.advance_ms(400 * 86_400_000);
    assert_eq!(
        login(&s, "acme", "bob", "renewed for this month")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn session_idle_time_follows_the_tenant_policy(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let r = set_policy(&s, &admin, json!({"session_idle_minutes": 2})).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = set_policy(&s, &admin, json!({"session_idle_minutes": 10})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["session_idle_minutes"], 10);
    let (c, _) = session(&s, "acme", "bob", &bob.password).await;
    s.clock.advance_ms(9 * 60_000);
    assert_eq!(
        me_status(&s, &c).await,
        StatusCode::OK,
        "activity within 10 minutes"
    );
    s.clock.advance_ms(9 * 60_000);
    assert_eq!(
        me_status(&s, &c).await,
        StatusCode::OK,
        "the last request extended it"
    );
    s.clock.advance_ms(11 * 60_000);
    assert_eq!(
        me_status(&s, &c).await,
        StatusCode::UNAUTHORIZED,
        "idle too long"
    );
    // null goes back to the server default (12 hours).
    let r = set_policy(&s, &admin, json!({"session_idle_minutes": null})).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["session_idle_minutes"],
        720
    );
}

async fn session_lifetime_follows_the_tenant_policy(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let r = set_policy(&s, &admin, json!({"session_max_hours": 0})).await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = set_policy(&s, &admin, json!({"session_max_hours": 1})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["session_max_hours"], 1);
    let (c, _) = session(&s, "acme", "bob", &bob.password).await;
    // Busy all the time, but an hour after sign-in the session ends.
    for _ in 0..5 {
        s.clock.advance_ms(11 * 60_000);
        assert_eq!(me_status(&s, &c).await, StatusCode::OK, "within the hour");
    }
    s.clock.advance_ms(6 * 60_000);
    assert_eq!(
        me_status(&s, &c).await,
        StatusCode::UNAUTHORIZED,
        "past the absolute lifetime"
    );
    // null goes back to the server default (7 days).
    let r = set_policy(&s, &admin, json!({"session_max_hours": null})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["session_max_hours"], 168);
}

async fn users_list_and_end_their_sessions_and_admins_end_all(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    let (laptop, csrf) = session(&s, "acme", "bob", &bob.password).await;
    let (phone, _) = session(&s, "acme", "bob", &bob.password).await;
    // Each sign-in gets its own session id.
    let list: Value = laptop
        .get(s.url("/api/v1/me/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{list}");
    assert_ne!(items[0]["id"], items[1]["id"]);
    assert_eq!(items.iter().filter(|i| i["current"] == true).count(), 1);
    assert!(items.iter().all(|i| i["ip"] == "127.0.0.1"));
    let phone_id = items.iter().find(|i| i["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Someone else cannot end it.
    problem(
        call(
            &s,
            &admin,
            Method::DELETE,
            &format!("/api/v1/me/sessions/{phone_id}"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(me_status(&s, &phone).await, StatusCode::OK);
    let r = laptop
        .delete(s.url(&format!("/api/v1/me/sessions/{phone_id}")))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&s, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&s, &laptop).await, StatusCode::OK);
    // An admin ends all of bob's sessions; another tenant's admin cannot.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let id = s.svc.db().user_by_login(t.id, "bob").await.unwrap().id;
    let url = format!("/api/v1/users/{id}/sessions");
    problem(
        call(&s, &other, Method::DELETE, &url).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        call(&s, &bob, Method::DELETE, &url).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let r = call(&s, &admin, Method::DELETE, &url).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["ended"], 1);
    assert_eq!(me_status(&s, &laptop).await, StatusCode::UNAUTHORIZED);
}
