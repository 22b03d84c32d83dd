//! The audit log: who did what, when, from where.

use crate::script::Arg;
use crate::{Db, DbError};
use kura_core::Timestamp;

/// One audit event as listed.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub user_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
}

impl Db {
    /// Appends an event.
    #[allow(clippy::too_many_arguments)]
    pub async fn audit(
        &self,
        tenant_id: Option<i64>,
        user_id: Option<i64>,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
        ip: Option<&str>,
        now: Timestamp,
    ) -> Result<(), DbError> {
        self.audit_with_agent(tenant_id, user_id, action, target, detail, ip, None, now)
            .await
    }

    /// Appends an event with the client's user agent (authentication events).
    #[allow(clippy::too_many_arguments)]
    pub async fn audit_with_agent(
        &self,
        tenant_id: Option<i64>,
        user_id: Option<i64>,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
        ip: Option<&str>,
        user_agent: Option<&str>,
        now: Timestamp,
    ) -> Result<(), DbError> {
        let mut conn = self.pool.acquire().await?;
        event_in(
            &mut conn,
            &EventRef {
                tenant_id,
                user_id,
                action,
                target,
                detail: detail.map(Into::into),
                ip,
                user_agent,
                at: now,
            },
        )
        .await?;
        Ok(())
    }

    /// The latest events of a tenant, newest first.
    pub async fn audit_events(
        &self,
        tenant_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, tenant_id, user_id, action, target, detail, ip, user_agent, created_at FROM audit_events
             WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Rows per multi-row INSERT (7 parameters each; far below both engines' limits).
const AUDIT_ROWS_PER_INSERT: usize = 100;

/// An event waiting to be written in a batch.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub tenant_id: Option<i64>,
    pub user_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub created_at: Timestamp,
}

impl Db {
    /// Appends many events in one transaction.
    pub async fn audit_many(&self, events: &[NewAuditEvent]) -> Result<(), DbError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        // Multi-row INSERTs: one statement per 100 events, not one per event.
        for chunk in events.chunks(AUDIT_ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 7;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_events (tenant_id, user_id, action, target, detail, ip, created_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.tenant_id)
                    .bind(e.user_id)
                    .bind(e.action.as_str())
                    .bind(e.target.as_deref())
                    .bind(e.detail.as_deref())
                    .bind(e.ip.as_deref())
                    .bind(e.created_at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// One event, borrowed, for [`event_in`].
pub(crate) struct EventRef<'a> {
    pub tenant_id: Option<i64>,
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<std::borrow::Cow<'a, str>>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub at: Timestamp,
}

/// The insert of one event, as a script statement (see script.rs).
pub(crate) fn event_stmt<'a>(e: &EventRef<'a>) -> (&'static str, Vec<Arg<'a>>) {
    (
        "INSERT INTO audit_events (tenant_id, user_id, action, target, detail, ip, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            e.tenant_id.into(),
            e.user_id.into(),
            e.action.into(),
            e.target.into(),
            match &e.detail {
                Some(std::borrow::Cow::Borrowed(d)) => Arg::Text(Some(d)),
                Some(std::borrow::Cow::Owned(d)) => Arg::Owned(d.clone()),
                None => Arg::Text(None),
            },
            e.ip.into(),
            e.user_agent.into(),
            e.at.into(),
        ],
    )
}

/// Appends an event on this connection: inside a transaction it commits or
/// rolls back with the change it records.
pub(crate) async fn event_in(
    conn: &mut sqlx::AnyConnection,
    e: &EventRef<'_>,
) -> Result<(), DbError> {
    let (sql, args) = event_stmt(e);
    crate::script::run_single(conn, sql, args).await?;
    Ok(())
}
