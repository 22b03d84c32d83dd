//! File versions: listing, downloading an old one, restoring, and pruning
//! beyond the tenant's kept count.

use crate::common::*;
use reqwest::Method;

both!(
    versions_are_listed_newest_first_with_current_flag,
    old_version_downloads_by_id,
    restore_makes_a_new_current_version_with_old_content,
    keep_versions_prunes_the_oldest,
);

/// Uploads `bodies` in order, one second apart; returns the version ids, oldest first.
async fn upload_versions(s: &TestServer, u: &TestUser, path: &str, bodies: &[&[u8]]) -> Vec<i64> {
    let mut ids = Vec::new();
    for body in bodies {
        s.clock.advance_ms(1_000);
        let r = put(s, u, path, body.to_vec()).await;
        assert!(r.status().is_success(), "{}", r.status());
        let v: Value = r.json().await.unwrap();
        ids.push(v["version_id"].as_i64().unwrap());
    }
    ids
}

async fn versions_are_listed_newest_first_with_current_flag(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let ids = upload_versions(&s, &u, "/v.txt", &[b"one", b"two 2", b"three 3 3"]).await;
    let r = get(&s, &u, "/v.txt").await;
    let current_etag = r.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();

    let items = versions_of(&s, &u, "/v.txt").await;
    let listed: Vec<i64> = items.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [ids[2], ids[1], ids[0]]);
    let current: Vec<bool> = items
        .iter()
        .map(|v| v["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current, [true, false, false]);
    let sizes: Vec<i64> = items.iter().map(|v| v["size"].as_i64().unwrap()).collect();
    assert_eq!(sizes, [9, 5, 3]);
    assert_eq!(items[0]["etag"], current_etag.as_str());
    let created: Vec<&str> = items
        .iter()
        .map(|v| v["created"].as_str().unwrap())
        .collect();
    assert!(
        created[0] > created[1] && created[1] > created[2],
        "{created:?}"
    );
    assert!(items.iter().all(|v| v["created_by"].is_i64()));

    // Versions belong to files: a folder has none, a missing file is 404.
    // The root folder has no versions route at all.
    raw_req(&s, &u, "GET", "/api/v1/versions/", b"")
        .await
        .assert_problem(404, "no_route");
    put(&s, &u, "/dir/x.txt", "x").await;
    let r = call(&s, &u, Method::GET, "/api/v1/versions/dir")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_file").await;
    let r = call(&s, &u, Method::GET, "/api/v1/versions/nope.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

async fn old_version_downloads_by_id(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let ids = upload_versions(&s, &u, "/v.txt", &[b"first version", b"second"]).await;
    let items = versions_of(&s, &u, "/v.txt").await;
    let old_etag = format!("\"{}\"", items[1]["etag"].as_str().unwrap());

    let at = |q: String| {
        call(
            &s,
            &u,
            Method::GET,
            &format!("/api/v1/files/v.txt?version={q}"),
        )
    };
    let r = at(ids[0].to_string()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), old_etag);
    assert_eq!(r.headers()["content-length"], "13");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"first version");
    let r = at(ids[1].to_string()).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"second");
    // Ranges and validators apply to the version asked for.
    let r = at(ids[0].to_string())
        .header("range", "bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], "bytes 0-4/13");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"first");
    let r = at(ids[0].to_string())
        .header("if-none-match", &old_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = call(
        &s,
        &u,
        Method::HEAD,
        &format!("/api/v1/files/v.txt?version={}", ids[0]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-length"], "13");
    // The plain download is still the current version.
    assert_eq!(content(&s, &u, "/v.txt").await, b"second");

    // Unknown ids, ids of another file, and non-numbers.
    problem(
        at("999999".into()).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let other = upload_versions(&s, &u, "/other.txt", &[b"other"]).await;
    problem(
        at(other[0].to_string()).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        at("latest".into()).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
}

async fn restore_makes_a_new_current_version_with_old_content(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let ids = upload_versions(&s, &u, "/r.txt", &[b"original!", b"edited"]).await;
    let used = used_bytes(&s, &u).await;
    let blobs = s.blob_files().len();
    let before = get(&s, &u, "/r.txt").await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();

    let r = call(&s, &u, Method::POST, "/api/v1/versions/r.txt")
        .json(&json!({ "restore": ids[0] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let new_id = v["version_id"].as_i64().unwrap();
    assert!(
        !ids.contains(&new_id),
        "a new version, not the old one made current"
    );
    assert_eq!(v["size"], 9);

    let r = get(&s, &u, "/r.txt").await;
    assert_ne!(r.headers()["etag"].to_str().unwrap(), before);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"original!");
    let items = versions_of(&s, &u, "/r.txt").await;
    let listed: Vec<i64> = items.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [new_id, ids[1], ids[0]], "history is kept");
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[2]["current"], false);
    assert_eq!(used_bytes(&s, &u).await, used + 9);
    assert_eq!(s.blob_files().len(), blobs + 1);
    // The edited version is still there to go back to.
    let r = call(
        &s,
        &u,
        Method::GET,
        &format!("/api/v1/files/r.txt?version={}", ids[1]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"edited");

    // Bad restores change nothing.
    let other = upload_versions(&s, &u, "/other.txt", &[b"other"]).await;
    for (body, status, code) in [
        (
            json!({ "restore": 999_999 }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({ "restore": other[0] }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({ "restore": "x" }),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "invalid_input"),
    ] {
        let r = call(&s, &u, Method::POST, "/api/v1/versions/r.txt")
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(r, status, code).await;
    }
    assert_eq!(versions_of(&s, &u, "/r.txt").await.len(), 3);
    assert_eq!(content(&s, &u, "/r.txt").await, b"original!");
}

async fn keep_versions_prunes_the_oldest(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // The first-start operator, with a bearer token.
    let boot = s.svc.ensure_operator().await.unwrap().unwrap();
    let op = TestUser {
        token: s
            .svc
            .create_token_for(&boot.tenant, &boot.login, "ops")
            .await
            .unwrap(),
        tenant: boot.tenant,
        login: boot.login,
        password: boot.password,
    };
    let r = call(&s, &op, Method::PATCH, "/api/v1/admin/tenants/acme")
        .json(&json!({ "keep_versions": 0 }))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = call(&s, &op, Method::PATCH, "/api/v1/admin/tenants/acme")
        .json(&json!({ "keep_versions": 3 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["keep_versions"], 3);

    let bodies: Vec<Vec<u8>> = (1..=4u8).map(|i| vec![i; 100 * i as usize]).collect();
    let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    let ids = upload_versions(&s, &u, "/k.bin", &refs).await;

    let items = versions_of(&s, &u, "/k.bin").await;
    let listed: Vec<i64> = items.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [ids[3], ids[2], ids[1]], "the oldest was pruned");
    assert_eq!(used_bytes(&s, &u).await, 400 + 300 + 200);
    assert_eq!(
        s.blob_files().len(),
        3,
        "the pruned blob is deleted from disk"
    );
    let r = call(
        &s,
        &u,
        Method::GET,
        &format!("/api/v1/files/k.bin?version={}", ids[0]),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    for (id, body) in ids[1..].iter().zip(&bodies[1..]) {
        let r = call(
            &s,
            &u,
            Method::GET,
            &format!("/api/v1/files/k.bin?version={id}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(&r.bytes().await.unwrap().to_vec(), body);
    }

    // Restoring adds a version too, so it prunes as well.
    let r = call(&s, &u, Method::POST, "/api/v1/versions/k.bin")
        .json(&json!({ "restore": ids[1] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let restored = r.json::<Value>().await.unwrap()["version_id"]
        .as_i64()
        .unwrap();
    let items = versions_of(&s, &u, "/k.bin").await;
    let listed: Vec<i64> = items.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [restored, ids[3], ids[2]]);
    let kept: i64 = items.iter().map(|v| v["size"].as_i64().unwrap()).sum();
    assert_eq!(kept, 200 + 400 + 300);
    assert_eq!(used_bytes(&s, &u).await, kept);
    assert_eq!(s.blob_files().len(), 3);
    assert_eq!(content(&s, &u, "/k.bin").await, bodies[1]);

    // Other tenants keep the default of 10.
    let g = s.tenant("globex", 1 << 30).await;
    let many: Vec<&[u8]> = vec![b"x"; 11];
    upload_versions(&s, &g, "/g.txt", &many).await;
    assert_eq!(versions_of(&s, &g, "/g.txt").await.len(), 10);
    assert_eq!(used_bytes(&s, &g).await, 10);
}
