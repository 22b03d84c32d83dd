//! Repository conformance suite: the same tests on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kura_core::{NodeKind, Role};
use kura_db::{CommitFile, Db, DbError, SortKey};

async fn sqlite() -> Db {
    let dir = std::env::temp_dir().join(format!("kura-db-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(
        &format!("sqlite://{}?mode=rwc", dir.join("k.db").display()),
        4,
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    db
}

async fn postgres() -> Db {
    sqlx::any::install_default_drivers();
    let admin = std::env::var("KURA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kura_test_{}", uuid::Uuid::new_v4().simple());
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut c,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let db = Db::connect(&format!("{base}/{name}"), 4).await.unwrap();
    db.migrate().await.unwrap();
    db
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() { super::$name(super::sqlite().await).await }
            #[tokio::test]
            async fn postgres() { super::$name(super::postgres().await).await }
        }
    )*};
}

conformance!(
    tenants_and_users,
    names_are_unique_per_folder_ignoring_case,
    listing_pages_in_order_with_folders_first,
    commit_reserves_quota_atomically_and_prunes_versions,
    trash_restore_and_purge_release_bytes,
    sessions_and_tokens,
    moves_refuse_cycles,
    jobs_are_leased_and_thumbnails_go_with_versions,
    search_strategies_find_the_same_files,
    whole_tenant_facets_follow_every_change,
    planning_leads_with_the_rarest_term,
    value_changes_apply_in_order,
    concurrent_commits_each_get_their_own_result,
    postgres_sessions_run_without_jit,
);

fn commit<'a>(
    tenant: i64,
    parent: i64,
    name: &'a str,
    key: &'a str,
    size: i64,
    keep: i64,
) -> CommitFile<'a> {
    CommitFile {
        tenant_id: tenant,
        parent_id: parent,
        name,
        blob_key: key,
        size,
        etag: key,
        content_type: None,
        now: 1_000,
        user_id: None,
        keep_versions: keep,
        if_none_match_any: false,
        if_match: None,
        audit_path: None,
        audit_ip: None,
        scan: kura_db::ScanRecord {
            status: kura_core::ScanStatus::Clean,
            engine: Some("test engine"),
            at: Some(1_000),
            detail: None,
        },
        thumbnail: false,
        attributes: &[],
        attributes_audit: None,
    }
}

async fn tenants_and_users(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    assert_eq!(t.code, "acme");
    assert_eq!(db.tenant_by_code("acme").await.unwrap().id, t.id);
    assert!(matches!(
        db.create_tenant("acme", "Again", 1, 1, 1, "e", 1).await,
        Err(DbError::Conflict(_))
    ));
    let u = db
        .create_user(
            t.id,
            "Alice",
            "Alice A",
            Some("a@example.com"),
            Role::Admin,
            Some("h"),
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        db.user_by_login(t.id, "ALICE").await.unwrap().id,
        u.id,
        "logins ignore case"
    );
    assert!(matches!(
        db.create_user(t.id, "alice", "x", None, Role::Member, None, 1)
            .await,
        Err(DbError::Conflict(_))
    ));
    let other = db
        .create_tenant("beta", "Beta", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    assert!(
        matches!(db.user_by_id(other.id, u.id).await, Err(DbError::NotFound)),
        "users are scoped by tenant"
    );
    assert_eq!(db.count_role(Role::Admin).await.unwrap(), 1);
}

async fn names_are_unique_per_folder_ignoring_case(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let a = db
        .create_folder(t.id, t.root_id, "Drawings", "e1", 1, None)
        .await
        .unwrap();
    assert!(matches!(
        db.create_folder(t.id, t.root_id, "drawings", "e2", 1, None)
            .await,
        Err(DbError::Conflict(_))
    ));
    let child = db
        .child(t.id, t.root_id, "DRAWINGS")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(child.id, a.id);
    assert_eq!(child.name, "Drawings", "case is kept");
    // A trashed name is free again.
    db.trash_node(t.id, a.id, 2, None).await.unwrap();
    db.create_folder(t.id, t.root_id, "drawings", "e3", 3, None)
        .await
        .unwrap();
    // Another tenant's root is not a parent here.
    let b = db
        .create_tenant("beta", "Beta", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    assert!(matches!(
        db.create_folder(t.id, b.root_id, "x", "e", 1, None).await,
        Err(DbError::NotFound)
    ));
}

async fn listing_pages_in_order_with_folders_first(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1 << 30, 10, 30, "e", 1)
        .await
        .unwrap();
    for i in 0..7 {
        db.commit_file(&commit(
            t.id,
            t.root_id,
            &format!("f{i}.txt"),
            &format!("k{i}"),
            10 - i,
            10,
        ))
        .await
        .unwrap();
    }
    db.create_folder(t.id, t.root_id, "zeta", "e", 1, None)
        .await
        .unwrap();
    db.create_folder(t.id, t.root_id, "Alpha", "e", 1, None)
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = db
            .list_children(t.id, t.root_id, SortKey::Name, false, after.as_ref(), 3)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = match page.last() {
            Some(n) => Some(db.cursor_after(n, SortKey::Name).await.unwrap()),
            None => None,
        };
        seen.extend(page.into_iter().map(|n| n.name));
    }
    assert_eq!(
        seen,
        vec![
            "Alpha", "zeta", "f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt", "f5.txt", "f6.txt"
        ]
    );
    let by_size = db
        .list_children(t.id, t.root_id, SortKey::Size, true, None, 100)
        .await
        .unwrap();
    let kinds: Vec<NodeKind> = by_size.iter().map(|n| n.kind).collect();
    assert_eq!(
        &kinds[..2],
        &[NodeKind::Folder, NodeKind::Folder],
        "folders first also when descending"
    );
    let sizes: Vec<i64> = by_size
        .iter()
        .filter(|n| n.kind == NodeKind::File)
        .map(|n| n.size)
        .collect();
    assert_eq!(sizes, vec![10, 9, 8, 7, 6, 5, 4]);
    let c = db.cursor_after(&by_size[4], SortKey::Size).await.unwrap();
    let rest = db
        .list_children(t.id, t.root_id, SortKey::Size, true, Some(&c), 100)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|n| n.size).collect::<Vec<_>>(),
        vec![7, 6, 5, 4]
    );
}

async fn commit_reserves_quota_atomically_and_prunes_versions(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 100, 2, 30, "e", 1)
        .await
        .unwrap();
    let out = db
        .commit_file(&commit(t.id, t.root_id, "a.bin", "k1", 40, 2))
        .await
        .unwrap();
    assert!(out.created);
    db.commit_file(&commit(t.id, t.root_id, "A.BIN", "k2", 30, 2))
        .await
        .unwrap();
    assert!(matches!(
        db.commit_file(&commit(t.id, t.root_id, "b.bin", "k3", 31, 2))
            .await,
        Err(DbError::QuotaExceeded)
    ));
    assert_eq!(
        db.tenant_by_id(t.id).await.unwrap().used_bytes,
        70,
        "a refused commit reserves nothing"
    );
    // The third version of a.bin pushes out the first (keep 2), releasing its 40 bytes.
    let out = db
        .commit_file(&commit(t.id, t.root_id, "a.bin", "k4", 20, 2))
        .await
        .unwrap();
    assert!(!out.created);
    assert_eq!(out.pruned_blobs, vec!["k1".to_string()]);
    assert_eq!(db.tenant_by_id(t.id).await.unwrap().used_bytes, 50);
    let versions = db.versions(t.id, out.node.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.blob_key.as_str())
            .collect::<Vec<_>>(),
        vec!["k4", "k2"]
    );
    assert_eq!(
        db.pending_blob_deletions(10).await.unwrap(),
        vec![("k1".to_string(), t.id)]
    );
    db.blob_deleted("k1").await.unwrap();
    assert!(db.pending_blob_deletions(10).await.unwrap().is_empty());
    assert_eq!(
        db.referenced_blobs(&["k1".into(), "k2".into(), "k4".into()])
            .await
            .unwrap()
            .len(),
        2
    );
    // Preconditions.
    let mut c = commit(t.id, t.root_id, "a.bin", "k5", 1, 2);
    c.if_none_match_any = true;
    assert!(matches!(
        db.commit_file(&c).await,
        Err(DbError::PreconditionFailed)
    ));
    let mut c = commit(t.id, t.root_id, "a.bin", "k6", 1, 2);
    c.if_match = Some("wrong");
    assert!(matches!(
        db.commit_file(&c).await,
        Err(DbError::PreconditionFailed)
    ));
    assert_eq!(
        db.tenant_by_id(t.id).await.unwrap().used_bytes,
        50,
        "failed preconditions reserve nothing"
    );
}

async fn trash_restore_and_purge_release_bytes(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 1, "e", 1)
        .await
        .unwrap();
    let dir = db
        .create_folder(t.id, t.root_id, "dir", "e", 1, None)
        .await
        .unwrap();
    db.commit_file(&commit(t.id, dir.id, "x", "kx", 100, 10))
        .await
        .unwrap();
    db.commit_file(&commit(t.id, dir.id, "x", "kx2", 50, 10))
        .await
        .unwrap();
    db.trash_node(t.id, dir.id, 10, None).await.unwrap();
    assert!(db.child(t.id, t.root_id, "dir").await.unwrap().is_none());
    assert_eq!(db.list_trash(t.id, 10).await.unwrap().len(), 1);
    assert_eq!(
        db.tenant_by_id(t.id).await.unwrap().used_bytes,
        150,
        "trash counts"
    );
    db.restore_node(t.id, dir.id, t.root_id, "dir", 11)
        .await
        .unwrap();
    assert!(db.child(t.id, t.root_id, "dir").await.unwrap().is_some());
    db.trash_node(t.id, dir.id, 20, None).await.unwrap();
    // One day of retention: not expired at +1 h, expired at +1 day.
    assert!(
        db.expired_trash(20 + 3_600_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.expired_trash(20 + 86_400_000, 10).await.unwrap(),
        vec![(t.id, dir.id)]
    );
    let purged = db.purge_node(t.id, dir.id, 30).await.unwrap();
    assert_eq!(purged.bytes, 150);
    let mut keys = purged.blobs.clone();
    keys.sort();
    assert_eq!(keys, vec!["kx".to_string(), "kx2".to_string()]);
    assert_eq!(db.tenant_by_id(t.id).await.unwrap().used_bytes, 0);
    assert!(matches!(
        db.node(t.id, dir.id).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(db.usage(t.id).await.unwrap().versions, 0);
}

async fn sessions_and_tokens(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let u = db
        .create_user(t.id, "a", "A", None, Role::Member, None, 1)
        .await
        .unwrap();
    db.create_session(
        "h1",
        t.id,
        u.id,
        "csrf",
        100,
        200,
        Some("127.0.0.1"),
        None,
        "full",
    )
    .await
    .unwrap();
    let s = db.session("h1").await.unwrap();
    assert_eq!(
        (s.user.id, s.tenant.id, s.csrf_token.as_str()),
        (u.id, t.id, "csrf")
    );
    assert_eq!(db.delete_expired_sessions(150).await.unwrap(), 0);
    assert_eq!(db.delete_expired_sessions(200).await.unwrap(), 1);
    assert!(matches!(db.session("h1").await, Err(DbError::NotFound)));
    let id = db
        .create_token(t.id, u.id, "ci", "th", 1, Some(500), "read_write")
        .await
        .unwrap();
    let k = db.token("th").await.unwrap();
    assert_eq!(
        (
            k.id,
            k.user.login.as_str(),
            k.tenant.code.as_str(),
            k.expires_at
        ),
        (id, "a", "acme", Some(500))
    );
    db.revoke_token(u.id, id, 7).await.unwrap();
    assert_eq!(db.token("th").await.unwrap().revoked_at, Some(7));
    let other = db
        .create_user(t.id, "b", "B", None, Role::Member, None, 1)
        .await
        .unwrap();
    assert!(
        matches!(
            db.revoke_token(other.id, id, 8).await,
            Err(DbError::NotFound)
        ),
        "only the owner revokes"
    );
}

async fn moves_refuse_cycles(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let a = db
        .create_folder(t.id, t.root_id, "a", "e", 1, None)
        .await
        .unwrap();
    let b = db
        .create_folder(t.id, a.id, "b", "e", 1, None)
        .await
        .unwrap();
    assert!(matches!(
        db.move_node(t.id, a.id, b.id, "a", "e", 2, None).await,
        Err(DbError::Conflict(_))
    ));
    assert!(matches!(
        db.move_node(t.id, a.id, a.id, "a", "e", 2, None).await,
        Err(DbError::Conflict(_))
    ));
    let moved = db
        .move_node(t.id, b.id, t.root_id, "B2", "e", 2, None)
        .await
        .unwrap();
    assert_eq!(
        (moved.parent_id, moved.name.as_str()),
        (Some(t.root_id), "B2")
    );
    let sub = db.subtree(t.id, t.root_id).await.unwrap();
    assert_eq!(sub.len(), 2);
}

conformance!(resolves_deep_paths_in_chunks);

async fn resolves_deep_paths_in_chunks(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let mut parent = t.root_id;
    let names: Vec<String> = (0..40).map(|i| format!("D{i}")).collect();
    for n in &names {
        parent = db
            .create_folder(t.id, parent, n, "e", 1, None)
            .await
            .unwrap()
            .id;
    }
    db.commit_file(&commit(t.id, parent, "leaf.txt", "k", 1, 10))
        .await
        .unwrap();
    let mut path: Vec<&str> = names.iter().map(String::as_str).collect();
    path.push("LEAF.TXT");
    let leaf = db.resolve(t.id, t.root_id, &path).await.unwrap().unwrap();
    assert_eq!(leaf.name, "leaf.txt");
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    assert_eq!(
        db.resolve(t.id, t.root_id, &lower)
            .await
            .unwrap()
            .unwrap()
            .id,
        parent
    );
    // A file in the middle of a path, a missing step, another tenant's root.
    let mut through_file = path.clone();
    through_file.push("x");
    assert!(
        db.resolve(t.id, t.root_id, &through_file)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.resolve(t.id, t.root_id, &["D0", "nope"])
            .await
            .unwrap()
            .is_none()
    );
    let b = db
        .create_tenant("beta", "Beta", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    assert!(
        db.resolve(b.id, b.root_id, &["D0"])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.resolve(b.id, t.root_id, &["D0"])
            .await
            .unwrap()
            .is_none(),
        "tenant scope is part of every step"
    );
    assert_eq!(
        db.resolve(t.id, t.root_id, &[]).await.unwrap().unwrap().id,
        t.root_id
    );
}

conformance!(path_lookups_never_return_stale_results);

/// On SQLite, lookups are cached; every change must be visible at once.
async fn path_lookups_never_return_stale_results(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let d = db
        .create_folder(t.id, t.root_id, "d", "e", 1, None)
        .await
        .unwrap();
    db.commit_file(&commit(t.id, d.id, "f.txt", "k1", 1, 10))
        .await
        .unwrap();
    let look = |names: &'static [&'static str]| {
        let db = db.clone();
        async move {
            db.resolve_with_version(t.id, t.root_id, names, None)
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        let (n, v) = look(&["d", "f.txt"]).await.unwrap();
        assert_eq!(
            (n.name.as_str(), v.unwrap().blob_key.as_str()),
            ("f.txt", "k1")
        );
    }
    db.commit_file(&commit(t.id, d.id, "f.txt", "k2", 2, 10))
        .await
        .unwrap();
    assert_eq!(
        look(&["d", "f.txt"]).await.unwrap().1.unwrap().blob_key,
        "k2",
        "a new version is seen at once"
    );
    let f = look(&["d", "f.txt"]).await.unwrap().0;
    db.move_node(t.id, f.id, d.id, "g.txt", "e", 3, None)
        .await
        .unwrap();
    assert!(
        look(&["d", "f.txt"]).await.is_none(),
        "a renamed file is gone from its old path"
    );
    assert_eq!(look(&["d", "g.txt"]).await.unwrap().0.id, f.id);
    db.trash_node(t.id, d.id, 4, None).await.unwrap();
    assert!(
        look(&["d", "g.txt"]).await.is_none(),
        "a trashed folder hides its files at once"
    );
    db.restore_node(t.id, d.id, t.root_id, "d", 5)
        .await
        .unwrap();
    assert!(look(&["d", "g.txt"]).await.is_some(), "restored at once");
}

conformance!(replacement_is_judged_by_the_net_change);

async fn replacement_is_judged_by_the_net_change(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 100, 1, 30, "e", 1)
        .await
        .unwrap();
    db.commit_file(&commit(t.id, t.root_id, "a.bin", "k1", 80, 1))
        .await
        .unwrap();
    // Keeping one version: 80 bytes go as 90 arrive, so 90 fits in 100.
    let out = db
        .commit_file(&commit(t.id, t.root_id, "a.bin", "k2", 90, 1))
        .await
        .unwrap();
    assert_eq!(out.pruned_blobs, vec!["k1".to_string()]);
    assert_eq!(db.tenant_by_id(t.id).await.unwrap().used_bytes, 90);
    // 110 does not fit even after pruning: refused, and nothing changed.
    assert!(matches!(
        db.commit_file(&commit(t.id, t.root_id, "a.bin", "k3", 110, 1))
            .await,
        Err(DbError::QuotaExceeded)
    ));
    assert_eq!(db.tenant_by_id(t.id).await.unwrap().used_bytes, 90);
    let v = db.versions(t.id, out.node.id).await.unwrap();
    assert_eq!(
        v.iter().map(|v| v.blob_key.as_str()).collect::<Vec<_>>(),
        vec!["k2"]
    );
    assert_eq!(
        db.pending_blob_deletions(10).await.unwrap().len(),
        1,
        "only k1 is queued for deletion"
    );
}

async fn jobs_are_leased_and_thumbnails_go_with_versions(db: Db) {
    use kura_db::{JOB_THUMBNAIL, ThumbnailRow};
    let t = db
        .create_tenant("acme", "Acme", 1000, 1, 30, "e", 1)
        .await
        .unwrap();
    let png = |key, thumbnail| CommitFile {
        content_type: Some("image/png"),
        thumbnail,
        attributes: &[],
        attributes_audit: None,
        ..commit(t.id, t.root_id, "a.png", key, 10, 1)
    };
    let out = db.commit_file(&png("k1", true)).await.unwrap();
    let v1 = out.node.current_version_id.unwrap();
    assert_eq!(db.queued_jobs(JOB_THUMBNAIL).await.unwrap(), 1);
    // One holder at a time; an expired lease is taken over.
    let job = db
        .claim_job(JOB_THUMBNAIL, 2_000, 500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.version_id, job.attempts), (v1, 1));
    assert_eq!(db.claim_job(JOB_THUMBNAIL, 2_400, 500).await.unwrap(), None);
    let again = db
        .claim_job(JOB_THUMBNAIL, 2_600, 500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (job.id, 2));
    let row = |key: &str| ThumbnailRow {
        version_id: v1,
        size: 256,
        status: "ok".into(),
        blob_key: Some(key.into()),
        content_type: Some("image/jpeg".into()),
        width: Some(256),
        height: Some(128),
        bytes: Some(5),
        detail: None,
    };
    let unused = db
        .finish_thumbnail_job(job.id, t.id, &[row("d1")], 2_700)
        .await;
    assert_eq!(unused.unwrap(), Vec::<String>::new());
    assert_eq!(db.queued_jobs(JOB_THUMBNAIL).await.unwrap(), 0);
    // A second node finishing the same size later keeps the first record.
    let unused = db
        .finish_thumbnail_job(job.id, t.id, &[row("d2")], 2_800)
        .await;
    assert_eq!(unused.unwrap(), vec!["d2".to_string()]);
    assert_eq!(db.thumbnails(t.id, v1).await.unwrap(), vec![row("d1")]);
    assert_eq!(
        db.referenced_derived_blobs(&["d1".into(), "d2".into()])
            .await
            .unwrap(),
        vec!["d1".to_string()]
    );
    // A pruned version takes its thumbnail's blob with it.
    let out = db.commit_file(&png("k2", true)).await.unwrap();
    assert_eq!(out.pruned_blobs, vec!["d1".to_string(), "k1".to_string()]);
    assert!(db.thumbnails(t.id, v1).await.unwrap().is_empty());
    // Files without a thumbnail or a job are found and queued once.
    db.commit_file(&CommitFile {
        name: "b.png",
        ..png("k3", false)
    })
    .await
    .unwrap();
    assert_eq!(
        db.enqueue_missing_thumbnails(&["image/png"], 3_000, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.enqueue_missing_thumbnails(&["image/png"], 3_000, 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(db.queued_jobs(JOB_THUMBNAIL).await.unwrap(), 2);
}

/// The ways of listing attribute candidates (one probe per candidate from
/// the leading term; a merge of every term's value list, which SQLite's
/// planner picks for large lists; PostgreSQL's search tokens on the file,
/// kept by triggers as values change) give the same pages and totals, the
/// ones worked out here from the data.
async fn search_strategies_find_the_same_files(db: Db) {
    use kura_core::attributes::{AttrType, StoredValue};
    use kura_db::{AttrCond, TokenKind};
    let t = db
        .create_tenant("acme", "Acme", 1 << 40, 10, 30, "e", 1)
        .await
        .unwrap();
    let abcd = ["a", "b", "c", "d"];
    let site = test_attribute(&db, t.id, "site", AttrType::Choice, &abcd).await;
    let kind = test_attribute(&db, t.id, "kind", AttrType::Choice, &abcd).await;
    let num = test_attribute(&db, t.id, "num", AttrType::Number, &[]).await;
    let note = test_attribute(&db, t.id, "note", AttrType::Text, &[]).await;
    let day = test_attribute(&db, t.id, "day", AttrType::Date, &[]).await;
    let text = |v: &str| StoredValue {
        text: Some(v.into()),
        fold: Some(v.to_lowercase()),
        num: None,
    };
    // File i: site cycles a..d, kind cycles a..c, num = i, note "tag-<i % 5>";
    // every 7th file has no site.
    let abc = ["a", "b", "c", "d"];
    let mut files = Vec::new();
    let mut ids = Vec::new();
    for i in 0..120usize {
        let name = format!("f{i:03}.txt");
        let key = format!("k{i}");
        let out = db
            .commit_file(&commit(t.id, t.root_id, &name, &key, 1, 10))
            .await
            .unwrap();
        let mut changes = vec![
            (out.node.id, kind, vec![text(abc[i % 3])]),
            (
                out.node.id,
                num,
                vec![StoredValue {
                    text: None,
                    fold: None,
                    num: Some(i as f64),
                }],
            ),
            (out.node.id, note, vec![text(&format!("Tag-{}", i % 5))]),
            // Days 18,990 to 19,347 (2021-12-29 to 2022-12-22), 3 apart.
            (
                out.node.id,
                day,
                vec![StoredValue {
                    text: None,
                    fold: None,
                    num: Some(18_990.0 + 3.0 * i as f64),
                }],
            ),
        ];
        if !i.is_multiple_of(7) {
            changes.push((out.node.id, site, vec![text(abc[i % 4])]));
        }
        db.set_attribute_values(t.id, &changes).await.unwrap();
        files.push(i);
        ids.push(out.node.id);
    }
    // Site values changed after the fact: every 10th file moves from its
    // site to "d" (tokens must follow an edit, not only the first write).
    let moved: Vec<(i64, i64, Vec<StoredValue>)> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i.is_multiple_of(10) && !i.is_multiple_of(7))
        .map(|(_, id)| (*id, site, vec![text("d")]))
        .collect();
    db.set_attribute_values(t.id, &moved).await.unwrap();
    let site_of = |i: usize| {
        if i.is_multiple_of(10) {
            "d"
        } else {
            abc[i % 4]
        }
    };
    let has_site = |i: usize, vals: &[&str]| !i.is_multiple_of(7) && vals.contains(&site_of(i));
    let day_of = |i: usize| 18_990 + 3 * i as i64;
    let cases: Vec<(&str, Vec<AttrCond>, Vec<usize>)> = vec![
        (
            "two single values",
            vec![
                AttrCond::TextIn(site, vec!["a".into()]),
                AttrCond::TextIn(kind, vec!["b".into()]),
            ],
            files
                .iter()
                .copied()
                .filter(|&i| has_site(i, &["a"]) && i % 3 == 1)
                .collect(),
        ),
        (
            "two values and a range",
            vec![
                AttrCond::Range {
                    attr: num,
                    lo: Some((10.0, true)),
                    hi: Some((70.0, false)),
                },
                AttrCond::TextIn(site, vec!["b".into(), "d".into()]),
            ],
            files
                .iter()
                .copied()
                .filter(|&i| has_site(i, &["b", "d"]) && (10..70).contains(&i))
                .collect(),
        ),
        (
            "two multi-value terms, a contains and a negative",
            vec![
                AttrCond::TextIn(site, vec!["a".into(), "c".into()]),
                AttrCond::TextIn(kind, vec!["a".into(), "c".into()]),
                AttrCond::Contains(note, "tag-".into()),
                AttrCond::TextNot(note, "Tag-3".into()),
            ],
            files
                .iter()
                .copied()
                .filter(|&i| has_site(i, &["a", "c"]) && i % 3 != 1 && i % 5 != 3)
                .collect(),
        ),
        (
            "a date range (a quarter) and a choice",
            vec![
                AttrCond::Range {
                    attr: day,
                    lo: Some((18_993.0, true)),
                    hi: Some((19_082.0, true)),
                },
                AttrCond::TextIn(site, vec!["a".into(), "d".into()]),
            ],
            files
                .iter()
                .copied()
                .filter(|&i| has_site(i, &["a", "d"]) && (18_993..=19_082).contains(&day_of(i)))
                .collect(),
        ),
        (
            "an exclusive date range, a choice and a negative",
            vec![
                AttrCond::Range {
                    attr: day,
                    lo: Some((19_000.0, false)),
                    hi: Some((19_300.0, false)),
                },
                AttrCond::TextIn(kind, vec!["c".into()]),
                AttrCond::TextNot(note, "Tag-0".into()),
            ],
            files
                .iter()
                .copied()
                .filter(|&i| (19_001..19_300).contains(&day_of(i)) && i % 3 == 2 && i % 5 != 0)
                .collect(),
        ),
        (
            "an open date range and a number range",
            vec![
                AttrCond::Range {
                    attr: day,
                    lo: Some((19_100.0, true)),
                    hi: None,
                },
                AttrCond::Range {
                    attr: num,
                    lo: None,
                    hi: Some((100.0, true)),
                },
            ],
            files
                .iter()
                .copied()
                .filter(|&i| day_of(i) >= 19_100 && i <= 100)
                .collect(),
        ),
    ];
    let tokens = vec![
        (site, TokenKind::Choice),
        (kind, TokenKind::Choice),
        (day, TokenKind::Whole),
    ];
    // Cut points for the search in parts (SQLite): one part of a single id,
    // one of none, and pages that cross from part to part.
    let splits = vec![ids[40], ids[41], ids[41], ids[90]];
    for (what, conds, want) in cases {
        assert!(!want.is_empty(), "{what}: the case selects something");
        // The site facet of the matches.
        let mut want_sites: Vec<(String, i64)> = Vec::new();
        for &i in want.iter().filter(|&&i| !i.is_multiple_of(7)) {
            match want_sites.iter_mut().find(|(v, _)| v == site_of(i)) {
                Some((_, n)) => *n += 1,
                None => want_sites.push((site_of(i).to_string(), 1)),
            }
        }
        want_sites.sort();
        let want: Vec<String> = want.iter().map(|i| format!("f{i:03}.txt")).collect();
        for (merge, tokens, splits) in [
            (false, Vec::new(), Vec::new()),
            (true, Vec::new(), Vec::new()),
            (false, tokens.clone(), Vec::new()),
            (false, Vec::new(), splits.clone()),
            (true, Vec::new(), splits.clone()),
        ] {
            for desc in [false, true] {
                let with_tokens = !tokens.is_empty();
                let split = !splits.is_empty();
                let mut q = attribute_search(t.id, t.root_id, conds.clone(), tokens.clone(), 7);
                q.merge = merge;
                q.splits = splits.clone();
                q.desc = desc;
                let mut want = want.clone();
                if desc {
                    want.reverse();
                }
                let (facets, _) = db.search_facets(&q, &[site, 0]).await.unwrap();
                assert_eq!(
                    facets,
                    vec![
                        want_sites.clone(),
                        vec![("application/octet-stream".to_string(), want.len() as i64)]
                    ],
                    "{what}, merge {merge}, tokens {with_tokens}, split {split}: facets"
                );
                // Every page, following the cursor.
                let mut got = Vec::new();
                let mut total = None;
                loop {
                    let page = db.search(&q).await.unwrap();
                    total.get_or_insert(page.total);
                    got.extend(page.items.into_iter().map(|n| n.name));
                    match page.next {
                        Some(c) => q.cursor = Some(c),
                        None => break,
                    }
                }
                assert_eq!(
                    got, want,
                    "{what}, merge {merge}, tokens {with_tokens}, split {split}, desc {desc}"
                );
                assert_eq!(
                    total,
                    Some(want.len() as i64),
                    "{what}, merge {merge}, tokens {with_tokens}, split {split}: total"
                );
                // A later page counts its total apart (in parts too).
                let mut q2 = q.clone();
                q2.cursor = None;
                let first = db.search(&q2).await.unwrap();
                if let Some(c) = first.next {
                    q2.cursor = Some(c);
                    assert_eq!(
                        db.search(&q2).await.unwrap().total,
                        want.len() as i64,
                        "{what}, split {split}: total on page 2"
                    );
                }
            }
        }
    }
}

/// The facets and total of a search of a whole tenant without filters (on
/// SQLite: the tenant's own counts less what its trashed folders hide) are
/// what counting the files themselves gives, after every kind of change:
/// trash and restore of folders (nested too), moves, quarantine, value
/// edits, choice renames and purges; another tenant's files never count.
async fn whole_tenant_facets_follow_every_change(db: Db) {
    use kura_core::attributes::{AttrSpec, AttrType, ChoiceDef, StoredValue};
    let t = db
        .create_tenant("acme", "Acme", 1 << 40, 10, 30, "e", 1)
        .await
        .unwrap();
    let other = db
        .create_tenant("other", "Other", 1 << 40, 10, 30, "e", 1)
        .await
        .unwrap();
    let abc = ["a", "b", "c"];
    let site = test_attribute(&db, t.id, "site", AttrType::MultiChoice, &abc).await;
    let other_site = test_attribute(&db, other.id, "site", AttrType::MultiChoice, &abc).await;
    let text = |v: &str| StoredValue {
        text: Some(v.into()),
        fold: Some(v.into()),
        num: None,
    };
    let a = db
        .create_folder(t.id, t.root_id, "A", "ea", 1, None)
        .await
        .unwrap();
    let b = db
        .create_folder(t.id, a.id, "B", "eb", 1, None)
        .await
        .unwrap();
    let c = db
        .create_folder(t.id, t.root_id, "C", "ec", 1, None)
        .await
        .unwrap();
    // File i: site abc[i % 3], image/png when i is even.
    let mut files = Vec::new();
    for (i, folder) in [a.id, a.id, b.id, b.id, b.id, c.id, c.id, t.root_id]
        .into_iter()
        .enumerate()
    {
        let (name, key) = (format!("f{i}"), format!("k{i}"));
        let mut f = commit(t.id, folder, &name, &key, 1, 10);
        if i.is_multiple_of(2) {
            f.content_type = Some("image/png");
        }
        let out = db.commit_file(&f).await.unwrap();
        db.set_attribute_values(t.id, &[(out.node.id, site, vec![text(abc[i % 3])])])
            .await
            .unwrap();
        files.push(out.node);
    }
    for i in 0..3 {
        let (name, key) = (format!("o{i}"), format!("o{i}"));
        let out = db
            .commit_file(&commit(other.id, other.root_id, &name, &key, 1, 10))
            .await
            .unwrap();
        db.set_attribute_values(other.id, &[(out.node.id, other_site, vec![text("a")])])
            .await
            .unwrap();
    }
    let check = |step: &'static str, sites: Vec<(&'static str, i64)>, png: i64, octet: i64| {
        let db = db.clone();
        let (tenant, root) = (t.id, t.root_id);
        async move {
            let mut q = attribute_search(tenant, root, vec![], vec![], 10);
            db.plan_search(&mut q).await.unwrap();
            assert_eq!(
                q.whole_tenant,
                db.backend() == kura_db::Backend::Sqlite,
                "{step}: planned as a search of the whole tenant on SQLite"
            );
            let (facets, total) = db.search_facets(&q, &[site, 0]).await.unwrap();
            let mut types = Vec::new();
            if octet > 0 {
                types.push(("application/octet-stream".to_string(), octet));
            }
            if png > 0 {
                types.push(("image/png".to_string(), png));
            }
            let want = vec![
                sites
                    .into_iter()
                    .map(|(v, n)| (v.to_string(), n))
                    .collect::<Vec<_>>(),
                types,
            ];
            assert_eq!(facets, want, "{step}: facets");
            assert_eq!(total, Some(png + octet), "{step}: total with the facets");
            let page = db.search(&q).await.unwrap();
            assert_eq!(page.total, png + octet, "{step}: total");
            // The same files as walking the live folders finds.
            let mut walk = q.clone();
            walk.whole_tenant = false;
            let names = |p: kura_db::SearchPage| -> Vec<String> {
                p.items.into_iter().map(|n| n.name).collect()
            };
            let walked = names(db.search(&walk).await.unwrap());
            assert_eq!(walked.len() as i64, png + octet, "{step}: files walked");
            assert_eq!(names(page), walked, "{step}: files");
            // The same search with a filter every file passes counts the
            // files themselves: leaving out what trashed folders hide, and
            // walking the live folders.
            for whole in [q.whole_tenant, false] {
                let mut counted = q.clone();
                counted.size_min = Some(0);
                counted.whole_tenant = whole;
                assert_eq!(
                    db.search_facets(&counted, &[site, 0]).await.unwrap().0,
                    want,
                    "{step}: facets counted file by file (whole tenant: {whole})"
                );
                assert_eq!(
                    db.search(&counted).await.unwrap().total,
                    png + octet,
                    "{step}: total counted file by file (whole tenant: {whole})"
                );
            }
        }
    };
    check("all live", vec![("a", 3), ("b", 3), ("c", 2)], 4, 4).await;
    db.trash_node(t.id, a.id, 2, None).await.unwrap();
    check("A trashed", vec![("a", 1), ("b", 1), ("c", 1)], 1, 2).await;
    db.trash_node(t.id, b.id, 3, None).await.unwrap();
    check("B trashed in A", vec![("a", 1), ("b", 1), ("c", 1)], 1, 2).await;
    db.restore_node(t.id, a.id, t.root_id, "A", 4)
        .await
        .unwrap();
    check(
        "A restored, B not",
        vec![("a", 2), ("b", 2), ("c", 1)],
        2,
        3,
    )
    .await;
    db.move_node(t.id, files[6].id, a.id, "f6", "e6", 5, None)
        .await
        .unwrap();
    check("f6 moved", vec![("a", 2), ("b", 2), ("c", 1)], 2, 3).await;
    let v7 = files[7].current_version_id.unwrap();
    db.set_scan_result(v7, kura_core::ScanStatus::Quarantined, None, 6, None)
        .await
        .unwrap();
    check("f7 quarantined", vec![("a", 2), ("b", 1), ("c", 1)], 2, 2).await;
    db.trash_node(t.id, files[1].id, 7, None).await.unwrap();
    check("f1 trashed", vec![("a", 2), ("c", 1)], 2, 1).await;
    db.set_attribute_values(t.id, &[(files[0].id, site, vec![text("a"), text("c")])])
        .await
        .unwrap();
    check("f0 edited", vec![("a", 2), ("c", 2)], 2, 1).await;
    let choices: Vec<ChoiceDef> = ["a", "b"]
        .iter()
        .map(|v| ChoiceDef {
            value: (*v).into(),
            labels: test_labels(v),
        })
        .collect();
    let spec = AttrSpec::new(
        "site",
        AttrType::MultiChoice,
        &test_labels("site"),
        false,
        &choices,
        None,
    )
    .unwrap();
    db.update_attribute_def(t.id, site, &spec, 1, None, &[("c".into(), "b".into())], 8)
        .await
        .unwrap();
    check("c renamed b", vec![("a", 2), ("b", 2)], 2, 1).await;
    // B, still in the trash with its three files, is purged: nothing it
    // hid may come back.
    db.purge_node(t.id, b.id, 9).await.unwrap();
    check("B purged", vec![("a", 2), ("b", 2)], 2, 1).await;
    db.purge_node(t.id, files[1].id, 10).await.unwrap();
    check("f1 purged", vec![("a", 2), ("b", 2)], 2, 1).await;
    db.trash_node(t.id, c.id, 11, None).await.unwrap();
    db.purge_node(t.id, c.id, 12).await.unwrap();
    check("C purged", vec![("a", 2), ("b", 1)], 2, 0).await;
}

/// Many commits at once (on SQLite they are grouped into shared
/// transactions): each gets the result it would get alone, and together
/// they never exceed the capacity.
async fn concurrent_commits_each_get_their_own_result(db: Db) {
    let t = db
        .create_tenant("acme", "Acme", 1000, 10, 30, "e", 1)
        .await
        .unwrap();
    let root = t.root_id;
    let dir = db
        .create_folder(t.id, root, "dir", "fe", 1_000, None)
        .await
        .unwrap();
    let old = db
        .commit_file(&commit(t.id, root, "exists.txt", "old", 10, 10))
        .await
        .unwrap();
    let keys: Vec<String> = (0..200).map(|i| format!("key{i}")).collect();
    let names: Vec<String> = (0..200).map(|i| format!("f{i}.txt")).collect();
    let mut all = Vec::new();
    // 0..20: new files; 20..25: five uploads of one new path.
    for (name, key) in names.iter().zip(&keys).take(20) {
        all.push(commit(t.id, root, name, key, 10, 10));
    }
    for key in &keys[20..25] {
        all.push(commit(t.id, root, "same.txt", key, 10, 10));
    }
    // 25: onto a folder's name; 26, 27: preconditions that fail; 28: If-Match
    // that holds; 29: too big; 30: a parent that is not a folder.
    all.push(commit(t.id, root, "DIR", &keys[25], 10, 10));
    let mut c = commit(t.id, root, "exists.txt", &keys[26], 10, 10);
    c.if_none_match_any = true;
    all.push(c);
    let mut c = commit(t.id, root, "exists.txt", &keys[27], 10, 10);
    c.if_match = Some("wrong");
    all.push(c);
    let mut c = commit(t.id, root, "exists.txt", &keys[28], 10, 10);
    c.if_match = Some("old");
    all.push(c);
    all.push(commit(t.id, root, "big.bin", &keys[29], 5_000, 10));
    all.push(commit(t.id, old.node.id, "under-a-file", &keys[30], 10, 10));
    let mut results = futures_util::future::join_all(all.iter().map(|c| db.commit_file(c))).await;
    // 31..131: then a hundred uploads racing for the capacity that is left.
    let racers: Vec<_> = (31..131)
        .map(|i| commit(t.id, dir.id, &names[i], &keys[i], 10, 10))
        .collect();
    results.extend(futures_util::future::join_all(racers.iter().map(|c| db.commit_file(c))).await);
    all.extend(racers);
    for r in &results[0..20] {
        assert!(r.as_ref().unwrap().created);
    }
    let same: Vec<bool> = results[20..25]
        .iter()
        .map(|r| r.as_ref().unwrap().created)
        .collect();
    assert_eq!(same.iter().filter(|c| **c).count(), 1, "{same:?}");
    assert!(matches!(results[25], Err(DbError::Conflict(_))));
    assert!(matches!(results[26], Err(DbError::PreconditionFailed)));
    assert!(matches!(results[27], Err(DbError::PreconditionFailed)));
    assert!(!results[28].as_ref().unwrap().created);
    assert!(matches!(results[29], Err(DbError::QuotaExceeded)));
    assert!(matches!(results[30], Err(DbError::NotFound)));
    // 10 + 20 * 10 + 5 * 10 + 10 = 270 used before the race: 73 fit.
    let won = results[31..131].iter().filter(|r| r.is_ok()).count();
    let lost = results[31..131]
        .iter()
        .filter(|r| matches!(r, Err(DbError::QuotaExceeded)))
        .count();
    assert_eq!((won, lost), (73, 27));
    assert_eq!(db.tenant_by_id(t.id).await.unwrap().used_bytes, 1000);
    // What the results say is what is stored.
    let same_node = results[20].as_ref().unwrap().node.id;
    assert_eq!(db.versions(t.id, same_node).await.unwrap().len(), 5);
    let exists = db.versions(t.id, old.node.id).await.unwrap();
    assert_eq!(
        exists
            .iter()
            .map(|v| v.blob_key.as_str())
            .collect::<Vec<_>>(),
        vec!["key28", "old"]
    );
    let in_dir = db
        .list_children(t.id, dir.id, SortKey::Name, false, None, 500)
        .await
        .unwrap();
    assert_eq!(in_dir.len(), 73);
    for (r, c) in results.iter().zip(&all) {
        if let Ok(out) = r {
            assert_eq!(out.node.name, c.name);
            assert_eq!(out.node.parent_id, Some(c.parent_id));
            assert_eq!(out.node.size, c.size);
        }
    }
}

/// Every pooled PostgreSQL connection has JIT compilation off (it cost
/// searches over a large archive up to 250 ms of compiling); SQLite has no
/// such setting.
async fn postgres_sessions_run_without_jit(db: Db) {
    // More checks than pooled connections at once, so several connections
    // answer, not just the first.
    let checks = (0..8).map(|_| db.session_setting("jit"));
    let settings = futures_util::future::join_all(checks).await;
    for s in settings {
        let s = s.unwrap();
        match db.backend() {
            kura_db::Backend::Postgres => assert_eq!(s.as_deref(), Some("off")),
            kura_db::Backend::Sqlite => assert_eq!(s, None),
        }
    }
}

/// SQLite's search planning puts the term with the fewest matches first
/// when it searches the value index (no tokens known); PostgreSQL leaves the
/// order to its own planner, and with search tokens (both backends) one
/// index lookup lists the matches and no term leads.
async fn planning_leads_with_the_rarest_term(db: Db) {
    use kura_core::attributes::{AttrType, StoredValue};
    use kura_db::{AttrCond, TokenKind};
    let t = db
        .create_tenant("acme", "Acme", 1 << 40, 10, 30, "e", 1)
        .await
        .unwrap();
    let choices = ["common", "rare"];
    let site = test_attribute(&db, t.id, "site", AttrType::Choice, &choices).await;
    let kind = test_attribute(&db, t.id, "kind", AttrType::Choice, &choices).await;
    let text = |v: &str| StoredValue {
        text: Some(v.into()),
        fold: Some(v.into()),
        num: None,
    };
    // Every file has kind "common"; one in ten has site "rare".
    for i in 0..40usize {
        let (name, key) = (format!("f{i}"), format!("k{i}"));
        let out = db
            .commit_file(&commit(t.id, t.root_id, &name, &key, 1, 10))
            .await
            .unwrap();
        let s = if i.is_multiple_of(10) {
            "rare"
        } else {
            "common"
        };
        db.set_attribute_values(
            t.id,
            &[
                (out.node.id, kind, vec![text("common")]),
                (out.node.id, site, vec![text(s)]),
            ],
        )
        .await
        .unwrap();
    }
    for tokens in [
        Vec::new(),
        vec![(site, TokenKind::Choice), (kind, TokenKind::Choice)],
    ] {
        // The rare term second: leading with it means moving it.
        let conds = vec![
            AttrCond::TextIn(kind, vec!["common".into()]),
            AttrCond::TextIn(site, vec!["rare".into()]),
        ];
        let mut q = attribute_search(t.id, t.root_id, conds, tokens, 10);
        db.plan_search(&mut q).await.unwrap();
        let want = match db.backend() {
            kura_db::Backend::Sqlite if q.tokens.is_empty() => 1,
            _ => 0,
        };
        assert_eq!(q.driver, want, "tokens {:?}", q.tokens);
        assert!(!q.merge);
        assert_eq!(db.search(&q).await.unwrap().total, 4);
    }
}

/// A change set replaces values as if applied one by one: a pair given twice
/// keeps its last value, no rows clear a value, other values stay.
async fn value_changes_apply_in_order(db: Db) {
    use kura_core::attributes::{AttrType, StoredValue};
    let t = db
        .create_tenant("acme", "Acme", 1 << 40, 10, 30, "e", 1)
        .await
        .unwrap();
    let a = test_attribute(&db, t.id, "a", AttrType::Text, &[]).await;
    let b = test_attribute(&db, t.id, "b", AttrType::Text, &[]).await;
    let v = |x: &str| StoredValue {
        text: Some(x.into()),
        fold: Some(x.into()),
        num: None,
    };
    let f = db
        .commit_file(&commit(t.id, t.root_id, "f", "k", 1, 10))
        .await
        .unwrap()
        .node
        .id;
    db.set_attribute_values(
        t.id,
        &[(f, a, vec![v("1"), v("2")]), (f, b, vec![v("keep")])],
    )
    .await
    .unwrap();
    db.set_attribute_values(t.id, &[(f, a, vec![v("3")]), (f, a, vec![v("4"), v("5")])])
        .await
        .unwrap();
    let texts = |rows: Vec<(i64, StoredValue)>| {
        let mut t: Vec<(i64, String)> = rows
            .into_iter()
            .map(|(attr, r)| (attr, r.text.unwrap()))
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        texts(db.node_attribute_rows(f).await.unwrap()),
        vec![(a, "4".into()), (a, "5".into()), (b, "keep".into())]
    );
    db.set_attribute_values(t.id, &[(f, a, vec![])])
        .await
        .unwrap();
    assert_eq!(
        texts(db.node_attribute_rows(f).await.unwrap()),
        vec![(b, "keep".into())]
    );
}

/// Labels that are the key in both languages.
fn test_labels(x: &str) -> kura_core::attributes::Labels {
    kura_core::attributes::Labels {
        ja: x.into(),
        en: x.into(),
    }
}

/// An attribute `key` of type `ty` (with these choices) in the tenant.
async fn test_attribute(
    db: &Db,
    tenant_id: i64,
    key: &str,
    ty: kura_core::attributes::AttrType,
    choices: &[&str],
) -> i64 {
    let choices: Vec<kura_core::attributes::ChoiceDef> = choices
        .iter()
        .map(|v| kura_core::attributes::ChoiceDef {
            value: (*v).into(),
            labels: test_labels(v),
        })
        .collect();
    let spec =
        kura_core::attributes::AttrSpec::new(key, ty, &test_labels(key), false, &choices, None)
            .unwrap();
    db.create_attribute_def(tenant_id, &spec, None, None, 1)
        .await
        .unwrap()
}

/// A search of the whole tenant by these attribute conditions, sorted by
/// name, nothing else set.
fn attribute_search(
    tenant_id: i64,
    root_id: i64,
    conds: Vec<kura_db::AttrCond>,
    tokens: Vec<(i64, kura_db::TokenKind)>,
    limit: i64,
) -> kura_db::SearchQuery {
    kura_db::SearchQuery {
        tenant_id,
        folder_id: root_id,
        name_fold: None,
        conds,
        content_types: vec![],
        size_min: None,
        size_max: None,
        modified_from: None,
        modified_to: None,
        uploader: None,
        tokens,
        driver: 0,
        merge: false,
        splits: Vec::new(),
        whole_tenant: false,
        sort: kura_db::SearchSort::Name,
        desc: false,
        limit,
        cursor: None,
    }
}
