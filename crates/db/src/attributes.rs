//! Attribute definitions of tenants and the values of nodes.

use crate::error::conflict_on_unique;
use crate::{Db, DbError};
use kura_core::Timestamp;
use kura_core::attributes::{AttrSpec, AttrType, ChoiceDef, Labels, StoredValue};
use sqlx::AssertSqlSafe;

/// A stored attribute definition.
#[derive(Debug, Clone)]
pub struct AttrDefRecord {
    pub id: i64,
    pub spec: AttrSpec,
    pub position: i64,
    /// The folder whose subtree it applies to (`None`: everywhere).
    pub folder_id: Option<i64>,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct DefRow {
    id: i64,
    key: String,
    r#type: String,
    label_ja: String,
    label_en: String,
    required: i64,
    default_value: Option<String>,
    choices: String,
    position: i64,
    folder_id: Option<i64>,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const DEF_COLS: &str = "id, key, type, label_ja, label_en, required, default_value, choices, position, folder_id, archived_at, created_at, updated_at";

impl TryFrom<DefRow> for AttrDefRecord {
    type Error = DbError;
    fn try_from(r: DefRow) -> Result<Self, DbError> {
        let corrupt = |e: String| DbError::Corrupt(format!("attribute {}: {e}", r.key));
        let t = AttrType::parse(&r.r#type).map_err(|e| corrupt(e.to_string()))?;
        let choices: Vec<ChoiceDef> =
            serde_json::from_str(&r.choices).map_err(|e| corrupt(e.to_string()))?;
        let default: Option<serde_json::Value> = match &r.default_value {
            Some(d) => Some(serde_json::from_str(d).map_err(|e| corrupt(e.to_string()))?),
            None => None,
        };
        let labels = Labels {
            ja: r.label_ja.clone(),
            en: r.label_en.clone(),
        };
        let spec = AttrSpec::new(
            &r.key,
            t,
            &labels,
            r.required != 0,
            &choices,
            default.as_ref(),
        )
        .map_err(|e| corrupt(e.to_string()))?;
        Ok(AttrDefRecord {
            id: r.id,
            spec,
            position: r.position,
            folder_id: r.folder_id,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> Result<String, DbError> {
    serde_json::to_string(v).map_err(|e| DbError::Corrupt(e.to_string()))
}

impl Db {
    /// A tenant's attribute definitions in display order (archived ones only
    /// if asked for).
    pub async fn attribute_defs(
        &self,
        tenant_id: i64,
        with_archived: bool,
    ) -> Result<Vec<AttrDefRecord>, DbError> {
        let sql = format!(
            "SELECT {DEF_COLS} FROM attribute_defs WHERE tenant_id = $1 AND ($2 = 1 OR archived_at IS NULL)
             ORDER BY position, id"
        );
        let rows: Vec<DefRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(i64::from(with_archived))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(AttrDefRecord::try_from).collect()
    }

    /// Adds a definition; `Conflict` if a live one has the key.
    pub async fn create_attribute_def(
        &self,
        tenant_id: i64,
        spec: &AttrSpec,
        position: Option<i64>,
        folder_id: Option<i64>,
        now: Timestamp,
    ) -> Result<i64, DbError> {
        let default = spec.default.as_ref().map(|d| d.to_json().to_string());
        sqlx::query_scalar(
            "INSERT INTO attribute_defs (tenant_id, key, type, label_ja, label_en, required, default_value,
                 choices, position, folder_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                 COALESCE($9, (SELECT COALESCE(MAX(position), 0) + 1 FROM attribute_defs WHERE tenant_id = $1)),
                 $10, $11, $11)
             RETURNING id",
        )
        .bind(tenant_id)
        .bind(&spec.key)
        .bind(spec.attr_type.as_str())
        .bind(&spec.labels.ja)
        .bind(&spec.labels.en)
        .bind(i64::from(spec.required))
        .bind(default)
        .bind(json_of(&spec.choices)?)
        .bind(position)
        .bind(folder_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, &format!("an attribute {:?} exists already", spec.key)))
    }

    #[allow(clippy::too_many_arguments)]
    /// Replaces a live definition, renaming choice values of stored values
    /// (`renames`: old -> new) in the same transaction.
    pub async fn update_attribute_def(
        &self,
        tenant_id: i64,
        id: i64,
        spec: &AttrSpec,
        position: i64,
        folder_id: Option<i64>,
        renames: &[(String, String)],
        now: Timestamp,
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        let default = spec.default.as_ref().map(|d| d.to_json().to_string());
        // The search tokens of its files follow a new type or renamed choices.
        let old_type: Option<String> =
            sqlx::query_scalar("SELECT type FROM attribute_defs WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let retoken = !renames.is_empty() || old_type.as_deref() != Some(spec.attr_type.as_str());
        let done = sqlx::query(
            "UPDATE attribute_defs SET type = $3, label_ja = $4, label_en = $5, required = $6,
                 default_value = $7, choices = $8, position = $9, folder_id = $10, updated_at = $11
             WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(spec.attr_type.as_str())
        .bind(&spec.labels.ja)
        .bind(&spec.labels.en)
        .bind(i64::from(spec.required))
        .bind(default)
        .bind(json_of(&spec.choices)?)
        .bind(position)
        .bind(folder_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(DbError::NotFound);
        }
        for (from, to) in renames {
            // A node that has both (a multiple choice) keeps one row.
            sqlx::query(
                "DELETE FROM attribute_values WHERE attr_id = $1 AND text_value = $2
                   AND node_id IN (SELECT node_id FROM attribute_values WHERE attr_id = $1 AND text_value = $3)",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE attribute_values SET text_value = $3, fold_value = $4
                 WHERE attr_id = $1 AND text_value = $2",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(kura_core::attributes::search_fold(to))
            .execute(&mut *tx)
            .await?;
        }
        if retoken {
            crate::tokens::refresh_attribute(&mut tx, id).await?;
        }
        tx.commit().await
    }

    /// Archives a live definition (its values stay).
    pub async fn archive_attribute_def(
        &self,
        tenant_id: i64,
        id: i64,
        now: Timestamp,
    ) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE attribute_defs SET archived_at = $3, updated_at = $3
             WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// How many nodes have a value for the attribute.
    pub async fn attribute_use_count(&self, attr_id: i64) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT node_id) FROM attribute_values WHERE attr_id = $1",
        )
        .bind(attr_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Which of `choices` stored values use.
    pub async fn choices_in_use(
        &self,
        attr_id: i64,
        choices: &[String],
    ) -> Result<Vec<String>, DbError> {
        let mut used = Vec::new();
        for c in choices {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM attribute_values WHERE attr_id = $1 AND text_value = $2",
            )
            .bind(attr_id)
            .bind(c)
            .fetch_one(&self.pool)
            .await?;
            if n > 0 {
                used.push(c.clone());
            }
        }
        Ok(used)
    }

    /// The stored rows of a node's values, by attribute id.
    pub async fn node_attribute_rows(
        &self,
        node_id: i64,
    ) -> Result<Vec<(i64, StoredValue)>, DbError> {
        type Row = (i64, Option<String>, Option<String>, Option<f64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT attr_id, text_value, fold_value, num_value FROM attribute_values
             WHERE node_id = $1 ORDER BY attr_id",
        )
        .bind(node_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(a, text, fold, num)| (a, StoredValue { text, fold, num }))
            .collect())
    }

    /// The stored rows of many nodes' values (one query per 500 nodes).
    pub async fn attribute_rows_of(
        &self,
        node_ids: &[i64],
    ) -> Result<Vec<(i64, i64, StoredValue)>, DbError> {
        type Row = (i64, i64, Option<String>, Option<String>, Option<f64>);
        let mut out = Vec::new();
        for chunk in node_ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT node_id, attr_id, text_value, fold_value, num_value FROM attribute_values
                 WHERE node_id IN ({}) ORDER BY node_id, attr_id",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for (n, a, text, fold, num) in q.fetch_all(&self.pool).await? {
                out.push((n, a, StoredValue { text, fold, num }));
            }
        }
        Ok(out)
    }

    /// Sets (or with no rows, clears) attributes of nodes in one transaction:
    /// each `(node_id, attr_id, rows)` replaces that node's value.
    pub async fn set_attribute_values(
        &self,
        tenant_id: i64,
        changes: &[(i64, i64, Vec<StoredValue>)],
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        let changes: Vec<(i64, i64, &[StoredValue])> = changes
            .iter()
            .map(|(n, a, rows)| (*n, *a, rows.as_slice()))
            .collect();
        replace_values_in(&mut tx, tenant_id, &changes).await?;
        tx.commit().await
    }
}

/// Pairs per DELETE and rows per INSERT of [`replace_values_in`]: well under
/// the bound-parameter limits of both engines (SQLite 32,766, PostgreSQL
/// 65,535) with 2 and 7 parameters each.
const PAIRS_PER_STATEMENT: usize = 1_000;
const ROWS_PER_STATEMENT: usize = 1_000;

/// Replaces values inside the caller's transaction: each `(node_id,
/// attr_id, rows)` replaces that node's value of that attribute (no rows:
/// clears it). One DELETE and one multi-row INSERT per thousand, not two
/// statements per value: on PostgreSQL every statement on the values also
/// recomputes the search tokens of the files it touched (migration 0019),
/// so a file with ten attributes was rewritten twenty times per upload.
pub(crate) async fn replace_values_in(
    tx: &mut sqlx::AnyConnection,
    tenant_id: i64,
    changes: &[(i64, i64, &[StoredValue])],
) -> Result<(), DbError> {
    // A pair given twice keeps its last value, as replacing in order would.
    let mut last = std::collections::HashMap::with_capacity(changes.len());
    for (i, (n, a, _)) in changes.iter().enumerate() {
        last.insert((*n, *a), i);
    }
    let changes: Vec<&(i64, i64, &[StoredValue])> = changes
        .iter()
        .enumerate()
        .filter(|(i, (n, a, _))| last.get(&(*n, *a)) == Some(i))
        .map(|(_, c)| c)
        .collect();
    for chunk in changes.chunks(PAIRS_PER_STATEMENT) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "DELETE FROM attribute_values WHERE (node_id, attr_id) IN (VALUES {})",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (node_id, attr_id, _) in chunk.iter().copied() {
            q = q.bind(*node_id).bind(*attr_id);
        }
        q.execute(&mut *tx).await?;
    }
    let rows: Vec<(i64, i64, &StoredValue)> = changes
        .iter()
        .flat_map(|(n, a, rows)| rows.iter().map(move |r| (*n, *a, r)))
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        // sqlx 0.9's Any driver sends a NULL f64 to PostgreSQL as a float4
        // NULL, and the statement is then prepared with a float4 parameter
        // that a later real f64 does not fit ("incorrect binary data
        // format"). So a number is always bound, with a flag saying whether
        // it is there.
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = |k: usize| format!("${}", 7 * i + k);
                format!(
                    "({}, {}, {}, {}, {}, CASE WHEN {} = 1 THEN {} ELSE NULL END)",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5),
                    p(7),
                    p(6)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO attribute_values (tenant_id, node_id, attr_id, text_value, fold_value, num_value)
             VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (node_id, attr_id, r) in chunk {
            q = q
                .bind(tenant_id)
                .bind(*node_id)
                .bind(*attr_id)
                .bind(r.text.as_deref())
                .bind(r.fold.as_deref())
                .bind(r.num.unwrap_or(0.0))
                .bind(i64::from(r.num.is_some()));
        }
        q.execute(&mut *tx).await?;
    }
    let touched: Vec<i64> = changes.iter().map(|(n, _, _)| *n).collect();
    crate::tokens::refresh_files(tx, &touched).await
}
