//! Single sign-on against a forged provider: a small server in the test that
//! publishes a discovery document and answers the token request with ID
//! tokens it signs itself (HS256 with the client secret, which OpenID Connect
//! allows), each wrong in one way. Kura must refuse every one of them, while
//! the same server's correct token signs in (so each refusal means something).

use crate::common::*;
use crate::sso::{configure, sso_server, user_with_email};
use axum::routing::{get, post};
use base64::Engine;
use hmac::{Hmac, Mac};
use kura_core::Role;
use kura_testkit::oidc::{CLIENT_ID, CLIENT_SECRET, browser, start_sign_in};
use std::sync::{Arc, Mutex};

both!(sso_refuses_forged_id_tokens);

#[derive(Clone, Default)]
struct Next {
    claims: Value,
    key: Vec<u8>,
    alg: &'static str,
}

struct Forged {
    issuer: String,
    next: Arc<Mutex<Next>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Forged {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(n: &Next) -> String {
    let header = b64(json!({"alg": n.alg, "typ": "JWT"}).to_string().as_bytes());
    let payload = b64(n.claims.to_string().as_bytes());
    let input = format!("{header}.{payload}");
    let sig = if n.alg == "none" {
        String::new()
    } else {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&n.key).unwrap();
        mac.update(input.as_bytes());
        b64(&mac.finalize().into_bytes())
    };
    format!("{input}.{sig}")
}

async fn forged_provider() -> Forged {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let next = Arc::new(Mutex::new(Next::default()));
    let meta = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
    });
    let n = next.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let meta = meta.clone();
                async move { axum::Json(meta) }
            }),
        )
        .route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }))
        .route(
            "/token",
            post(move || {
                let token = sign(&n.lock().unwrap());
                async move {
                    axum::Json(json!({
                        "access_token": "forged-access-token",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": token,
                    }))
                }
            }),
        );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    Forged { issuer, next, task }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Starts a sign-in in a new browser, arms the forged token endpoint with
/// `make(issuer, nonce)` signed by `key` with `alg`, and calls Kura's callback.
async fn attempt(
    s: &TestServer,
    f: &Forged,
    key: &[u8],
    alg: &'static str,
    extra_query: &str,
    make: impl Fn(&str, &str) -> Value,
) -> (reqwest::Client, reqwest::Response) {
    let b = browser();
    let auth = start_sign_in(&b, &s.base, "acme", None).await;
    assert!(auth.as_str().starts_with(&format!("{}/auth?", f.issuer)));
    let q: std::collections::HashMap<_, _> = auth.query_pairs().into_owned().collect();
    *f.next.lock().unwrap() = Next {
        claims: make(&f.issuer, &q["nonce"]),
        key: key.to_vec(),
        alg,
    };
    let mut cb = reqwest::Url::parse(&s.url("/api/v1/sso/callback")).unwrap();
    cb.query_pairs_mut()
        .append_pair("code", "forged-code")
        .append_pair("state", &q["state"]);
    let cb = format!("{cb}{extra_query}");
    let r = b.get(cb).send().await.unwrap();
    (b, r)
}

fn good(issuer: &str, nonce: &str) -> Value {
    json!({
        "iss": issuer,
        "sub": "alice",
        "aud": CLIENT_ID,
        "iat": now_s(),
        "exp": now_s() + 300,
        "nonce": nonce,
        "email": "alice@acme.test",
        "email_verified": true,
    })
}

fn with(issuer: &str, nonce: &str, key: &str, v: Value) -> Value {
    let mut c = good(issuer, nonce);
    c[key] = v;
    c
}

async fn sso_refuses_forged_id_tokens(b: Backend) {
    let s = sso_server(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    user_with_email(&s, "acme", "alice", "alice@acme.test", Role::Member).await;
    let f = forged_provider().await;
    let r = configure(&s, &admin, &f.issuer, None).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let secret = CLIENT_SECRET.as_bytes();

    // The control: a correct token from this server signs alice in.
    let (br, r) = attempt(&s, &f, secret, "HS256", "", good).await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let me: Value = br
        .get(s.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["login"], "alice");

    type Make = Box<dyn Fn(&str, &str) -> Value>;
    let cases: Vec<(&str, &[u8], &'static str, &str, Make)> = vec![
        (
            "wrong nonce",
            secret,
            "HS256",
            "",
            Box::new(|i, _| with(i, "", "nonce", json!("another-sign-in"))),
        ),
        (
            "no nonce",
            secret,
            "HS256",
            "",
            Box::new(|i, n| {
                let mut c = good(i, n);
                c.as_object_mut().unwrap().remove("nonce");
                c
            }),
        ),
        (
            "wrong audience",
            secret,
            "HS256",
            "",
            Box::new(|i, n| with(i, n, "aud", json!("another-client"))),
        ),
        (
            "wrong issuer",
            secret,
            "HS256",
            "",
            Box::new(|i, n| with(i, n, "iss", json!("http://evil.example"))),
        ),
        (
            "expired",
            secret,
            "HS256",
            "",
            Box::new(|i, n| with(i, n, "exp", json!(now_s() - 600))),
        ),
        (
            "wrong signing key",
            b"not-the-client-secret-at-all-000",
            "HS256",
            "",
            Box::new(good),
        ),
        ("unsigned (alg none)", secret, "none", "", Box::new(good)),
        (
            "answer names another issuer (RFC 9207)",
            secret,
            "HS256",
            "&iss=http%3A%2F%2Fevil.example",
            Box::new(good),
        ),
    ];
    for (what, key, alg, extra, make) in cases {
        let (br, r) = attempt(&s, &f, key, alg, extra, make).await;
        assert_eq!(r.status(), 403, "{what}: {:?}", r.text().await);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "sso_failed", "{what}: {v}");
        let me = br.get(s.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(me.status(), 401, "{what}: no session");
    }

    // The service clock, not the wall clock, judges expiry: ten minutes on,
    // a token valid for five more minutes by the wall clock is expired.
    s.clock.advance_ms(600_000);
    let (_, r) = attempt(&s, &f, secret, "HS256", "", good).await;
    let v = problem(r, StatusCode::FORBIDDEN, "sso_failed").await;
    assert!(v["detail"].as_str().unwrap().contains("ID token"), "{v}");
}
