//! Saved searches: each user's own, and ones a tenant admin shares with the
//! whole tenant. Stored as the search request itself, checked when saved.

use crate::identity::Identity;
use crate::search::SearchRequest;
use crate::{Result, Service, ServiceError};
use kura_core::clock::rfc3339;
use kura_db::DbError;
use serde_json::Value;

/// A saved search as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SavedSearchView {
    pub id: i64,
    pub name: String,
    pub query: Value,
    pub shared: bool,
    /// Whether the caller may delete it.
    pub mine: bool,
    pub created: String,
}

impl Service {
    /// The caller's saved searches and the tenant's shared ones.
    pub async fn saved_searches(&self, who: &Identity) -> Result<Vec<SavedSearchView>> {
        who.require_read()?;
        let rows = self.db.saved_searches(who.tenant_id(), who.user.id).await?;
        Ok(rows
            .into_iter()
            .map(|r| SavedSearchView {
                id: r.id,
                query: serde_json::from_str(&r.query).unwrap_or(Value::Null),
                shared: r.shared != 0,
                mine: r.user_id == who.user.id || (r.shared != 0 && who.user.role.is_admin()),
                name: r.name,
                created: rfc3339(r.created_at),
            })
            .collect())
    }

    /// Saves a search; sharing it with the tenant needs a tenant admin. The
    /// query is checked by running it once (so a broken one is refused now,
    /// not when someone opens it).
    pub async fn save_search(
        &self,
        who: &Identity,
        name: &str,
        query: &Value,
        shared: bool,
    ) -> Result<SavedSearchView> {
        who.require_read()?;
        if shared {
            who.require_tenant_admin()?;
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::InvalidInput(
                "a saved search needs a name of 1-200 characters".into(),
            ));
        }
        let req: SearchRequest = serde_json::from_value(query.clone())
            .map_err(|e| ServiceError::InvalidInput(format!("query is not a valid search: {e}")))?;
        let probe = SearchRequest {
            limit: Some(1),
            cursor: None,
            ..req
        };
        self.search(who, &probe).await?;
        let now = self.now();
        let id = self
            .db
            .save_search(
                who.tenant_id(),
                who.user.id,
                name,
                &query.to_string(),
                shared,
                now,
            )
            .await?;
        if shared {
            self.audit(who, "search.share", name, Some(&query.to_string()))
                .await?;
        }
        Ok(SavedSearchView {
            id,
            name: name.to_string(),
            query: query.clone(),
            shared,
            mine: true,
            created: rfc3339(now),
        })
    }

    /// Deletes a saved search: one's own, or (tenant admins) a shared one.
    pub async fn delete_saved_search(&self, who: &Identity, id: i64) -> Result<()> {
        who.require_read()?;
        let s = match self.db.saved_search(who.tenant_id(), id).await {
            Ok(s) => s,
            Err(DbError::NotFound) => {
                return Err(ServiceError::NotFound("the saved search".into()));
            }
            Err(e) => return Err(e.into()),
        };
        let may = s.user_id == who.user.id || (s.shared != 0 && who.user.role.is_admin());
        if !may {
            // Someone else's private search is not even there for the caller.
            if s.shared == 0 {
                return Err(ServiceError::NotFound("the saved search".into()));
            }
            return Err(ServiceError::Forbidden(
                "only tenant admins delete shared searches".into(),
            ));
        }
        self.db.delete_saved_search(who.tenant_id(), id).await?;
        Ok(())
    }
}
