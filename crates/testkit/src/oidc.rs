//! A real OpenID provider for single sign-on tests: tests/oidc/provider.mjs
//! (npm `oidc-provider`) on a free loopback port, killed on drop, and a
//! browser-less driver for its sign-in pages.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The client Kura is registered as.
pub const CLIENT_ID: &str = "kura-test";
/// Its secret.
pub const CLIENT_SECRET: &str = "kura-test-client-secret";

/// An account at the provider.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    /// What is typed on the provider's sign-in page, and the subject
    /// (`sub`) of its tokens (its development pages make them one).
    pub login: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

impl Account {
    /// An account with a verified email `<login>@<domain>`.
    pub fn new(login: &str, domain: &str) -> Self {
        Self {
            login: login.into(),
            email: format!("{login}@{domain}"),
            email_verified: true,
            name: format!("{login} at {domain}"),
        }
    }
}

/// A running provider.
pub struct Provider {
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
    child: Child,
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

impl Provider {
    /// Starts a provider that knows `accounts` and one confidential client
    /// redirecting to `redirect_uri` (Kura's callback).
    pub async fn start(redirect_uri: &str, accounts: &[Account]) -> Self {
        let dir = provider_dir();
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test OpenID provider is not installed: run `npm ci --prefix tests/oidc` (scripts/test does)"
        );
        let clients = serde_json::json!([{
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
        }]);
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .current_dir(&dir)
            .env("OIDC_CLIENTS", clients.to_string())
            .env("OIDC_ACCOUNTS", serde_json::to_string(accounts).unwrap())
            .env("NODE_ENV", "test")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (Node.js 20+) must be installed to run the SSO tests");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut lines = BufReader::new(stdout).lines();
                let ready = lines.find_map(|l| l.ok().filter(|l| l.starts_with("READY ")));
                // Keep reading: the provider logs to stdout, and a closed
                // pipe would kill it.
                std::thread::spawn(move || lines.for_each(drop));
                ready
            }),
        )
        .await
        .expect("the OpenID provider did not start within 30 s")
        .unwrap()
        .expect("the OpenID provider exited before it was ready");
        let port = line.trim_start_matches("READY ").trim();
        Self {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A browser: keeps cookies (for every host, like a real one), follows no
/// redirects (the tests look at each).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> reqwest::Url {
    let loc = r
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} from {}", r.status(), r.url()))
        .to_str()
        .unwrap();
    r.url().join(loc).unwrap()
}

/// Follows the provider's sign-in from its authorization URL: signs in as
/// `login` on its development pages, consents, and returns the URL the
/// provider redirects back to (Kura's callback, not followed).
pub async fn sign_in_at_provider(
    browser: &reqwest::Client,
    authorize_url: &str,
    login: &str,
) -> reqwest::Url {
    let provider = reqwest::Url::parse(authorize_url).unwrap();
    let mut url = provider.clone();
    for _ in 0..12 {
        let r = browser.get(url.clone()).send().await.unwrap();
        if r.status().is_redirection() {
            let next = location(&r);
            if next.origin() != provider.origin() {
                return next;
            }
            url = next;
            continue;
        }
        assert_eq!(r.status(), 200, "provider page {url}");
        let html = r.text().await.unwrap();
        let body = if html.contains(r#"name="prompt" value="login""#) {
            format!("prompt=login&login={login}&password=any-password")
        } else if html.contains(r#"name="prompt" value="consent""#) {
            "prompt=consent".to_string()
        } else {
            panic!("unexpected provider page at {url}: {html}");
        };
        let r = browser
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "provider form at {url}");
        let next = location(&r);
        if next.origin() != provider.origin() {
            return next;
        }
        url = next;
    }
    panic!("the provider's sign-in did not finish");
}

/// `GET <kura>/api/v1/sso/<tenant>/login?return_to=...` in `browser`; returns
/// the provider's authorization URL it redirects to.
pub async fn start_sign_in(
    browser: &reqwest::Client,
    kura_base: &str,
    tenant: &str,
    return_to: Option<&str>,
) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&format!("{kura_base}/api/v1/sso/{tenant}/login")).unwrap();
    if let Some(r) = return_to {
        url.query_pairs_mut().append_pair("return_to", r);
    }
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), 302, "SSO start: {:?}", r.text().await);
    location(&r)
}
