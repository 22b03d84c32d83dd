//! Tenant isolation: nothing of tenant A is reachable from tenant B by any
//! route, with paths or with A's ids, and B's attempts change nothing of A's.

use crate::common::*;
use reqwest::Method;

both!(
    other_tenant_cannot_reach_files_folders_versions_or_trash,
    other_tenant_ids_do_not_work_on_own_items,
    other_tenant_cannot_use_tokens_or_admin_routes,
);

/// What tenant A has, and how it looks, to compare after B's attempts.
struct Fixture {
    a: TestUser,
    b: TestUser,
    etag: String,
    top_etag: String,
    old_version: i64,
    trash_id: i64,
    folder_trash_id: i64,
}

async fn fixture(s: &TestServer) -> Fixture {
    let a = s.tenant("acme", 1 << 30).await;
    let b = s.tenant("globex", 1 << 30).await;
    put(s, &a, "/secret/plan.txt", "plan v1").await;
    let r = put(s, &a, "/secret/plan.txt", "plan v2").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let versions = versions_of(s, &a, "/secret/plan.txt").await;
    let old_version = versions[1]["id"].as_i64().unwrap();
    let r = put(s, &a, "/top.txt", "top level").await;
    let top_etag = r.headers()["etag"].to_str().unwrap().to_string();
    put(s, &a, "/secret/binned.txt", "in the bin").await;
    let trash_id = trash(s, &a, "/secret/binned.txt").await;
    put(s, &a, "/old/inner.txt", "old folder content").await;
    let r = call(s, &a, Method::DELETE, "/api/v1/folders/old")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let folder_trash_id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    Fixture {
        a,
        b,
        etag,
        top_etag,
        old_version,
        trash_id,
        folder_trash_id,
    }
}

/// A's data exactly as the fixture left it.
async fn assert_a_unchanged(s: &TestServer, f: &Fixture, used: i64) {
    let a = &f.a;
    let r = get(s, a, "/secret/plan.txt").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), f.etag);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"plan v2");
    assert_eq!(
        item_names(&listing(s, a, "/", "").await),
        ["secret", "top.txt"]
    );
    assert_eq!(content(s, a, "/top.txt").await, b"top level");
    assert_eq!(
        item_names(&listing(s, a, "/secret", "").await),
        ["plan.txt"]
    );
    let versions = versions_of(s, a, "/secret/plan.txt").await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["id"], f.old_version);
    let mut trashed: Vec<i64> = trash_items(s, a)
        .await
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    trashed.sort();
    let mut want = vec![f.trash_id, f.folder_trash_id];
    want.sort();
    assert_eq!(trashed, want);
    assert_eq!(used_bytes(s, a).await, used);
}

async fn other_tenant_cannot_reach_files_folders_versions_or_trash(b: Backend) {
    let s = TestServer::start(b).await;
    let f = fixture(&s).await;
    let used_a = used_bytes(&s, &f.a).await;
    let blobs = s.blob_files().len();
    let tb = &f.b;

    // Files, by path.
    problem(
        get(&s, tb, "/secret/plan.txt").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = call(&s, tb, Method::HEAD, "/api/v1/files/secret/plan.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call(
        &s,
        tb,
        Method::GET,
        &format!("/api/v1/files/secret/plan.txt?version={}", f.old_version),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, tb, Method::DELETE, "/api/v1/files/secret/plan.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // Uploading without parents: B has no /secret.
    let r = call(&s, tb, Method::PUT, "/api/v1/files/secret/plan.txt")
        .body("b's")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "parent_not_found").await;
    // If-Match with A's etag does not reach A's file of that name.
    let r = call(&s, tb, Method::PUT, "/api/v1/files/top.txt")
        .header("if-match", &f.top_etag)
        .body("b's")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    problem(
        get(&s, tb, "/top.txt").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Folders.
    let r = call(&s, tb, Method::GET, "/api/v1/folders/secret")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, tb, Method::DELETE, "/api/v1/folders/secret")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(listing(&s, tb, "/", "").await["items"], json!([]));

    // Versions.
    let r = call(&s, tb, Method::GET, "/api/v1/versions/secret/plan.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, tb, Method::POST, "/api/v1/versions/secret/plan.txt")
        .json(&json!({"restore": f.old_version}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;

    // Trash, by A's ids.
    assert!(trash_items(&s, tb).await.is_empty());
    for id in [f.trash_id, f.folder_trash_id] {
        let r = call(&s, tb, Method::POST, &format!("/api/v1/trash/{id}/restore"))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::NOT_FOUND, "not_found").await;
        let r = call(&s, tb, Method::POST, &format!("/api/v1/trash/{id}/restore"))
            .json(&json!({"to": "/stolen"}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::NOT_FOUND, "not_found").await;
        let r = call(&s, tb, Method::DELETE, &format!("/api/v1/trash/{id}"))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
    let r = call(&s, tb, Method::DELETE, "/api/v1/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 0);

    // Move and copy, by path.
    for op in ["/api/v1/move", "/api/v1/copy"] {
        for (from, to) in [("/secret/plan.txt", "/stolen.txt"), ("/secret", "/stolen")] {
            let r = call(&s, tb, Method::POST, op)
                .json(&json!({"from": from, "to": to}))
                .send()
                .await
                .unwrap();
            problem(r, StatusCode::NOT_FOUND, "not_found").await;
        }
    }
    assert_eq!(listing(&s, tb, "/", "").await["items"], json!([]));
    assert_eq!(used_bytes(&s, tb).await, 0);

    // B writing the same path lands in B's own namespace.
    let r = put(&s, tb, "/secret/plan.txt", "globex plan").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(content(&s, tb, "/secret/plan.txt").await, b"globex plan");
    assert_eq!(versions_of(&s, tb, "/secret/plan.txt").await.len(), 1);
    trash(&s, tb, "/secret/plan.txt").await;
    let r = call(&s, tb, Method::DELETE, "/api/v1/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 11);

    assert_a_unchanged(&s, &f, used_a).await;
    assert_eq!(
        s.blob_files().len(),
        blobs,
        "B's purge removed only B's blob"
    );
}

async fn other_tenant_ids_do_not_work_on_own_items(b: Backend) {
    let s = TestServer::start(b).await;
    let f = fixture(&s).await;
    let used_a = used_bytes(&s, &f.a).await;
    let tb = &f.b;
    put(&s, tb, "/mine.txt", "b v1").await;
    put(&s, tb, "/mine.txt", "b v2").await;

    // A's version id on B's own file.
    let r = call(
        &s,
        tb,
        Method::GET,
        &format!("/api/v1/files/mine.txt?version={}", f.old_version),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(
        &s,
        tb,
        Method::HEAD,
        &format!("/api/v1/files/mine.txt?version={}", f.old_version),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call(&s, tb, Method::POST, "/api/v1/versions/mine.txt")
        .json(&json!({"restore": f.old_version}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // Nor A's version on A's path from B's side, nor B's ids on A's side.
    let b_versions = versions_of(&s, tb, "/mine.txt").await;
    let b_old = b_versions[1]["id"].as_i64().unwrap();
    let r = call(
        &s,
        &f.a,
        Method::GET,
        &format!("/api/v1/files/secret/plan.txt?version={b_old}"),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;

    // B's file is unchanged: still two versions, current "b v2".
    assert_eq!(content(&s, tb, "/mine.txt").await, b"b v2");
    assert_eq!(versions_of(&s, tb, "/mine.txt").await.len(), 2);

    // A restoring into a path does not reach into B, and vice versa.
    let r = call(
        &s,
        tb,
        Method::POST,
        &format!("/api/v1/trash/{}/restore", f.trash_id),
    )
    .json(&json!({"to": "/mine-restored.txt"}))
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        get(&s, tb, "/mine-restored.txt").await.status(),
        StatusCode::NOT_FOUND
    );

    assert_a_unchanged(&s, &f, used_a).await;
}

async fn other_tenant_cannot_use_tokens_or_admin_routes(b: Backend) {
    let s = TestServer::start(b).await;
    let f = fixture(&s).await;
    let used_a = used_bytes(&s, &f.a).await;
    let tb = &f.b;

    // A's token id cannot be revoked by B.
    let r = call(&s, &f.a, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "a's script"}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let a_token_id = v["id"].as_i64().unwrap();
    let a_script = TestUser {
        token: v["token"].as_str().unwrap().to_string(),
        ..f.a.clone()
    };
    let r = call(
        &s,
        tb,
        Method::DELETE,
        &format!("/api/v1/tokens/{a_token_id}"),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        get(&s, &a_script, "/secret/plan.txt").await.status(),
        StatusCode::OK
    );
    let r = call(&s, tb, Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap();
    let listed: Value = r.json().await.unwrap();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != a_token_id)
    );

    // B's admin sees only B's users and usage, and cannot reach A's tenant record.
    let r = call(&s, tb, Method::GET, "/api/v1/users")
        .send()
        .await
        .unwrap();
    let users: Value = r.json().await.unwrap();
    assert_eq!(users["items"].as_array().unwrap().len(), 1);
    let r = call(&s, tb, Method::GET, "/api/v1/usage")
        .send()
        .await
        .unwrap();
    let usage: Value = r.json().await.unwrap();
    assert_eq!(usage["used_bytes"], 0);
    assert_eq!(usage["files"], 0);
    for (method, path) in [
        (Method::GET, "/api/v1/admin/tenants/acme"),
        (Method::GET, "/api/v1/admin/tenants/acme/usage"),
        (Method::PATCH, "/api/v1/admin/tenants/acme"),
    ] {
        let r = call(&s, tb, method, path)
            .json(&json!({"status": "suspended"}))
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let r = call(&s, tb, Method::POST, "/api/v1/admin/tenants/acme/users")
        .json(&json!({"login": "mole", "role": "admin", "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    // A user of B with A's login and password does not get into A.
    let r = client()
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": "globex", "login": "admin", "password": "wrong-for-globex"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    assert_a_unchanged(&s, &f, used_a).await;
}
