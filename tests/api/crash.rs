//! Interrupted uploads and restarts: nothing half-written ever becomes
//! visible, usage never counts it, and the janitor removes its bytes.

use crate::common::*;
use kura_http::HttpConfig;
use kura_service::ServiceConfig;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both!(
    client_disconnect_mid_upload_leaves_nothing,
    body_shorter_than_content_length_leaves_nothing,
    interrupted_replacement_keeps_the_old_content,
    restart_removes_staging_files_and_orphaned_blobs,
    young_orphans_are_kept_until_the_grace_period_ends,
    the_store_is_swept_at_most_once_per_interval,
);

/// Opens a PUT with this Content-Length, sends `sent` bytes of body, and returns the socket.
async fn partial_put(
    s: &TestServer,
    u: &TestUser,
    path: &str,
    declared: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    let mut sock = tokio::net::TcpStream::connect(addr(s)).await.unwrap();
    let head = format!(
        "PUT /api/v1/files{}?parents=true HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {declared}\r\n\r\n",
        enc(path),
        addr(s),
        u.token
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let body = noise(sent, 9);
    for chunk in body.chunks(64 * 1024) {
        sock.write_all(chunk).await.unwrap();
    }
    sock.flush().await.unwrap();
    sock
}

/// Gives the server time to notice the broken request and finish with it.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn client_disconnect_mid_upload_leaves_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/keep.txt", "committed").await;
    let used = used_bytes(&s, &u).await;

    // 1 MB of a declared 10 MB (below the single-put size), then the client is gone.
    let sock = partial_put(&s, &u, "/crash.bin", 10_000_000, 1_000_000).await;
    drop(sock);
    // 12 MiB of a declared 30 MiB: on the multipart path, parts already written.
    let sock = partial_put(&s, &u, "/dir/crash-big.bin", 30 << 20, 12 << 20).await;
    drop(sock);
    settle().await;

    for p in ["/crash.bin", "/dir/crash-big.bin"] {
        problem(get(&s, &u, p).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["keep.txt"]);
    assert_eq!(used_bytes(&s, &u).await, used);

    s.svc.janitor_pass(true).await.unwrap();
    assert_eq!(
        s.blob_files().len(),
        1,
        "only the committed blob: {:?}",
        s.blob_files()
    );
    assert!(staging_files(&s).is_empty());
    // The server carries on normally.
    assert_eq!(
        put(&s, &u, "/after.txt", "fine").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(content(&s, &u, "/keep.txt").await, b"committed");
}

async fn body_shorter_than_content_length_leaves_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let used = used_bytes(&s, &u).await;

    // The client stops sending and closes its side; the declared length is never reached.
    for (path, declared, sent) in [
        ("/short.bin", 5_000, 3_000),
        ("/short-big.bin", 20 << 20, 9 << 20),
    ] {
        let mut sock = partial_put(&s, &u, path, declared, sent).await;
        sock.shutdown().await.unwrap();
        // Whatever the server answers (if anything), it is not a success.
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server closes the connection");
        let text = String::from_utf8_lossy(&answer);
        assert!(!text.starts_with("HTTP/1.1 2"), "{path}: {text}");
    }
    settle().await;

    for p in ["/short.bin", "/short-big.bin"] {
        problem(get(&s, &u, p).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(listing(&s, &u, "/", "").await["items"], json!([]));
    assert_eq!(used_bytes(&s, &u).await, used);
    s.svc.janitor_pass(true).await.unwrap();
    assert!(s.blob_files().is_empty(), "{:?}", s.blob_files());
}

async fn interrupted_replacement_keeps_the_old_content(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = put(&s, &u, "/report.pdf", "the good version").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let used = used_bytes(&s, &u).await;

    let sock = partial_put(&s, &u, "/report.pdf", 10_000_000, 2_000_000).await;
    drop(sock);
    let mut sock = partial_put(&s, &u, "/report.pdf", 5_000, 3_000).await;
    sock.shutdown().await.unwrap();
    let mut sink = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut sink))
        .await
        .ok();
    settle().await;

    let r = get(&s, &u, "/report.pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"the good version");
    assert_eq!(versions_of(&s, &u, "/report.pdf").await.len(), 1);
    assert_eq!(used_bytes(&s, &u).await, used);
    s.svc.janitor_pass(true).await.unwrap();
    assert_eq!(s.blob_files().len(), 1, "{:?}", s.blob_files());
    assert_eq!(content(&s, &u, "/report.pdf").await, b"the good version");
}

async fn restart_removes_staging_files_and_orphaned_blobs(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a.txt", "alpha").await;
    put(&s, &u, "/dir/b.bin", noise(100_000, 3)).await;
    put(&s, &u, "/dir/b.bin", noise(50_000, 4)).await;
    let committed = {
        let mut v = s.blob_files();
        v.sort();
        v
    };
    assert_eq!(committed.len(), 3);
    let used = used_bytes(&s, &u).await;
    let (db_url, data_dir) = s.stop().await;

    // What a killed process leaves: staging files (of a new key and beside a
    // committed blob) and a blob that was stored but never committed.
    let blobs = data_dir.join("blobs");
    let staging = blobs.join("t/1/b/xyz#1");
    std::fs::create_dir_all(staging.parent().unwrap()).unwrap();
    std::fs::write(&staging, b"half an upload").unwrap();
    let beside = committed[0].with_file_name(format!(
        "{}#2",
        committed[0].file_name().unwrap().to_str().unwrap()
    ));
    std::fs::write(&beside, b"another half").unwrap();
    let orphan = committed[0].with_file_name("0190f3a2b4c57d8e9f00112233445566");
    std::fs::write(&orphan, b"never committed").unwrap();

    let cfg = ServiceConfig {
        orphan_grace_ms: 0,
        ..Default::default()
    };
    let s = TestServer::start_on(b, db_url, data_dir, cfg, HttpConfig::default()).await;
    assert!(!staging.exists(), "staging file removed at start-up");
    assert!(!beside.exists(), "staging file beside a blob removed");
    assert!(!orphan.exists(), "orphaned blob removed");
    let mut now = s.blob_files();
    now.sort();
    assert_eq!(now, committed, "committed blobs are untouched");

    // Everything committed survives the restart, byte for byte.
    assert_eq!(content(&s, &u, "/a.txt").await, b"alpha");
    assert_eq!(content(&s, &u, "/dir/b.bin").await, noise(50_000, 4));
    let versions = versions_of(&s, &u, "/dir/b.bin").await;
    assert_eq!(versions.len(), 2);
    let r = call(
        &s,
        &u,
        reqwest::Method::GET,
        &format!("/api/v1/files/dir/b.bin?version={}", versions[1]["id"]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), noise(100_000, 3));
    assert_eq!(used_bytes(&s, &u).await, used);
    assert_eq!(
        put(&s, &u, "/after.txt", "x").await.status(),
        StatusCode::CREATED
    );
}

async fn young_orphans_are_kept_until_the_grace_period_ends(b: Backend) {
    let s = TestServer::start(b).await; // grace: 1 hour
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a.txt", "alpha").await;
    let committed = s.blob_files();
    assert_eq!(committed.len(), 1);
    // A blob without metadata, as an upload on another node has just before its commit.
    let orphan = committed[0].with_file_name("0190f3a2b4c57d8e9f00112233445566");
    std::fs::write(&orphan, b"about to be committed elsewhere").unwrap();

    s.svc.janitor_pass(false).await.unwrap();
    assert!(orphan.exists(), "a young orphan may still be committed");
    s.clock.advance_ms(3_600_000 - 60_000);
    s.svc.janitor_pass(false).await.unwrap();
    assert!(orphan.exists());

    // The clock started before the file was written (real time): step well past the end.
    s.clock.advance_ms(120_000);
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.orphan_blobs_deleted, 1);
    assert!(!orphan.exists());
    // Referenced blobs are never swept, however old.
    assert_eq!(s.blob_files(), committed);
    assert_eq!(content(&s, &u, "/a.txt").await, b"alpha");
}

/// Listing the store is costly: after a sweep, the next one waits its interval
/// (the grace period, at least 10 minutes), even when orphans are already old.
async fn the_store_is_swept_at_most_once_per_interval(b: Backend) {
    let cfg = ServiceConfig {
        orphan_grace_ms: 0,
        ..ServiceConfig::default()
    };
    let s = TestServer::start_with(b, cfg, HttpConfig::default()).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a.txt", "alpha").await;
    let committed = s.blob_files();
    s.svc.janitor_pass(false).await.unwrap();
    let orphan = committed[0].with_file_name("0190f3a2b4c57d8e9f00112233445566");
    std::fs::write(&orphan, b"left behind").unwrap();
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(
        report.orphan_blobs_deleted, 0,
        "no second listing right after a sweep"
    );
    assert!(orphan.exists());
    s.clock.advance_ms(600_000);
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.orphan_blobs_deleted, 1);
    assert!(!orphan.exists());
    assert_eq!(s.blob_files(), committed);
}
