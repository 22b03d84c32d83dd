//! The trash: list, restore (to the original place or a new one), purge.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::{Node, NodePath};
use kura_db::DbError;

/// Most items a trash listing returns.
const TRASH_PAGE: i64 = 10_000;

/// An item in the trash with the path it had.
#[derive(Debug, Clone)]
pub struct TrashItem {
    pub node: Node,
    pub original_path: String,
}

impl Service {
    /// What is in the caller's tenant's trash, most recently deleted first.
    pub async fn list_trash(&self, who: &Identity) -> Result<Vec<TrashItem>> {
        who.require_read()?;
        let nodes = self.db.list_trash(who.tenant_id(), TRASH_PAGE).await?;
        // All parents' paths in one query, not one walk per item.
        let mut parents: Vec<i64> = nodes.iter().filter_map(|n| n.parent_id).collect();
        parents.sort_unstable();
        parents.dedup();
        let paths = self.db.paths_of(who.tenant_id(), &parents).await?;
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            let original_path = match node.parent_id.and_then(|p| paths.get(&p)) {
                Some(parent) if parent == "/" => format!("/{}", node.name),
                Some(parent) => format!("{parent}/{}", node.name),
                // A parent purged meanwhile: walk (rare).
                None => self.path_of(who.tenant_id(), &node).await?,
            };
            out.push(TrashItem {
                node,
                original_path,
            });
        }
        Ok(out)
    }

    async fn trashed(&self, who: &Identity, id: i64) -> Result<Node> {
        match self.db.node(who.tenant_id(), id).await {
            Ok(n) if n.trashed_at.is_some() => Ok(n),
            Ok(_) | Err(DbError::NotFound) => {
                Err(ServiceError::NotFound(format!("trash item {id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Restores a trashed item to where it was, or to the full path `to`.
    pub async fn restore(&self, who: &Identity, id: i64, to: Option<&NodePath>) -> Result<Node> {
        who.require_write()?;
        let node = self.trashed(who, id).await?;
        let (parent_id, name, target) = match to {
            Some(p) => {
                let (pp, name) = p.split_last().ok_or_else(|| {
                    ServiceError::NameConflict("nothing can replace the root folder".into())
                })?;
                let parent = self.folder_at(who, &pp, false).await?;
                (parent.id, name.as_str().to_string(), p.to_string())
            }
            None => {
                let original = self.path_of(who.tenant_id(), &node).await?;
                let parent_id = node
                    .parent_id
                    .ok_or_else(|| ServiceError::NotFound(format!("trash item {id}")))?;
                (parent_id, node.name.clone(), original)
            }
        };
        let restored = self
            .db
            .restore_node(who.tenant_id(), id, parent_id, &name, self.now())
            .await
            .map_err(|e| match e {
                DbError::Conflict(_) => ServiceError::NameConflict(format!(
                    "{target} is taken; restore under another name by sending {{\"to\": \"/folder/new name\"}}"
                )),
                DbError::NotFound => ServiceError::ParentNotFound(format!(
                    "{target} (its folder is gone or in the trash; send {{\"to\": \"/folder/name\"}})"
                )),
                e => e.into(),
            })?;
        self.audit(who, "trash.restore", &target, None).await?;
        Ok(restored)
    }

    /// Deletes a trashed item for good; its bytes are released at once.
    pub async fn purge(&self, who: &Identity, id: i64) -> Result<i64> {
        who.require_write()?;
        let node = self.trashed(who, id).await?;
        let purged = self.db.purge_node(who.tenant_id(), id, self.now()).await?;
        self.delete_blobs(&purged.blobs).await;
        self.audit(
            who,
            "trash.purge",
            &node.name,
            Some(&purged.bytes.to_string()),
        )
        .await?;
        Ok(purged.bytes)
    }

    /// Purges everything in the caller's trash; returns the bytes released.
    pub async fn empty_trash(&self, who: &Identity) -> Result<i64> {
        who.require_write()?;
        let mut total = 0;
        loop {
            let items = self.db.list_trash(who.tenant_id(), 500).await?;
            if items.is_empty() {
                return Ok(total);
            }
            for n in items {
                match self.purge(who, n.id).await {
                    Ok(b) => total += b,
                    // Already purged as part of a trashed parent.
                    Err(ServiceError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}
