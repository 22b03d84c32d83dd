//! Search: names in any width and case, attribute filters, sorting, facets,
//! folder scope, paging while files arrive, and what must never be found.

use crate::common::*;
use kura_core::Role;
use reqwest::Method;

both!(
    names_match_in_any_width_and_case,
    attributes_filter_sort_and_count,
    paging_returns_every_result_exactly_once_while_files_arrive,
    trash_quarantine_and_other_tenants_are_never_found,
    scope_type_size_and_uploader_narrow_results,
);

async fn search(s: &TestServer, u: &TestUser, q: Value) -> Value {
    let r = call(s, u, Method::POST, "/api/v1/search")
        .json(&q)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{q} -> {v}");
    v
}

fn paths(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn up(s: &TestServer, u: &TestUser, path: &str, body: &str, attrs: Option<Value>) {
    let mut r = client()
        .put(s.url(&format!("/api/v1/files{}?parents=true", enc(path))))
        .bearer_auth(&u.token)
        .body(body.to_string());
    if let Some(a) = attrs {
        r = r.header("x-kura-attributes", enc(&a.to_string()));
    }
    let r = r.send().await.unwrap();
    assert!(
        r.status().is_success(),
        "upload {path}: {}",
        r.text().await.unwrap()
    );
}

async fn names_match_in_any_width_and_case(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    for p in [
        "/図面/ＡＢＣ図面.pdf",
        "/図面/abc-plan.PDF",
        "/写真/ｶﾒﾗ.jpg",
        "/写真/カメラ2.jpg",
        "/写真/かめら3.jpg",
        "/report 100%.txt",
        "/report_1.txt",
    ] {
        up(&s, &u, p, "x", None).await;
    }
    let both_abc = sorted(vec![
        "/図面/abc-plan.PDF".into(),
        "/図面/ＡＢＣ図面.pdf".into(),
    ]);
    for q in ["abc", "ABC", "ａｂｃ", "Abc"] {
        assert_eq!(
            sorted(paths(&search(&s, &u, json!({"name": q})).await)),
            both_abc,
            "{q}"
        );
    }
    // Half-width katakana matches full-width; hiragana stays apart.
    assert_eq!(
        sorted(paths(&search(&s, &u, json!({"name": "カメラ"})).await)),
        sorted(vec!["/写真/ｶﾒﾗ.jpg".into(), "/写真/カメラ2.jpg".into()])
    );
    assert_eq!(
        paths(&search(&s, &u, json!({"name": "ﾌﾞ"})).await),
        Vec::<String>::new()
    );
    // LIKE wildcards are plain characters.
    assert_eq!(
        paths(&search(&s, &u, json!({"name": "100%"})).await),
        vec!["/report 100%.txt"]
    );
    assert_eq!(
        paths(&search(&s, &u, json!({"name": "t_1"})).await),
        vec!["/report_1.txt"]
    );
    assert_eq!(search(&s, &u, json!({"name": "%"})).await["total"], 1);
    // No name: every file (folders are not results).
    assert_eq!(search(&s, &u, json!({})).await["total"], 7);
}

async fn attribute_schema(s: &TestServer, admin: &TestUser) {
    for body in [
        json!({"key": "project_no", "type": "text", "labels": {"ja": "工事番号", "en": "Project"}}),
        json!({"key": "kind", "type": "choice", "labels": {"ja": "種別", "en": "Kind"}, "choices": ["plan", "section", "detail"]}),
        json!({"key": "approved", "type": "date", "labels": {"ja": "承認日", "en": "Approved"}}),
        json!({"key": "height", "type": "number", "labels": {"ja": "高さ", "en": "Height"}}),
        json!({"key": "rights", "type": "multi_choice", "labels": {"ja": "利用", "en": "Rights"}, "choices": ["web", "print", "tv"]}),
        json!({"key": "final", "type": "boolean", "labels": {"ja": "確定", "en": "Final"}}),
    ] {
        let r = call(s, admin, Method::POST, "/api/v1/attributes")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

async fn attributes_filter_sort_and_count(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    attribute_schema(&s, &u).await;
    let files = [
        (
            "/a.pdf",
            json!({"project_no": "K-101 品川駅", "kind": "plan", "approved": "2026-01-10", "height": 10, "rights": ["web"], "final": true}),
        ),
        (
            "/b.pdf",
            json!({"project_no": "K-102 新宿", "kind": "section", "approved": "2026-03-01", "height": 25.5, "rights": ["web", "print"], "final": false}),
        ),
        (
            "/c.pdf",
            json!({"project_no": "k-103 品川", "kind": "plan", "approved": "2026-06-30", "height": 3, "rights": ["print", "tv"]}),
        ),
        (
            "/d.pdf",
            json!({"kind": "detail", "rights": ["web", "print", "tv"]}),
        ),
        ("/e.pdf", json!({})),
    ];
    for (p, a) in &files {
        up(&s, &u, p, "x", Some(a.clone())).await;
    }
    let q = |filters: Value| json!({"filters": filters});
    let cases = [
        (
            json!([{"key": "kind", "op": "eq", "value": "plan"}]),
            vec!["/a.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "kind", "op": "ne", "value": "plan"}]),
            vec!["/b.pdf", "/d.pdf", "/e.pdf"],
        ),
        (
            json!([{"key": "kind", "op": "any", "value": ["section", "detail"]}]),
            vec!["/b.pdf", "/d.pdf"],
        ),
        (
            json!([{"key": "height", "op": "between", "value": [3, 10]}]),
            vec!["/a.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "height", "op": "gt", "value": 10}]),
            vec!["/b.pdf"],
        ),
        (
            json!([{"key": "height", "op": "lte", "value": 10}]),
            vec!["/a.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "approved", "op": "gte", "value": "2026-03-01"}]),
            vec!["/b.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "approved", "op": "lt", "value": "2026-03-01"}]),
            vec!["/a.pdf"],
        ),
        (
            json!([{"key": "rights", "op": "all", "value": ["print", "tv"]}]),
            vec!["/c.pdf", "/d.pdf"],
        ),
        (
            json!([{"key": "rights", "op": "any", "value": ["tv"]}]),
            vec!["/c.pdf", "/d.pdf"],
        ),
        (
            json!([{"key": "rights", "op": "eq", "value": "web"}]),
            vec!["/a.pdf", "/b.pdf", "/d.pdf"],
        ),
        (
            json!([{"key": "project_no", "op": "contains", "value": "品川"}]),
            vec!["/a.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "project_no", "op": "contains", "value": "ｋ－１０"}]),
            vec!["/a.pdf", "/b.pdf", "/c.pdf"],
        ),
        (
            json!([{"key": "final", "op": "eq", "value": false}]),
            vec!["/b.pdf"],
        ),
        // Two filters: both must hold.
        (
            json!([{"key": "kind", "op": "eq", "value": "plan"}, {"key": "approved", "op": "gt", "value": "2026-02-01"}]),
            vec!["/c.pdf"],
        ),
    ];
    for (filters, want) in cases {
        let got = sorted(paths(&search(&s, &u, q(filters.clone())).await));
        assert_eq!(got, want, "{filters}");
    }
    // Wrong filters name the attribute.
    for (f, attr) in [
        (
            json!({"key": "kind", "op": "eq", "value": "elevation"}),
            "kind",
        ),
        (
            json!({"key": "height", "op": "contains", "value": "1"}),
            "height",
        ),
        (json!({"key": "kind", "op": "lt", "value": "plan"}), "kind"),
        (json!({"key": "nope", "op": "eq", "value": 1}), "nope"),
        (
            json!({"key": "height", "op": "between", "value": [1]}),
            "height",
        ),
        (json!({"key": "height", "op": "like", "value": 1}), "height"),
    ] {
        let r = call(&s, &u, Method::POST, "/api/v1/search")
            .json(&json!({"filters": [f]}))
            .send()
            .await
            .unwrap();
        let p = problem(r, StatusCode::BAD_REQUEST, "invalid_attribute").await;
        assert_eq!(p["attribute"], attr);
    }

    // Sorting by an attribute: missing values last, either way.
    let by_height = |order: &str| json!({"sort": {"key": "height", "order": order}});
    assert_eq!(
        paths(&search(&s, &u, by_height("asc")).await)[..3],
        ["/c.pdf", "/a.pdf", "/b.pdf"]
    );
    let desc = paths(&search(&s, &u, by_height("desc")).await);
    assert_eq!(desc[..3], ["/b.pdf", "/a.pdf", "/c.pdf"]);
    assert_eq!(sorted(desc[3..].to_vec()), ["/d.pdf", "/e.pdf"]);
    // Pages of two follow the same order, across the files without a value
    // too (a page ends on one, the next starts after it).
    for order in ["asc", "desc"] {
        let whole = paths(&search(&s, &u, by_height(order)).await);
        let mut paged = Vec::new();
        let mut q = by_height(order);
        q["limit"] = json!(2);
        // Three pages; a cursor that does not move on must not loop forever.
        for _ in 0..5 {
            let v = search(&s, &u, q.clone()).await;
            paged.extend(paths(&v));
            match v["next_cursor"].as_str() {
                Some(c) => q["cursor"] = json!(c),
                None => break,
            }
        }
        assert_eq!(paged, whole, "{order}");
    }
    let by_kind = paths(&search(&s, &u, json!({"sort": {"key": "kind"}})).await);
    assert_eq!(by_kind, ["/d.pdf", "/a.pdf", "/c.pdf", "/b.pdf", "/e.pdf"]);

    // Facets count matching files per choice (and per media type).
    let v = search(
        &s,
        &u,
        json!({"facets": ["kind", "rights", "content_type"]}),
    )
    .await;
    assert_eq!(v["total"], 5);
    assert_eq!(
        v["facets"]["kind"],
        json!({"detail": 1, "plan": 2, "section": 1})
    );
    assert_eq!(
        v["facets"]["rights"],
        json!({"print": 3, "tv": 2, "web": 3})
    );
    assert_eq!(v["facets"]["content_type"], json!({"application/pdf": 5}));
    let v = search(
        &s,
        &u,
        json!({"filters": [{"key": "kind", "op": "eq", "value": "plan"}], "facets": ["rights"]}),
    )
    .await;
    assert_eq!(
        v["facets"]["rights"],
        json!({"print": 1, "tv": 1, "web": 1})
    );
    // Items carry their attributes.
    let v = search(&s, &u, json!({"name": "b.pdf"})).await;
    assert_eq!(
        v["items"][0]["attributes"]["rights"],
        json!(["web", "print"])
    );
    assert_eq!(v["items"][0]["attributes"]["height"], json!(25.5));
}

async fn paging_returns_every_result_exactly_once_while_files_arrive(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    for i in 0..30 {
        up(&s, &u, &format!("/p/f{:02}.txt", i * 2), "x", None).await;
    }
    for sort in ["name", "modified", "size"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let mut q = json!({"folder": "/p", "limit": 7, "sort": {"key": sort, "order": "desc"}});
            if let Some(c) = &cursor {
                q["cursor"] = json!(c);
            }
            let v = search(&s, &u, q).await;
            seen.extend(paths(&v));
            // New files arrive between pages, before and after the cursor.
            up(
                &s,
                &u,
                &format!("/p/f{:02}-{sort}.txt", added * 2 + 1),
                "xx",
                None,
            )
            .await;
            added += 1;
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{sort}: a result came twice: {seen:?}"
        );
        for i in 0..30 {
            let p = format!("/p/f{:02}.txt", i * 2);
            assert!(seen.contains(&p), "{sort}: {p} missing");
        }
    }
    let r = call(&s, &u, Method::POST, "/api/v1/search")
        .json(&json!({"cursor": "garbage"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
}

async fn trash_quarantine_and_other_tenants_are_never_found(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    for p in [
        "/keep/plan.pdf",
        "/gone/plan.pdf",
        "/plan-trashed.pdf",
        "/plan-infected.pdf",
    ] {
        up(&s, &u, p, "x", None).await;
    }
    up(&s, &other, "/plan-other.pdf", "x", None).await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/gone")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = call(&s, &u, Method::DELETE, "/api/v1/files/plan-trashed.pdf")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // Quarantine one file's current version, as a rescan would.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let r = call(&s, &u, Method::GET, "/api/v1/versions/plan-infected.pdf")
        .send()
        .await
        .unwrap();
    let vs: Value = r.json().await.unwrap();
    let vid = vs["items"][0]["id"].as_i64().unwrap();
    s.svc
        .db()
        .quarantine_version(&kura_db::NewDetection {
            tenant_id: t.id,
            user_id: None,
            ip: None,
            path: "/plan-infected.pdf",
            signature: "Eicar-Test-Signature",
            source: "rescan",
            version_id: Some(vid),
            engine: None,
            now: 1,
        })
        .await
        .unwrap();
    assert_eq!(
        paths(&search(&s, &u, json!({"name": "plan"})).await),
        ["/keep/plan.pdf"]
    );
    assert_eq!(
        paths(&search(&s, &other, json!({"name": "plan"})).await),
        ["/plan-other.pdf"]
    );
    // Another tenant's folder is not a scope.
    let r = call(&s, &other, Method::POST, "/api/v1/search")
        .json(&json!({"folder": "/keep"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // Guests find nothing; read-only app passwords may search.
    let guest = s.user("acme", "guest", Role::Guest).await;
    let r = call(&s, &guest, Method::POST, "/api/v1/search")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = call(&s, &u, Method::POST, "/api/v1/tokens")
        .json(&json!({"name": "ro", "scope": "read_only"}))
        .send()
        .await
        .unwrap();
    let ro = TestUser {
        token: r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .into(),
        ..u.clone()
    };
    assert_eq!(search(&s, &ro, json!({"name": "plan"})).await["total"], 1);
}

async fn scope_type_size_and_uploader_narrow_results(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    up(&s, &admin, "/現場/A/写真1.jpg", "0123456789", None).await;
    up(&s, &admin, "/現場/A/図面.pdf", "01234", None).await;
    up(&s, &bob, "/現場/B/写真2.jpg", "01", None).await;
    up(&s, &bob, "/その他/写真3.png", "0123456789012345", None).await;
    let q = |v: Value| v;
    assert_eq!(
        sorted(paths(
            &search(&s, &admin, q(json!({"folder": "/現場"}))).await
        ))
        .len(),
        3
    );
    assert_eq!(
        paths(&search(&s, &admin, q(json!({"folder": "/現場/B"}))).await),
        ["/現場/B/写真2.jpg"]
    );
    assert_eq!(
        sorted(paths(
            &search(&s, &admin, q(json!({"content_types": ["image/"]}))).await
        )),
        [
            "/その他/写真3.png",
            "/現場/A/写真1.jpg",
            "/現場/B/写真2.jpg"
        ]
    );
    assert_eq!(
        paths(&search(&s, &admin, q(json!({"content_types": ["application/pdf"]}))).await),
        ["/現場/A/図面.pdf"]
    );
    assert_eq!(
        sorted(paths(
            &search(&s, &admin, q(json!({"size_min": 5, "size_max": 10}))).await
        )),
        ["/現場/A/写真1.jpg", "/現場/A/図面.pdf"]
    );
    assert_eq!(
        sorted(paths(
            &search(&s, &admin, q(json!({"uploader": "bob"}))).await
        )),
        ["/その他/写真3.png", "/現場/B/写真2.jpg"]
    );
    assert_eq!(
        search(&s, &admin, q(json!({"uploader": "nobody"}))).await["total"],
        0
    );
    assert_eq!(
        search(&s, &admin, q(json!({"modified_after": "2000-01-01"}))).await["total"],
        4
    );
    assert_eq!(
        search(&s, &admin, q(json!({"modified_before": "2000-01-01"}))).await["total"],
        0
    );
    let r = call(&s, &admin, Method::POST, "/api/v1/search")
        .json(&json!({"modified_after": "yesterday"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
}

both!(saved_searches_are_personal_or_shared_by_admins);

async fn saved_searches_are_personal_or_shared_by_admins(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let carol = s.user("acme", "carol", Role::Member).await;
    up(&s, &bob, "/図面/平面図.pdf", "x", None).await;
    let save = |u: &TestUser, body: Value| {
        call(&s, u, Method::POST, "/api/v1/saved-searches")
            .json(&body)
            .send()
    };
    let q = json!({"name": "平面", "sort": {"key": "modified", "order": "desc"}});
    let r = save(&bob, json!({"name": "私の図面", "query": q}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let mine = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Only admins share; a broken query is refused when saved.
    let r = save(&bob, json!({"name": "all", "query": q, "shared": true}))
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = save(
        &bob,
        json!({"name": "bad", "query": {"filters": [{"key": "nope", "op": "eq", "value": 1}]}}),
    )
    .await
    .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_attribute").await;
    let r = save(
        &admin,
        json!({"name": "全社: 図面", "query": {"name": "図面"}, "shared": true}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let shared = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let list = |u: &TestUser| call(&s, u, Method::GET, "/api/v1/saved-searches").send();
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let v: Value = list(&bob).await.unwrap().json().await.unwrap();
    assert_eq!(names(&v), ["私の図面", "全社: 図面"]);
    assert_eq!(v["items"][0]["query"], q, "stored as sent");
    let v: Value = list(&carol).await.unwrap().json().await.unwrap();
    assert_eq!(names(&v), ["全社: 図面"], "bob's own search is his");
    let v: Value = list(&other).await.unwrap().json().await.unwrap();
    assert_eq!(names(&v), Vec::<String>::new());
    // Running a saved query finds what it found.
    let r = call(&s, &carol, Method::POST, "/api/v1/search")
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["total"], 1);

    let del = |u: &TestUser, id: i64| {
        call(
            &s,
            u,
            Method::DELETE,
            &format!("/api/v1/saved-searches/{id}"),
        )
        .send()
    };
    problem(
        del(&carol, mine).await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        del(&other, shared).await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        del(&carol, shared).await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        del(&bob, mine).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        del(&admin, shared).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let v: Value = list(&bob).await.unwrap().json().await.unwrap();
    assert_eq!(names(&v), Vec::<String>::new());
}

both!(facet_counts_stay_exact_through_every_change);

/// The per-folder counts that answer totals and facets of unfiltered
/// searches (search_facets, kept by triggers) against a real count: the
/// same search with a filter that matches everything takes the counting path.
async fn counted_vs_summed(s: &TestServer, u: &TestUser, folder: &str) -> Value {
    let facets = json!(["kind", "rights", "content_type"]);
    let summed = search(
        s,
        u,
        json!({"folder": folder, "limit": 1, "facets": facets}),
    )
    .await;
    let counted = search(
        s,
        u,
        json!({"folder": folder, "limit": 1, "facets": facets, "size_min": 0}),
    )
    .await;
    assert_eq!(summed["facets"], counted["facets"], "facets of {folder}");
    assert_eq!(summed["total"], counted["total"], "total of {folder}");
    // Without the media types among the facets, the total comes out the same.
    let one = search(
        s,
        u,
        json!({"folder": folder, "limit": 1, "facets": ["kind"]}),
    )
    .await;
    assert_eq!(
        one["total"], counted["total"],
        "total of {folder} (kind only)"
    );
    assert_eq!(one["facets"]["kind"], counted["facets"]["kind"]);
    assert!(one["facets"].get("content_type").is_none(), "{one}");
    json!({"total": summed["total"], "facets": summed["facets"]})
}

async fn facet_counts_stay_exact_through_every_change(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 30).await;
    attribute_schema(&s, &u).await;
    up(
        &s,
        &u,
        "/a/1.pdf",
        "x",
        Some(json!({"kind": "plan", "rights": ["web", "tv"]})),
    )
    .await;
    up(&s, &u, "/a/2.pdf", "x", Some(json!({"kind": "plan"}))).await;
    up(
        &s,
        &u,
        "/a/sub/3.jpg",
        "x",
        Some(json!({"kind": "detail", "rights": ["web"]})),
    )
    .await;
    up(&s, &u, "/b/4.jpg", "x", Some(json!({"kind": "section"}))).await;
    up(&s, &u, "/b/5.txt", "x", None).await;
    assert_eq!(
        counted_vs_summed(&s, &u, "/").await,
        json!({"total": 5, "facets": {
            "kind": {"detail": 1, "plan": 2, "section": 1},
            "rights": {"tv": 1, "web": 2},
            "content_type": {"application/pdf": 2, "image/jpeg": 2, "text/plain": 1}}})
    );
    assert_eq!(
        counted_vs_summed(&s, &u, "/a").await["facets"]["kind"],
        json!({"detail": 1, "plan": 2})
    );
    // Values edited one by one and in bulk.
    let r = call(&s, &u, Method::PATCH, "/api/v1/files/a/2.pdf/attributes")
        .json(&json!({"kind": "section", "rights": ["print"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = call(&s, &u, Method::POST, "/api/v1/attributes/bulk")
        .json(&json!({"paths": ["/a/1.pdf", "/b/4.jpg"], "set": {"rights": ["tv"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Moved, copied, a new version, a trashed file and a trashed folder.
    let r = call(&s, &u, Method::POST, "/api/v1/move")
        .json(&json!({"from": "/a/sub/3.jpg", "to": "/b/3.jpg"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = call(&s, &u, Method::POST, "/api/v1/copy")
        .json(&json!({"from": "/b", "to": "/c"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    up(&s, &u, "/a/1.pdf", "new version", None).await;
    let r = call(&s, &u, Method::DELETE, "/api/v1/files/b/5.txt")
        .send()
        .await
        .unwrap();
    let file_trash = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    let r = call(&s, &u, Method::DELETE, "/api/v1/folders/a")
        .send()
        .await
        .unwrap();
    let folder_trash = r.json::<Value>().await.unwrap()["trash_id"]
        .as_i64()
        .unwrap();
    let now = counted_vs_summed(&s, &u, "/").await;
    assert_eq!(counted_vs_summed(&s, &u, "/c").await["total"], 3);
    // A choice renamed by the schema, a folder restored, a file purged.
    let r = call(&s, &u, Method::PATCH, "/api/v1/attributes/kind")
        .json(&json!({"choices": ["plan", "detail"], "rename_choices": {"section": "plan"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = call(
        &s,
        &u,
        Method::POST,
        &format!("/api/v1/trash/{folder_trash}/restore"),
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success());
    let r = call(
        &s,
        &u,
        Method::DELETE,
        &format!("/api/v1/trash/{file_trash}"),
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success());
    let after = counted_vs_summed(&s, &u, "/").await;
    assert_ne!(now, after);
    assert_eq!(after["total"], 7, "{after}");
    assert_eq!(after["facets"]["kind"]["section"], Value::Null, "{after}");
    // A quarantined version leaves the counts; another tenant's count is
    // its own.
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let r = call(&s, &u, Method::GET, "/api/v1/versions/c/4.jpg")
        .send()
        .await
        .unwrap();
    let vid = r.json::<Value>().await.unwrap()["items"][0]["id"]
        .as_i64()
        .unwrap();
    s.svc
        .db()
        .quarantine_version(&kura_db::NewDetection {
            tenant_id: t.id,
            user_id: None,
            ip: None,
            path: "/c/4.jpg",
            signature: "Eicar-Test-Signature",
            source: "rescan",
            version_id: Some(vid),
            engine: None,
            now: 1,
        })
        .await
        .unwrap();
    assert_eq!(counted_vs_summed(&s, &u, "/").await["total"], 6);
    let other = s.tenant("globex", 1 << 30).await;
    attribute_schema(&s, &other).await;
    up(&s, &other, "/x.pdf", "x", Some(json!({"kind": "plan"}))).await;
    assert_eq!(
        counted_vs_summed(&s, &other, "/").await,
        json!({"total": 1, "facets": {"kind": {"plan": 1}, "rights": {}, "content_type": {"application/pdf": 1}}})
    );
    assert_eq!(counted_vs_summed(&s, &u, "/").await["total"], 6);
}
