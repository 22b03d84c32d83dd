//! Custom search attributes: the schema (admins), values at upload and
//! later, required attributes and defaults, and schema changes that would
//! lose values.

use crate::common::*;
use kura_core::Role;
use reqwest::Method;

both!(
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
