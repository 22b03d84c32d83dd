//! The `kura` binary as scripts use it: admin commands, first start, serving,
//! configuration by environment, graceful shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const KURA: &str = env!("CARGO_BIN_EXE_kura");

fn data_dir() -> PathBuf {
    let d = std::env::temp_dir()
        .join(format!("kura-cli-{}", std::process::id()))
        .join(format!(
            "{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kura(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    kura_env(dir, args, stdin, &[])
}

fn kura_env(dir: &Path, args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(KURA)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut i = c.stdin.take().unwrap();
        if let Some(s) = stdin {
            i.write_all(s.as_bytes()).unwrap();
        }
    }
    c.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Creates tenant `acme` with admin `a` through the CLI; returns a token of theirs.
fn acme_admin_token(dir: &Path) -> String {
    ok(&kura(
        dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "A",
            "--capacity",
            "1GiB",
        ],
        None,
    ));
    ok(&kura(
        dir,
        &[
            "admin", "user", "create", "--tenant", "acme", "--login", "a", "--role", "admin",
        ],
        Some("admin-password-12\n"),
    ));
    ok(&kura(
        dir,
        &[
            "admin", "token", "create", "--tenant", "acme", "--login", "a",
        ],
        None,
    ))
    .trim()
    .to_string()
}

/// A running `kura serve`, with the address it printed and its stdout.
struct Server {
    child: Child,
    base: String,
    stdout: String,
    /// Everything it logged so far (read on).
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

fn serve(dir: &Path, envs: &[(&str, &str)]) -> Server {
    let mut child = Command::new(KURA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep draining stderr (logs) so the server never blocks on a full pipe.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (atx, arx) = std::sync::mpsc::channel();
    let logged = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log_sink = logged.clone();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("Kura is listening on ") {
                atx.send(addr.trim().to_string()).ok();
            }
            let mut l = log_sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let base = arx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_default();
    assert!(base.starts_with("http://127.0.0.1:"), "no listening line");
    // The operator banner is printed before the listening line; collect stdout lines.
    let out = BufReader::new(child.stdout.take().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let stdout = seen.lock().unwrap().clone();
    Server {
        child,
        base,
        stdout,
        stderr: logged,
    }
}

impl Drop for Server {
    /// A failing test must not leave a server running.
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn stop(mut s: Server) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    s.child.wait().unwrap()
}

#[test]
fn admin_commands_create_tenant_user_and_token() {
    let dir = data_dir();
    let out = ok(&kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "Acme Corp",
            "--capacity",
            "10GiB",
        ],
        None,
    ));
    assert!(out.contains("acme"), "{out}");
    let list = ok(&kura(&dir, &["admin", "tenant", "list"], None));
    assert!(
        list.contains("acme") && list.contains("10.0 GiB") && list.contains("Acme Corp"),
        "{list}"
    );
    ok(&kura(
        &dir,
        &[
            "admin",
            "user",
            "create",
            "--tenant",
            "acme",
            "--login",
            "alice",
            "--role",
            "admin",
            "--email",
            "alice@example.com",
        ],
        Some("alice-long-password\n"),
    ));
    let tok = ok(&kura(
        &dir,
        &[
            "admin", "token", "create", "--tenant", "acme", "--login", "alice",
        ],
        None,
    ));
    let lines: Vec<&str> = tok.lines().collect();
    assert_eq!(lines.len(), 1, "only the token on stdout: {tok:?}");
    assert!(lines[0].starts_with("kura_") && lines[0].len() > 40);
}

#[test]
fn admin_commands_refuse_bad_input_clearly() {
    let dir = data_dir();
    let o = kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "A",
            "--capacity",
            "10 parsecs",
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("unit"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    ok(&kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "A",
            "--capacity",
            "5MB",
        ],
        None,
    ));
    let dup = kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "A",
            "--capacity",
            "5MB",
        ],
        None,
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let nopw = kura(
        &dir,
        &[
            "admin", "user", "create", "--tenant", "acme", "--login", "bob", "--role", "member",
        ],
        Some(""),
    );
    assert!(!nopw.status.success());
    assert!(String::from_utf8_lossy(&nopw.stderr).contains("password"));
    let short = kura(
        &dir,
        &[
            "admin", "user", "create", "--tenant", "acme", "--login", "bob", "--role", "member",
        ],
        Some("short\n"),
    );
    assert!(!short.status.success());
    let badrole = kura(
        &dir,
        &[
            "admin", "user", "create", "--tenant", "acme", "--login", "bob", "--role", "king",
        ],
        Some("long-enough-password\n"),
    );
    assert!(!badrole.status.success());
    let notenant = kura(
        &dir,
        &[
            "admin", "token", "create", "--tenant", "nope", "--login", "bob",
        ],
        None,
    );
    assert!(!notenant.status.success());
    assert!(notenant.stdout.is_empty(), "no token printed on failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_operator_login_and_admin_works_while_serving() {
    let dir = data_dir();
    let s = serve(&dir, &[]);
    assert!(
        s.stdout.contains("login:    operator"),
        "banner: {:?}",
        s.stdout
    );
    let pw = s
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_string();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/session", s.base))
        .json(&serde_json::json!({"tenant": "system", "login": "operator", "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Admin commands work against the same data while the server runs.
    ok(&kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "live",
            "--name",
            "Live",
            "--capacity",
            "1MiB",
        ],
        None,
    ));
    ok(&kura(
        &dir,
        &[
            "admin", "user", "create", "--tenant", "live", "--login", "u", "--role", "member",
        ],
        Some("member-password-1\n"),
    ));
    let tok = ok(&kura(
        &dir,
        &[
            "admin", "token", "create", "--tenant", "live", "--login", "u",
        ],
        None,
    ));
    let r = http
        .put(format!("{}/api/v1/files/hello.txt", s.base))
        .bearer_auth(tok.trim())
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(stop(s).success(), "SIGTERM ends the server cleanly");
    // Second start: an operator exists, no new password is printed.
    let s2 = serve(&dir, &[]);
    assert!(!s2.stdout.contains("password:"), "{:?}", s2.stdout);
    let r = http
        .get(format!("{}/api/v1/files/hello.txt", s2.base))
        .bearer_auth(tok.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "hi");
    stop(s2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_overrides_config_and_shutdown_lets_uploads_finish() {
    let dir = data_dir();
    let cfg = dir.join("kura.toml");
    std::fs::write(
        &cfg,
        "[limits]\ndefault_keep_versions = 1\n[scan]\nmode = \"disabled\"\n",
    )
    .unwrap();
    ok(&kura(
        &dir,
        &[
            "admin",
            "tenant",
            "create",
            "--code",
            "acme",
            "--name",
            "A",
            "--capacity",
            "1GiB",
            "--config",
            cfg.to_str().unwrap(),
        ],
        None,
    ));
    ok(&kura(
        &dir,
        &[
            "admin", "user", "create", "--tenant", "acme", "--login", "a", "--role", "admin",
        ],
        Some("admin-password-12\n"),
    ));
    let tok = ok(&kura(
        &dir,
        &[
            "admin", "token", "create", "--tenant", "acme", "--login", "a",
        ],
        None,
    ))
    .trim()
    .to_string();
    let s = serve(&dir, &[("KURA_LOG__FORMAT", "json")]);
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/api/v1/admin/tenants", s.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a tenant admin is not the operator");
    let r = http.get(format!("{}/readyz", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // keep_versions came from the config file: a second upload leaves one version.
    for body in ["one", "two"] {
        let r = http
            .put(format!("{}/api/v1/files/v.txt", s.base))
            .bearer_auth(&tok)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let v: serde_json::Value = http
        .get(format!("{}/api/v1/versions/v.txt", s.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    // A slow upload in flight when SIGTERM arrives still completes.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let url = format!("{}/api/v1/files/slow.bin", s.base);
    let upload = tokio::spawn({
        let http = http.clone();
        let tok = tok.clone();
        async move {
            let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
            http.put(url)
                .bearer_auth(tok)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tx.send(Ok(bytes::Bytes::from(vec![1u8; 1000])))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = s.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(Ok(bytes::Bytes::from(vec![2u8; 1000])))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(upload.await.unwrap(), 201);
    let mut s = s;
    assert!(s.child.wait().unwrap().success());
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<bytes::Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Every file under a folder, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_upload_leaves_nothing_after_restart() {
    let dir = data_dir();
    let tok = acme_admin_token(&dir);
    let mut s = serve(&dir, &[]);
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/api/v1/files/keep.txt", s.base))
        .bearer_auth(&tok)
        .body("old content")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Two uploads in flight, each past the single-put threshold so they stage
    // on disk: a new file and a replacement of keep.txt.
    let mut senders = Vec::new();
    for name in ["new.bin", "keep.txt"] {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
        let url = format!("{}/api/v1/files/{name}", s.base);
        let http = http.clone();
        let tok = tok.clone();
        tokio::spawn(async move {
            let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
            http.put(url).bearer_auth(tok).body(body).send().await.ok();
        });
        for _ in 0..12 {
            tx.send(Ok(bytes::Bytes::from(vec![7u8; 1 << 20])))
                .await
                .unwrap();
        }
        senders.push(tx);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let staged: Vec<_> = files_under(&dir.join("blobs"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains('#'))
        .collect();
    assert!(
        !staged.is_empty(),
        "the uploads should be staging on disk when the server dies"
    );
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    drop(senders);

    let s2 = serve(&dir, &[]);
    let leftovers: Vec<_> = files_under(&dir.join("blobs"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains('#'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "start-up cleanup removes staging files: {leftovers:?}"
    );
    let r = http
        .get(format!("{}/api/v1/files/new.bin", s2.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "the interrupted new file is not visible");
    let r = http
        .get(format!("{}/api/v1/files/keep.txt", s2.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        "old content",
        "the replaced file keeps its old content"
    );
    let v: serde_json::Value = http
        .get(format!("{}/api/v1/versions/keep.txt", s2.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "no new version");
    let u: serde_json::Value = http
        .get(format!("{}/api/v1/usage", s2.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["used_bytes"], 11, "usage counts only the committed file");
    assert_eq!(
        files_under(&dir.join("blobs")).len(),
        1,
        "only the committed blob remains"
    );
    stop(s2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_without_clamd_writes_a_config_that_says_scanning_is_off() {
    let dir = data_dir();
    let s = serve(&dir, &[]);
    let written = std::fs::read_to_string(dir.join("kura.toml")).unwrap();
    assert!(written.contains("mode = \"disabled\""), "{written}");
    assert!(written.contains("VIRUS SCANNING IS OFF"), "{written}");
    let http = reqwest::Client::new();
    let ready: serde_json::Value = http
        .get(format!("{}/readyz", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["scanner"], "disabled");
    assert!(
        s.stderr
            .lock()
            .unwrap()
            .contains("VIRUS SCANNING IS DISABLED"),
        "the start logs a warning"
    );
    stop(s);
    // Asking for scanning (here by environment) is never silently skipped:
    // with no clamd at that address, the node reports it and refuses uploads.
    let port = kura_testkit::clamd::free_port();
    let clamd = format!("tcp://127.0.0.1:{port}");
    let envs = [
        ("KURA_SCAN__MODE", "required"),
        ("KURA_SCAN__CLAMD", clamd.as_str()),
    ];
    let tok = acme_admin_token(&dir);
    let s = serve(&dir, &envs);
    let ready: serde_json::Value = http
        .get(format!("{}/readyz", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["scanner"], "unavailable");
    let r = http
        .put(format!("{}/api/v1/files/a.txt", s.base))
        .bearer_auth(&tok)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    stop(s);
    // A rescan needs a scanner: refused plainly when scanning is off.
    let o = kura(&dir, &["admin", "rescan"], None);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("scanning is disabled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_rescan_quarantines_what_a_new_signature_matches() {
    let dir = data_dir();
    let clamd = tokio::task::spawn_blocking(kura_testkit::clamd::Clamd::start)
        .await
        .unwrap();
    let addr = clamd.address();
    let conf = clamd.dir.join("clamd.conf");
    let envs = [
        ("KURA_SCAN__MODE", "required"),
        ("KURA_SCAN__CLAMD", addr.as_str()),
        ("KURA_SCAN__CLAMD_CONF", conf.to_str().unwrap()),
    ];
    let tok = acme_admin_token(&dir);
    let s = serve(&dir, &envs);
    let marker = format!("KURA-CLI-THREAT-{}", std::process::id());
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/api/v1/files/%E5%9B%B3%E9%9D%A2.dwg", s.base))
        .bearer_auth(&tok)
        .body(format!("drawing {marker} end"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let sig = marker.clone();
    let clamd = tokio::task::spawn_blocking(move || {
        clamd.add_signature("Kura.Test.CliThreat", sig.as_bytes());
        clamd
    })
    .await
    .unwrap();
    // Bad dates are refused clearly; a date after the upload matches nothing.
    let o = kura_env(
        &dir,
        &["admin", "rescan", "--since", "27/11/2026"],
        None,
        &envs,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("YYYY-MM-DD"));
    let out = ok(&kura_env(
        &dir,
        &["admin", "rescan", "--since", "2999-01-01"],
        None,
        &envs,
    ));
    assert!(out.starts_with("rescanned 0 versions"), "{out}");
    // While the server runs, as an operator would.
    let out = ok(&kura_env(
        &dir,
        &[
            "admin",
            "rescan",
            "--tenant",
            "acme",
            "--since",
            "2020-01-01",
        ],
        None,
        &envs,
    ));
    assert_eq!(
        out.trim(),
        "rescanned 1 versions: 0 clean, 1 quarantined, 0 too large to scan, 0 unreadable"
    );
    let r = http
        .get(format!("{}/api/v1/files/%E5%9B%B3%E9%9D%A2.dwg", s.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["code"], "file_quarantined");
    stop(s);
    drop(clamd);
}
