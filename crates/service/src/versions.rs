//! Listing and restoring old versions of a file.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::{Node, NodeKind, NodePath, Version};
use kura_db::CommitFile;
use kura_storage::BlobStore;

impl Service {
    /// The versions of the file at `path`, newest (current) first.
    pub async fn versions(&self, who: &Identity, path: &NodePath) -> Result<(Node, Vec<Version>)> {
        who.require_read()?;
        let node = self.node_at(who, path).await?;
        if node.kind != NodeKind::File {
            return Err(ServiceError::NotAFile(path.to_string()));
        }
        let v = self.db.versions(who.tenant_id(), node.id).await?;
        Ok((node, v))
    }

    /// Makes an old version current again by adding it as the newest version
    /// (the history is kept; nothing is overwritten).
    pub async fn restore_version(
        &self,
        who: &Identity,
        path: &NodePath,
        version_id: i64,
    ) -> Result<Node> {
        who.require_write()?;
        let (node, old) = self.file_at(who, path, Some(version_id)).await?;
        crate::scanning::refuse_quarantined(&path.to_string(), &old)?;
        let parent_id = node
            .parent_id
            .ok_or_else(|| ServiceError::NotAFile(path.to_string()))?;
        let key = BlobStore::new_key(who.tenant_id());
        self.blobs.copy(&old.blob_key, &key).await?;
        let tenant = self.db.tenant_by_id(who.tenant_id()).await?;
        let etag = Self::new_etag();
        let commit = CommitFile {
            tenant_id: who.tenant_id(),
            parent_id,
            name: &node.name,
            blob_key: &key,
            size: old.size,
            etag: &etag,
            content_type: node.content_type.as_deref(),
            now: self.now(),
            user_id: Some(who.user.id),
            keep_versions: tenant.keep_versions,
            if_none_match_any: false,
            if_match: Some(&node.etag),
            audit_path: None,
            audit_ip: None,
            scan: crate::scanning::carried_scan(&old),
            thumbnail: kura_core::thumbnail::source_of(node.content_type.as_deref()).is_some(),
            attributes: &[],
            attributes_audit: None,
        };
        let out = match self.db.commit_file(&commit).await {
            Ok(o) => o,
            Err(e) => {
                self.blobs.delete(&key).await.ok();
                return Err(match e {
                    kura_db::DbError::QuotaExceeded => self.quota_exceeded(who.tenant_id()).await,
                    kura_db::DbError::PreconditionFailed => {
                        ServiceError::PreconditionFailed(path.to_string())
                    }
                    e => e.into(),
                });
            }
        };
        if commit.thumbnail {
            self.thumbnail_queued();
        }
        self.delete_blobs(&out.pruned_blobs).await;
        self.audit(
            who,
            "file.restore_version",
            &path.to_string(),
            Some(&version_id.to_string()),
        )
        .await?;
        Ok(out.node)
    }
}
