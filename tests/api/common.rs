//! Helpers shared by the API tests.

pub use kura_testkit::{Backend, TestServer, TestUser, client, cookie_client};
pub use reqwest::StatusCode;
pub use serde_json::{Value, json};

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `async fn name(Backend)`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(kura_testkit::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(kura_testkit::Backend::Postgres).await
            }
        }
    )*};
}

/// Percent-encodes each segment of a path for a URL (slashes kept).
pub fn enc(path: &str) -> String {
    path.split('/')
        .map(|s| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `PUT /api/v1/files/{path}?parents=true` with a bearer token.
pub async fn put(
    s: &TestServer,
    u: &TestUser,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client()
        .put(s.url(&format!("/api/v1/files{}?parents=true", enc(path))))
        .bearer_auth(&u.token)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// `GET /api/v1/files/{path}` with a bearer token.
pub async fn get(s: &TestServer, u: &TestUser, path: &str) -> reqwest::Response {
    client()
        .get(s.url(&format!("/api/v1/files{}", enc(path))))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap()
}

/// Asserts a problem+json response with this status and code; returns the body.
pub async fn problem(r: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status, "status for expected code {code}");
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], code, "problem body: {v}");
    assert_eq!(v["status"], status.as_u16());
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()));
    v
}

/// Current used bytes of a tenant, from the service.
pub async fn used_bytes(s: &TestServer, u: &TestUser) -> i64 {
    let r = client()
        .get(s.url("/api/v1/usage"))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["used_bytes"]
        .as_i64()
        .unwrap()
}
