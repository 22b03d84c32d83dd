//! Resumable uploads with tus 1.0.0 at /api/v1/uploads: chunks, interrupted
//! PATCHes, offsets, checksums, termination, expiry, isolation, quota and the
//! virus scan of the assembled file.

use crate::common::*;
use base64::Engine;
use kura_core::Role;
use reqwest::Method;
use sha2::Digest;
use std::time::Duration;

both!(
    chunks_make_the_exact_file_with_a_japanese_name,
    on_conflict_version_rename_and_fail,
    interrupted_patch_keeps_what_arrived,
    wrong_offset_and_media_type_are_refused,
    checksum_mismatch_is_460_and_keeps_the_offset,
    termination_removes_the_upload,
    expired_upload_is_refused_and_cleaned_by_the_janitor,
    another_tenant_or_user_gets_404,
    creation_checks_quota_name_parent_and_attributes,
    racing_patches_at_one_offset_append_once,
    eicar_through_tus_is_refused_like_a_put,
    sessions_need_csrf_and_app_passwords_work_over_basic,
);

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// An Upload-Metadata header from plain pairs.
fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", b64(v)))
        .collect::<Vec<_>>()
        .join(",")
}

fn tus(s: &TestServer, u: &TestUser, m: Method, path: &str) -> reqwest::RequestBuilder {
    call(s, u, m, path).header("tus-resumable", "1.0.0")
}

/// Creates an upload; asserts 201 and returns its URL path.
async fn create(s: &TestServer, u: &TestUser, len: usize, metadata: &str) -> String {
    let r = tus(s, u, Method::POST, "/api/v1/uploads")
        .header("upload-length", len.to_string())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    assert!(r.headers().contains_key("upload-expires"));
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/api/v1/uploads/"), "{loc}");
    loc
}

async fn patch(
    s: &TestServer,
    u: &TestUser,
    loc: &str,
    offset: usize,
    body: &[u8],
) -> reqwest::Response {
    tus(s, u, Method::PATCH, loc)
        .header("upload-offset", offset.to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn head(s: &TestServer, u: &TestUser, loc: &str) -> reqwest::Response {
    tus(s, u, Method::HEAD, loc).send().await.unwrap()
}

/// Upload-Offset of a HEAD; asserts 200.
async fn offset_of(s: &TestServer, u: &TestUser, loc: &str) -> usize {
    let r = head(s, u, loc).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Stored pieces of resumable uploads (`t/<tenant>/u/...`).
fn piece_files(s: &TestServer) -> Vec<std::path::PathBuf> {
    s.blob_files()
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "u"))
        .collect()
}

async fn mkdir(s: &TestServer, u: &TestUser, path: &str) {
    let r = call(s, u, Method::POST, &format!("/api/v1/folders{}", enc(path)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "mkdir {path}");
}

async fn chunks_make_the_exact_file_with_a_japanese_name(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    mkdir(&s, &u, "/設計").await;

    // Discovery, without signing in.
    let r = client()
        .request(Method::OPTIONS, s.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let h = r.headers();
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert_eq!(h["tus-version"], "1.0.0");
    let ext = h["tus-extension"].to_str().unwrap();
    for e in ["creation", "termination", "expiration", "checksum"] {
        assert!(ext.split(',').any(|x| x == e), "{ext}");
    }
    assert!(h["tus-max-size"].to_str().unwrap().parse::<u64>().unwrap() > 1 << 30);
    assert!(
        h["tus-checksum-algorithm"]
            .to_str()
            .unwrap()
            .contains("sha1")
    );

    let data = noise((3 << 20) + 12_345, 7);
    let name = "設計図 第1版.pdf";
    let loc = create(
        &s,
        &u,
        data.len(),
        &meta(&[("filename", name), ("parent", "/設計")]),
    )
    .await;
    let r = head(&s, &u, &loc).await;
    assert_eq!(
        r.headers()["upload-length"],
        data.len().to_string().as_str()
    );
    assert_eq!(r.headers()["upload-offset"], "0");
    assert!(
        r.headers()["upload-metadata"]
            .to_str()
            .unwrap()
            .contains(&b64(name))
    );

    // Several chunks; nothing is visible before the last one.
    let cuts = [0, 1 << 20, (2 << 20) + 7, data.len()];
    for w in cuts.windows(2) {
        let r = patch(&s, &u, &loc, w[0], &data[w[0]..w[1]]).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{:?}", r.text().await);
        assert_eq!(r.headers()["tus-resumable"], "1.0.0");
        assert_eq!(r.headers()["upload-offset"], w[1].to_string().as_str());
        if w[1] < data.len() {
            assert_eq!(offset_of(&s, &u, &loc).await, w[1]);
            let page = listing(&s, &u, "/設計", "").await;
            assert!(item_names(&page).is_empty(), "visible before the end");
        } else {
            let p = r.headers()["x-kura-path"].to_str().unwrap();
            let p = percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .unwrap();
            assert_eq!(p, format!("/設計/{name}"));
        }
    }
    assert_eq!(content(&s, &u, &format!("/設計/{name}")).await, data);
    assert_eq!(item_names(&listing(&s, &u, "/設計", "").await), vec![name]);
    assert_eq!(used_bytes(&s, &u).await, data.len() as i64);
    // The upload is gone, and so are its pieces.
    assert_eq!(head(&s, &u, &loc).await.status(), StatusCode::NOT_FOUND);
    assert!(piece_files(&s).is_empty(), "{:?}", piece_files(&s));

    // creation-with-upload: the whole file in the POST.
    let small = b"tiny file".to_vec();
    let r = tus(&s, &u, Method::POST, "/api/v1/uploads")
        .header("upload-length", small.len().to_string())
        .header("upload-metadata", meta(&[("filename", "小.txt")]))
        .header("content-type", "application/offset+octet-stream")
        .body(small.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()["upload-offset"],
        small.len().to_string().as_str()
    );
    assert_eq!(content(&s, &u, "/小.txt").await, small);
    // An empty file is complete at creation.
    let r = tus(&s, &u, Method::POST, "/api/v1/uploads")
        .header("upload-length", "0")
        .header("upload-metadata", meta(&[("filename", "空.txt")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(content(&s, &u, "/空.txt").await, Vec::<u8>::new());
}

async fn on_conflict_version_rename_and_fail(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        put(&s, &u, "/a/report.pdf", "v1").await.status(),
        StatusCode::CREATED
    );
    // Default: a new version, like PUT.
    let loc = create(
        &s,
        &u,
        2,
        &meta(&[("filename", "report.pdf"), ("parent", "/a")]),
    )
    .await;
    assert_eq!(
        patch(&s, &u, &loc, 0, b"v2").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(content(&s, &u, "/a/report.pdf").await, b"v2");
    assert_eq!(versions_of(&s, &u, "/a/report.pdf").await.len(), 2);
    // rename: keep both.
    let m = meta(&[
        ("filename", "report.pdf"),
        ("parent", "/a"),
        ("on_conflict", "rename"),
    ]);
    let loc = create(&s, &u, 2, &m).await;
    let r = patch(&s, &u, &loc, 0, b"v3").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["x-kura-path"], "%2Fa%2Freport%20%281%29%2Epdf");
    assert_eq!(content(&s, &u, "/a/report (1).pdf").await, b"v3");
    assert_eq!(content(&s, &u, "/a/report.pdf").await, b"v2");
    // fail: refused at creation, before any byte.
    let r = tus(&s, &u, Method::POST, "/api/v1/uploads")
        .header("upload-length", "2")
        .header(
            "upload-metadata",
            meta(&[
                ("filename", "REPORT.pdf"),
                ("parent", "/a"),
                ("on_conflict", "fail"),
            ]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    problem(r, StatusCode::CONFLICT, "name_conflict").await;
    // ...and at the end, if the name was taken meanwhile.
    let m = meta(&[
        ("filename", "late.pdf"),
        ("parent", "/a"),
        ("on_conflict", "fail"),
    ]);
    let loc = create(&s, &u, 2, &m).await;
    assert_eq!(
        put(&s, &u, "/a/late.pdf", "xx").await.status(),
        StatusCode::CREATED
    );
    problem(
        patch(&s, &u, &loc, 0, b"v4").await,
        StatusCode::CONFLICT,
        "name_conflict",
    )
    .await;
    assert_eq!(content(&s, &u, "/a/late.pdf").await, b"xx");
    assert_eq!(head(&s, &u, &loc).await.status(), StatusCode::NOT_FOUND);
    let r = tus(&s, &u, Method::POST, "/api/v1/uploads")
        .header("upload-length", "2")
        .header(
            "upload-metadata",
            meta(&[("filename", "x"), ("on_conflict", "maybe")]),
        )
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
}

async fn interrupted_patch_keeps_what_arrived(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let data = noise(6 << 20, 11);
    let loc = create(&s, &u, data.len(), &meta(&[("filename", "途中.bin")])).await;
    // The client sends half of a PATCH that announced everything, then goes away.
    let half = 3 << 20;
    let mut sock = tokio::net::TcpStream::connect(addr(&s)).await.unwrap();
    let head_text = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        addr(&s),
        u.token,
        data.len()
    );
    sock.write_all(head_text.as_bytes()).await.unwrap();
    sock.write_all(&data[..half]).await.unwrap();
    sock.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sock.shutdown().await.unwrap();
    drop(sock);
    // What arrived is kept: HEAD soon reports it.
    let mut offset = 0;
    for _ in 0..100 {
        offset = offset_of(&s, &u, &loc).await;
        if offset > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(offset > 0 && offset <= half, "offset {offset}");
    // The client resumes from there and the file is exact.
    let r = patch(&s, &u, &loc, offset, &data[offset..]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{:?}", r.text().await);
    assert_eq!(content(&s, &u, "/途中.bin").await, data);
    assert!(piece_files(&s).is_empty());
}

async fn wrong_offset_and_media_type_are_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let loc = create(&s, &u, 10, &meta(&[("filename", "a.txt")])).await;
    let r = patch(&s, &u, &loc, 3, b"abc").await;
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    let p = problem(r, StatusCode::CONFLICT, "offset_mismatch").await;
    assert_eq!(p["offset"], 0);
    assert_eq!(
        patch(&s, &u, &loc, 0, b"abc").await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        patch(&s, &u, &loc, 0, b"abc").await,
        StatusCode::CONFLICT,
        "offset_mismatch",
    )
    .await;
    let r = tus(&s, &u, Method::PATCH, &loc)
        .header("upload-offset", "3")
        .header("content-type", "application/octet-stream")
        .body("def")
        .send()
        .await
        .unwrap();
    problem(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // Past the declared length.
    problem(
        patch(&s, &u, &loc, 3, b"0123456789").await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let r = call(&s, &u, Method::HEAD, &loc)
        .header("tus-resumable", "0.2.2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    assert_eq!(offset_of(&s, &u, &loc).await, 3);
}

async fn checksum_mismatch_is_460_and_keeps_the_offset(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let data = noise(2 << 20, 3);
    let loc = create(&s, &u, data.len(), &meta(&[("filename", "sum.bin")])).await;
    let half = 1 << 20;
    let sha1 = |d: &[u8]| {
        base64::engine::general_purpose::STANDARD.encode(<sha1::Sha1 as sha1::Digest>::digest(d))
    };
    let with_sum = |offset: usize, body: &[u8], sum: String| {
        tus(&s, &u, Method::PATCH, &loc)
            .header("upload-offset", offset.to_string())
            .header("content-type", "application/offset+octet-stream")
            .header("upload-checksum", sum)
            .body(body.to_vec())
    };
    let r = with_sum(0, &data[..half], format!("sha1 {}", sha1(&data[..half])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A wrong digest: 460, the chunk is discarded, the offset stays.
    let r = with_sum(
        half,
        &data[half..],
        format!("sha1 {}", sha1(b"something else")),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 460);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "checksum_mismatch");
    assert_eq!(offset_of(&s, &u, &loc).await, half);
    let r = with_sum(half, &data[half..], "md5 AAAA".into())
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    // sha256 works too, and the file is exact.
    let sum = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&data[half..]));
    let r = with_sum(half, &data[half..], format!("sha256 {sum}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(content(&s, &u, "/sum.bin").await, data);
    assert!(piece_files(&s).is_empty());
}

async fn termination_removes_the_upload(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let loc = create(&s, &u, 100, &meta(&[("filename", "gone.txt")])).await;
    assert_eq!(
        patch(&s, &u, &loc, 0, &[1u8; 40]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!piece_files(&s).is_empty());
    let r = tus(&s, &u, Method::DELETE, &loc).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    assert_eq!(head(&s, &u, &loc).await.status(), StatusCode::NOT_FOUND);
    problem(
        patch(&s, &u, &loc, 40, &[1u8; 60]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        tus(&s, &u, Method::DELETE, &loc).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(piece_files(&s).is_empty());
    assert_eq!(used_bytes(&s, &u).await, 0);
}

async fn expired_upload_is_refused_and_cleaned_by_the_janitor(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let loc = create(&s, &u, 100, &meta(&[("filename", "old.txt")])).await;
    assert_eq!(
        patch(&s, &u, &loc, 0, &[2u8; 50]).await.status(),
        StatusCode::NO_CONTENT
    );
    let keep = create(&s, &u, 100, &meta(&[("filename", "fresh.txt")])).await;
    // Each stored chunk moves the expiry: 23 h later both are alive...
    s.clock.advance_ms(23 * 3_600_000);
    assert_eq!(offset_of(&s, &u, &loc).await, 50);
    assert_eq!(
        patch(&s, &u, &keep, 0, &[3u8; 10]).await.status(),
        StatusCode::NO_CONTENT
    );
    // ...and 2 h more, the idle one has expired.
    s.clock.advance_ms(2 * 3_600_000);
    let r = head(&s, &u, &loc).await;
    assert_eq!(r.status(), StatusCode::GONE);
    problem(
        patch(&s, &u, &loc, 50, &[2u8; 50]).await,
        StatusCode::GONE,
        "upload_expired",
    )
    .await;
    // A piece no upload records (a node died between storing and recording
    // it) is swept too, once older than the grace period.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let stray = s.data_dir.join(format!("blobs/t/{}/u/stray/piece", t.id));
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"left behind").unwrap();
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.uploads_expired, 1);
    assert_eq!(report.orphan_blobs_deleted, 1);
    assert!(!stray.exists());
    assert_eq!(head(&s, &u, &loc).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(offset_of(&s, &u, &keep).await, 10);
    assert_eq!(piece_files(&s).len(), 1, "{:?}", piece_files(&s));
}

async fn another_tenant_or_user_gets_404(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("other", 1 << 30).await;
    let colleague = s.user("acme", "colleague", Role::Member).await;
    let loc = create(&s, &u, 10, &meta(&[("filename", "mine.txt")])).await;
    assert_eq!(
        patch(&s, &u, &loc, 0, b"12345").await.status(),
        StatusCode::NO_CONTENT
    );
    for stranger in [&other, &colleague] {
        assert_eq!(
            head(&s, stranger, &loc).await.status(),
            StatusCode::NOT_FOUND
        );
        problem(
            patch(&s, stranger, &loc, 5, b"abcde").await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let r = tus(&s, stranger, Method::DELETE, &loc)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
    // Without credentials: 401.
    let r = client()
        .head(s.url(&loc))
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(offset_of(&s, &u, &loc).await, 5);
    assert_eq!(
        patch(&s, &u, &loc, 5, b"67890").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(content(&s, &u, "/mine.txt").await, b"1234567890");
    let r = get(&s, &other, "/mine.txt").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn creation_checks_quota_name_parent_and_attributes(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    let post = |len: u64, m: String| {
        tus(&s, &u, Method::POST, "/api/v1/uploads")
            .header("upload-length", len.to_string())
            .header("upload-metadata", m)
    };
    let r = post(2 << 20, meta(&[("filename", "big.bin")]))
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("1048576 bytes are free"),
        "{p}"
    );
    // Unfinished uploads hold their declared length.
    let loc = create(&s, &u, 600 << 10, &meta(&[("filename", "one.bin")])).await;
    let r = post(600 << 10, meta(&[("filename", "two.bin")]))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    let r = tus(&s, &u, Method::DELETE, &loc).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let loc = create(&s, &u, 600 << 10, &meta(&[("filename", "two.bin")])).await;
    assert_eq!(offset_of(&s, &u, &loc).await, 0);
    let r = post(10, meta(&[("parent", "/")])).send().await.unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = post(10, meta(&[("filename", "a/b")])).send().await.unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_name").await;
    let r = post(10, meta(&[("filename", "a.txt"), ("parent", "/nowhere")]))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "parent_not_found").await;
    let m = meta(&[
        ("filename", "a.txt"),
        ("attributes", r#"{"no_such_key":"x"}"#),
    ]);
    let r = post(10, m).send().await.unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_attribute").await;
    let r = post(10, meta(&[("filename", "a.txt"), ("attributes", "[1]")]))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = tus(&s, &u, Method::POST, "/api/v1/uploads")
        .header("upload-metadata", meta(&[("filename", "a.txt")]))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = post(10, "filename !!!".into()).send().await.unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(piece_files(&s).is_empty());
    assert_eq!(used_bytes(&s, &u).await, 0);
}

async fn racing_patches_at_one_offset_append_once(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let data = noise(4 << 20, 5);
    let loc = create(&s, &u, data.len() * 2, &meta(&[("filename", "race.bin")])).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let url = s.url(&loc);
            let token = u.token.clone();
            let body = data.clone();
            tokio::spawn(async move {
                client()
                    .patch(url)
                    .bearer_auth(token)
                    .header("tus-resumable", "1.0.0")
                    .header("upload-offset", "0")
                    .header("content-type", "application/offset+octet-stream")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(StatusCode::NO_CONTENT) => ok += 1,
            Ok(StatusCode::CONFLICT) => {}
            // A loser may be answered 409 before its body is sent, and the
            // server then closes the connection under the client's write.
            Err(e) if e.is_request() => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(offset_of(&s, &u, &loc).await, data.len());
    assert_eq!(
        patch(&s, &u, &loc, data.len(), &data).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        content(&s, &u, "/race.bin").await,
        [data.clone(), data].concat()
    );
    // The losers' pieces were removed.
    assert!(piece_files(&s).is_empty(), "{:?}", piece_files(&s));
}

async fn eicar_through_tus_is_refused_like_a_put(b: Backend) {
    use kura_testkit::clamd::{Clamd, ClamdLimits, EICAR, free_port};
    let clamd = tokio::task::spawn_blocking(|| Clamd::start_limits(ClamdLimits::default()))
        .await
        .unwrap();
    let s = TestServer::start_scanning(b, &clamd.scan_config()).await;
    let u = s.tenant("acme", 1 << 30).await;
    // The signature is split across two chunks: the assembled file is scanned.
    let loc = create(&s, &u, EICAR.len(), &meta(&[("filename", "eicar.com")])).await;
    assert_eq!(
        patch(&s, &u, &loc, 0, &EICAR[..30]).await.status(),
        StatusCode::NO_CONTENT
    );
    let r = patch(&s, &u, &loc, 30, &EICAR[30..]).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY, "virus_detected").await;
    assert_eq!(p["signature"], "Kura.Test.EICAR.UNOFFICIAL");
    assert_eq!(head(&s, &u, &loc).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&s, &u, "/eicar.com").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(piece_files(&s).is_empty());
    assert_eq!(used_bytes(&s, &u).await, 0);
    // A clean file through the same path is stored as clean.
    let loc = create(&s, &u, 5, &meta(&[("filename", "ok.txt")])).await;
    assert_eq!(
        patch(&s, &u, &loc, 0, b"hello").await.status(),
        StatusCode::NO_CONTENT
    );
    let r = get(&s, &u, "/ok.txt").await;
    assert_eq!(r.headers()["x-kura-scan-status"], "clean");
}

async fn sessions_need_csrf_and_app_passwords_work_over_basic(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // A browser session: unsafe tus requests need the CSRF token.
    let c = cookie_client();
    let r = c
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "acme", "login": "admin", "password": u.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let post = || {
        c.post(s.url("/api/v1/uploads"))
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "6")
            .header("upload-metadata", meta(&[("filename", "ブラウザ.txt")]))
    };
    let r = post().send().await.unwrap();
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    problem(r, StatusCode::FORBIDDEN, "csrf_failed").await;
    let r = post().header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let r = c
        .patch(s.url(&loc))
        .header("tus-resumable", "1.0.0")
        .header("x-csrf-token", &csrf)
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // HEAD is safe: the cookie alone does.
    let r = c.head(s.url(&loc)).send().await.unwrap();
    assert_eq!(r.headers()["upload-offset"], "3");
    // The same user's app password over HTTP Basic continues it.
    let r = client()
        .patch(s.url(&loc))
        .basic_auth("acme/admin", Some(&u.token))
        .header("upload-offset", "3")
        .header("content-type", "application/offset+octet-stream")
        .body("def")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{:?}", r.text().await);
    assert_eq!(content(&s, &u, "/ブラウザ.txt").await, b"abcdef");
}
