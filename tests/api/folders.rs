//! Folders: creating, listing (sorted, paged), and what a path may contain.

use crate::common::*;

both!(
    mkdir_creates_a_folder,
    mkdir_parents_creates_missing_folders,
    duplicate_mkdir_is_a_conflict,
    paging_with_cursor_sees_every_item_once_in_order,
    sort_by_size_and_modified,
    sort_by_modified_by_pages_across_users,
    bad_sort_limit_or_cursor_is_invalid_input,
    listing_a_file_is_not_a_folder,
    root_is_listed_with_and_without_trailing_slash,
    concurrent_uploads_into_a_new_folder_create_it_once,
    bad_paths_are_refused_and_create_nothing,
    bad_paths_in_json_bodies_are_refused,
    name_and_path_length_limits,
);

async fn mkdir(s: &TestServer, u: &TestUser, path: &str, parents: bool) -> reqwest::Response {
    let q = if parents { "?parents=true" } else { "" };
    call(
        s,
        u,
        reqwest::Method::POST,
        &format!("/api/v1/folders{}{q}", enc(path)),
    )
    .send()
    .await
    .unwrap()
}

async fn mkdir_creates_a_folder(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = mkdir(&s, &u, "/設計 図面", false).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["kind"], "folder");
    assert_eq!(v["name"], "設計 図面");
    assert_eq!(v["path"], "/設計 図面");
    assert_eq!(v["size"], 0);

    let page = listing(&s, &u, "/", "").await;
    assert_eq!(item_names(&page), ["設計 図面"]);
    assert_eq!(page["items"][0]["kind"], "folder");
    let inner = listing(&s, &u, "/設計 図面", "").await;
    assert_eq!(inner["path"], "/設計 図面");
    assert_eq!(inner["items"], json!([]));
    assert_eq!(inner["next_cursor"], Value::Null);
}

async fn mkdir_parents_creates_missing_folders(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let r = mkdir(&s, &u, "/a/b/c", false).await;
    problem(r, StatusCode::CONFLICT, "parent_not_found").await;
    assert_eq!(
        item_names(&listing(&s, &u, "/", "").await),
        Vec::<String>::new()
    );

    let r = mkdir(&s, &u, "/a/b/c", true).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["a"]);
    assert_eq!(item_names(&listing(&s, &u, "/a", "").await), ["b"]);
    assert_eq!(item_names(&listing(&s, &u, "/a/b", "").await), ["c"]);
    assert_eq!(listing(&s, &u, "/a/b/c", "").await["items"], json!([]));

    // -p below an existing parent creates only what is missing.
    let r = mkdir(&s, &u, "/a/b/d/e", true).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(item_names(&listing(&s, &u, "/a/b", "").await), ["c", "d"]);
}

async fn duplicate_mkdir_is_a_conflict(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    assert_eq!(
        mkdir(&s, &u, "/Docs", false).await.status(),
        StatusCode::CREATED
    );
    put(&s, &u, "/Docs/keep.txt", "kept").await;
    put(&s, &u, "/file.txt", "a file").await;

    for path in ["/Docs", "/docs", "/DOCS"] {
        problem(
            mkdir(&s, &u, path, false).await,
            StatusCode::CONFLICT,
            "name_conflict",
        )
        .await;
    }
    // A file of that name is a conflict even with parents=true.
    problem(
        mkdir(&s, &u, "/file.txt", true).await,
        StatusCode::CONFLICT,
        "name_conflict",
    )
    .await;
    problem(
        mkdir(&s, &u, "/FILE.txt", false).await,
        StatusCode::CONFLICT,
        "name_conflict",
    )
    .await;
    // Like mkdir -p, parents=true accepts an existing folder (200, not 201).
    let r = mkdir(&s, &u, "/docs", true).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "Docs");

    assert_eq!(
        item_names(&listing(&s, &u, "/", "").await),
        ["Docs", "file.txt"]
    );
    assert_eq!(
        item_names(&listing(&s, &u, "/Docs", "").await),
        ["keep.txt"]
    );
    assert_eq!(content(&s, &u, "/file.txt").await, b"a file");
}

async fn paging_with_cursor_sees_every_item_once_in_order(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // Folders sort after the files by name, so "folders first" is visible;
    // mixed case checks that the name order ignores case.
    let folders: Vec<String> = (0..5).map(|i| format!("zone-{i:02}")).collect();
    let files: Vec<String> = (0..20)
        .map(|i| {
            if i % 3 == 0 {
                format!("File-{i:02}.txt")
            } else {
                format!("file-{i:02}.txt")
            }
        })
        .collect();
    for f in folders.iter().rev() {
        assert_eq!(
            mkdir(&s, &u, &format!("/{f}"), false).await.status(),
            StatusCode::CREATED
        );
    }
    for f in files.iter().rev() {
        assert_eq!(
            put(&s, &u, &format!("/{f}"), "x").await.status(),
            StatusCode::CREATED
        );
    }
    let expected: Vec<String> = folders.iter().chain(files.iter()).cloned().collect();

    for (order, want) in [
        ("asc", expected.clone()),
        ("desc", {
            // Folders still come first in descending order.
            let mut f = folders.clone();
            f.reverse();
            let mut g = files.clone();
            g.reverse();
            f.into_iter().chain(g).collect()
        }),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut q = format!("?sort=name&order={order}&limit=10");
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let page = listing(&s, &u, "/", &q).await;
            pages += 1;
            let names = item_names(&page);
            assert!(names.len() <= 10);
            seen.extend(names);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(pages < 10, "paging does not end");
        }
        assert_eq!(pages, 3, "25 items in pages of 10 ({order})");
        assert_eq!(seen, want, "order {order}");
    }
}

async fn sort_by_size_and_modified(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    mkdir(&s, &u, "/folder", false).await;
    // name -> size, uploaded in this order one second apart.
    let files = [
        ("b.txt", 300),
        ("a.txt", 100),
        ("d.txt", 400),
        ("c.txt", 200),
    ];
    for (name, size) in files {
        s.clock.advance_ms(1_000);
        put(&s, &u, &format!("/{name}"), vec![b'x'; size]).await;
    }
    let page = listing(&s, &u, "/", "?sort=size&order=desc").await;
    assert_eq!(
        item_names(&page),
        ["folder", "d.txt", "b.txt", "c.txt", "a.txt"]
    );
    let sizes: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["size"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, [0, 400, 300, 200, 100]);
    let page = listing(&s, &u, "/", "?sort=size").await;
    assert_eq!(
        item_names(&page),
        ["folder", "a.txt", "c.txt", "b.txt", "d.txt"]
    );

    let page = listing(&s, &u, "/", "?sort=modified").await;
    assert_eq!(
        item_names(&page),
        ["folder", "b.txt", "a.txt", "d.txt", "c.txt"]
    );
    let page = listing(&s, &u, "/", "?sort=modified&order=desc").await;
    assert_eq!(
        item_names(&page),
        ["folder", "c.txt", "d.txt", "a.txt", "b.txt"]
    );

    // A new version makes the file the most recently modified.
    s.clock.advance_ms(1_000);
    put(&s, &u, "/b.txt", vec![b'y'; 50]).await;
    let page = listing(&s, &u, "/", "?sort=modified&order=desc").await;
    assert_eq!(
        item_names(&page),
        ["folder", "b.txt", "c.txt", "d.txt", "a.txt"]
    );

    // Ties in the sort key page correctly (the id breaks them): 7 files of one size.
    for i in 0..7 {
        put(&s, &u, &format!("/same/{i}.bin"), vec![0u8; 10]).await;
    }
    let mut seen = Vec::new();
    let mut q = "?sort=size&order=desc&limit=3".to_string();
    loop {
        let page = listing(&s, &u, "/same", &q).await;
        seen.extend(item_names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => q = format!("?sort=size&order=desc&limit=3&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, (0..7).map(|i| format!("{i}.bin")).collect::<Vec<_>>());
}

/// Every name of a listing, following its cursor pages of `limit`.
async fn all_pages(
    s: &TestServer,
    u: &TestUser,
    path: &str,
    query: &str,
    limit: u32,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut q = format!("?{query}&limit={limit}");
    loop {
        let page = listing(s, u, path, &q).await;
        seen.extend(item_names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => q = format!("?{query}&limit={limit}&cursor={c}"),
            None => return seen,
        }
    }
}

async fn sort_by_modified_by_pages_across_users(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let zoe = s.user("acme", "zoe", kura_core::Role::Member).await;
    let bob = s.user("acme", "bob", kura_core::Role::Member).await;
    mkdir(&s, &admin, "/shared", false).await;
    for (who, name) in [
        (&zoe, "z.txt"),
        (&bob, "b1.txt"),
        (&admin, "a.txt"),
        (&bob, "b2.txt"),
    ] {
        assert!(
            put(&s, who, &format!("/shared/{name}"), "x")
                .await
                .status()
                .is_success()
        );
    }
    mkdir(&s, &admin, "/shared/sub", false).await;
    // Folders first, then by who last changed the file (the id breaks ties),
    // the same whether read in one page or in pages of 2.
    for limit in [100, 2] {
        assert_eq!(
            all_pages(&s, &admin, "/shared", "sort=modified_by", limit).await,
            ["sub", "a.txt", "b1.txt", "b2.txt", "z.txt"],
            "ascending, pages of {limit}"
        );
        assert_eq!(
            all_pages(&s, &admin, "/shared", "sort=modified_by&order=desc", limit).await,
            ["sub", "z.txt", "b2.txt", "b1.txt", "a.txt"],
            "descending, pages of {limit}"
        );
    }
    // A new version by someone else moves the file (after z.txt, made
    // earlier, among zoe's).
    assert!(
        put(&s, &zoe, "/shared/a.txt", "y")
            .await
            .status()
            .is_success()
    );
    assert_eq!(
        all_pages(&s, &admin, "/shared", "sort=modified_by", 2).await,
        ["sub", "b1.txt", "b2.txt", "z.txt", "a.txt"]
    );
}

async fn bad_sort_limit_or_cursor_is_invalid_input(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    for i in 0..3 {
        put(&s, &u, &format!("/f{i}.txt"), "x").await;
    }
    let page = listing(&s, &u, "/", "?sort=name&limit=1").await;
    let name_cursor = page["next_cursor"].as_str().unwrap().to_string();

    for q in [
        "?sort=owner".to_string(),
        "?sort=NAME".to_string(),
        "?order=up".to_string(),
        "?limit=0".to_string(),
        "?limit=-1".to_string(),
        "?limit=10001".to_string(),
        "?limit=ten".to_string(),
        "?cursor=not-a-cursor".to_string(),
        "?cursor=%20%20".to_string(),
        // A cursor is only valid for the sort and order it came from.
        format!("?sort=size&limit=1&cursor={name_cursor}"),
        format!("?sort=name&order=desc&limit=1&cursor={name_cursor}"),
    ] {
        let r = call(
            &s,
            &u,
            reqwest::Method::GET,
            &format!("/api/v1/folders/{q}"),
        )
        .send()
        .await
        .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    // The boundaries themselves are fine.
    assert_eq!(
        item_names(&listing(&s, &u, "/", "?limit=1").await),
        ["f0.txt"]
    );
    assert_eq!(
        listing(&s, &u, "/", "?limit=10000").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let page = listing(
        &s,
        &u,
        "/",
        &format!("?sort=name&limit=1&cursor={name_cursor}"),
    )
    .await;
    assert_eq!(item_names(&page), ["f1.txt"]);
}

async fn listing_a_file_is_not_a_folder(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/dir/a.txt", "x").await;
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/folders/dir/a.txt")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_folder").await;
    let r = call(&s, &u, reqwest::Method::GET, "/api/v1/folders/dir/missing")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // And the other way round: downloading a folder is not_a_file.
    let r = get(&s, &u, "/dir").await;
    problem(r, StatusCode::CONFLICT, "not_a_file").await;
}

async fn root_is_listed_with_and_without_trailing_slash(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    mkdir(&s, &u, "/zdir", false).await;
    put(&s, &u, "/a.txt", "x").await;
    for url in ["/api/v1/folders", "/api/v1/folders/"] {
        let r = call(&s, &u, reqwest::Method::GET, url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["path"], "/", "{url}");
        assert_eq!(v["folder"]["kind"], "folder");
        assert_eq!(item_names(&v), ["zdir", "a.txt"], "{url}");
        assert_eq!(v["items"][1]["path"], "/a.txt");
        assert_eq!(v["items"][0]["path"], "/zdir");
    }
    // The root cannot be deleted or created.
    for (method, url, status, code) in [
        ("DELETE", "/api/v1/files/", 404, "no_route"),
        ("DELETE", "/api/v1/folders/", 405, "method_not_allowed"),
        ("POST", "/api/v1/folders/", 405, "method_not_allowed"),
        ("PUT", "/api/v1/files/", 404, "no_route"),
    ] {
        raw_req(&s, &u, method, url, b"")
            .await
            .assert_problem(status, code);
    }
    assert_eq!(
        item_names(&listing(&s, &u, "/", "").await),
        ["zdir", "a.txt"]
    );
}

async fn concurrent_uploads_into_a_new_folder_create_it_once(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let puts = (0..12)
        .map(|i| {
            (
                format!("/api/v1/files/new/deep/f{i:02}.txt?parents=true"),
                b"x".to_vec(),
            )
        })
        .collect();
    for status in concurrent_puts(&s, &u, puts).await {
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["new"]);
    assert_eq!(item_names(&listing(&s, &u, "/new", "").await), ["deep"]);
    let names = item_names(&listing(&s, &u, "/new/deep", "").await);
    assert_eq!(
        names,
        (0..12).map(|i| format!("f{i:02}.txt")).collect::<Vec<_>>()
    );
}

/// Request targets (after `/api/v1/files/` or `/api/v1/folders/`) that must be refused.
fn bad_targets() -> Vec<String> {
    let long_name = "x".repeat(256);
    let long_path = vec!["x".repeat(255); 17].join("/"); // 17 * 256 = 4352 bytes
    let mut v: Vec<String> = [
        // Dot segments, plain and encoded.
        "..",
        "../etc/passwd",
        "a/../b.txt",
        "a/..",
        ".",
        "a/./b.txt",
        "a/%2E%2E/b.txt",
        "a/.%2e/b.txt",
        "%2e",
        // Encoded separators.
        "a%2Fb.txt",
        "a%2fb.txt",
        "..%2F..%2Fb.txt",
        "a%5Cb.txt",
        "..%5C..%5Cb.txt",
        // NUL and other control characters.
        "a%00b.txt",
        "a%01b.txt",
        "a%0Ab.txt",
        "a%0D%0Ab.txt",
        "a%1Fb.txt",
        "a%7Fb.txt",
        "a%C2%85b.txt",
        // Empty segment.
        "a//b.txt",
        // Broken percent-encoding.
        "a%ZZ.txt",
        "a%4.txt",
        "a%",
        "a%G0",
        // Invalid UTF-8 once decoded (incl. an overlong "..").
        "a%FF.txt",
        "a%C3%28.txt",
        "%C0%AE%C0%AE",
        "a%ED%A0%80.txt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(long_name);
    v.push(format!("dir/{}", "y".repeat(256)));
    v.push(long_path);
    v
}

async fn bad_paths_are_refused_and_create_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a/b.txt", "existing").await;
    let blobs = s.blob_files().len();
    let used = used_bytes(&s, &u).await;

    for t in bad_targets() {
        let r = raw_req(
            &s,
            &u,
            "PUT",
            &format!("/api/v1/files/{t}?parents=true"),
            b"evil",
        )
        .await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(
            &s,
            &u,
            "POST",
            &format!("/api/v1/folders/{t}?parents=true"),
            b"",
        )
        .await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(&s, &u, "GET", &format!("/api/v1/files/{t}"), b"").await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(&s, &u, "GET", &format!("/api/v1/folders/{t}"), b"").await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(&s, &u, "DELETE", &format!("/api/v1/folders/{t}"), b"").await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(&s, &u, "DELETE", &format!("/api/v1/files/{t}"), b"").await;
        r.assert_problem(400, "invalid_path");
        let r = raw_req(&s, &u, "GET", &format!("/api/v1/versions/{t}"), b"").await;
        r.assert_problem(400, "invalid_path");
    }

    // Nothing was created, replaced or deleted anywhere.
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["a"]);
    assert_eq!(item_names(&listing(&s, &u, "/a", "").await), ["b.txt"]);
    assert_eq!(content(&s, &u, "/a/b.txt").await, b"existing");
    assert_eq!(versions_of(&s, &u, "/a/b.txt").await.len(), 1);
    assert!(trash_items(&s, &u).await.is_empty());
    assert_eq!(s.blob_files().len(), blobs);
    assert_eq!(used_bytes(&s, &u).await, used);
}

async fn bad_paths_in_json_bodies_are_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    put(&s, &u, "/a/b.txt", "existing").await;
    let id = trash(&s, &u, "/a/b.txt").await;
    put(&s, &u, "/a/c.txt", "other").await;

    let bad = [
        "/../x.txt".to_string(),
        "/a/../x.txt".to_string(),
        "/a/./x.txt".to_string(),
        "/a//x.txt".to_string(),
        "/a\\x.txt".to_string(),
        "/a\u{0}x.txt".to_string(),
        "/a\nx.txt".to_string(),
        format!("/{}", "x".repeat(256)),
    ];
    for p in &bad {
        for op in ["/api/v1/move", "/api/v1/copy"] {
            let r = call(&s, &u, reqwest::Method::POST, op)
                .json(&json!({"from": "/a/c.txt", "to": p}))
                .send()
                .await
                .unwrap();
            problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
            let r = call(&s, &u, reqwest::Method::POST, op)
                .json(&json!({"from": p, "to": "/a/d.txt"}))
                .send()
                .await
                .unwrap();
            problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
        }
        let r = call(
            &s,
            &u,
            reqwest::Method::POST,
            &format!("/api/v1/trash/{id}/restore"),
        )
        .json(&json!({ "to": p }))
        .send()
        .await
        .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;
    }
    assert_eq!(item_names(&listing(&s, &u, "/", "").await), ["a"]);
    assert_eq!(item_names(&listing(&s, &u, "/a", "").await), ["c.txt"]);
    assert_eq!(trash_items(&s, &u).await.len(), 1);
}

async fn name_and_path_length_limits(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    // 255 bytes is the longest name, counted in UTF-8 bytes (85 x 3-byte characters).
    let ascii = format!("/{}", "n".repeat(255));
    assert_eq!(put(&s, &u, &ascii, "x").await.status(), StatusCode::CREATED);
    let cjk = format!("/{}", "図".repeat(85));
    assert_eq!(put(&s, &u, &cjk, "x").await.status(), StatusCode::CREATED);
    let r = put(&s, &u, &format!("/{}", "図".repeat(86)), "x").await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;

    // 16 names of 255 bytes = 4096 bytes with their slashes: the longest path.
    let max = format!("/{}", vec!["p".repeat(255); 16].join("/"));
    assert_eq!(max.len(), 4096);
    assert_eq!(
        put(&s, &u, &max, "deep").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(content(&s, &u, &max).await, b"deep");
    let over = format!("{max}/q");
    let r = put(&s, &u, &over, "x").await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_path").await;

    let mut names = item_names(&listing(&s, &u, "/", "").await);
    names.sort();
    let mut want = vec!["n".repeat(255), "p".repeat(255), "図".repeat(85)];
    want.sort();
    assert_eq!(names, want);
}
