//! The end user's security screens in a real browser: an expired password
//! replaced at sign-in, OTP enrolment forced at sign-in, a password reset by
//! token, and the account page (password, two-step verification, sessions,
//! tokens). Scenarios: tests/browser/scenarios/{signin_security,account}.mjs.
//! Plus the reset page's answers to bad tokens, without a browser.

use crate::browser::{scenario, server};
use crate::common::*;
use kura_core::Role;
use reqwest::Method;

/// The server's (injected) clock in Unix seconds: the scenario computes
/// passcodes for this time, not the machine's.
fn now_s(s: &TestServer) -> String {
    use kura_core::clock::Clock;
    (s.clock.now_ms() / 1000).to_string()
}

async fn set_policy(s: &TestServer, admin: &TestUser, body: Value) {
    let r = call(s, admin, Method::PUT, "/api/v1/tenant/policy")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{body}");
}

/// `POST /api/v1/session` with a fresh client; the status and answer.
async fn api_login(s: &TestServer, tenant: &str, login: &str, pw: &str) -> (StatusCode, Value) {
    let r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": tenant, "login": login, "password": pw}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The lines `KEY=value` the scenario printed.
fn printed(out: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    out.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_string)
        .collect()
}

async fn user_id(s: &TestServer, admin: &TestUser, login: &str) -> i64 {
    let v = get_json(s, admin, "/api/v1/users").await;
    let items = v["items"].as_array().or_else(|| v.as_array()).unwrap();
    items
        .iter()
        .find(|u| u["login"] == login)
        .and_then(|u| u["id"].as_i64())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_password_is_replaced_at_sign_in() {
    let (s, admin) = server().await;
    let bob = s.user("acme", "bob", Role::Member).await;
    set_policy(&s, &admin, json!({"password_max_age_days": 30})).await;
    s.clock.advance_ms(31 * 86_400_000);
    let (status, v) = api_login(&s, "acme", "bob", &bob.password).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_expired"))
    );
    let new_pw = "a brand new passphrase for bob";
    scenario(
        &s,
        &bob,
        "signin_security",
        &[
            ("KURA_PART", "expired".into()),
            ("KURA_NEW_PASSWORD", new_pw.into()),
        ],
    )
    .await;
    // The old password no longer works, the new one does (and is fresh).
    let (status, _) = api_login(&s, "acme", "bob", &bob.password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = api_login(&s, "acme", "bob", new_pw).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otp_enrolment_is_forced_at_sign_in() {
    let (s, admin) = server().await;
    let bob = s.user("acme", "bob", Role::Member).await;
    set_policy(&s, &admin, json!({"otp_required": true})).await;
    let (_, v) = api_login(&s, "acme", "bob", &bob.password).await;
    assert_eq!(v["next"], "otp_enrol", "{v}");
    let out = scenario(
        &s,
        &bob,
        "signin_security",
        &[("KURA_PART", "enrol".into()), ("KURA_NOW_S", now_s(&s))],
    )
    .await;
    // OTP is on: a new sign-in asks for a passcode, and a recovery code the
    // page showed completes it.
    let users = get_json(&s, &admin, "/api/v1/users").await;
    let list = users["items"]
        .as_array()
        .or_else(|| users.as_array())
        .unwrap();
    let b = list.iter().find(|u| u["login"] == "bob").unwrap();
    assert_eq!(b["otp_enabled"], true, "{b}");
    let codes = printed(&out, "RECOVERY");
    assert_eq!(codes.len(), 10, "{out}");
    let http = cookie_client();
    let r = http
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "bob", "password": bob.password}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["next"], "otp", "a later sign-in asks for a code: {v}");
    let r = http
        .post(s.url("/api/v1/session/otp"))
        .json(&json!({"code": codes[0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a shown recovery code works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_is_reset_with_a_token() {
    let (s, admin) = server().await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let id = user_id(&s, &admin, "bob").await;
    let issue = || async {
        let r = call(
            &s,
            &admin,
            Method::POST,
            &format!("/api/v1/users/{id}/password-reset"),
        )
        .send()
        .await
        .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // One token left to expire, then a good one.
    let expired = issue().await;
    s.clock.advance_ms(25 * 3_600_000);
    let good = issue().await;
    let new_pw = "reset passphrase chosen by bob";
    scenario(
        &s,
        &bob,
        "signin_security",
        &[
            ("KURA_PART", "reset".into()),
            ("KURA_EXPIRED_TOKEN", expired),
            ("KURA_RESET_TOKEN", good.clone()),
            ("KURA_NEW_PASSWORD", new_pw.into()),
        ],
    )
    .await;
    let (status, _) = api_login(&s, "acme", "bob", &bob.password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api_login(&s, "acme", "bob", new_pw).await;
    assert_eq!(status, StatusCode::OK);
    // The token worked once.
    let r = client()
        .post(s.url("/api/v1/password-reset"))
        .json(&json!({"token": good, "new_password": "yet another passphrase here"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_reset_token").await;
}

/// The reset page without a browser: an unknown token and an expired one
/// get the same status and the same page; without the form token nothing
/// is tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_page_answers_every_bad_token_alike() {
    let (s, admin) = server().await;
    let _bob = s.user("acme", "bob", Role::Member).await;
    let id = user_id(&s, &admin, "bob").await;
    let r = call(
        &s,
        &admin,
        Method::POST,
        &format!("/api/v1/users/{id}/password-reset"),
    )
    .send()
    .await
    .unwrap();
    let expired = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    s.clock.advance_ms(25 * 3_600_000);

    let http = cookie_client();
    let page = http.get(s.url("/ui/reset")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let post = |token: String, csrf: String| {
        let http = http.clone();
        let url = s.url("/ui/reset");
        async move {
            let r = http
                .post(url)
                .header("accept-language", "en")
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("token", token.as_str()),
                    ("new_password", "a long enough passphrase"),
                    ("new_password2", "a long enough passphrase"),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body = r.text().await.unwrap();
            let error = body
                .split("id=\"reset-error\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap_or_default()
                .to_string();
            (status, error)
        }
    };
    let unknown = post(format!("kura_reset_{}", "x".repeat(32)), csrf.clone()).await;
    let old = post(expired.clone(), csrf.clone()).await;
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST);
    assert!(
        unknown.1.contains("reset token is not valid"),
        "{unknown:?}"
    );
    assert_eq!(unknown, old, "one answer for unknown and expired tokens");
    let forged = post(expired, "0".repeat(32)).await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN, "{forged:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_manages_password_otp_sessions_and_tokens() {
    let (s, _admin) = server().await;
    let bob = s.user("acme", "bob", Role::Member).await;
    // Another device's session, to be ended from the page.
    let laptop = cookie_client();
    let r = laptop
        .post(s.url("/api/v1/session"))
        .header(
            "user-agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .json(&json!({"tenant": "acme", "login": "bob", "password": bob.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me = |c: reqwest::Client| {
        let url = s.url("/api/v1/me");
        async move { c.get(url).send().await.unwrap().status() }
    };
    assert_eq!(me(laptop.clone()).await, StatusCode::OK);
    let new_pw = "bob changed this passphrase";
    let out = scenario(
        &s,
        &bob,
        "account",
        &[
            ("KURA_NOW_S", now_s(&s)),
            ("KURA_NEW_PASSWORD", new_pw.into()),
        ],
    )
    .await;
    assert_eq!(
        me(laptop).await,
        StatusCode::UNAUTHORIZED,
        "the other session was ended"
    );
    // The token the page showed is revoked now.
    let tokens = printed(&out, "TOKEN");
    assert_eq!(tokens.len(), 1, "{out}");
    let r = client()
        .get(s.url("/api/v1/me"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The password changed.
    let (status, _) = api_login(&s, "acme", "bob", &bob.password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = api_login(&s, "acme", "bob", new_pw).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Two-step verification was turned on, then off again with a recovery code.
    assert_eq!(v["user"]["otp_enabled"], false, "{v}");
}
