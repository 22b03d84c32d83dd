//! JSON shapes of API responses.

use kura_core::clock::rfc3339;
use kura_core::{Node, NodeKind, ScanStatus, Tenant, User, Version};
use serde_json::{Value, json};

/// A file or folder as the API shows it; `path` is its full path in the tenant.
/// Typed (not a `Value`) so that 10,000-item listings serialise in one pass.
#[derive(serde::Serialize)]
pub struct NodeOut<'a> {
    id: i64,
    name: &'a str,
    path: String,
    kind: NodeKind,
    size: i64,
    etag: &'a str,
    content_type: Option<&'a str>,
    version_id: Option<i64>,
    created: String,
    modified: String,
    modified_by: Option<i64>,
    trashed: Option<String>,
    /// Files: `clean`, `unscanned` or `quarantined` (the current version's).
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_status: Option<ScanStatus>,
}

/// The API shape of a node.
pub fn node<'a>(n: &'a Node, path: &str) -> NodeOut<'a> {
    NodeOut {
        id: n.id,
        name: &n.name,
        path: path.to_string(),
        kind: n.kind,
        size: if n.kind == NodeKind::File { n.size } else { 0 },
        etag: &n.etag,
        content_type: n.content_type.as_deref(),
        version_id: n.current_version_id,
        created: rfc3339(n.created_at),
        modified: rfc3339(n.modified_at),
        modified_by: n.modified_by,
        trashed: n.trashed_at.map(rfc3339),
        scan_status: n.scan_status,
    }
}

/// `parent` joined with `name` as a display path.
pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// A version of a file.
pub fn version(v: &Version, current: Option<i64>) -> Value {
    json!({
        "id": v.id,
        "size": v.size,
        "etag": v.etag,
        "created": rfc3339(v.created_at),
        "created_by": v.created_by,
        "current": current == Some(v.id),
        "scan": scan(v),
    })
}

/// How a version was checked for viruses.
pub fn scan(v: &Version) -> Value {
    json!({
        "status": v.scan_status,
        "engine": v.scan_engine,
        "scanned": v.scanned_at.map(rfc3339),
        "detail": v.scan_detail,
    })
}

/// A user (never the password hash).
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "login": u.login,
        "display_name": u.display_name,
        "email": u.email,
        "role": u.role,
        "status": u.status,
        "locked_until": u.locked_until.map(rfc3339),
        "otp_enabled": u.otp_enabled,
        "created": rfc3339(u.created_at),
    })
}

/// A tenant.
pub fn tenant(t: &Tenant) -> Value {
    json!({
        "id": t.id,
        "code": t.code,
        "name": t.name,
        "capacity_bytes": t.capacity_bytes,
        "used_bytes": t.used_bytes,
        "status": t.status,
        "keep_versions": t.keep_versions,
        "trash_days": t.trash_days,
        "scan_oversize": t.scan_oversize,
        "created": rfc3339(t.created_at),
    })
}
