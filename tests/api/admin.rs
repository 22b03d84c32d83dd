//! Operator and tenant-admin endpoints, and rules found in review.

use crate::common::*;
use kura_core::TenantStatus;

both!(
    operator_manages_customer_tenants_but_not_its_own,
    suspended_tenant_is_refused_for_tokens,
    delete_checks_file_or_folder,
    bad_path_ids_are_problems,
    downloads_and_uploads_are_audited,
    put_answers_with_the_stored_path,
);

async fn operator_manages_customer_tenants_but_not_its_own(b: Backend) {
    let s = TestServer::start(b).await;
    let boot = s.svc.ensure_operator().await.unwrap().unwrap();
    let c = cookie_client();
    let r = c
        .post(s.url("/api/v1/session"))
        .json(&json!({"tenant": boot.tenant, "login": boot.login, "password": boot.password}))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .post(s.url("/api/v1/admin/tenants"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"code": "acme", "name": "Acme", "capacity": "5MiB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["capacity_bytes"], 5 << 20);
    let list: Value = c
        .get(s.url("/api/v1/admin/tenants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["acme"],
        "the operator's own tenant is not listed"
    );
    let r = c
        .patch(s.url("/api/v1/admin/tenants/system"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = c
        .patch(s.url("/api/v1/admin/tenants/acme"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "   "}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = c
        .post(s.url("/api/v1/admin/tenants/acme/users"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"login": "root", "role": "operator", "password": "operator-password-1"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = c
        .post(s.url("/api/v1/admin/tenants/acme/users"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"login": "boss", "role": "admin", "password": "boss-password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let u: Value = c
        .get(s.url("/api/v1/admin/tenants/acme/usage"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["capacity_bytes"], 5 << 20);
    assert_eq!(u["used_bytes"], 0);
}

async fn suspended_tenant_is_refused_for_tokens(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    assert_eq!(
        put(&s, &u, "/a.txt", "x").await.status(),
        StatusCode::CREATED
    );
    let cli = s.svc.cli_identity().await.unwrap();
    s.svc
        .update_tenant(
            &cli,
            "acme",
            kura_service::TenantChanges {
                status: Some(TenantStatus::Suspended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for r in [
        get(&s, &u, "/a.txt").await,
        client()
            .get(s.url("/api/v1/me"))
            .bearer_auth(&u.token)
            .send()
            .await
            .unwrap(),
        client()
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(&u.token)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap(),
    ] {
        problem(r, StatusCode::FORBIDDEN, "tenant_suspended").await;
    }
    s.svc
        .update_tenant(
            &cli,
            "acme",
            kura_service::TenantChanges {
                status: Some(TenantStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(get(&s, &u, "/a.txt").await.status(), StatusCode::OK);
}

async fn delete_checks_file_or_folder(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    assert_eq!(
        put(&s, &u, "/dir/a.txt", "x").await.status(),
        StatusCode::CREATED
    );
    let r = client()
        .delete(s.url("/api/v1/files/dir"))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_file").await;
    let r = client()
        .delete(s.url("/api/v1/folders/dir/a.txt"))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT, "not_a_folder").await;
    assert_eq!(
        get(&s, &u, "/dir/a.txt").await.status(),
        StatusCode::OK,
        "nothing was deleted"
    );
    let r = client()
        .delete(s.url("/api/v1/folders/dir"))
        .bearer_auth(&u.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(&s, &u, "/dir/a.txt").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn bad_path_ids_are_problems(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    for (m, p) in [
        (reqwest::Method::DELETE, "/api/v1/trash/abc"),
        (reqwest::Method::POST, "/api/v1/trash/1x/restore"),
        (reqwest::Method::DELETE, "/api/v1/tokens/-"),
    ] {
        let r = client()
            .request(m, s.url(p))
            .bearer_auth(&u.token)
            .send()
            .await
            .unwrap();
        problem(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
}

async fn downloads_and_uploads_are_audited(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    assert_eq!(
        put(&s, &u, "/図面.txt", "x").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(get(&s, &u, "/図面.txt").await.status(), StatusCode::OK);
    s.svc.flush_audit().await;
    let cli = s.svc.cli_identity().await.unwrap();
    let t = s.svc.tenant(&cli, "acme").await.unwrap();
    let events = s.svc.db().audit_events(t.id, 50).await.unwrap();
    let find = |action: &str| events.iter().find(|e| e.action == action).cloned();
    let up = find("file.upload").expect("upload audited");
    assert_eq!(up.target.as_deref(), Some("/図面.txt"));
    assert_eq!(up.ip.as_deref(), Some("127.0.0.1"));
    let down = find("file.download").expect("download audited");
    assert_eq!(down.target.as_deref(), Some("/図面.txt"));
    assert!(down.user_id.is_some());
}

async fn put_answers_with_the_stored_path(b: Backend) {
    let s = TestServer::start(b).await;
    let u = s.tenant("acme", 1 << 20).await;
    assert_eq!(
        put(&s, &u, "/Docs/Report.pdf", "one").await.status(),
        StatusCode::CREATED
    );
    let r = put(&s, &u, "/docs/report.PDF", "two").await;
    assert_eq!(r.status(), StatusCode::OK, "same file, new version");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "Report.pdf");
    assert_eq!(
        v["path"], "/docs/Report.pdf",
        "the stored name, under the folder path as requested"
    );
}
