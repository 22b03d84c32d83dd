//! The trash: delete, list, restore (in place or elsewhere), purge, empty,
//! and automatic purge after the tenant's retention.

use crate::common::*;
use reqwest::Method;

both!(
    delete_moves_to_trash,
    restore_puts_item_back_where_it_was,
    restore_onto_a_taken_name_conflicts_and_to_restores_elsewhere,
    restore_into_a_trashed_folder_is_parent_not_found,
    purge_removes_blobs_and_releases_bytes,
    empty_trash_purges_everything,
    trash_is_purged_automatically_after_trash_days,
    expiry_purges_items_trashed_together_with_their_folder,
);

const DAY: i64 = 86_400_000;

async fn restore(s: &TestServer, u: &TestUser, id: i64, to: Option<&str>) -> reqwest::Response {
    let rb = call(s, u, Method::POST, &format!("/api/v1/trash/{id}/restore"));
    let rb = match to {
        Some(p) => rb.json(&json!({ "to": p })),
        None => rb,
    };
    rb.send().await.unwrap()
}

async fn delete_moves_to_trash(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/docs/a.txt", "aaa").await;
    put(&s, &u, "/docs/b.txt", "bbb").await;
    put(&s, &u, "/docs/sub/c.txt", "ccc").await;

    let r = call(&s, &u, Method::DELETE, "/api/v1/files/docs/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let file_id = v["trash_id"].as_i64().unwrap();
    assert_eq!(v["item"]["name"], "a.txt");
    s.clock.advance_ms(1_000);
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/docs/sub")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let folder_id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();

    // Gone from the tree...
    assert_eq!(item_names(&listing(&s, &u, "/docs", "").await), ["b.txt"]);
    problem(
        get(&s, &u, "/docs/a.txt").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        get(&s, &u, "/docs/sub/c.txt").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/files/docs/a.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;

    // ...and in the trash, newest first, with where they were.
    let items = trash_items(&s, &u).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], folder_id);
    assert_eq!(items[0]["original_path"], "/docs/sub");
    assert_eq!(items[0]["kind"], "folder");
    assert_eq!(items[1]["id"], file_id);
    assert_eq!(items[1]["original_path"], "/docs/a.txt");
    assert_eq!(items[1]["kind"], "file");
    assert_eq!(items[1]["size"], 3);
    assert!(items[1]["trashed"].is_string());

    // The name is free again while the old item waits in the trash.
    assert_eq!(
        put(&s, &u, "/docs/a.txt", "new a").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(versions_of(&s, &u, "/docs/a.txt").await.len(), 1);
}

async fn restore_puts_item_back_where_it_was(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/docs/a.txt", "v1").await;
    put(&s, &u, "/docs/a.txt", "v2").await;
    put(&s, &u, "/docs/sub/c.txt", "ccc").await;
    let file_id = trash(&s, &u, "/docs/a.txt").await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/docs/sub")
        .send()
        .await
        .unwrap();
    let folder_id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();

    let r = restore(&s, &u, file_id, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["path"], "/docs/a.txt");
    assert_eq!(v["trashed"], Value::Null);
    assert_eq!(content(&s, &u, "/docs/a.txt").await, b"v2");
    assert_eq!(
        versions_of(&s, &u, "/docs/a.txt").await.len(),
        2,
        "history comes back too"
    );

    // A folder comes back with its contents.
    let r = restore(&s, &u, folder_id, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content(&s, &u, "/docs/sub/c.txt").await, b"ccc");
    assert_eq!(
        item_names(&listing(&s, &u, "/docs", "").await),
        ["sub", "a.txt"]
    );
    assert!(trash_items(&s, &u).await.is_empty());

    // A restored item is no longer in the trash: restoring again is 404.
    problem(
        restore(&s, &u, file_id, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        restore(&s, &u, 999_999, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn restore_onto_a_taken_name_conflicts_and_to_restores_elsewhere(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/docs/a.txt", "trashed one").await;
    let id = trash(&s, &u, "/docs/a.txt").await;
    put(&s, &u, "/docs/A.TXT", "newer one").await;

    problem(
        restore(&s, &u, id, None).await,
        StatusCode::CONFLICT,
        "name_conflict",
    )
    .await;
    assert_eq!(trash_items(&s, &u).await.len(), 1);
    assert_eq!(content(&s, &u, "/docs/a.txt").await, b"newer one");
    // "to" onto a taken name conflicts as well; into a missing folder is parent_not_found.
    problem(
        restore(&s, &u, id, Some("/docs/a.txt")).await,
        StatusCode::CONFLICT,
        "name_conflict",
    )
    .await;
    problem(
        restore(&s, &u, id, Some("/nowhere/a.txt")).await,
        StatusCode::CONFLICT,
        "parent_not_found",
    )
    .await;

    let r = restore(&s, &u, id, Some("/docs/a (restored).txt")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "a (restored).txt");
    assert_eq!(v["path"], "/docs/a (restored).txt");
    assert_eq!(
        content(&s, &u, "/docs/a (restored).txt").await,
        b"trashed one"
    );
    assert_eq!(content(&s, &u, "/docs/a.txt").await, b"newer one");
    assert_eq!(
        item_names(&listing(&s, &u, "/docs", "").await),
        ["a (restored).txt", "A.TXT"]
    );
    assert!(trash_items(&s, &u).await.is_empty());

    // Restoring into another folder works too.
    let id = trash(&s, &u, "/docs/a (restored).txt").await;
    call(&s, &u, Method::POST, "/api/v1/folders/archive")
        .send()
        .await
        .unwrap();
    let r = restore(&s, &u, id, Some("/archive/old-a.txt")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content(&s, &u, "/archive/old-a.txt").await, b"trashed one");
}

async fn restore_into_a_trashed_folder_is_parent_not_found(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/docs/a.txt", "aaa").await;
    put(&s, &u, "/docs/b.txt", "bbb").await;
    let file_id = trash(&s, &u, "/docs/a.txt").await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/docs")
        .send()
        .await
        .unwrap();
    let folder_id = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();

    problem(
        restore(&s, &u, file_id, None).await,
        StatusCode::CONFLICT,
        "parent_not_found",
    )
    .await;
    // Still in the trash, nothing restored anywhere.
    assert_eq!(trash_items(&s, &u).await.len(), 2);
    assert_eq!(listing(&s, &u, "/", "").await["items"], json!([]));

    // With "to" it can go elsewhere...
    let r = restore(&s, &u, file_id, Some("/a.txt")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(content(&s, &u, "/a.txt").await, b"aaa");
    // ...and restoring the folder brings back what was in it when it was deleted.
    assert_eq!(
        restore(&s, &u, folder_id, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(item_names(&listing(&s, &u, "/docs", "").await), ["b.txt"]);
}

async fn purge_removes_blobs_and_releases_bytes(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/keep.txt", "keep").await;
    put(&s, &u, "/p.txt", vec![1u8; 100]).await;
    put(&s, &u, "/p.txt", vec![2u8; 200]).await;
    put(&s, &u, "/dir/x.txt", vec![3u8; 300]).await;
    put(&s, &u, "/dir/deeper/y.txt", vec![4u8; 400]).await;
    assert_eq!(s.blob_files().len(), 5);
    assert_eq!(used_bytes(&s, &u).await, 1004);

    let id = trash(&s, &u, "/p.txt").await;
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 300);
    assert_eq!(s.blob_files().len(), 3, "both versions' blobs are gone");
    assert_eq!(used_bytes(&s, &u).await, 704);
    assert!(trash_items(&s, &u).await.is_empty());
    // Purged is gone for good.
    problem(
        restore(&s, &u, id, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{id}"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;

    // A folder purges everything below it, including a file trashed on its own before.
    let y = trash(&s, &u, "/dir/deeper/y.txt").await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    let dir = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{dir}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 700);
    assert_eq!(s.blob_files().len(), 1);
    assert_eq!(used_bytes(&s, &u).await, 4);
    problem(
        restore(&s, &u, y, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(trash_items(&s, &u).await.is_empty());

    // A live item is not purgeable by id.
    let live = listing(&s, &u, "/", "").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = call(&s, &u, Method::DELETE, &format!("/api/v1/trash/{live}"))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(content(&s, &u, "/keep.txt").await, b"keep");
}

async fn empty_trash_purges_everything(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/keep.txt", "keep").await;
    for i in 0..5 {
        put(&s, &u, &format!("/f{i}.txt"), vec![0u8; 10]).await;
        trash(&s, &u, &format!("/f{i}.txt")).await;
    }
    put(&s, &u, "/dir/a.txt", vec![0u8; 20]).await;
    put(&s, &u, "/dir/b.txt", vec![0u8; 30]).await;
    trash(&s, &u, "/dir/a.txt").await;
    call(&s, &u, Method::DELETE, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    assert_eq!(trash_items(&s, &u).await.len(), 7);

    let r = call(&s, &u, Method::DELETE, "/api/v1/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 100);
    assert!(trash_items(&s, &u).await.is_empty());
    assert_eq!(used_bytes(&s, &u).await, 4);
    assert_eq!(s.blob_files().len(), 1);
    assert_eq!(content(&s, &u, "/keep.txt").await, b"keep");

    // Emptying an empty trash is fine.
    let r = call(&s, &u, Method::DELETE, "/api/v1/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["released_bytes"], 0);
}

async fn trash_is_purged_automatically_after_trash_days(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await; // default: 30 days
    let short = s.tenant("globex", 1 << 30).await;
    let cli = s.svc.cli_identity().await.unwrap();
    s.svc
        .update_tenant(
            &cli,
            "globex",
            kura_service::TenantChanges {
                trash_days: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    put(&s, &u, "/keep.txt", "keep").await;
    put(&s, &u, "/old.txt", vec![1u8; 100]).await;
    put(&s, &short, "/s.txt", vec![2u8; 50]).await;
    trash(&s, &u, "/old.txt").await;
    trash(&s, &short, "/s.txt").await;
    s.clock.advance_ms(10 * DAY);
    put(&s, &u, "/young.txt", vec![3u8; 10]).await;
    trash(&s, &u, "/young.txt").await;
    assert_eq!(s.blob_files().len(), 4);

    // Day 10: globex's 2-day retention has passed, acme's 30 days have not.
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.trash_items_purged, 1);
    assert!(trash_items(&s, &short).await.is_empty());
    assert_eq!(used_bytes(&s, &short).await, 0);
    assert_eq!(trash_items(&s, &u).await.len(), 2);
    assert_eq!(s.blob_files().len(), 3);

    // Just before day 30 the old item is still there; at day 30 it is purged.
    s.clock.advance_ms(20 * DAY - 1_000);
    s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(trash_items(&s, &u).await.len(), 2);
    s.clock.advance_ms(1_000);
    let report = s.svc.janitor_pass(false).await.unwrap();
    assert_eq!(report.trash_items_purged, 1);
    let items = trash_items(&s, &u).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["original_path"], "/young.txt");
    assert_eq!(used_bytes(&s, &u).await, 14);
    assert_eq!(s.blob_files().len(), 2, "the purged file's blob is deleted");

    // The young one follows 10 days later; live files are never touched.
    s.clock.advance_ms(10 * DAY);
    s.svc.janitor_pass(false).await.unwrap();
    assert!(trash_items(&s, &u).await.is_empty());
    assert_eq!(used_bytes(&s, &u).await, 4);
    assert_eq!(content(&s, &u, "/keep.txt").await, b"keep");
    assert_eq!(s.blob_files().len(), 1);
}

async fn expiry_purges_items_trashed_together_with_their_folder(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // A file trashed on its own, then its folder, in the same millisecond
    // (a bulk delete): both expire in the same janitor pass.
    put(&s, &u, "/dir/a.txt", vec![1u8; 100]).await;
    put(&s, &u, "/dir/b.txt", vec![2u8; 100]).await;
    put(&s, &u, "/other/c.txt", vec![3u8; 100]).await;
    trash(&s, &u, "/dir/a.txt").await;
    call(&s, &u, Method::DELETE, "/api/v1/folders/dir")
        .send()
        .await
        .unwrap();
    trash(&s, &u, "/other/c.txt").await;
    assert_eq!(trash_items(&s, &u).await.len(), 3);

    s.clock.advance_ms(30 * DAY);
    s.svc
        .janitor_pass(false)
        .await
        .expect("the janitor pass succeeds");
    assert!(trash_items(&s, &u).await.is_empty());
    assert_eq!(used_bytes(&s, &u).await, 0);
    assert!(s.blob_files().is_empty(), "{:?}", s.blob_files());
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["other"]);
}
