//! Turning paths into nodes inside the caller's tenant.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::{Name, Node, NodeKind, NodePath};
use kura_db::DbError;

impl Service {
    /// The live node at `path`, or `NotFound`.
    pub async fn node_at(&self, who: &Identity, path: &NodePath) -> Result<Node> {
        self.lookup(who, path)
            .await?
            .ok_or_else(|| ServiceError::NotFound(path.to_string()))
    }

    /// The live node at `path`, if any: one query (or none, when cached).
    async fn lookup(&self, who: &Identity, path: &NodePath) -> Result<Option<Node>> {
        let names: Vec<&str> = path.names().iter().map(Name::as_str).collect();
        Ok(self
            .db
            .resolve_with_version(who.tenant_id(), who.tenant.root_id, &names, None)
            .await?
            .map(|(n, _)| n))
    }

    /// The live folder at `path`; with `create`, missing folders are made (`mkdir -p`).
    pub(crate) async fn folder_at(
        &self,
        who: &Identity,
        path: &NodePath,
        create: bool,
    ) -> Result<Node> {
        if path.is_root() {
            return Ok(self.db.node(who.tenant_id(), who.tenant.root_id).await?);
        }
        // The common case, an existing folder, in one lookup.
        if let Some(n) = self.lookup(who, path).await?
            && n.kind == NodeKind::Folder
        {
            return Ok(n);
        }
        // Otherwise walk, to create what is missing or to name the step that fails.
        // Walk by id from the tenant's root; only the last folder is returned.
        let mut cur_id = who.tenant.root_id;
        let mut cur = None;
        let mut walked = NodePath::root();
        for name in path.names() {
            walked = walked.join(name);
            let next = match self
                .db
                .child(who.tenant_id(), cur_id, name.as_str())
                .await?
            {
                Some(n) => n,
                None if create => match self
                    .db
                    .create_folder(
                        who.tenant_id(),
                        cur_id,
                        name.as_str(),
                        &Self::new_etag(),
                        self.now(),
                        Some(who.user.id),
                    )
                    .await
                {
                    Ok(n) => n,
                    // Created concurrently by someone else: use theirs.
                    Err(DbError::Conflict(_)) => self
                        .db
                        .child(who.tenant_id(), cur_id, name.as_str())
                        .await?
                        .ok_or_else(|| ServiceError::NotFound(walked.to_string()))?,
                    Err(e) => return Err(e.into()),
                },
                None => return Err(ServiceError::ParentNotFound(walked.to_string())),
            };
            if next.kind != NodeKind::Folder {
                return Err(ServiceError::NotAFolder(walked.to_string()));
            }
            cur_id = next.id;
            cur = Some(next);
        }
        cur.ok_or_else(|| ServiceError::NotFound(path.to_string()))
    }

    /// Names from the root down to a node (for trash listings and audit).
    pub async fn path_of(&self, tenant_id: i64, node: &Node) -> Result<String> {
        let mut names = vec![node.name.clone()];
        let mut parent = node.parent_id;
        // Depth is bounded by the path length limit; guard anyway against cycles.
        for _ in 0..2048 {
            let Some(pid) = parent else { break };
            let p = self.db.node(tenant_id, pid).await?;
            if p.parent_id.is_none() {
                break;
            }
            names.push(p.name.clone());
            parent = p.parent_id;
        }
        names.reverse();
        Ok(format!("/{}", names.join("/")))
    }
}
