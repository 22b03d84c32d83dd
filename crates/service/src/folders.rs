//! Creating and listing folders.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use base64::Engine;
use kura_core::{Node, NodeKind, NodePath};
use kura_db::{ChildCursor, DbError, SortKey};

/// Largest page a listing returns.
pub const MAX_PAGE: i64 = 10_000;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: i64 = 1_000;

/// How to list a folder.
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub sort: SortKey,
    pub descending: bool,
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a folder.
#[derive(Debug, Clone)]
pub struct Page {
    pub folder: Node,
    pub items: Vec<Node>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CursorToken {
    s: String,
    d: bool,
    c: ChildCursor,
}

fn sort_name(s: SortKey) -> &'static str {
    match s {
        SortKey::Name => "name",
        SortKey::Size => "size",
        SortKey::Modified => "modified",
        SortKey::ModifiedBy => "modified_by",
    }
}

impl Service {
    /// Creates a folder; with `parents`, missing parents too. An existing folder
    /// at the path is an error unless `parents` is set (like `mkdir -p`).
    pub async fn create_folder(
        &self,
        who: &Identity,
        path: &NodePath,
        parents: bool,
    ) -> Result<(Node, bool)> {
        who.require_write()?;
        let (parent_path, name) = path
            .split_last()
            .ok_or_else(|| ServiceError::NameConflict("the root folder always exists".into()))?;
        let parent = self.folder_at(who, &parent_path, parents).await?;
        let created = self
            .db
            .create_folder(
                who.tenant_id(),
                parent.id,
                name.as_str(),
                &Self::new_etag(),
                self.now(),
                Some(who.user.id),
            )
            .await;
        match created {
            Ok(n) => {
                self.audit(who, "folder.create", &path.to_string(), None)
                    .await?;
                Ok((n, true))
            }
            Err(DbError::Conflict(_)) => {
                let existing = self
                    .db
                    .child(who.tenant_id(), parent.id, name.as_str())
                    .await?;
                match existing {
                    Some(n) if parents && n.kind == NodeKind::Folder => Ok((n, false)),
                    _ => Err(ServiceError::NameConflict(format!("{path} already exists"))),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One page of a folder's contents, folders first.
    pub async fn list_folder(
        &self,
        who: &Identity,
        path: &NodePath,
        opts: &ListOptions,
    ) -> Result<Page> {
        who.require_read()?;
        let folder = self.node_at(who, path).await?;
        if folder.kind != NodeKind::Folder {
            return Err(ServiceError::NotAFolder(path.to_string()));
        }
        let limit = opts.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::InvalidInput(format!(
                "limit must be between 1 and {MAX_PAGE}"
            )));
        }
        let after = match &opts.cursor {
            None => None,
            Some(c) => {
                let bad = || {
                    ServiceError::InvalidInput("the cursor is not valid for this listing".into())
                };
                let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .map_err(|_| bad())?;
                let t: CursorToken = serde_json::from_slice(&raw).map_err(|_| bad())?;
                if t.s != sort_name(opts.sort) || t.d != opts.descending {
                    return Err(bad());
                }
                Some(t.c)
            }
        };
        // One extra row tells whether another page follows.
        let mut items = self
            .db
            .list_children(
                who.tenant_id(),
                folder.id,
                opts.sort,
                opts.descending,
                after.as_ref(),
                limit + 1,
            )
            .await?;
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => {
                let t = CursorToken {
                    s: sort_name(opts.sort).into(),
                    d: opts.descending,
                    c: self.db.cursor_after(last, opts.sort).await?,
                };
                let json =
                    serde_json::to_vec(&t).map_err(|e| ServiceError::Internal(e.to_string()))?;
                Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
            }
            _ => None,
        };
        Ok(Page {
            folder,
            items,
            next_cursor,
        })
    }
}
