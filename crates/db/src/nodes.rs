//! The node tree: lookups, listings with keyset paging, folders, and the one
//! transaction that makes an uploaded file visible.

use crate::error::conflict_on_unique;
use crate::rows::NodeJson;
use crate::rows::{NODE_COLS, NodeRow, VERSION_COLS, VersionRow};
use crate::{Backend, Db, DbError};
use kura_core::attributes::search_fold;
use kura_core::name::name_key;
use kura_core::{Node, NodeKind, Timestamp, Version};
use sqlx::{AnyConnection, AssertSqlSafe};

/// Path segments resolved per query (one self-join each).
const RESOLVE_CHUNK: usize = 16;

/// Column a folder listing is sorted by (folders always come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Size,
    Modified,
    /// The display name of who last modified the entry ('' for nobody).
    ModifiedBy,
}

/// The sort value of "modified by", for one row of `nodes`.
const MODIFIED_BY_NAME: &str =
    "COALESCE((SELECT u.display_name FROM users u WHERE u.id = nodes.modified_by), '')";

impl SortKey {
    fn column(self) -> &'static str {
        match self {
            SortKey::Name => "name_key",
            SortKey::Size => "size",
            SortKey::Modified => "modified_at",
            SortKey::ModifiedBy => MODIFIED_BY_NAME,
        }
    }

    /// True if the sort value is text (the cursor's `text`), else a number.
    fn is_text(self) -> bool {
        matches!(self, SortKey::Name | SortKey::ModifiedBy)
    }
}

/// Where the previous page ended: the sort value and id of its last item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChildCursor {
    /// 0 for folders, 1 for files.
    pub kind_rank: i64,
    /// Set when sorting by name.
    pub text: Option<String>,
    /// Set when sorting by size or modified time.
    pub number: Option<i64>,
    pub id: i64,
}

pub(crate) fn node_sql(filter: &str) -> String {
    format!("SELECT {NODE_COLS} FROM nodes WHERE {filter}")
}

pub(crate) async fn node_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    id: i64,
) -> Result<Node, DbError> {
    let row: Option<NodeRow> =
        sqlx::query_as(AssertSqlSafe(node_sql("tenant_id = $1 AND id = $2")))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.ok_or(DbError::NotFound)?.try_into()
}

async fn live_child_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    parent_id: i64,
    key: &str,
) -> Result<Option<Node>, DbError> {
    let row: Option<NodeRow> = sqlx::query_as(AssertSqlSafe(node_sql(
        "tenant_id = $1 AND parent_id = $2 AND name_key = $3 AND trashed_at IS NULL",
    )))
    .bind(tenant_id)
    .bind(parent_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(Node::try_from).transpose()
}

/// Fails unless `id` is a folder of the tenant that is not in the trash.
pub(crate) async fn require_live_folder(
    conn: &mut AnyConnection,
    tenant_id: i64,
    id: i64,
) -> Result<(), DbError> {
    let n = node_in(conn, tenant_id, id).await?;
    if n.kind != NodeKind::Folder || n.trashed_at.is_some() {
        return Err(DbError::NotFound);
    }
    Ok(())
}

impl Db {
    /// A node of the tenant by id (trashed or not).
    pub async fn node(&self, tenant_id: i64, id: i64) -> Result<Node, DbError> {
        let mut conn = self.pool.acquire().await?;
        node_in(&mut conn, tenant_id, id).await
    }

    /// The live (not trashed) child of a folder with this name, ignoring case.
    pub async fn child(
        &self,
        tenant_id: i64,
        parent_id: i64,
        name: &str,
    ) -> Result<Option<Node>, DbError> {
        let mut conn = self.pool.acquire().await?;
        live_child_in(&mut conn, tenant_id, parent_id, &name_key(name)).await
    }

    /// Resolves a chain of names below `root_id`; `Ok(None)` if a step is missing.
    pub async fn resolve(
        &self,
        tenant_id: i64,
        root_id: i64,
        names: &[&str],
    ) -> Result<Option<Node>, DbError> {
        if names.is_empty() {
            let mut conn = self.pool.acquire().await?;
            return Ok(Some(node_in(&mut conn, tenant_id, root_id).await?));
        }
        // The whole path in one round trip: a chain of self-joins, each step
        // an indexed (tenant, parent, name_key) lookup. Long paths go in chunks.
        let mut parent = root_id;
        let mut found = None;
        for (i, chunk) in names.chunks(RESOLVE_CHUNK).enumerate() {
            if i > 0
                && found
                    .as_ref()
                    .is_none_or(|n: &Node| n.kind != NodeKind::Folder)
            {
                return Ok(None);
            }
            match self.resolve_chain(tenant_id, parent, chunk).await? {
                Some(n) => {
                    parent = n.id;
                    found = Some(n);
                }
                None => return Ok(None),
            }
        }
        let cur = match found {
            Some(n) => n,
            None => return Ok(None),
        };
        Ok(Some(cur))
    }

    async fn resolve_chain(
        &self,
        tenant_id: i64,
        parent: i64,
        names: &[&str],
    ) -> Result<Option<Node>, DbError> {
        Ok(self
            .chain(tenant_id, parent, names, None)
            .await?
            .map(|(n, _)| n))
    }

    /// The node at the end of `names` below `parent`, and with `version` set,
    /// that version of it (`Some(None)` = its current one) joined in the same query.
    async fn chain(
        &self,
        tenant_id: i64,
        parent: i64,
        names: &[&str],
        version: Option<Option<i64>>,
    ) -> Result<Option<(Node, Option<Version>)>, DbError> {
        let last = names.len();
        let mut cols: Vec<String> = NODE_COLS
            .split(", ")
            .map(|c| format!("n{last}.{c}"))
            .collect();
        if version.is_some() {
            cols.extend(VERSION_COLS.split(", ").map(|c| format!("v.{c} AS v_{c}")));
        }
        let mut sql = format!("SELECT {} FROM nodes n1", cols.join(", "));
        for i in 2..=last {
            sql.push_str(&format!(
                " JOIN nodes n{i} ON n{i}.parent_id = n{}.id",
                i - 1
            ));
        }
        let vparam = last + 3;
        if version.is_some() {
            sql.push_str(&format!(
                " LEFT JOIN versions v ON v.node_id = n{last}.id AND v.id = COALESCE(${vparam}, n{last}.current_version_id)"
            ));
        }
        sql.push_str(" WHERE n1.parent_id = $2");
        for i in 1..=last {
            sql.push_str(&format!(
                " AND n{i}.tenant_id = $1 AND n{i}.name_key = ${} AND n{i}.trashed_at IS NULL",
                i + 2
            ));
            if i < last {
                sql.push_str(&format!(" AND n{i}.kind = 'folder'"));
            }
        }
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(tenant_id).bind(parent);
        for n in names {
            q = q.bind(name_key(n));
        }
        if let Some(v) = version {
            q = q.bind(v);
        }
        let Some(row) = q.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let node: NodeRow = sqlx::FromRow::from_row(&row)?;
        let v = if version.is_some() {
            VersionRow::from_prefixed(&row)?
        } else {
            None
        };
        Ok(Some((
            node.try_into()?,
            v.map(Version::try_from).transpose()?,
        )))
    }

    /// The file at `names` with its current version, or the version `version`
    /// of it: one query for paths of up to 16 names.
    pub async fn resolve_with_version(
        &self,
        tenant_id: i64,
        root_id: i64,
        names: &[&str],
        version: Option<i64>,
    ) -> Result<Option<(Node, Option<Version>)>, DbError> {
        if !names.is_empty() && names.len() <= RESOLVE_CHUNK {
            let Some(cache) = &self.path_cache else {
                return self.chain(tenant_id, root_id, names, Some(version)).await;
            };
            let key = (
                tenant_id,
                names
                    .iter()
                    .map(|n| name_key(n))
                    .collect::<Vec<_>>()
                    .join("/"),
                version,
            );
            if let Some(hit) = cache.get(&key) {
                return Ok(Some(hit));
            }
            // Read the generation before the query: a change committed meanwhile
            // makes this entry stale at once.
            let generation = cache.generation();
            let found = self.chain(tenant_id, root_id, names, Some(version)).await?;
            if let Some((n, v)) = &found {
                cache.put(key, generation, n, v);
            }
            return Ok(found);
        }
        let Some(node) = self.resolve(tenant_id, root_id, names).await? else {
            return Ok(None);
        };
        let vid = version.or(node.current_version_id);
        let v = match vid {
            Some(id) => match self.version(tenant_id, id).await {
                Ok(v) if v.node_id == node.id => Some(v),
                Ok(_) | Err(DbError::NotFound) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok(Some((node, v)))
    }

    /// One page of a folder's live children, folders first.
    pub async fn list_children(
        &self,
        tenant_id: i64,
        parent_id: i64,
        sort: SortKey,
        descending: bool,
        after: Option<&ChildCursor>,
        limit: i64,
    ) -> Result<Vec<Node>, DbError> {
        // Folders first in both directions: the rank is flipped for descending order.
        let rank = if descending {
            "CASE WHEN kind = 'folder' THEN 1 ELSE 0 END"
        } else {
            "CASE WHEN kind = 'folder' THEN 0 ELSE 1 END"
        };
        let col = sort.column();
        let (dir, cmp) = if descending {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        let seek = if after.is_some() {
            format!("AND ({rank}, {col}, id) {cmp} ($3, $4, $5)")
        } else {
            String::new()
        };
        let inner = format!(
            "SELECT {NODE_COLS}, {col} AS sk, {rank} AS rk FROM nodes
             WHERE tenant_id = $1 AND parent_id = $2 AND trashed_at IS NULL {seek}
             ORDER BY {rank} {dir}, {col} {dir}, id {dir} LIMIT {}",
            limit.max(0)
        );
        // The page comes back as one JSON text: drivers that hand rows over one
        // by one between threads (sqlx's SQLite) would otherwise pay per row.
        let (agg, arr) = match self.backend() {
            Backend::Sqlite => ("json_group_array", "json_array"),
            Backend::Postgres => ("json_agg", "json_build_array"),
        };
        let sql = format!(
            "SELECT COALESCE(CAST({agg}({arr}({NODE_COLS}) ORDER BY rk {dir}, sk {dir}, id {dir}) AS TEXT), '[]')
             FROM ({inner}) sub"
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(parent_id);
        if let Some(c) = after {
            let r = if descending {
                1 - c.kind_rank
            } else {
                c.kind_rank
            };
            q = q.bind(r);
            q = if sort.is_text() {
                q.bind(c.text.clone().unwrap_or_default())
            } else {
                q.bind(c.number.unwrap_or_default())
            };
            q = q.bind(c.id);
        }
        let json = q.fetch_one(&self.pool).await?;
        let rows: Vec<NodeJson> =
            serde_json::from_str(&json).map_err(|e| DbError::Corrupt(format!("listing: {e}")))?;
        rows.into_iter()
            .map(NodeRow::from)
            .map(Node::try_from)
            .collect()
    }

    /// The cursor that continues after `node` in a listing sorted by `sort`.
    pub async fn cursor_after(&self, node: &Node, sort: SortKey) -> Result<ChildCursor, DbError> {
        let kind_rank = if node.kind == NodeKind::Folder { 0 } else { 1 };
        let (text, number) = match sort {
            SortKey::Name => (Some(name_key(&node.name)), None),
            SortKey::Size => (None, Some(node.size)),
            SortKey::Modified => (None, Some(node.modified_at)),
            SortKey::ModifiedBy => {
                // The same expression the listing sorts by, so the seek matches it.
                let sql = format!("SELECT {MODIFIED_BY_NAME} FROM nodes WHERE id = $1");
                let name: String = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(node.id)
                    .fetch_one(&self.pool)
                    .await?;
                (Some(name), None)
            }
        };
        Ok(ChildCursor {
            kind_rank,
            text,
            number,
            id: node.id,
        })
    }

    /// Creates a folder in a live parent folder.
    pub async fn create_folder(
        &self,
        tenant_id: i64,
        parent_id: i64,
        name: &str,
        etag: &str,
        now: Timestamp,
        user_id: Option<i64>,
    ) -> Result<Node, DbError> {
        let mut tx = self.begin_write().await?;
        require_live_folder(&mut tx, tenant_id, parent_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO nodes (tenant_id, parent_id, kind, name, name_key, etag, created_at, modified_at, modified_by, name_fold)
             VALUES ($1, $2, 'folder', $3, $4, $5, $6, $6, $7, $8) RETURNING id",
        )
        .bind(tenant_id)
        .bind(parent_id)
        .bind(name)
        .bind(name_key(name))
        .bind(etag)
        .bind(now)
        .bind(user_id)
        .bind(search_fold(name))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "an item with this name already exists in the folder"))?;
        let node = node_in(&mut tx, tenant_id, id).await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(node)
    }

    /// Moves and/or renames a node into a live folder of the same tenant.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_node(
        &self,
        tenant_id: i64,
        id: i64,
        new_parent: i64,
        new_name: &str,
        etag: &str,
        now: Timestamp,
        user_id: Option<i64>,
    ) -> Result<Node, DbError> {
        let mut tx = self.begin_write().await?;
        require_live_folder(&mut tx, tenant_id, new_parent).await?;
        if is_ancestor_or_self(&mut tx, id, new_parent).await? {
            return Err(DbError::Conflict(
                "a folder cannot be moved into itself".into(),
            ));
        }
        let done = sqlx::query(
            "UPDATE nodes SET parent_id = $3, name = $4, name_key = $5, etag = $6, modified_at = $7, modified_by = $8,
                 name_fold = $9
             WHERE tenant_id = $1 AND id = $2 AND parent_id IS NOT NULL AND trashed_at IS NULL",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(new_parent)
        .bind(new_name)
        .bind(name_key(new_name))
        .bind(etag)
        .bind(now)
        .bind(user_id)
        .bind(search_fold(new_name))
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "an item with this name already exists in the destination"))?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        let n = node_in(&mut tx, tenant_id, id).await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(n)
    }

    /// All live descendants of a folder (not the folder itself), parents before children.
    pub async fn subtree(&self, tenant_id: i64, id: i64) -> Result<Vec<Node>, DbError> {
        let sql = format!(
            "WITH RECURSIVE sub(id, depth) AS (
                 SELECT id, 0 FROM nodes WHERE tenant_id = $1 AND id = $2
                 UNION ALL
                 SELECT n.id, sub.depth + 1 FROM nodes n JOIN sub ON n.parent_id = sub.id
                 WHERE n.trashed_at IS NULL
             )
             SELECT {} FROM nodes n JOIN sub ON sub.id = n.id WHERE sub.depth > 0 ORDER BY sub.depth, n.id",
            NODE_COLS.split(", ").map(|c| format!("n.{c}")).collect::<Vec<_>>().join(", ")
        );
        let rows: Vec<NodeRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        crate::rows::all(rows)
    }
}

/// True if `ancestor` is `node` or one of its ancestors.
async fn is_ancestor_or_self(
    conn: &mut AnyConnection,
    ancestor: i64,
    node: i64,
) -> Result<bool, DbError> {
    let found: Option<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up(id, parent_id) AS (
             SELECT id, parent_id FROM nodes WHERE id = $1
             UNION ALL
             SELECT n.id, n.parent_id FROM nodes n JOIN up ON n.id = up.parent_id
         )
         SELECT id FROM up WHERE id = $2",
    )
    .bind(node)
    .bind(ancestor)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

impl Db {
    /// The full paths of these folders (or files), in one query: `/` for a
    /// root, `/a/b` otherwise. Ids not of this tenant are absent.
    pub async fn paths_of(
        &self,
        tenant_id: i64,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, DbError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(1000) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            // Walk up from every start at once; the root (no parent) adds no name.
            let sql = format!(
                "WITH RECURSIVE up(start, id, parent_id, name, depth) AS (
                     SELECT id, id, parent_id, name, 0 FROM nodes WHERE tenant_id = $1 AND id IN ({})
                     UNION ALL
                     SELECT up.start, p.id, p.parent_id, p.name, up.depth + 1
                     FROM nodes p JOIN up ON p.id = up.parent_id
                     WHERE up.depth < 4096
                 )
                 SELECT start, name, parent_id FROM up ORDER BY start, depth DESC",
                marks.join(", ")
            );
            let mut q =
                sqlx::query_as::<_, (i64, String, Option<i64>)>(AssertSqlSafe(sql)).bind(tenant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for (start, name, parent) in q.fetch_all(&self.pool).await? {
                let path = out.entry(start).or_insert_with(String::new);
                if parent.is_some() {
                    path.push('/');
                    path.push_str(&name);
                }
            }
        }
        for p in out.values_mut() {
            if p.is_empty() {
                p.push('/');
            }
        }
        Ok(out)
    }
}
