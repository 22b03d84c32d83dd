//! Custom search attributes: the schema (admins), values at upload and
//! later, required attributes and defaults, and schema changes that would
//! lose values.

use crate::common::*;
use kura_core::Role;
use reqwest::Method;

both!(
    a_new_version_with_attributes_commits_values_and_audit_together,
    schema_changes_never_lose_values,
    values_are_validated_and_audited,
    required_attributes_and_defaults_apply_to_new_files_in_their_folder,
    schemas_and_values_stay_in_their_tenant,
);

async fn create(s: &TestServer, u: &TestUser, body: Value) -> reqwest::Response {
    call(s, u, Method::POST, "/api/v1/attributes")
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn header_json(v: &Value) -> String {
    // Non-ASCII must be percent-encoded in a header.
    enc(&v.to_string())
}

async fn upload(
    s: &TestServer,
    u: &TestUser,
    path: &str,
    attrs: Option<&Value>,
) -> reqwest::Response {
    let mut r = client()
        .put(s.url(&format!("/api/v1/files{}?parents=true", enc(path))))
        .bearer_auth(&u.token)
        .body("content");
    if let Some(a) = attrs {
        r = r.header("x-kura-attributes", header_json(a));
    }
    r.send().await.unwrap()
}

async fn meta(s: &TestServer, u: &TestUser, path: &str) -> Value {
    let r = call(
        s,
        u,
        Method::GET,
        &format!("/api/v1/files{}?meta=true", enc(path)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "meta of {path}");
    r.json().await.unwrap()
}

async fn patch(s: &TestServer, u: &TestUser, path: &str, body: Value) -> reqwest::Response {
    call(
        s,
        u,
        Method::PATCH,
        &format!("/api/v1/files{}/attributes", enc(path)),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn drawing_schema(s: &TestServer, admin: &TestUser) {
    for body in [
        json!({"key": "project_no", "type": "text", "labels": {"ja": "工事番号", "en": "Project no."}}),
        json!({"key": "drawing_type", "type": "choice", "labels": {"ja": "図面種別", "en": "Drawing type"},
               "choices": [{"value": "plan", "labels": {"ja": "平面図", "en": "Plan"}},
                           {"value": "section", "labels": {"ja": "断面図", "en": "Section"}}]}),
        json!({"key": "approved", "type": "date", "labels": {"ja": "承認日", "en": "Approved"}}),
        json!({"key": "height", "type": "number", "labels": {"ja": "高さ", "en": "Height"}}),
        json!({"key": "rights", "type": "multi_choice", "labels": {"ja": "利用範囲", "en": "Rights"},
               "choices": ["web", "print", "tv"]}),
        json!({"key": "final", "type": "boolean", "labels": {"ja": "確定", "en": "Final"}}),
    ] {
        let r = create(s, admin, body.clone()).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    }
}

async fn schema_changes_never_lose_values(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    // Only admins define attributes; everyone reads them.
    let r = create(
        &s,
        &bob,
        json!({"key": "x", "type": "text", "labels": {"ja": "x", "en": "x"}}),
    )
    .await;
    problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    drawing_schema(&s, &admin).await;
    let r = create(
        &s,
        &admin,
        json!({"key": "height", "type": "text", "labels": {"ja": "x", "en": "x"}}),
    )
    .await;
    problem(r, StatusCode::CONFLICT, "name_conflict").await;
    let r = create(
        &s,
        &admin,
        json!({"key": "Bad-Key", "type": "text", "labels": {"ja": "x", "en": "x"}}),
    )
    .await;
    problem(r, StatusCode::BAD_REQUEST, "invalid_attribute").await;
    let r = call(&s, &bob, Method::GET, "/api/v1/attributes")
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let keys: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "project_no",
            "drawing_type",
            "approved",
            "height",
            "rights",
            "final"
        ]
    );
    assert_eq!(list["items"][1]["choices"][1]["labels"]["ja"], "断面図");

    let attrs = json!({"project_no": "K-2026-001 品川", "drawing_type": "section", "approved": "2026-11-27",
                       "height": 12.5, "rights": ["tv", "web"], "final": true});
    let r = upload(&s, &bob, "/図面/一階平面図.pdf", Some(&attrs)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m = meta(&s, &bob, "/図面/一階平面図.pdf").await;
    assert_eq!(m["name"], "一階平面図.pdf");
    assert_eq!(
        m["attributes"],
        json!({"project_no": "K-2026-001 品川", "drawing_type": "section", "approved": "2026-11-27",
               "height": 12.5, "rights": ["web", "tv"], "final": true})
    );

    // A new type while values exist: refused, nothing changes.
    let r = call(&s, &admin, Method::PATCH, "/api/v1/attributes/height")
        .json(&json!({"type": "text"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::CONFLICT, "attribute_in_use").await;
    assert!(p["detail"].as_str().unwrap().contains("1 items"), "{p}");
    // Removing a choice in use: refused; moving its values first: done.
    let r = call(&s, &admin, Method::PATCH, "/api/v1/attributes/drawing_type")
        .json(&json!({"choices": ["plan", "elevation"]}))
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::CONFLICT, "attribute_in_use").await;
    assert!(p["detail"].as_str().unwrap().contains("\"section\""), "{p}");
    assert_eq!(
        meta(&s, &bob, "/図面/一階平面図.pdf").await["attributes"]["drawing_type"],
        "section"
    );
    let r = call(&s, &admin, Method::PATCH, "/api/v1/attributes/drawing_type")
        .json(
            &json!({"choices": ["plan", "elevation"], "rename_choices": {"section": "elevation"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        meta(&s, &bob, "/図面/一階平面図.pdf").await["attributes"]["drawing_type"],
        "elevation"
    );
    // Search follows the rename (its tokens were written again).
    for (value, want) in [("elevation", 1), ("plan", 0)] {
        let found: serde_json::Value = call(&s, &bob, Method::POST, "/api/v1/search")
            .json(&json!({"filters": [{"key": "drawing_type", "op": "eq", "value": value}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found["total"], want, "{value}: {found}");
    }
    // Relabelling and reordering touch no value.
    let r = call(&s, &admin, Method::PATCH, "/api/v1/attributes/rights")
        .json(&json!({"choices": [{"value": "tv", "labels": {"ja": "テレビ", "en": "TV"}}, "print", "web"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        meta(&s, &bob, "/図面/一階平面図.pdf").await["attributes"]["rights"],
        json!(["tv", "web"])
    );
    // An unused attribute may change type.
    let r = create(
        &s,
        &admin,
        json!({"key": "site", "type": "text", "labels": {"ja": "現場", "en": "Site"}}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = call(&s, &admin, Method::PATCH, "/api/v1/attributes/site")
        .json(&json!({"type": "choice", "choices": ["tokyo", "osaka"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Archiving keeps the values: gone from forms and files, back if asked.
    let r = call(&s, &admin, Method::DELETE, "/api/v1/attributes/height")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        meta(&s, &bob, "/図面/一階平面図.pdf").await["attributes"]
            .get("height")
            .is_none()
    );
    let r = call(&s, &admin, Method::GET, "/api/v1/attributes?archived=true")
        .send()
        .await
        .unwrap();
    let all: Value = r.json().await.unwrap();
    let h = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "height")
        .unwrap();
    assert_eq!(h["archived"], true);
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let archived = s.svc.db().attribute_defs(t.id, true).await.unwrap();
    let hid = archived.iter().find(|d| d.spec.key == "height").unwrap().id;
    assert_eq!(
        s.svc.db().attribute_use_count(hid).await.unwrap(),
        1,
        "the value is kept"
    );
    // Its key is free again.
    let r = create(
        &s,
        &admin,
        json!({"key": "height", "type": "text", "labels": {"ja": "高さ", "en": "Height"}}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn values_are_validated_and_audited(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    drawing_schema(&s, &admin).await;
    assert_eq!(
        upload(&s, &bob, "/a.pdf", None).await.status(),
        StatusCode::CREATED
    );
    for (body, key, why) in [
        (json!({"height": "tall"}), "height", "expects a number"),
        (
            json!({"drawing_type": "elevation"}),
            "drawing_type",
            "not one of its choices",
        ),
        (json!({"approved": "2026-02-30"}), "approved", "not a date"),
        (json!({"rights": "web"}), "rights", "a list of its choices"),
        (json!({"colour": "red"}), "colour", "no such attribute"),
    ] {
        let p = problem(
            patch(&s, &bob, "/a.pdf", body.clone()).await,
            StatusCode::BAD_REQUEST,
            "invalid_attribute",
        )
        .await;
        assert_eq!(p["attribute"], key, "{body}");
        assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
        // At upload too, before anything is stored.
        let p = problem(
            upload(&s, &bob, "/b.pdf", Some(&body)).await,
            StatusCode::BAD_REQUEST,
            "invalid_attribute",
        )
        .await;
        assert_eq!(p["attribute"], key);
    }
    let r = call(
        &s,
        &bob,
        Method::GET,
        &format!("/api/v1/files{}", enc("/b.pdf")),
    )
    .send()
    .await
    .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    // A header that is not a JSON object.
    let r = client()
        .put(s.url("/api/v1/files/c.pdf"))
        .bearer_auth(&bob.token)
        .header("x-kura-attributes", "[1,2]")
        .body("x")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;

    // Changes, then a clear; each recorded with old and new value.
    let r = patch(
        &s,
        &bob,
        "/a.pdf",
        json!({"drawing_type": "plan", "height": 3}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["attributes"],
        json!({"drawing_type": "plan", "height": 3.0})
    );
    let r = patch(
        &s,
        &bob,
        "/a.pdf",
        json!({"drawing_type": "section", "height": null}),
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["attributes"],
        json!({"drawing_type": "section"})
    );
    // Folders carry attributes too.
    let r = patch(&s, &bob, "/", json!({})).await;
    assert_ne!(r.status(), StatusCode::OK, "the root is not an item");
    let r = call(&s, &bob, Method::POST, "/api/v1/folders/現場")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        patch(&s, &bob, "/現場", json!({"project_no": "K-1"}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        meta(&s, &bob, "/現場").await["attributes"]["project_no"],
        "K-1"
    );

    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    let changes: Vec<Value> = events
        .iter()
        .filter(|e| e.action == "attributes.update" && e.target.as_deref() == Some("/a.pdf"))
        .map(|e| serde_json::from_str(e.detail.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    // Newest first.
    assert_eq!(
        changes[0]["drawing_type"],
        json!({"old": "plan", "new": "section"})
    );
    assert_eq!(changes[0]["height"], json!({"old": 3.0, "new": null}));
    assert_eq!(
        changes[1]["drawing_type"],
        json!({"old": null, "new": "plan"})
    );
}

async fn required_attributes_and_defaults_apply_to_new_files_in_their_folder(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    let r = call(&s, &bob, Method::POST, "/api/v1/folders/projects")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = create(
        &s,
        &admin,
        json!({"key": "project_no", "type": "text", "required": true,
        "labels": {"ja": "工事番号", "en": "Project no."}, "folder": "/projects"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["folder"], "/projects");
    let r = create(
        &s,
        &admin,
        json!({"key": "status", "type": "choice", "default": "draft",
        "labels": {"ja": "状態", "en": "Status"}, "choices": ["draft", "approved"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // In the folder, a new file needs the required attribute: nothing stored without it.
    let p = problem(
        upload(&s, &bob, "/projects/a.pdf", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_attribute",
    )
    .await;
    assert_eq!(p["attribute"], "project_no");
    assert!(p["detail"].as_str().unwrap().contains("is required"));
    assert!(
        s.blob_files().is_empty(),
        "no bytes stored: {:?}",
        s.blob_files()
    );
    let r = upload(
        &s,
        &bob,
        "/projects/a.pdf",
        Some(&json!({"project_no": "P-1"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        meta(&s, &bob, "/projects/a.pdf").await["attributes"],
        json!({"project_no": "P-1", "status": "draft"})
    );
    // A new version needs nothing new; the values stay.
    assert_eq!(
        upload(&s, &bob, "/projects/a.pdf", None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        meta(&s, &bob, "/projects/a.pdf").await["attributes"]["project_no"],
        "P-1"
    );
    // Clearing a required value is refused.
    let p = problem(
        patch(&s, &bob, "/projects/a.pdf", json!({"project_no": null})).await,
        StatusCode::BAD_REQUEST,
        "invalid_attribute",
    )
    .await;
    assert_eq!(p["attribute"], "project_no");
    // Outside the folder it neither applies nor is needed.
    let r = upload(&s, &bob, "/other/b.pdf", None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        meta(&s, &bob, "/other/b.pdf").await["attributes"],
        json!({"status": "draft"})
    );
    let p = problem(
        patch(&s, &bob, "/other/b.pdf", json!({"project_no": "P-2"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_attribute",
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("does not apply"),
        "{p}"
    );
    // An explicit value beats the default.
    let r = upload(
        &s,
        &bob,
        "/other/c.pdf",
        Some(&json!({"status": "approved"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        meta(&s, &bob, "/other/c.pdf").await["attributes"]["status"],
        "approved"
    );
}

async fn schemas_and_values_stay_in_their_tenant(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let other = s.tenant("globex", 1 << 30).await;
    drawing_schema(&s, &admin).await;
    let r = call(&s, &other, Method::GET, "/api/v1/attributes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["items"], json!([]));
    let p = problem(
        upload(&s, &other, "/x.pdf", Some(&json!({"height": 1}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_attribute",
    )
    .await;
    assert_eq!(p["attribute"], "height");
    let r = call(&s, &other, Method::PATCH, "/api/v1/attributes/height")
        .json(&json!({"required": true}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = call(&s, &other, Method::DELETE, "/api/v1/attributes/height")
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        call(&s, &admin, Method::GET, "/api/v1/attributes")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

both!(bulk_edit_is_all_or_nothing);

async fn bulk_edit_is_all_or_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    let bob = s.user("acme", "bob", Role::Member).await;
    drawing_schema(&s, &admin).await;
    let paths: Vec<String> = (0..50).map(|i| format!("/写真/{i:03}.jpg")).collect();
    for p in &paths {
        assert_eq!(
            upload(&s, &bob, p, None).await.status(),
            StatusCode::CREATED
        );
    }
    let bulk = |paths: Vec<String>, set: Value| {
        call(&s, &bob, Method::POST, "/api/v1/attributes/bulk")
            .json(&json!({"paths": paths, "set": set}))
            .send()
    };
    // One missing path: nothing changes, and the path is named.
    let mut with_missing = paths.clone();
    with_missing.push("/写真/none.jpg".into());
    let p = problem(
        bulk(with_missing, json!({"rights": ["web"]}))
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("none.jpg"), "{p}");
    // One bad value: nothing changes.
    let p = problem(
        bulk(paths.clone(), json!({"rights": ["web"], "height": "x"}))
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_attribute",
    )
    .await;
    assert_eq!(p["attribute"], "height");
    assert_eq!(meta(&s, &bob, &paths[7]).await["attributes"], json!({}));
    // All good: every item changes, each audited.
    let r = bulk(
        paths.clone(),
        json!({"rights": ["print", "web"], "final": false}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["updated"], 50);
    for p in [&paths[0], &paths[49]] {
        assert_eq!(
            meta(&s, &bob, p).await["attributes"],
            json!({"rights": ["web", "print"], "final": false})
        );
    }
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 200).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "attributes.update")
            .count(),
        50
    );
    // Limits.
    problem(
        bulk(vec![], json!({"final": true})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let too_many: Vec<String> = (0..10_001).map(|i| format!("/{i}")).collect();
    problem(
        bulk(too_many, json!({"final": true})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
}

both!(
    csv_export_and_import_round_trip_in_utf8_and_shift_jis,
    csv_import_with_bad_rows_changes_nothing
);

async fn export_csv(s: &TestServer, u: &TestUser, query: &str) -> (String, Vec<u8>) {
    let r = call(
        s,
        u,
        Method::GET,
        &format!("/api/v1/attributes/export{query}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    (ct, r.bytes().await.unwrap().to_vec())
}

async fn import_csv(s: &TestServer, u: &TestUser, query: &str, body: Vec<u8>) -> reqwest::Response {
    call(
        s,
        u,
        Method::POST,
        &format!("/api/v1/attributes/import{query}"),
    )
    .header("content-type", "text/csv")
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn csv_export_and_import_round_trip_in_utf8_and_shift_jis(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    drawing_schema(&s, &admin).await;
    let a = json!({"project_no": "K-1 品川", "drawing_type": "plan", "approved": "2026-11-27", "height": 12, "rights": ["web", "tv"], "final": true});
    assert_eq!(
        upload(&s, &admin, "/図面/一階, \"A\".pdf", Some(&a))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        upload(&s, &admin, "/図面/二階.pdf", None).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        upload(&s, &admin, "/他/x.pdf", None).await.status(),
        StatusCode::CREATED
    );

    let (ct, bytes) = export_csv(&s, &admin, "?folder=%2F%E5%9B%B3%E9%9D%A2").await;
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(
        text,
        "path,project_no,drawing_type,approved,height,rights,final\r\n\
         \"/図面/一階, \"\"A\"\".pdf\",K-1 品川,plan,2026-11-27,12,web;tv,true\r\n\
         /図面/二階.pdf,,,,,,\r\n"
    );

    // Shift_JIS: what Excel in Japan writes; edited and imported back.
    let (ct, sjis) = export_csv(
        &s,
        &admin,
        "?folder=%2F%E5%9B%B3%E9%9D%A2&encoding=shift_jis",
    )
    .await;
    assert_eq!(ct, "text/csv; charset=Shift_JIS");
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad);
    assert_eq!(decoded, text, "same content in Shift_JIS");
    let edited = decoded.replace(
        "/図面/二階.pdf,,,,,,",
        "/図面/二階.pdf,K-2 新宿,断面図,2026/12/01,3.5,print,はい",
    );
    let (sj, _, bad) = encoding_rs::SHIFT_JIS.encode(&edited);
    assert!(!bad);
    let r = import_csv(&s, &admin, "?encoding=shift_jis&dry_run=true", sj.to_vec()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rep: Value = r.json().await.unwrap();
    assert_eq!(rep["errors"], json!([]), "{rep}");
    assert_eq!(rep["rows"], 2);
    assert_eq!(
        meta(&s, &admin, "/図面/二階.pdf").await["attributes"],
        json!({}),
        "a dry run changes nothing"
    );
    let r = import_csv(&s, &admin, "?encoding=shift_jis", sj.to_vec()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        meta(&s, &admin, "/図面/二階.pdf").await["attributes"],
        json!({"project_no": "K-2 新宿", "drawing_type": "section", "approved": "2026-12-01", "height": 3.5, "rights": ["print"], "final": true})
    );
    // The unchanged row stays as it was.
    assert_eq!(
        meta(&s, &admin, "/図面/一階, \"A\".pdf").await["attributes"]["rights"],
        json!(["web", "tv"])
    );
    // And a UTF-8 round trip of the whole tenant gives the same file back.
    let (_, all) = export_csv(&s, &admin, "").await;
    let r = import_csv(&s, &admin, "", all.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(export_csv(&s, &admin, "").await.1, all);
}

async fn csv_import_with_bad_rows_changes_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 30).await;
    drawing_schema(&s, &admin).await;
    assert_eq!(
        upload(&s, &admin, "/a.pdf", None).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        upload(&s, &admin, "/b.pdf", None).await.status(),
        StatusCode::CREATED
    );
    let csv = "path,height,drawing_type,colour\r\n\
               /a.pdf,10,plan,\r\n\
               /missing.pdf,1,,\r\n\
               /b.pdf,tall,elevation,\r\n";
    let r = import_csv(&s, &admin, "?dry_run=true", csv.as_bytes().to_vec()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rep: Value = r.json().await.unwrap();
    let errs = rep["errors"].as_array().unwrap();
    let summary: Vec<(u64, Option<&str>, Option<&str>)> = errs
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["path"].as_str(),
                e["attribute"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, None, Some("colour")),
            (3, Some("/missing.pdf"), None),
            (4, Some("/b.pdf"), Some("height")),
            (4, Some("/b.pdf"), Some("drawing_type")),
        ],
        "{rep}"
    );
    // For real: refused as a whole, every row reported, nothing changed.
    let r = import_csv(&s, &admin, "", csv.as_bytes().to_vec()).await;
    let p = problem(r, StatusCode::BAD_REQUEST, "invalid_csv").await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 4);
    assert_eq!(
        meta(&s, &admin, "/a.pdf").await["attributes"],
        json!({}),
        "the good row was not applied"
    );
    // Not UTF-8 unless said otherwise; a header without path.
    let (sj, _, _) = encoding_rs::SHIFT_JIS.encode("path,project_no\r\n/a.pdf,品川\r\n");
    problem(
        import_csv(&s, &admin, "", sj.to_vec()).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    problem(
        import_csv(&s, &admin, "", b"file,height\r\n".to_vec()).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
}

/// A new version uploaded with attributes: its values replace the old ones
/// and one audit event says old and new, written in the upload's own commit
/// (same time as the `file.upload` event); a refused upload (quota) leaves
/// neither values nor an audit event behind.
async fn a_new_version_with_attributes_commits_values_and_audit_together(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.tenant("acme", 1 << 20).await;
    drawing_schema(&s, &admin).await;
    let r = upload(
        &s,
        &admin,
        "/図面/a.pdf",
        Some(&json!({"drawing_type": "plan", "height": 2.5})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    s.clock.advance_ms(1_000);
    let r = upload(
        &s,
        &admin,
        "/図面/a.pdf",
        Some(&json!({"drawing_type": "section"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        meta(&s, &admin, "/図面/a.pdf").await["attributes"],
        json!({"drawing_type": "section", "height": 2.5})
    );
    let t = s.svc.db().tenant_by_code("acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    let of = |action: &str| {
        events
            .iter()
            .filter(|e| e.action == action && e.target.as_deref() == Some("/図面/a.pdf"))
            .collect::<Vec<_>>()
    };
    let changes = of("attributes.update");
    let uploads = of("file.upload");
    assert_eq!((changes.len(), uploads.len()), (2, 2), "{events:?}");
    // Newest first; each change has its upload's time.
    let newest: Value = serde_json::from_str(changes[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(
        newest,
        json!({"drawing_type": {"old": "plan", "new": "section"}})
    );
    assert_eq!(changes[0].created_at, uploads[0].created_at);
    assert_eq!(changes[1].created_at, uploads[1].created_at);
    assert_ne!(changes[0].created_at, changes[1].created_at);

    // Over the quota: refused, and nothing of it is stored or audited.
    let r = client()
        .put(s.url(&format!(
            "/api/v1/files{}?parents=true",
            enc("/図面/big.pdf")
        )))
        .bearer_auth(&admin.token)
        .header(
            "x-kura-attributes",
            header_json(&json!({"drawing_type": "plan"})),
        )
        .body(vec![0u8; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
    let events = s.svc.db().audit_events(t.id, 100).await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.target.as_deref() == Some("/図面/big.pdf")),
        "{events:?}"
    );
}
