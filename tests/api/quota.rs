//! Capacity: uploads that do not fit are refused with 507 and leave nothing
//! behind; old versions and the trash count until purged.

use crate::common::*;
use reqwest::Method;

both!(
    folder_copy_over_capacity_leaves_no_partial_copy,
    upload_over_capacity_is_refused_and_leaves_nothing,
    upload_exactly_at_capacity_succeeds,
    concurrent_uploads_race_for_the_last_bytes,
    chunked_upload_over_quota_is_refused,
    old_versions_count_toward_usage,
    trash_counts_until_purged,
);

fn chunked(body: Vec<u8>, chunk: usize) -> reqwest::Body {
    let parts: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .chunks(chunk)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(parts))
}

async fn usage(s: &TestServer, u: &TestUser) -> Value {
    let r = call(s, u, Method::GET, "/api/v1/usage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn upload_over_capacity_is_refused_and_leaves_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1000).await;
    assert_eq!(
        put(&s, &u, "/a.bin", vec![1u8; 600]).await.status(),
        StatusCode::CREATED
    );

    // Declared too large: refused before any byte is stored.
    let v = problem(
        put(&s, &u, "/b.bin", vec![2u8; 401]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    assert!(
        v["detail"].as_str().unwrap().contains("400 bytes are free"),
        "{v}"
    );
    // A new version of the existing file needs the room too.
    problem(
        put(&s, &u, "/a.bin", vec![3u8; 401]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    // Streamed without a length: cut off at the limit.
    problem(
        put(&s, &u, "/c.bin", chunked(vec![4u8; 401], 100)).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;

    assert_eq!(used_bytes(&s, &u).await, 600);
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["a.bin"]);
    assert_eq!(content(&s, &u, "/a.bin").await, vec![1u8; 600]);
    assert_eq!(versions_of(&s, &u, "/a.bin").await.len(), 1);
    assert_eq!(
        s.blob_files().len(),
        1,
        "only the stored file: {:?}",
        s.blob_files()
    );
    let use_ = usage(&s, &u).await;
    assert_eq!(
        (use_["files"].as_i64(), use_["versions"].as_i64()),
        (Some(1), Some(1))
    );

    // What does fit still goes in.
    assert_eq!(
        put(&s, &u, "/d.bin", vec![5u8; 400]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(used_bytes(&s, &u).await, 1000);
}

async fn upload_exactly_at_capacity_succeeds(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1000).await;
    let r = put(&s, &u, "/full.bin", vec![7u8; 1000]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(used_bytes(&s, &u).await, 1000);
    let use_ = usage(&s, &u).await;
    assert_eq!(use_["capacity_bytes"], 1000);
    assert_eq!(use_["used_bytes"], 1000);

    // Full: one more byte does not fit, chunked or not; an empty file does.
    problem(
        put(&s, &u, "/one.bin", vec![0u8; 1]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    problem(
        put(&s, &u, "/one.bin", chunked(vec![0u8; 1], 1)).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    assert_eq!(
        put(&s, &u, "/empty.bin", Vec::<u8>::new()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(used_bytes(&s, &u).await, 1000);
    assert_eq!(content(&s, &u, "/full.bin").await, vec![7u8; 1000]);

    // Exactly at capacity also when streamed without a length.
    let v = s.tenant("globex", 1000).await;
    let r = put(&s, &v, "/full.bin", chunked(vec![8u8; 1000], 300)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(used_bytes(&s, &v).await, 1000);
    assert_eq!(content(&s, &v, "/full.bin").await, vec![8u8; 1000]);
}

async fn concurrent_uploads_race_for_the_last_bytes(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 10_000).await;
    let puts = (0..50u8)
        .map(|i| (format!("/api/v1/files/race-{i:02}.bin"), vec![i; 1000]))
        .collect();
    let statuses = concurrent_puts(&s, &u, puts).await;
    let ok = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let full = statuses
        .iter()
        .filter(|s| **s == StatusCode::INSUFFICIENT_STORAGE)
        .count();
    assert_eq!((ok, full), (10, 40), "{statuses:?}");

    let used = used_bytes(&s, &u).await;
    assert!(used <= 10_000);
    let page = listing(&s, &u, "/", "").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    let stored: i64 = items.iter().map(|i| i["size"].as_i64().unwrap()).sum();
    assert_eq!(used, stored);
    assert_eq!(used, 10_000);
    for name in item_names(&page) {
        let i: u8 = name[5..7].parse().unwrap();
        assert_eq!(content(&s, &u, &format!("/{name}")).await, vec![i; 1000]);
    }
    // The losers' bytes were removed: one blob per stored file, no staging.
    assert_eq!(s.blob_files().len(), 10, "{:?}", s.blob_files());
    assert!(staging_files(&s).is_empty());
    let use_ = usage(&s, &u).await;
    assert_eq!(
        (use_["files"].as_i64(), use_["versions"].as_i64()),
        (Some(10), Some(10))
    );
}

async fn chunked_upload_over_quota_is_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 100_000).await;
    put(&s, &u, "/keep.bin", vec![1u8; 10_000]).await;

    let r = put(&s, &u, "/big.bin", chunked(noise(300_000, 1), 10_000)).await;
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    assert_eq!(used_bytes(&s, &u).await, 10_000);
    assert_eq!(
        get(&s, &u, "/big.bin").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.blob_files().len(), 1, "{:?}", s.blob_files());

    // Past the single-put size, on the multipart path: cut off and aborted.
    let v = s.tenant("globex", 9 << 20).await;
    let r = put(&s, &v, "/huge.bin", chunked(noise(20 << 20, 2), 1 << 20)).await;
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    assert_eq!(used_bytes(&s, &v).await, 0);
    assert_eq!(
        get(&s, &v, "/huge.bin").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.blob_files().len(), 1, "{:?}", s.blob_files());
    assert!(staging_files(&s).is_empty());
}

async fn old_versions_count_toward_usage(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 2_500).await;
    put(&s, &u, "/v.bin", vec![1u8; 1000]).await;
    assert_eq!(
        put(&s, &u, "/v.bin", vec![2u8; 1000]).await.status(),
        StatusCode::OK
    );
    assert_eq!(used_bytes(&s, &u).await, 2000);
    let use_ = usage(&s, &u).await;
    assert_eq!(
        (use_["files"].as_i64(), use_["versions"].as_i64()),
        (Some(1), Some(2))
    );

    // Only 1000 bytes are current, but the old version's 1000 count too.
    problem(
        put(&s, &u, "/v.bin", vec![3u8; 1000]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    problem(
        put(&s, &u, "/w.bin", vec![3u8; 501]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    assert_eq!(
        put(&s, &u, "/w.bin", vec![3u8; 500]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(used_bytes(&s, &u).await, 2500);
    assert_eq!(content(&s, &u, "/v.bin").await, vec![2u8; 1000]);
    assert_eq!(versions_of(&s, &u, "/v.bin").await.len(), 2);
}

async fn trash_counts_until_purged(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 10_000).await;
    put(&s, &u, "/t.bin", vec![1u8; 1000]).await;
    put(&s, &u, "/t.bin", vec![2u8; 1500]).await;
    put(&s, &u, "/dir/x.bin", vec![3u8; 500]).await;
    assert_eq!(used_bytes(&s, &u).await, 3000);

    let id = trash(&s, &u, "/t.bin").await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    let dir_id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    assert_eq!(used_bytes(&s, &u).await, 3000, "the trash still counts");
    let use_ = usage(&s, &u).await;
    assert_eq!(use_["versions"], 3);
    problem(
        put(&s, &u, "/new.bin", vec![0u8; 7001]).await,
        StatusCode::INSUFFICIENT_STORAGE,
        "quota_exceeded",
    )
    .await;
    assert_eq!(s.blob_files().len(), 3);

    // Purging releases every version's bytes and deletes the blobs.
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 2500);
    assert_eq!(used_bytes(&s, &u).await, 500);
    assert_eq!(s.blob_files().len(), 1);
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{dir_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 500);
    assert_eq!(used_bytes(&s, &u).await, 0);
    assert!(s.blob_files().is_empty());
    let use_ = usage(&s, &u).await;
    assert_eq!(
        (use_["files"].as_i64(), use_["versions"].as_i64()),
        (Some(0), Some(0))
    );

    // Now the whole capacity is free again.
    assert_eq!(
        put(&s, &u, "/new.bin", vec![0u8; 10_000]).await.status(),
        StatusCode::CREATED
    );
}

async fn folder_copy_over_capacity_leaves_no_partial_copy(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 10_000).await;
    // 6,000 bytes in a folder: a copy fits its first file, not its second.
    for (p, n) in [("/src/a/one.bin", 3_000), ("/src/b/two.bin", 3_000)] {
        assert_eq!(
            put(&s, &u, p, vec![b'x'; n]).await.status(),
            StatusCode::CREATED
        );
    }
    let blobs_before = s.blob_files().len();
    let r = call(&s, &u, Method::POST, "/api/v1/copy")
        .json(&json!({"from": "/src", "to": "/コピー"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded").await;
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), vec!["src"]);
    assert_eq!(used_bytes(&s, &u).await, 6_000);
    assert!(
        trash_items(&s, &u).await.is_empty(),
        "nothing left in the trash either"
    );
    assert_eq!(
        s.blob_files().len(),
        blobs_before,
        "the copied blob is gone"
    );
}
