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

// ---------------------------------------------------------------------------
// More helpers (added with the integration test modules).

/// A request builder with the user's bearer token.
pub fn call(
    s: &TestServer,
    u: &TestUser,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client().request(method, s.url(path)).bearer_auth(&u.token)
}

/// `GET /api/v1/folders/{path}{query}`; asserts 200 and returns the page.
pub async fn listing(s: &TestServer, u: &TestUser, path: &str, query: &str) -> Value {
    let r = call(
        s,
        u,
        reqwest::Method::GET,
        &format!("/api/v1/folders{}{query}", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "listing {path}{query}");
    r.json().await.unwrap()
}

/// Names of the items of a listing page, in order.
pub fn item_names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

/// `GET /api/v1/versions/{path}`; asserts 200 and returns the items.
pub async fn versions_of(s: &TestServer, u: &TestUser, path: &str) -> Vec<Value> {
    let r = call(
        s,
        u,
        reqwest::Method::GET,
        &format!("/api/v1/versions{}", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "versions of {path}");
    r.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// `GET` of an API path; asserts 200 and returns the JSON body.
pub async fn get_json(s: &TestServer, u: &TestUser, path: &str) -> Value {
    let r = call(s, u, reqwest::Method::GET, path).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}: {v}");
    v
}

/// `GET /api/v1/trash`; asserts 200 and returns the items.
pub async fn trash_items(s: &TestServer, u: &TestUser) -> Vec<Value> {
    let r = call(s, u, reqwest::Method::GET, "/api/v1/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Downloads a file; asserts 200 and returns its bytes.
pub async fn content(s: &TestServer, u: &TestUser, path: &str) -> Vec<u8> {
    let r = get(s, u, path).await;
    assert_eq!(r.status(), StatusCode::OK, "download {path}");
    r.bytes().await.unwrap().to_vec()
}

/// `DELETE /api/v1/files/{path}` (to the trash); asserts 200 and returns the trash id.
pub async fn trash(s: &TestServer, u: &TestUser, path: &str) -> i64 {
    let r = call(
        s,
        u,
        reqwest::Method::DELETE,
        &format!("/api/v1/files{}", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "delete {path}");
    r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap()
}

/// Deterministic pseudo-random bytes (so large round trips compare real content).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Blob files that are upload staging leftovers (`<key>#<n>`).
pub fn staging_files(s: &TestServer) -> Vec<std::path::PathBuf> {
    s.blob_files()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.rsplit_once('#'))
                .is_some_and(|(_, d)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

/// `host:port` of a test server.
pub fn addr(s: &TestServer) -> String {
    s.base.trim_start_matches("http://").to_string()
}

/// A response read from a raw socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Raw {
    /// A header value (first match, case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            self.status, status,
            "status for expected code {code}: {self:?}"
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let v: Value = serde_json::from_slice(&self.body).unwrap();
        assert_eq!(v["code"], code, "problem body: {v}");
    }
}

/// Sends `request` as-is over a new TCP connection and reads the whole answer
/// (send `Connection: close`). Nothing normalises the request target.
pub async fn raw(s: &TestServer, request: &[u8]) -> Raw {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(addr(s)).await.unwrap();
    sock.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    sock.read_to_end(&mut buf).await.unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let body = buf[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    Raw { status, head, body }
}

/// A raw request with the user's bearer token and a body (Content-Length set).
pub async fn raw_req(s: &TestServer, u: &TestUser, method: &str, target: &str, body: &[u8]) -> Raw {
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        addr(s),
        u.token,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(s, &req).await
}

/// Sends all these PUTs (URL path and body) at once; their statuses, in order.
pub async fn concurrent_puts(
    s: &TestServer,
    u: &TestUser,
    puts: Vec<(String, Vec<u8>)>,
) -> Vec<StatusCode> {
    let tasks: Vec<_> = puts
        .into_iter()
        .map(|(path, body)| {
            let url = s.url(&path);
            let token = u.token.clone();
            tokio::spawn(async move {
                client()
                    .put(url)
                    .bearer_auth(token)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}
