//! The web UI in a real browser: each test starts a server (SQLite; the UI
//! calls the same service functions as the API, which the other tests run
//! on both databases), prepares data through the API, runs one scenario of
//! tests/browser/scenarios in Debian's Chromium (playwright-core, see
//! tests/browser/run.mjs), then checks the server's side.
//!
//! Needs `/usr/bin/chromium` and `npm ci` in tests/browser (scripts/test
//! installs both). Screenshots go to `$KURA_UI_SCREENSHOTS`, by default
//! `<target dir>/tmp/ui-screenshots`.

use crate::common::*;
use futures_util::StreamExt;
use std::process::Stdio;

/// Where the screenshots go.
fn shots_dir() -> String {
    std::env::var("KURA_UI_SCREENSHOTS")
        .unwrap_or_else(|_| concat!(env!("CARGO_TARGET_TMPDIR"), "/ui-screenshots").to_string())
}

/// Runs `node tests/browser/run.mjs <scenario>` against the server; panics
/// with the scenario's output if it fails. Returns its standard output.
pub(crate) async fn scenario(
    s: &TestServer,
    u: &TestUser,
    name: &str,
    extra: &[(&str, String)],
) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/browser");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/playwright-core")
            .exists(),
        "run `npm ci` in tests/browser first (scripts/test does)"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists() || std::env::var("CHROMIUM").is_ok(),
        "Chromium is missing: apt-get install chromium (scripts/test does)"
    );
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(format!("{dir}/run.mjs"))
        .arg(name)
        .env("KURA_URL", &s.base)
        .env("KURA_TENANT", &u.tenant)
        .env("KURA_LOGIN", &u.login)
        .env("KURA_PASSWORD", &u.password)
        .env("KURA_SHOTS", shots_dir())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(240), cmd.output())
        .await
        .expect("the browser scenario timed out")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser scenario {name} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

pub(crate) async fn server() -> (TestServer, TestUser) {
    let s = TestServer::start(Backend::Sqlite).await;
    let u = s.tenant("acme", 10 << 30).await;
    (s, u)
}

async fn mkdir(s: &TestServer, u: &TestUser, path: &str) {
    let r = call(
        s,
        u,
        reqwest::Method::POST,
        &format!("/api/v1/folders{}?parents=true", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "mkdir {path}: {}", r.status());
}

async fn put_ok(s: &TestServer, u: &TestUser, path: &str, body: &'static [u8]) {
    let r = put(s, u, path, body).await;
    assert!(r.status().is_success(), "put {path}: {}", r.status());
}

/// The names in a folder, by the API.
async fn names(s: &TestServer, u: &TestUser, path: &str) -> Vec<String> {
    listing(s, u, path, "?limit=10000").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_out_in_both_languages() {
    let (s, u) = server().await;
    scenario(&s, &u, "signin", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_and_file_operations() {
    let (s, u) = server().await;
    mkdir(&s, &u, "/資料").await;
    put_ok(&s, &u, "/報告書.txt", "第1版".as_bytes()).await;
    put_ok(&s, &u, "/報告書.txt", "第2版".as_bytes()).await;
    scenario(&s, &u, "files", &[]).await;
    assert_eq!(names(&s, &u, "/資料").await, ["設計図面", "報告書.txt"]);
    let root = names(&s, &u, "/").await;
    assert!(!root.iter().any(|n| n.starts_with("設計図")), "{root:?}");
    // The older version was restored as the newest one.
    let r = get(&s, &u, "/報告書.txt").await;
    assert_eq!(r.text().await.unwrap(), "第1版");
    let trash = trash_items(&s, &u).await;
    assert!(trash.is_empty(), "{trash:?}");
}

/// The bytes of the k-th dropped file (as the scenario makes them).
fn pattern(size: usize, k: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 7 + k * 13) & 255) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drag_and_drop_upload_with_japanese_names() {
    let (s, u) = server().await;
    let files = ["図面-A棟.dwg", "見積書（最終）.pdf", "写真 2026年.jpg"];
    let size = 1_500_000;
    scenario(
        &s,
        &u,
        "upload",
        &[
            ("KURA_FILES", serde_json::to_string(&files).unwrap()),
            ("KURA_FILE_SIZE", size.to_string()),
        ],
    )
    .await;
    for (k, name) in files.iter().enumerate() {
        let want = pattern(size, k);
        for stored in [name.to_string(), {
            let (stem, ext) = name.rsplit_once('.').unwrap();
            format!("{stem} (2).{ext}")
        }] {
            let r = get(&s, &u, &format!("/{stored}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{stored}");
            let got = r.bytes().await.unwrap();
            assert!(got.as_ref() == want.as_slice(), "{stored}: bytes differ");
        }
    }
    assert_eq!(names(&s, &u, "/").await.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_resumes_after_a_reload() {
    let (s, u) = server().await;
    let size = 200 * 1024 * 1024;
    scenario(
        &s,
        &u,
        "resume",
        &[
            ("KURA_FILE", "大きな図面.tif".to_string()),
            ("KURA_FILE_SIZE", size.to_string()),
        ],
    )
    .await;
    let r = get(&s, &u, "/大きな図面.tif").await;
    assert_eq!(r.status(), StatusCode::OK);
    let got = r.bytes().await.unwrap();
    assert_eq!(got.len(), size);
    assert!(got.as_ref() == pattern(size, 0).as_slice(), "bytes differ");
    // Nothing is left half-way on the server.
    assert_eq!(names(&s, &u, "/").await, ["大きな図面.tif"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_names_stays_text() {
    let (s, u) = server().await;
    put_ok(&s, &u, "/<img src=x onerror=alert(1)>.png", b"png").await;
    mkdir(&s, &u, "/\"><svg onload=alert(2)>").await;
    scenario(&s, &u, "xss", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_navigation() {
    let (s, u) = server().await;
    put_ok(&s, &u, "/alpha/inner.txt", b"inner").await;
    mkdir(&s, &u, "/beta").await;
    put_ok(&s, &u, "/gamma.txt", b"gamma").await;
    scenario(&s, &u, "keyboard", &[]).await;
    assert_eq!(names(&s, &u, "/").await, ["alpha", "ベータ"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_entries_open_fast() {
    let (s, u) = server().await;
    mkdir(&s, &u, "/big").await;
    // 10,000 small files, 16 uploads at a time.
    let names: Vec<String> = (0..10_000).map(|i| format!("f-{i:05}.txt")).collect();
    let started = std::time::Instant::now();
    futures_util::stream::iter(names)
        .map(|n| {
            let (s, u) = (&s, &u);
            async move {
                let r = put(s, u, &format!("/big/{n}"), "x").await;
                assert!(r.status().is_success());
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    println!("made 10,000 files in {:?}", started.elapsed());
    let out = scenario(&s, &u, "big", &[]).await;
    assert!(out.contains("FIRST_PAGE_MS="), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_a_user() {
    let (s, u) = server().await;
    scenario(&s, &u, "admin", &[]).await;
    let users: Value = get_json(&s, &u, "/api/v1/users").await;
    let suzuki = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["login"] == "suzuki")
        .cloned()
        .unwrap_or_else(|| panic!("suzuki not created: {users}"));
    assert_eq!(suzuki["display_name"], "鈴木 花子");
    assert_eq!(suzuki["role"], "guest");
    assert_eq!(suzuki["status"], "disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_creates_a_tenant() {
    let s = TestServer::start(Backend::Sqlite).await;
    let op = s.operator().await;
    assert!(
        !op.password.is_empty(),
        "a fresh server has no operator yet"
    );
    scenario(&s, &op, "operator", &[]).await;
    let cli = s.svc.cli_identity().await.unwrap();
    let t = s.svc.tenant(&cli, "acme-west").await.unwrap();
    assert_eq!(t.name, "Acme West 株式会社");
    assert_eq!(t.capacity_bytes, 20 << 30);
    assert_eq!(t.status, kura_core::TenantStatus::Suspended);
}

/// The attribute of a file, by the API.
async fn attribute(s: &TestServer, u: &TestUser, path: &str, key: &str) -> Value {
    let meta = get_json(s, u, &format!("/api/v1/files{}?meta=true", enc(path))).await;
    meta["attributes"][key].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_attributes_and_saved_searches() {
    let (s, u) = server().await;
    put_ok(&s, &u, "/図面/平面図-A棟.dwg", b"dwg").await;
    put_ok(&s, &u, "/図面/立面図-B棟.pdf", b"%PDF-1.4").await;
    put_ok(&s, &u, "/図面/断面図.pdf", b"%PDF-1.4").await;
    put_ok(&s, &u, "/写真/現場写真.jpg", b"jpg").await;
    put_ok(&s, &u, "/見積書.xlsx", b"xlsx").await;
    scenario(&s, &u, "search", &[]).await;
    // The values the screens set, as the API sees them.
    let a = "/図面/平面図-A棟.dwg";
    assert_eq!(attribute(&s, &u, a, "discipline").await, "mep");
    assert_eq!(attribute(&s, &u, a, "issued").await, "2026-11-01");
    // The refused bulk edit changed nothing; the panel then set 断面図.pdf.
    let b = "/図面/立面図-B棟.pdf";
    assert_eq!(attribute(&s, &u, b, "discipline").await, "arch");
    let c = "/図面/断面図.pdf";
    assert_eq!(attribute(&s, &u, c, "discipline").await, "mep");
    assert_eq!(attribute(&s, &u, c, "issued").await, "2026-12-24");
    assert_eq!(
        attribute(&s, &u, "/見積書.xlsx", "discipline").await,
        Value::Null
    );
    let saved: Value = get_json(&s, &u, "/api/v1/saved-searches").await;
    let items = saved["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{saved}");
    assert_eq!(items[0]["name"], "意匠の図面");
    assert_eq!(items[0]["shared"], true);
    assert_eq!(items[0]["query"]["filters"][0]["key"], "discipline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnail_shown_and_preview_opened() {
    let (s, u) = server().await;
    put_ok(
        &s,
        &u,
        "/メモ.txt",
        "打ち合わせメモ\n<b>太字ではない</b>\n".as_bytes(),
    )
    .await;
    let r = put(&s, &u, "/図面.pdf", crate::thumbnails::pdf()).await;
    assert!(r.status().is_success());
    let name = "現場写真.png";
    scenario(&s, &u, "thumbs", &[("KURA_IMAGE_NAME", name.to_string())]).await;
    // The image the browser uploaded has its thumbnail, smaller than itself.
    let r = call(
        &s,
        &u,
        reqwest::Method::GET,
        &format!("/api/v1/thumbnails{}", enc(&format!("/{name}"))),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let thumb = r.bytes().await.unwrap().len();
    let original = content(&s, &u, &format!("/{name}")).await.len();
    assert!(thumb < original, "{thumb} >= {original}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_select_zip_download_keeps_names_and_bytes() {
    let (s, u) = server().await;
    let photo = noise((1 << 20) + 17, 3);
    put_ok(&s, &u, "/案件/図面A.pdf", "図面の中身".as_bytes()).await;
    let r = put(&s, &u, "/案件/現場 写真.jpg", photo.clone()).await;
    assert!(r.status().is_success());
    put_ok(&s, &u, "/案件/設計/平面図.dxf", b"plan").await;
    put_ok(&s, &u, "/案件/設計/詳細/断面 ①.txt", "断面".as_bytes()).await;
    mkdir(&s, &u, "/案件/設計/空").await;
    // Not selected: must not be in the archive.
    put_ok(&s, &u, "/案件/メモ.txt", "memo".as_bytes()).await;

    let out = std::env::temp_dir().join(format!("kura-ui-{}.zip", uuid::Uuid::new_v4()));
    let stdout = scenario(
        &s,
        &u,
        "zip",
        &[("KURA_ZIP_OUT", out.to_string_lossy().into_owned())],
    )
    .await;
    assert!(stdout.contains("ZIP_NAME=案件.zip"), "{stdout}");

    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).ok();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut got: Vec<(String, bool, bool, Vec<u8>)> = crate::zip::entries(&mut z)
        .into_iter()
        .map(|(name, dir, utf8, data)| (String::from_utf8(name).unwrap(), dir, utf8, data))
        .collect();
    got.sort();
    let names: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
    // The selection only (not メモ.txt), folders with everything under them.
    let mut want = vec![
        "現場 写真.jpg",
        "図面A.pdf",
        "設計/",
        "設計/平面図.dxf",
        "設計/空/",
        "設計/詳細/",
        "設計/詳細/断面 ①.txt",
    ];
    want.sort();
    assert_eq!(names, want);
    for (name, dir, utf8, data) in &got {
        assert!(utf8, "{name}: the UTF-8 name flag is set");
        assert_eq!(*dir, name.ends_with('/'), "{name}: kind");
        let want: &[u8] = match name.as_str() {
            "現場 写真.jpg" => &photo,
            "図面A.pdf" => "図面の中身".as_bytes(),
            "設計/平面図.dxf" => b"plan",
            "設計/詳細/断面 ①.txt" => "断面".as_bytes(),
            _ => b"",
        };
        assert_eq!(data.as_slice(), want, "{name}: bytes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_screens_pass_the_accessibility_audit() {
    let (s, u) = server().await;
    mkdir(&s, &u, "/資料").await;
    put_ok(&s, &u, "/報告書.txt", "第1版".as_bytes()).await;
    put_ok(&s, &u, "/報告書.txt", "第2版".as_bytes()).await;
    put_ok(&s, &u, "/古い見積.xlsx", b"old").await;
    let r = call(
        &s,
        &u,
        reqwest::Method::DELETE,
        "/api/v1/files/%E5%8F%A4%E3%81%84%E8%A6%8B%E7%A9%8D.xlsx",
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "trash: {}", r.status());
    let r = call(&s, &u, reqwest::Method::POST, "/api/v1/attributes")
        .json(&serde_json::json!({
            "key": "drawing_type", "type": "choice",
            "labels": {"ja": "図面種別", "en": "Drawing type"},
            "choices": [{"value": "plan", "labels": {"ja": "平面図", "en": "Plan"}},
                        {"value": "section", "labels": {"ja": "断面図", "en": "Section"}}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let out = scenario(&s, &u, "a11y", &[]).await;
    // Every screen was audited in both languages (the scenario fails on any violation).
    assert_eq!(out.matches("AUDIT ").count(), 2 * 13, "{out}");
}
