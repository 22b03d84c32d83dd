//! SQLite's search-token documents (migrations/sqlite/0019_attribute_tokens.sql):
//! after a statement changes attribute values, the documents of the files
//! it touched are written again from their values, once per statement.
//! PostgreSQL keeps its tokens by triggers (migrations/postgres/0019).

use crate::DbError;
use sqlx::AssertSqlSafe;

/// Files per statement: well under SQLite's 32,766 bound parameters.
const NODES_PER_STATEMENT: usize = 1_000;

/// The tokens of the value rows `v` that pass `{cond}`, as (node_id, tok):
/// the same tokens as the migration's and PostgreSQL's `attr_tokens_of`,
/// each 'x' and the lowercase hex of its UTF-8 bytes.
const TOKENS_OF: &str = "
    SELECT v.node_id AS node_id, 'x' || lower(hex(v.attr_id || '=' || v.text_value)) AS tok
    FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
    WHERE d.type IN ('choice', 'multi_choice') AND v.text_value IS NOT NULL AND {cond}
    UNION ALL
    SELECT v.node_id, 'x' || lower(hex(v.attr_id || '#' || s.shift || ':' || (CAST(v.num_value AS INTEGER) >> s.shift)))
    FROM attribute_values v JOIN attribute_defs d ON d.id = v.attr_id
    JOIN (SELECT 0 AS shift UNION ALL SELECT 4 UNION ALL SELECT 8 UNION ALL SELECT 12) s
    WHERE v.num_value IS NOT NULL AND (d.type = 'date' OR (d.type = 'boolean' AND s.shift = 0)) AND {cond}";

/// How a token is written in the FTS index (and in a MATCH expression).
pub(crate) fn encode(token: &str) -> String {
    let mut out = String::with_capacity(1 + 2 * token.len());
    out.push('x');
    for b in token.as_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn is_sqlite(tx: &sqlx::AnyConnection) -> bool {
    tx.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME
}

/// Writes again the documents of these files (SQLite; nothing elsewhere).
pub(crate) async fn refresh_files(
    tx: &mut sqlx::AnyConnection,
    node_ids: &[i64],
) -> Result<(), DbError> {
    if !is_sqlite(tx) {
        return Ok(());
    }
    let mut ids = node_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(NODES_PER_STATEMENT) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let list = marks.join(", ");
        rewrite(tx, &format!("IN ({list})"), chunk).await?;
    }
    Ok(())
}

/// Writes again the documents of every file with a value of this attribute
/// (after its type or its choices changed; SQLite; nothing elsewhere).
pub(crate) async fn refresh_attribute(
    tx: &mut sqlx::AnyConnection,
    attr_id: i64,
) -> Result<(), DbError> {
    if !is_sqlite(tx) {
        return Ok(());
    }
    rewrite(
        tx,
        "IN (SELECT node_id FROM attribute_values WHERE attr_id = $1)",
        &[attr_id],
    )
    .await
}

/// Deletes the documents of the files `node_id {within}` and inserts those
/// that have tokens now.
async fn rewrite(tx: &mut sqlx::AnyConnection, within: &str, binds: &[i64]) -> Result<(), DbError> {
    let delete = format!("DELETE FROM node_token_docs WHERE node_id {within}");
    let mut q = sqlx::query(AssertSqlSafe(delete));
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&mut *tx).await?;
    let tokens = TOKENS_OF.replace("{cond}", &format!("v.node_id {within}"));
    let insert = format!(
        "INSERT INTO node_token_docs (node_id, t)
         SELECT node_id, group_concat(tok, ' ') FROM ({tokens}) x GROUP BY node_id"
    );
    let mut q = sqlx::query(AssertSqlSafe(insert));
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_words() {
        assert_eq!(encode("5=a"), "x353d61");
        assert_eq!(encode("7=現"), "x373de78fbe");
    }
}
