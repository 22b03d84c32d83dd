//! Uploading, downloading, versions: the core of the file API.

use crate::common::*;

both!(upload_download_round_trip_keeps_japanese_names);

async fn upload_download_round_trip_keeps_japanese_names(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let body = "図面の内容 drawing content".as_bytes().to_vec();
    let r = put(&s, &u, "/設計/図面 A-1.pdf", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let etag_hdr = r.headers()["etag"].to_str().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "図面 A-1.pdf");
    assert_eq!(v["path"], "/設計/図面 A-1.pdf");
    assert_eq!(v["size"], body.len());
    assert_eq!(v["content_type"], "application/pdf");
    assert_eq!(etag_hdr, format!("\"{}\"", v["etag"].as_str().unwrap()));

    let r = get(&s, &u, "/設計/図面 A-1.pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-length"], body.len().to_string().as_str());
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["etag"].to_str().unwrap(), etag_hdr);
    assert!(h.contains_key("last-modified"));
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(
        cd.contains("filename*=UTF-8''%E5%9B%B3%E9%9D%A2%20A-1.pdf"),
        "{cd}"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), body);

    // The folder listing shows the same name, NFC, unchanged.
    let r = client()
        .get(s.url(&format!("/api/v1/folders{}", enc("/設計"))))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["items"][0]["name"], "図面 A-1.pdf");
    assert_eq!(v["items"][0]["kind"], "file");
}

both!(
    head_gives_headers_without_body,
    single_ranges_and_unsatisfiable_range,
    conditional_get_answers_304,
    if_none_match_star_refuses_to_overwrite,
    if_match_guards_replacement,
    replacing_adds_a_version_and_old_content_stays_until_commit,
    parent_that_is_a_file_is_a_conflict,
    put_on_a_folder_name_is_a_conflict,
    names_are_unique_ignoring_case_and_keep_first_case,
    nfd_and_nfc_names_are_one_file,
    large_upload_round_trips_byte_for_byte,
    concurrent_uploads_to_one_new_name_make_one_file,
    failed_upload_with_parents_creates_no_folders,
);

async fn head_gives_headers_without_body(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let body = b"hello, head request".to_vec();
    let etag = put(&s, &u, "/docs/note.txt", body.clone()).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();

    let r = call(&s, &u, reqwest::Method::HEAD, "/api/v1/files/docs/note.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-length"], body.len().to_string().as_str());
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(h["etag"].to_str().unwrap(), etag);
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(h.contains_key("last-modified"));
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .contains("note.txt")
    );
    assert!(r.bytes().await.unwrap().is_empty());

    // The raw answer really has no body bytes after the head.
    let req = format!(
        "HEAD /api/v1/files/docs/note.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        u.token
    );
    let raw = raw(&s, req.as_bytes()).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("content-length"), Some(body.len().to_string()));
    assert!(raw.body.is_empty(), "HEAD sent a body: {:?}", raw.body);

    // A missing file is a 404 on HEAD as well.
    let r = call(&s, &u, reqwest::Method::HEAD, "/api/v1/files/docs/nope.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn single_ranges_and_unsatisfiable_range(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let body = b"0123456789abcdefghij".to_vec(); // 20 bytes
    let etag = put(&s, &u, "/r.bin", body.clone()).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();

    let ranged = |spec: &'static str| {
        call(&s, &u, reqwest::Method::GET, "/api/v1/files/r.bin")
            .header("range", spec)
            .send()
    };
    for (spec, want, content_range) in [
        ("bytes=0-9", &b"0123456789"[..], "bytes 0-9/20"),
        ("bytes=-5", &b"fghij"[..], "bytes 15-19/20"),
        ("bytes=5-", &b"56789abcdefghij"[..], "bytes 5-19/20"),
        ("bytes=15-1000", &b"fghij"[..], "bytes 15-19/20"),
        ("bytes=19-19", &b"j"[..], "bytes 19-19/20"),
    ] {
        let r = ranged(spec).await.unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{spec}");
        assert_eq!(r.headers()["content-range"], content_range, "{spec}");
        assert_eq!(
            r.headers()["content-length"],
            want.len().to_string().as_str()
        );
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        assert_eq!(r.bytes().await.unwrap().as_ref(), want, "{spec}");
    }

    // Starting at or past the end: 416 with the size.
    for spec in ["bytes=20-", "bytes=25-30"] {
        let r = ranged(spec).await.unwrap();
        assert_eq!(r.headers()["content-range"], "bytes */20", "{spec}");
        problem(
            r,
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
        )
        .await;
    }

    // If-Range with the current etag honours the range; a stale one sends everything.
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/files/r.bin")
        .header("range", "bytes=0-1")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"01");
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/files/r.bin")
        .header("range", "bytes=0-1")
        .header("if-range", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), body);
}

async fn conditional_get_answers_304(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/c.txt", "first").await;
    let r = get(&s, &u, "/c.txt").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let last_modified = r.headers()["last-modified"].to_str().unwrap().to_string();

    let cond = |name: &'static str, value: String| {
        call(&s, &u, reqwest::Method::GET, "/api/v1/files/c.txt")
            .header(name, value)
            .send()
    };
    let r = cond("if-none-match", etag.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = cond("if-none-match", format!("\"other\", {etag}"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = cond("if-none-match", "\"other\"".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"first");

    let r = cond("if-modified-since", last_modified.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = cond("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT".into())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"first");

    // If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/files/c.txt")
        .header("if-none-match", "\"other\"")
        .header("if-modified-since", last_modified.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // After a change, the old validators no longer match.
    s.clock.advance_ms(5_000);
    put(&s, &u, "/c.txt", "second").await;
    let r = cond("if-none-match", etag.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"second");
    let r = cond("if-modified-since", last_modified).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"second");
}

async fn if_none_match_star_refuses_to_overwrite(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let put_inm = |path: &'static str, body: &'static str| {
        call(
            &s,
            &u,
            reqwest::Method::PUT,
            &format!("/api/v1/files{path}"),
        )
        .header("if-none-match", "*")
        .body(body)
        .send()
    };
    let r = put_inm("/once.txt", "original").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let used = used_bytes(&s, &u).await;
    let blobs = s.blob_files().len();

    let r = put_inm("/once.txt", "overwrite attempt").await.unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let r = put_inm("/ONCE.TXT", "overwrite attempt").await.unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;

    assert_eq!(content(&s, &u, "/once.txt").await, b"original");
    assert_eq!(versions_of(&s, &u, "/once.txt").await.len(), 1);
    assert_eq!(used_bytes(&s, &u).await, used);
    assert_eq!(s.blob_files().len(), blobs);
}

async fn if_match_guards_replacement(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = put(&s, &u, "/m.txt", "v1").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let put_im = |path: &'static str, tag: String, body: &'static str| {
        call(
            &s,
            &u,
            reqwest::Method::PUT,
            &format!("/api/v1/files{path}"),
        )
        .header("if-match", tag)
        .body(body)
        .send()
    };

    let r = put_im("/m.txt", "\"not-the-etag\"".into(), "v2")
        .await
        .unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(content(&s, &u, "/m.txt").await, b"v1");
    assert_eq!(versions_of(&s, &u, "/m.txt").await.len(), 1);

    // If-Match on a file that does not exist fails too, and creates nothing.
    let r = put_im("/missing.txt", etag.clone(), "x").await.unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(
        get(&s, &u, "/missing.txt").await.status(),
        StatusCode::NOT_FOUND
    );

    let r = put_im("/m.txt", etag.clone(), "v2").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new_etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    assert_eq!(content(&s, &u, "/m.txt").await, b"v2");

    // The old etag is now stale.
    let r = put_im("/m.txt", etag, "v3").await.unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    assert_eq!(content(&s, &u, "/m.txt").await, b"v2");
}

async fn replacing_adds_a_version_and_old_content_stays_until_commit(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = put(&s, &u, "/doc.txt", "old content").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let old_etag = r.headers()["etag"].to_str().unwrap().to_string();

    // Stream the replacement in two halves; the second half is held back.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let upload = tokio::spawn({
        let url = s.url("/api/v1/files/doc.txt");
        let token = u.token.clone();
        async move {
            client()
                .put(url)
                .bearer_auth(token)
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
                .unwrap()
        }
    });
    tx.send(Ok(bytes::Bytes::from_static(b"new content, ")))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Mid-upload: readers still get the old file, whole.
    let r = get(&s, &u, "/doc.txt").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), old_etag);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"old content");
    assert_eq!(versions_of(&s, &u, "/doc.txt").await.len(), 1);
    assert!(!upload.is_finished());

    tx.send(Ok(bytes::Bytes::from_static(b"second half")))
        .await
        .unwrap();
    drop(tx);
    let r = upload.await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a replacement is 200, not 201");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["size"], 24);

    assert_eq!(
        content(&s, &u, "/doc.txt").await,
        b"new content, second half"
    );
    let versions = versions_of(&s, &u, "/doc.txt").await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["current"], true);
    assert_eq!(versions[1]["current"], false);
    assert_eq!(versions[1]["size"], 11);
    assert_eq!(
        versions[1]["etag"].as_str().map(|e| format!("\"{e}\"")),
        Some(old_etag)
    );
}

async fn parent_that_is_a_file_is_a_conflict(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a.txt", "i am a file").await;
    let blobs = s.blob_files().len();

    for url in [
        "/api/v1/files/a.txt/b.txt",
        "/api/v1/files/a.txt/b.txt?parents=true",
        "/api/v1/files/a.txt/deeper/b.txt?parents=true",
    ] {
        let r = call(&s, &u, reqwest::Method::PUT, url)
            .body("child")
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::CONFLICT, "not_a_folder").await;
    }
    let r = call(
        &s,
        &u,
        reqwest::Method::POST,
        "/api/v1/folders/a.txt/sub?parents=true",
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_folder").await;

    assert_eq!(content(&s, &u, "/a.txt").await, b"i am a file");
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["a.txt"]);
    assert_eq!(s.blob_files().len(), blobs);
}

async fn put_on_a_folder_name_is_a_conflict(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = call(&s, &u, reqwest::Method::POST, "/api/v1/folders/Docs")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    put(&s, &u, "/Docs/inside.txt", "x").await;
    let used = used_bytes(&s, &u).await;

    for path in ["/Docs", "/docs", "/DOCS"] {
        let r = put(&s, &u, path, "not a folder").await;
        problem(r, StatusCode::CONFLICT, "name_conflict").await;
    }
    let page = listing(&s, &u, "/", "").await;
    assert_eq!(item_names(&page), ["Docs"]);
    assert_eq!(page["items"][0]["kind"], "folder");
    assert_eq!(
        item_names(&listing(&s, &u, "/Docs", "").await),
        ["inside.txt"]
    );
    assert_eq!(used_bytes(&s, &u).await, used);
}

async fn names_are_unique_ignoring_case_and_keep_first_case(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = put(&s, &u, "/Report.pdf", "first").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = put(&s, &u, "/report.PDF", "second").await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "same name ignoring case: a new version"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "Report.pdf");

    let page = listing(&s, &u, "/", "").await;
    assert_eq!(item_names(&page), ["Report.pdf"]);
    assert_eq!(versions_of(&s, &u, "/REPORT.pdf").await.len(), 2);
    assert_eq!(content(&s, &u, "/rEpOrT.pDf").await, b"second");
    let r = get(&s, &u, "/report.pdf").await;
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.contains("filename*=UTF-8''Report.pdf"), "{cd}");

    // Folders too: the first case is kept, other cases find the same folder.
    call(&s, &u, reqwest::Method::POST, "/api/v1/folders/Plans")
        .send()
        .await
        .unwrap();
    put(&s, &u, "/PLANS/a.txt", "a").await;
    let page = listing(&s, &u, "/", "").await;
    assert_eq!(item_names(&page), ["Plans", "Report.pdf"]);
    assert_eq!(item_names(&listing(&s, &u, "/plans", "").await), ["a.txt"]);
}

async fn nfd_and_nfc_names_are_one_file(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let nfc = "/\u{30d1}\u{30f3} caf\u{e9}.txt"; // パン café (precomposed)
    let nfd = "/\u{30cf}\u{309a}\u{30f3} cafe\u{301}.txt"; // ハ+゚ン cafe+´ (decomposed)
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());

    let r = put(&s, &u, nfd, "from a mac").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], &nfc[1..], "stored NFC");
    let r = put(&s, &u, nfc, "from windows").await;
    assert_eq!(r.status(), StatusCode::OK, "NFC spelling is the same file");

    let page = listing(&s, &u, "/", "").await;
    assert_eq!(item_names(&page), [&nfc[1..]]);
    assert_eq!(versions_of(&s, &u, nfd).await.len(), 2);
    assert_eq!(content(&s, &u, nfd).await, b"from windows");
    assert_eq!(content(&s, &u, nfc).await, b"from windows");
}

async fn large_upload_round_trips_byte_for_byte(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // Larger than the single-put limit (8 MiB): the multipart path, several parts.
    let body = noise(20 * 1024 * 1024 + 12_345, 7);
    let r = put(&s, &u, "/big/blob.bin", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["size"], body.len());
    assert_eq!(used_bytes(&s, &u).await, body.len() as i64);
    assert!(staging_files(&s).is_empty());

    let got = content(&s, &u, "/big/blob.bin").await;
    assert_eq!(got.len(), body.len());
    assert!(got == body, "downloaded bytes differ from the upload");

    // A range across the first part boundary.
    let start = 8 * 1024 * 1024 - 10;
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/files/big/blob.bin")
        .header("range", format!("bytes={start}-{}", start + 19))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &body[start..start + 20]);
    // A long range from an offset: read in several chunks from the middle.
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/files/big/blob.bin")
        .header("range", "bytes=5000001-15000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert!(r.bytes().await.unwrap().as_ref() == &body[5_000_001..15_000_001]);

    // Streamed without Content-Length (chunked) it round-trips as well.
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .chunks(1 << 20)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let r = put(
        &s,
        &u,
        "/big/chunked.bin",
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(content(&s, &u, "/big/chunked.bin").await == body);
}

async fn concurrent_uploads_to_one_new_name_make_one_file(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let puts = (0..8u8)
        .map(|i| {
            (
                "/api/v1/files/race/same.txt?parents=true".to_string(),
                vec![i; 100],
            )
        })
        .collect();
    let statuses = concurrent_puts(&s, &u, puts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let replaced = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!((created, replaced), (1, 7), "{statuses:?}");
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["race"]);
    assert_eq!(
        item_names(&listing(&s, &u, "/race", "").await),
        ["same.txt"]
    );
    assert_eq!(versions_of(&s, &u, "/race/same.txt").await.len(), 8);
    assert_eq!(used_bytes(&s, &u).await, 800);
}

async fn failed_upload_with_parents_creates_no_folders(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 100).await;
    put(&s, &u, "/keep/a.txt", "a").await;

    // A failed precondition performs nothing (RFC 9110 13.1.1).
    let r = call(
        &s,
        &u,
        reqwest::Method::PUT,
        "/api/v1/files/new/deep/x.txt?parents=true",
    )
    .header("if-match", "\"some-etag\"")
    .body("x")
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    // Over quota, declared or streamed: nothing stored, folders included.
    let r = put(&s, &u, "/big/dir/x.bin", vec![0u8; 200]).await;
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from(vec![0u8; 150])),
        Ok(bytes::Bytes::from(vec![0u8; 150])),
    ];
    let r = put(
        &s,
        &u,
        "/streamed/dir/x.bin",
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
    )
    .await;
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    // Below an existing folder too.
    let r = put(&s, &u, "/keep/sub/x.bin", vec![0u8; 200]).await;
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;

    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["keep"]);
    assert_eq!(item_names(&listing(&s, &u, "/keep", "").await), ["a.txt"]);
    assert_eq!(s.blob_files().len(), 1);

    // The same uploads that fit create the folders.
    let r = put(&s, &u, "/big/dir/x.bin", vec![0u8; 50]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(item_names(&listing(&s, &u, "/big", "").await), ["dir"]);
    let r = call(
        &s,
        &u,
        reqwest::Method::PUT,
        "/api/v1/files/new/deep/x.txt?parents=true",
    )
    .header("if-none-match", "*")
    .body("x")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(content(&s, &u, "/new/deep/x.txt").await, b"x");
}
