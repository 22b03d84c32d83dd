//! Several statements sent as one: on SQLite one multi-statement query, so
//! the whole list costs one round trip to sqlx's SQLite worker thread instead
//! of one per statement; on PostgreSQL the statements run one by one.
//!
//! Why: every statement on SQLite is a hand-over to the connection's worker
//! thread and back (two thread wake-ups). Inside a write transaction, which
//! holds SQLite's one write lock, those wake-ups are what limit how many
//! small uploads per second the server commits, not SQLite itself.
//!
//! The SQLite driver runs the statements of one query string in order and
//! binds numbered parameters (`$n`) by number across all of them; this is how
//! sqlx runs SQLite migrations. sqlx marks the `query().fetch_many()` form of
//! it deprecated (launchbadge/sqlx#3108), so the `Executor` method is used;
//! `script_runs_statements_in_order` in the conformance suite fails if a
//! future sqlx stops running every statement.

use crate::{Backend, DbError};
use futures_util::StreamExt;
use sqlx::{AnyConnection, AssertSqlSafe, Either, Executor};
use std::borrow::Cow;

/// A value bound to a statement of a script.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Owned(String),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v)
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Owned(v)
    }
}

/// What one statement of a script did.
#[derive(Default)]
pub(crate) struct Outcome {
    pub rows: Vec<sqlx::any::AnyRow>,
    pub affected: u64,
}

/// Statements to run in order, each written with its own `$1..$n`.
#[derive(Default)]
pub(crate) struct Script<'a> {
    stmts: Vec<(Cow<'a, str>, Vec<Arg<'a>>)>,
}

impl<'a> Script<'a> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a statement and its parameters (`$1` is the first of `args`).
    pub(crate) fn push(&mut self, sql: impl Into<Cow<'a, str>>, args: Vec<Arg<'a>>) -> &mut Self {
        self.stmts.push((sql.into(), args));
        self
    }

    /// How many statements the script holds.
    pub(crate) fn len(&self) -> usize {
        self.stmts.len()
    }

    /// Runs every statement in order and returns what each did. The first
    /// failing statement stops the script; statements before it keep their
    /// effect (the caller rolls back its transaction or savepoint).
    pub(crate) async fn run(
        self,
        conn: &mut AnyConnection,
        backend: Backend,
    ) -> Result<Vec<Outcome>, DbError> {
        match backend {
            Backend::Sqlite => {
                let n = self.stmts.len();
                let mut sql = String::new();
                let mut args = Vec::new();
                for (s, a) in self.stmts {
                    sql.push_str(&shift_params(&s, args.len()));
                    sql.push_str(";\n");
                    args.extend(a);
                }
                let out = run_one(conn, sql, args).await?;
                if out.len() != n {
                    return Err(DbError::Corrupt(format!(
                        "a script of {n} statements reported {} results",
                        out.len()
                    )));
                }
                Ok(out)
            }
            Backend::Postgres => {
                let mut out = Vec::with_capacity(self.stmts.len());
                for (s, a) in self.stmts {
                    out.extend(run_one(conn, s.into_owned(), a).await?);
                }
                Ok(out)
            }
        }
    }
}

/// Runs one statement (any backend) and returns what it did.
pub(crate) async fn run_single(
    conn: &mut AnyConnection,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<Outcome, DbError> {
    run_one(conn, sql.to_string(), args)
        .await?
        .pop()
        .ok_or_else(|| DbError::Corrupt("a statement reported no result".into()))
}

async fn run_one(
    conn: &mut AnyConnection,
    sql: String,
    args: Vec<Arg<'_>>,
) -> Result<Vec<Outcome>, DbError> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Owned(v) => q.bind(v),
        };
    }
    let mut out = Vec::new();
    let mut current = Outcome::default();
    let mut stream = conn.fetch_many(q);
    while let Some(item) = stream.next().await {
        match item? {
            Either::Right(row) => current.rows.push(row),
            // Each statement ends with its result, after its rows.
            Either::Left(done) => {
                current.affected = done.rows_affected();
                out.push(std::mem::take(&mut current));
            }
        }
    }
    Ok(out)
}

/// `sql` with every `$n` outside quotes renumbered to `$(n + by)`.
fn shift_params(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\'' {
            quoted = !quoted;
            continue;
        }
        if c != '$' || quoted {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::{Script, shift_params};
    use crate::{Backend, Db};
    use sqlx::Row;

    #[tokio::test]
    async fn script_runs_statements_in_order() {
        let dir = std::env::temp_dir().join(format!("kura-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("s.db").display());
        let db = Db::connect(&url, 1).await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        let mut s = Script::new();
        s.push("CREATE TABLE t (a INTEGER, b TEXT)", vec![]);
        s.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1.into(), "x".into()],
        );
        s.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![2.into(), "y".into()],
        );
        s.push(
            "UPDATE t SET b = $1 WHERE a = $2 RETURNING a, b",
            vec!["z".into(), 2.into()],
        );
        s.push(
            "SELECT COUNT(*) AS n FROM t WHERE b <> $1",
            vec!["x".into()],
        );
        let out = s.run(&mut conn, Backend::Sqlite).await.unwrap();
        assert_eq!(out.len(), 5);
        assert_eq!(
            (out[1].affected, out[2].affected, out[3].affected),
            (1, 1, 1)
        );
        let row = &out[3].rows[0];
        assert_eq!(row.try_get::<i64, _>("a").unwrap(), 2);
        assert_eq!(row.try_get::<String, _>("b").unwrap(), "z");
        assert_eq!(out[4].rows[0].try_get::<i64, _>("n").unwrap(), 1);
        drop(conn);
        db.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn parameters_are_renumbered_outside_quotes() {
        assert_eq!(
            shift_params("UPDATE t SET a = $1, b = '$2' WHERE id = $12", 3),
            "UPDATE t SET a = $4, b = '$2' WHERE id = $15"
        );
        assert_eq!(shift_params("SELECT $1", 0), "SELECT $1");
        assert_eq!(shift_params("SELECT 'it''s', $2", 1), "SELECT 'it''s', $3");
    }
}
