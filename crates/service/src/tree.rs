//! Moving, renaming, copying and deleting (to the trash) files and folders.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::{Node, NodeKind, NodePath};
use kura_db::{CommitFile, DbError};
use kura_storage::BlobStore;
use std::collections::HashMap;

impl Service {
    /// Moves a file or folder (and everything below it) to the trash.
    /// With `expect`, refuses to delete an item of the other kind (a DELETE on
    /// /files must not remove a folder tree by mistake).
    pub async fn delete(
        &self,
        who: &Identity,
        path: &NodePath,
        expect: Option<NodeKind>,
    ) -> Result<Node> {
        who.require_write()?;
        if path.is_root() {
            return Err(ServiceError::Forbidden(
                "the root folder cannot be deleted".into(),
            ));
        }
        let node = self.node_at(who, path).await?;
        match (expect, node.kind) {
            (Some(NodeKind::File), NodeKind::Folder) => {
                return Err(ServiceError::NotAFile(path.to_string()));
            }
            (Some(NodeKind::Folder), NodeKind::File) => {
                return Err(ServiceError::NotAFolder(path.to_string()));
            }
            _ => {}
        }
        let n = self
            .db
            .trash_node(who.tenant_id(), node.id, self.now(), Some(who.user.id))
            .await?;
        self.audit(who, "node.trash", &path.to_string(), None)
            .await?;
        Ok(n)
    }

    /// Moves and/or renames `from` to the full path `to` (whose parent must exist).
    pub async fn move_node(&self, who: &Identity, from: &NodePath, to: &NodePath) -> Result<Node> {
        who.require_write()?;
        let (to_parent, to_name) = to.split_last().ok_or_else(|| {
            ServiceError::NameConflict("nothing can replace the root folder".into())
        })?;
        if from.is_root() {
            return Err(ServiceError::Forbidden(
                "the root folder cannot be moved".into(),
            ));
        }
        let node = self.node_at(who, from).await?;
        let parent = self.folder_at(who, &to_parent, false).await?;
        let moved = self
            .db
            .move_node(
                who.tenant_id(),
                node.id,
                parent.id,
                to_name.as_str(),
                &Self::new_etag(),
                self.now(),
                Some(who.user.id),
            )
            .await
            .map_err(|e| match e {
                DbError::Conflict(m) => ServiceError::NameConflict(format!("{m}: {to}")),
                e => e.into(),
            })?;
        self.audit(who, "node.move", &from.to_string(), Some(&to.to_string()))
            .await?;
        Ok(moved)
    }

    /// Copies a file or a whole folder to the full path `to` (which must not exist).
    pub async fn copy_node(&self, who: &Identity, from: &NodePath, to: &NodePath) -> Result<Node> {
        who.require_write()?;
        let (to_parent, to_name) = to.split_last().ok_or_else(|| {
            ServiceError::NameConflict("nothing can replace the root folder".into())
        })?;
        if from.contains(to) {
            return Err(ServiceError::NameConflict(
                "a folder cannot be copied into itself".into(),
            ));
        }
        let src = self.node_at(who, from).await?;
        let parent = self.folder_at(who, &to_parent, false).await?;
        let copy = match src.kind {
            NodeKind::File => {
                self.copy_file(who, &src, parent.id, to_name.as_str())
                    .await?
            }
            NodeKind::Folder => {
                let nodes = self.db.subtree(who.tenant_id(), src.id).await?;
                // Refuse before copying anything if a quarantined file is inside.
                if let Some(q) = nodes
                    .iter()
                    .find(|n| n.scan_status == Some(kura_core::ScanStatus::Quarantined))
                {
                    return Err(ServiceError::Quarantined(
                        format!("{} (inside {from})", q.name),
                        "a virus".into(),
                    ));
                }
                let (root, _) = self.create_folder(who, to, false).await?;
                if let Err(e) = self.copy_children(who, src.id, root.id, nodes).await {
                    // All or nothing: a copy that failed half-way (quota, a
                    // name taken meanwhile) is removed again, bytes released.
                    self.discard_copy(who, root.id).await;
                    return Err(e);
                }
                root
            }
        };
        self.audit(who, "node.copy", &from.to_string(), Some(&to.to_string()))
            .await?;
        Ok(copy)
    }

    /// Copies `nodes` (a subtree of `src_root`, parents first) under `dst_root`.
    async fn copy_children(
        &self,
        who: &Identity,
        src_root: i64,
        dst_root: i64,
        nodes: Vec<Node>,
    ) -> Result<()> {
        let mut map: HashMap<i64, i64> = HashMap::from([(src_root, dst_root)]);
        // Parents come before children, so each target parent exists already.
        for n in nodes {
            let Some(&target_parent) = n.parent_id.and_then(|p| map.get(&p)) else {
                continue;
            };
            let made = match n.kind {
                NodeKind::Folder => {
                    self.db
                        .create_folder(
                            who.tenant_id(),
                            target_parent,
                            &n.name,
                            &Self::new_etag(),
                            self.now(),
                            Some(who.user.id),
                        )
                        .await?
                }
                NodeKind::File => self.copy_file(who, &n, target_parent, &n.name).await?,
            };
            map.insert(n.id, made.id);
        }
        Ok(())
    }

    /// Removes a partial copy for good (trash, then purge), releasing its bytes.
    async fn discard_copy(&self, who: &Identity, root: i64) {
        let now = self.now();
        let done = match self
            .db
            .trash_node(who.tenant_id(), root, now, Some(who.user.id))
            .await
        {
            Ok(_) => self.db.purge_node(who.tenant_id(), root, now).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(p) => self.delete_blobs(&p.blobs).await,
            Err(e) => tracing::error!(error = %e, "could not remove a partial folder copy"),
        }
    }

    async fn copy_file(
        &self,
        who: &Identity,
        src: &Node,
        parent_id: i64,
        name: &str,
    ) -> Result<Node> {
        let vid = src
            .current_version_id
            .ok_or_else(|| ServiceError::NotFound(src.name.clone()))?;
        let v = self.db.version(who.tenant_id(), vid).await?;
        crate::scanning::refuse_quarantined(&src.name, &v)?;
        let key = BlobStore::new_key(who.tenant_id());
        self.blobs.copy(&v.blob_key, &key).await?;
        let tenant = self.db.tenant_by_id(who.tenant_id()).await?;
        let etag = Self::new_etag();
        let commit = CommitFile {
            tenant_id: who.tenant_id(),
            parent_id,
            name,
            blob_key: &key,
            size: v.size,
            etag: &etag,
            content_type: src.content_type.as_deref(),
            now: self.now(),
            user_id: Some(who.user.id),
            keep_versions: tenant.keep_versions,
            if_none_match_any: true,
            if_match: None,
            audit_path: None,
            audit_ip: None,
            scan: crate::scanning::carried_scan(&v),
            thumbnail: kura_core::thumbnail::source_of(src.content_type.as_deref()).is_some(),
            attributes: &[],
            attributes_audit: None,
        };
        match self.db.commit_file(&commit).await {
            Ok(o) => {
                if commit.thumbnail {
                    self.thumbnail_queued();
                }
                Ok(o.node)
            }
            Err(e) => {
                self.blobs.delete(&key).await.ok();
                Err(match e {
                    DbError::QuotaExceeded => self.quota_exceeded(who.tenant_id()).await,
                    DbError::PreconditionFailed => {
                        ServiceError::NameConflict(format!("{name} already exists"))
                    }
                    e => e.into(),
                })
            }
        }
    }
}
