//! Virus scanning against a real clamd (a private one per test, see
//! kura_testkit::clamd): detections, archives, outages, timeouts, size limits,
//! concurrency, rescans and quarantine. Every refused upload must leave usage,
//! listings and the blob store exactly as they were.

use crate::common::*;
use kura_scan::ScanConfig;
use kura_testkit::clamd::{Clamd, ClamdLimits, EICAR, free_port};
use std::io::Write;
use std::time::{Duration, Instant};

both!(
    eicar_is_refused_recorded_and_listed_for_admins,
    clamd_down_at_start_refuses_then_recovers,
    files_over_the_stream_limit_follow_the_tenant_policy,
    rescan_quarantines_newly_detected_files,
);

// Heavy or backend-independent cases run on SQLite only.
mod sqlite_only {
    macro_rules! sqlite {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(kura_testkit::Backend::Sqlite).await
            }
        )*};
    }
    sqlite!(
        archives_are_scanned_inside,
        eicar_after_50_mb_of_clean_data_is_found,
        clean_files_of_0_1_and_200_mb_are_stored_as_clean,
        clamd_killed_mid_stream_refuses_the_upload,
        clamd_that_never_answers_times_out,
        clamd_limit_below_kuras_still_follows_the_policy,
        archive_limit_heuristics_follow_the_policy,
        twenty_concurrent_uploads_are_scanned,
        disabled_scanning_is_reported_and_files_marked_unscanned,
        clamd_over_a_unix_socket_works_the_same,
    );
}

/// Everything an upload can change: usage, every listing, every blob file.
#[derive(Debug, PartialEq)]
struct Snapshot {
    used: i64,
    tree: Vec<Value>,
    blobs: Vec<std::path::PathBuf>,
}

async fn snapshot(s: &TestServer, u: &TestUser) -> Snapshot {
    let mut tree = Vec::new();
    let mut folders = vec!["/".to_string()];
    while let Some(f) = folders.pop() {
        let page = listing(s, u, &f, "?limit=1000").await;
        for item in page["items"].as_array().unwrap() {
            if item["kind"] == "folder" {
                folders.push(item["path"].as_str().unwrap().to_string());
            }
            tree.push(item.clone());
        }
    }
    let mut blobs = s.blob_files();
    blobs.sort();
    Snapshot {
        used: used_bytes(s, u).await,
        tree,
        blobs,
    }
}

async fn start_clamd(limits: ClamdLimits) -> Clamd {
    tokio::task::spawn_blocking(move || Clamd::start_limits(limits))
        .await
        .unwrap()
}

async fn scanning_server(b: Backend, scan: &ScanConfig) -> (TestServer, TestUser) {
    let s = TestServer::start_scanning(b, scan).await;
    let u = s.tenant("acme", 2 << 30).await;
    (s, u)
}

async fn set_oversize(s: &TestServer, tenant: &str, policy: &str) {
    let op = s.operator().await;
    let r = call(
        s,
        &op,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/tenants/{tenant}"),
    )
    .json(&json!({ "scan_oversize": policy }))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_oversize"], policy);
}

async fn detections(s: &TestServer, u: &TestUser, query: &str) -> reqwest::Response {
    call(
        s,
        u,
        reqwest::Method::GET,
        &format!("/api/v1/detections{query}"),
    )
    .send()
    .await
    .unwrap()
}

async fn audit_actions(s: &TestServer, tenant: &str) -> Vec<(String, String, String)> {
    let t = s.svc.db().tenant_by_code(tenant).await.unwrap();
    s.svc.flush_audit().await;
    s.svc
        .db()
        .audit_events(t.id, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.action,
                e.target.unwrap_or_default(),
                e.detail.unwrap_or_default(),
            )
        })
        .collect()
}

/// A chunked upload (no Content-Length) of `data`.
async fn put_chunked(s: &TestServer, u: &TestUser, path: &str, data: Vec<u8>) -> reqwest::Response {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = data
        .chunks(256 << 10)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    put(s, u, path, body).await
}

fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, opts).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

async fn eicar_is_refused_recorded_and_listed_for_admins(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let r = put(&s, &u, "/docs/ok.txt", "hello").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "clean");
    let before = snapshot(&s, &u).await;

    let r = put(&s, &u, "/docs/eicar.com", EICAR).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(p["signature"], "Kura.Test.EICAR.UNOFFICIAL");
    assert!(p["detail"].as_str().unwrap().contains("Kura.Test.EICAR"));
    // As a new version of an existing file: the old version stays current.
    let r = put(&s, &u, "/docs/ok.txt", EICAR).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(snapshot(&s, &u).await, before);
    assert_eq!(content(&s, &u, "/docs/ok.txt").await, b"hello");
    let v = versions_of(&s, &u, "/docs/ok.txt").await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["scan"]["status"], "clean");
    assert!(
        v[0]["scan"]["engine"]
            .as_str()
            .unwrap()
            .starts_with("ClamAV ")
    );
    assert!(v[0]["scan"]["scanned"].is_string());
    let r = get(&s, &u, "/docs/ok.txt").await;
    assert_eq!(r.headers()["x-kura-scan-status"], "clean");

    // Tenant admins list their tenant's detections, newest first.
    let r = detections(&s, &u, "").await;
    assert_eq!(r.status(), StatusCode::OK);
    let items = r.json::<Value>().await.unwrap()["items"].clone();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["path"], "/docs/ok.txt");
    assert_eq!(items[1]["path"], "/docs/eicar.com");
    for d in items {
        assert_eq!(d["signature"], "Kura.Test.EICAR.UNOFFICIAL");
        assert_eq!(d["source"], "upload");
        assert_eq!(d["ip"], "127.0.0.1");
        assert!(d["user_id"].is_i64());
        assert!(d["engine"].as_str().unwrap().starts_with("ClamAV "));
    }
    // The security audit event names user, IP, file and signature.
    let audit = audit_actions(&s, "acme").await;
    let hits: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "security.virus_detected")
        .collect();
    assert_eq!(hits.len(), 2, "{audit:?}");
    assert!(
        hits.iter()
            .any(|(_, t, d)| t == "/docs/eicar.com" && d.contains("Kura.Test.EICAR"))
    );

    // Members may not list them; another tenant sees none; the operator sees all.
    let m = s.user("acme", "member1", kura_core::Role::Member).await;
    problem(
        detections(&s, &m, "").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let other = s.tenant("globex", 1 << 30).await;
    let r = detections(&s, &other, "").await;
    assert_eq!(r.json::<Value>().await.unwrap()["items"], json!([]));
    let op = s.operator().await;
    let all = detections(&s, &op, "").await.json::<Value>().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let one = detections(&s, &op, "?tenant=globex")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(one["items"], json!([]));
    // Paging.
    let p1 = detections(&s, &u, "?limit=1")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(p1["items"][0]["path"], "/docs/ok.txt");
    let next = p1["next"].as_i64().unwrap();
    let p2 = detections(&s, &u, &format!("?limit=1&before={next}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(p2["items"][0]["path"], "/docs/eicar.com");
    // The scanner's status for the operator.
    let st = call(&s, &op, reqwest::Method::GET, "/api/v1/admin/scanner")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(st["mode"], "required");
    assert_eq!(st["state"], "ok");
    assert_eq!(st["stream_max_length"], 300 << 20);
    problem(
        call(&s, &u, reqwest::Method::GET, "/api/v1/admin/scanner")
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

async fn archives_are_scanned_inside(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let before = snapshot(&s, &u).await;
    let zipped = zip_of("eicar.com", EICAR);
    // Deflated: the raw bytes do not hold the signature, so only clamd's
    // archive scanning can find it.
    assert!(!contains(&zipped, EICAR));
    let r = put(&s, &u, "/in/eicar.zip", zipped.clone()).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    let nested = zip_of("inner.zip", &zip_of("deeper/eicar.com", EICAR));
    assert!(!contains(&nested, EICAR));
    let r = put(&s, &u, "/in/nested.zip", nested).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(snapshot(&s, &u).await, before);
    let clean = zip_of("図面.txt", &noise(100_000, 7));
    let r = put(&s, &u, "/in/clean.zip", clean).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "clean");
}

async fn eicar_after_50_mb_of_clean_data_is_found(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let before = snapshot(&s, &u).await;
    let mut data = noise(50_000_000, 50);
    data.extend_from_slice(EICAR);
    let r = put(&s, &u, "/big/tail.bin", data).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(p["signature"], "Kura.Test.EICAR.UNOFFICIAL");
    assert_eq!(snapshot(&s, &u).await, before);
}

async fn clean_files_of_0_1_and_200_mb_are_stored_as_clean(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let big = noise(200_000_000, 200);
    for (path, data) in [
        ("/c/empty", Vec::new()),
        ("/c/one", vec![b'x']),
        ("/c/二百MB.bin", big.clone()),
    ] {
        let r = put(&s, &u, path, data.clone()).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{path}");
        let j = r.json::<Value>().await.unwrap();
        assert_eq!(j["scan_status"], "clean", "{path}");
        assert_eq!(j["size"], data.len());
        assert!(content(&s, &u, path).await == data, "{path} round trip");
    }
    assert_eq!(used_bytes(&s, &u).await, 200_000_001);
}

async fn clamd_down_at_start_refuses_then_recovers(b: Backend) {
    let port = free_port();
    let scan = ScanConfig {
        clamd: format!("tcp://127.0.0.1:{port}"),
        connect_timeout_seconds: 1,
        io_timeout_seconds: 5,
        stream_max_length: "300M".into(),
        ..ScanConfig::default()
    };
    let (s, u) = scanning_server(b, &scan).await;
    let ready = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["scanner"], "unavailable");
    assert_eq!(ready["status"], "degraded");
    let before = snapshot(&s, &u).await;
    for body in [b"plain text".to_vec(), noise(3 << 20, 3)] {
        let r = put(&s, &u, "/x/report.pdf", body).await;
        let retry = r.headers().get("retry-after").cloned();
        problem(r, StatusCode::SERVICE_UNAVAILABLE, "scanner_unavailable").await;
        assert!(retry.is_some(), "Retry-After is set");
    }
    assert_eq!(snapshot(&s, &u).await, before);
    // clamd comes up: uploads work again without restarting Kura.
    let _clamd =
        tokio::task::spawn_blocking(move || Clamd::start_with(ClamdLimits::default(), port))
            .await
            .unwrap();
    let r = put(&s, &u, "/x/report.pdf", "now scanned").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ready: Value = client()
        .get(s.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["scanner"], "ok");
    assert_eq!(ready["status"], "ready");
}

async fn clamd_killed_mid_stream_refuses_the_upload(b: Backend) {
    let mut clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let before = snapshot(&s, &u).await;
    // The body is fed by hand, so clamd can be killed half-way through it.
    let (tx2, rx2) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let stream = futures_util::stream::unfold(rx2, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let url = s.url("/api/v1/files/k/streamed.bin?parents=true");
    let token = u.token.clone();
    let upload = tokio::spawn(async move {
        client()
            .put(url)
            .bearer_auth(token)
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
    });
    for i in 0..8u64 {
        tx2.send(Ok(bytes::Bytes::from(noise(1 << 20, 100 + i))))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    clamd.kill();
    for i in 0..8u64 {
        if tx2
            .send(Ok(bytes::Bytes::from(noise(1 << 20, 200 + i))))
            .await
            .is_err()
        {
            break;
        }
    }
    drop(tx2);
    let r = upload.await.unwrap().unwrap();
    problem(r, StatusCode::SERVICE_UNAVAILABLE, "scanner_unavailable").await;
    assert_eq!(snapshot(&s, &u).await, before);
    // A restarted clamd is used again.
    let _clamd = tokio::task::spawn_blocking(move || {
        clamd.restart();
        clamd
    })
    .await
    .unwrap();
    let r = put(&s, &u, "/k/after.bin", noise(1 << 20, 9)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn clamd_that_never_answers_times_out(b: Backend) {
    // Accepts, reads everything, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                while let Ok(n) = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
    });
    let scan = ScanConfig {
        clamd: format!("tcp://127.0.0.1:{port}"),
        connect_timeout_seconds: 1,
        io_timeout_seconds: 1,
        scan_timeout_seconds: 2,
        stream_max_length: "300M".into(),
        ..ScanConfig::default()
    };
    let (s, u) = scanning_server(b, &scan).await;
    let before = snapshot(&s, &u).await;
    let t = Instant::now();
    let r = put(&s, &u, "/t/slow.txt", noise(2 << 20, 5)).await;
    problem(r, StatusCode::SERVICE_UNAVAILABLE, "scanner_unavailable").await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "{took:?}"
    );
    assert_eq!(snapshot(&s, &u).await, before);
}

async fn files_over_the_stream_limit_follow_the_tenant_policy(b: Backend) {
    let clamd = start_clamd(ClamdLimits::uniform("1M")).await;
    // Kura reads the limit from clamd.conf.
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let before = snapshot(&s, &u).await;
    let data = noise(2 << 20, 11);
    // Refused by default: by the declared length, and when the length shows only while streaming.
    let r = put(&s, &u, "/o/large.bin", data.clone()).await;
    let p = problem(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large_to_scan").await;
    assert_eq!(p["scan_limit_bytes"], 1 << 20);
    let r = put_chunked(&s, &u, "/o/large.bin", data.clone()).await;
    problem(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large_to_scan").await;
    assert_eq!(snapshot(&s, &u).await, before);
    // Exactly at the limit is scanned whole.
    let r = put(&s, &u, "/o/exact.bin", noise(1 << 20, 12)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "clean");

    set_oversize(&s, "acme", "accept_unscanned").await;
    for (path, body) in [
        ("/o/large.bin", data.clone()),
        ("/o/large2.bin", data.clone()),
    ] {
        let r = if path.ends_with('2') {
            put_chunked(&s, &u, path, body).await
        } else {
            put(&s, &u, path, body).await
        };
        assert_eq!(r.status(), StatusCode::CREATED, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "unscanned");
        let v = versions_of(&s, &u, path).await;
        assert_eq!(v[0]["scan"]["status"], "unscanned");
        assert!(
            v[0]["scan"]["detail"]
                .as_str()
                .unwrap()
                .contains("scan limit"),
            "{v:?}"
        );
        let r = get(&s, &u, path).await;
        assert_eq!(r.headers()["x-kura-scan-status"], "unscanned");
        assert!(r.bytes().await.unwrap() == data);
    }
    let audit = audit_actions(&s, "acme").await;
    assert!(
        audit
            .iter()
            .any(|(a, t, d)| a == "file.upload" && t == "/o/large.bin" && d.contains("UNSCANNED")),
        "{audit:?}"
    );
    // The part that was scanned still counts: a virus in it is refused.
    let mut infected = EICAR.to_vec();
    infected.extend(noise(2 << 20, 13));
    let before = snapshot(&s, &u).await;
    let r = put_chunked(&s, &u, "/o/infected.bin", infected).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(snapshot(&s, &u).await, before);
}

async fn clamd_limit_below_kuras_still_follows_the_policy(b: Backend) {
    // Kura is told 10M, clamd takes 1M: clamd's own refusal must be understood.
    let clamd = start_clamd(ClamdLimits::uniform("1M")).await;
    let scan = ScanConfig {
        clamd_conf: None,
        stream_max_length: "10M".into(),
        ..clamd.scan_config()
    };
    let (s, u) = scanning_server(b, &scan).await;
    let before = snapshot(&s, &u).await;
    let data = noise(4 << 20, 21);
    let r = put(&s, &u, "/l/large.bin", data.clone()).await;
    problem(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large_to_scan").await;
    assert_eq!(snapshot(&s, &u).await, before);
    set_oversize(&s, "acme", "accept_unscanned").await;
    let r = put(&s, &u, "/l/large.bin", data).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "unscanned");
}

async fn archive_limit_heuristics_follow_the_policy(b: Backend) {
    // The stream fits, but the file is over MaxFileSize: with AlertExceedsMax
    // clamd reports Heuristics.Limits.Exceeded.*, which is a size limit, not a virus.
    let clamd = start_clamd(ClamdLimits {
        stream_max_length: "20M",
        max_file_size: "1M",
        max_scan_size: "20M",
    })
    .await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let before = snapshot(&s, &u).await;
    let data = noise(3 << 20, 31);
    let r = put(&s, &u, "/h/big.bin", data.clone()).await;
    problem(r, StatusCode::PAYLOAD_TOO_LARGE, "too_large_to_scan").await;
    assert_eq!(snapshot(&s, &u).await, before);
    assert_eq!(
        detections(&s, &u, "").await.json::<Value>().await.unwrap()["items"],
        json!([]),
        "a limit is not a detection"
    );
    set_oversize(&s, "acme", "accept_unscanned").await;
    let r = put(&s, &u, "/h/big.bin", data).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v = versions_of(&s, &u, "/h/big.bin").await;
    assert_eq!(v[0]["scan"]["status"], "unscanned");
    assert!(
        v[0]["scan"]["detail"]
            .as_str()
            .unwrap()
            .contains("Heuristics.Limits.Exceeded"),
        "{v:?}"
    );
}

async fn twenty_concurrent_uploads_are_scanned(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let mut puts: Vec<(String, Vec<u8>)> = (0..20u64)
        .map(|i| {
            (
                format!("/api/v1/files/many/f{i}.bin?parents=true"),
                noise(2 << 20, 1000 + i),
            )
        })
        .collect();
    let mut bad = noise(1 << 20, 77);
    bad.extend_from_slice(EICAR);
    puts.push(("/api/v1/files/many/bad.bin?parents=true".into(), bad));
    let statuses = concurrent_puts(&s, &u, puts).await;
    assert_eq!(&statuses[..20], &[StatusCode::CREATED; 20]);
    assert_eq!(statuses[20], StatusCode::UNPROCESSABLE_ENTITY);
    let page = listing(&s, &u, "/many", "?limit=100").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert!(items.iter().all(|i| i["scan_status"] == "clean"));
    assert_eq!(used_bytes(&s, &u).await, 20 * (2 << 20));
}

async fn rescan_quarantines_newly_detected_files(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let (s, u) = scanning_server(b, &clamd.scan_config()).await;
    let other = s.tenant("globex", 1 << 30).await;
    let marker = format!("KURA-NEW-THREAT-{}", uuid::Uuid::new_v4().simple());
    let mut plan = noise(100_000, 41);
    plan.extend_from_slice(marker.as_bytes());
    assert_eq!(
        put(&s, &u, "/a/plan.dwg", plan.clone()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &u, "/a/memo.txt", "fine").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        put(&s, &other, "/x.dwg", plan.clone()).await.status(),
        StatusCode::CREATED
    );
    let cli = s.svc.cli_identity().await.unwrap();
    let only_acme = kura_service::RescanOptions {
        tenant: Some("acme".into()),
        since: None,
    };
    let r = s.svc.rescan(&cli, &only_acme).await.unwrap();
    assert_eq!((r.scanned, r.clean, r.quarantined), (2, 2, 0));

    // A new signature arrives.
    let sig = marker.clone();
    let clamd = tokio::task::spawn_blocking(move || {
        clamd.add_signature("Kura.Test.NewThreat", sig.as_bytes());
        clamd
    })
    .await
    .unwrap();
    let before = snapshot(&s, &u).await;
    // Nothing stored from before now is rescanned with `since` in the future.
    let later = kura_service::RescanOptions {
        tenant: Some("acme".into()),
        since: Some(s.svc.now_ms() + 60_000),
    };
    assert_eq!(s.svc.rescan(&cli, &later).await.unwrap().scanned, 0);
    let r = s.svc.rescan(&cli, &only_acme).await.unwrap();
    assert_eq!((r.scanned, r.clean, r.quarantined), (2, 1, 1));

    // Quarantined: kept (same bytes and usage), but not downloadable or copyable.
    let after = snapshot(&s, &u).await;
    assert_eq!(after.used, before.used);
    assert_eq!(after.blobs, before.blobs);
    let p = problem(
        get(&s, &u, "/a/plan.dwg").await,
        StatusCode::FORBIDDEN,
        "file_quarantined",
    )
    .await;
    assert_eq!(p["signature"], "Kura.Test.NewThreat.UNOFFICIAL");
    let head = call(&s, &u, reqwest::Method::HEAD, "/api/v1/files/a/plan.dwg")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FORBIDDEN);
    let page = listing(&s, &u, "/a", "").await;
    let entry = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "plan.dwg")
        .unwrap()
        .clone();
    assert_eq!(entry["scan_status"], "quarantined");
    let v = versions_of(&s, &u, "/a/plan.dwg").await;
    assert_eq!(v[0]["scan"]["status"], "quarantined");
    assert_eq!(v[0]["scan"]["detail"], "Kura.Test.NewThreat.UNOFFICIAL");
    let copy = |from: &str, to: &str| {
        call(&s, &u, reqwest::Method::POST, "/api/v1/copy")
            .json(&json!({"from": from, "to": to}))
            .send()
    };
    problem(
        copy("/a/plan.dwg", "/b.dwg").await.unwrap(),
        StatusCode::FORBIDDEN,
        "file_quarantined",
    )
    .await;
    problem(
        copy("/a", "/c").await.unwrap(),
        StatusCode::FORBIDDEN,
        "file_quarantined",
    )
    .await;
    assert_eq!(snapshot(&s, &u).await, after, "nothing was copied");
    // The other tenant's identical file was not part of this rescan.
    assert_eq!(get(&s, &other, "/x.dwg").await.status(), StatusCode::OK);
    // Recorded for admins and in the audit log.
    let d = detections(&s, &u, "").await.json::<Value>().await.unwrap();
    assert_eq!(d["items"][0]["source"], "rescan");
    assert_eq!(d["items"][0]["path"], "/a/plan.dwg");
    assert!(d["items"][0]["version_id"].is_i64());
    let audit = audit_actions(&s, "acme").await;
    assert!(
        audit
            .iter()
            .any(|(a, t, _)| a == "security.file_quarantined" && t == "/a/plan.dwg")
    );
    // A clean new version makes the file usable again; the old one stays quarantined.
    assert_eq!(
        put(&s, &u, "/a/plan.dwg", "redrawn").await.status(),
        StatusCode::OK
    );
    assert_eq!(content(&s, &u, "/a/plan.dwg").await, b"redrawn");
    let v = versions_of(&s, &u, "/a/plan.dwg").await;
    assert_eq!(v[1]["scan"]["status"], "quarantined");
    let restore = call(&s, &u, reqwest::Method::POST, "/api/v1/versions/a/plan.dwg")
        .json(&json!({ "restore": v[1]["id"] }))
        .send()
        .await
        .unwrap();
    problem(restore, StatusCode::FORBIDDEN, "file_quarantined").await;
    drop(clamd);
}

async fn disabled_scanning_is_reported_and_files_marked_unscanned(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let ready: Value = client()
        .get(s.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["scanner"], "disabled");
    assert_eq!(ready["status"], "ready");
    let op = s.operator().await;
    let st: Value = call(&s, &op, reqwest::Method::GET, "/api/v1/admin/scanner")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["mode"], "disabled");
    let r = put(&s, &u, "/d/eicar.com", EICAR).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "unscanned");
    let v = versions_of(&s, &u, "/d/eicar.com").await;
    assert_eq!(v[0]["scan"]["detail"], "virus scanning is disabled");
    let audit = audit_actions(&s, "acme").await;
    assert!(
        audit
            .iter()
            .any(|(a, _, d)| a == "file.upload" && d.contains("UNSCANNED"))
    );
}

async fn clamd_over_a_unix_socket_works_the_same(b: Backend) {
    let clamd = start_clamd(ClamdLimits::default()).await;
    let scan = ScanConfig {
        clamd: clamd.unix_address(),
        ..clamd.scan_config()
    };
    let (s, u) = scanning_server(b, &scan).await;
    let before = snapshot(&s, &u).await;
    let r = put(&s, &u, "/u/eicar.txt", EICAR).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(snapshot(&s, &u).await, before);
    let r = put(&s, &u, "/u/clean.bin", noise(3 << 20, 61)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["scan_status"], "clean");
    let ready: Value = client()
        .get(s.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["scanner"], "ok");
    assert!(
        ready["scanner_detail"]["scanner"]
            .as_str()
            .unwrap()
            .contains("unix:")
    );
}
