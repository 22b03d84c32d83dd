//! Search over the caller's tenant: a request as sent by clients, checked
//! against the schema and turned into one database query per page (plus one
//! per facet), with paths and attributes of the page in one query each.

use crate::attributes::values_by_key;
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use base64::Engine;
use kura_core::NodePath;
use kura_core::attributes::{AttrType, parse_date, search_fold};
use kura_core::clock::rfc3339;
use kura_db::{AttrCond, DbError, SearchCursor, SearchQuery, SearchSort, TokenKind};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Results per page unless asked otherwise, and at most.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;
/// The facet of media types.
pub const TYPE_FACET: &str = "content_type";

/// One filter as sent.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterIn {
    pub key: String,
    pub op: String,
    pub value: Value,
}

/// A sort as sent.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortIn {
    /// `name`, `modified`, `size` or an attribute key.
    pub key: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub order: Option<String>,
}

/// A search as sent (`POST /api/v1/search`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Part of the file name (any case, full- or half-width).
    pub name: Option<String>,
    /// Only inside this folder (and below).
    pub folder: Option<String>,
    #[serde(default)]
    pub filters: Vec<FilterIn>,
    pub sort: Option<SortIn>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// Choice attributes (and `content_type`) to count values of.
    #[serde(default)]
    pub facets: Vec<String>,
    /// Media types, or prefixes such as `image/`.
    #[serde(default)]
    pub content_types: Vec<String>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    /// `YYYY-MM-DD` or RFC 3339; `modified_before` is exclusive.
    pub modified_after: Option<String>,
    pub modified_before: Option<String>,
    /// Login of who stored the current version.
    pub uploader: Option<String>,
}

/// One hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchItem {
    pub id: i64,
    pub path: String,
    pub name: String,
    pub size: i64,
    pub modified: String,
    pub content_type: Option<String>,
    pub attributes: Map<String, Value>,
}

/// A page of results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResult {
    pub items: Vec<SearchItem>,
    pub next_cursor: Option<String>,
    pub total: i64,
    pub facets: Map<String, Value>,
}

fn bad(key: &str, reason: impl Into<String>) -> ServiceError {
    ServiceError::InvalidAttribute {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn instant(field: &str, s: &str) -> Result<i64> {
    if let Some(days) = parse_date(s) {
        return Ok(days * 86_400_000);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
        .map_err(|_| {
            ServiceError::InvalidInput(format!(
                "{field} must be a date YYYY-MM-DD or an RFC 3339 time, not {s:?}"
            ))
        })
}

impl Service {
    /// Runs a search in the caller's tenant: files only, never in the trash
    /// or quarantined.
    pub async fn search(&self, who: &Identity, r: &SearchRequest) -> Result<SearchResult> {
        who.require_read()?;
        let schema = self.schema(who.tenant_id()).await?;
        let by_key: HashMap<&str, _> = schema
            .defs
            .iter()
            .map(|d| (d.spec.key.as_str(), d))
            .collect();
        let folder_id = self.scope_folder(who, r.folder.as_deref()).await?;
        let mut conds = Vec::with_capacity(r.filters.len());
        let mut tokens = Vec::new();
        for f in &r.filters {
            let d = by_key
                .get(f.key.as_str())
                .ok_or_else(|| bad(&f.key, "there is no such attribute"))?;
            conds.extend(condition(d.id, &d.spec, f)?);
            if let Some(k) = token_kind(d.spec.attr_type)
                && !tokens.iter().any(|(id, _)| *id == d.id)
            {
                tokens.push((d.id, k));
            }
        }
        let (sort, desc) = match &r.sort {
            None => (SearchSort::Name, false),
            Some(s) => {
                let desc = match s.order.as_deref() {
                    None | Some("asc") => false,
                    Some("desc") => true,
                    Some(o) => {
                        return Err(ServiceError::InvalidInput(format!(
                            "sort order must be asc or desc, not {o:?}"
                        )));
                    }
                };
                let sort = match s.key.as_str() {
                    "name" => SearchSort::Name,
                    "modified" => SearchSort::Modified,
                    "size" => SearchSort::Size,
                    k => {
                        let d = by_key
                            .get(k)
                            .ok_or_else(|| bad(k, "there is no such attribute to sort by"))?;
                        let numeric = matches!(
                            d.spec.attr_type,
                            AttrType::Number | AttrType::Date | AttrType::Boolean
                        );
                        SearchSort::Attr(d.id, numeric)
                    }
                };
                (sort, desc)
            }
        };
        let limit = r.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::InvalidInput(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let cursor = match &r.cursor {
            None => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        let uploader = match &r.uploader {
            None => None,
            Some(login) => Some(match self.db.user_by_login(who.tenant_id(), login).await {
                Ok(u) => u.id,
                // Nobody of that name stored anything.
                Err(DbError::NotFound) => -1,
                Err(e) => return Err(e.into()),
            }),
        };
        let name_fold = r
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(search_fold);
        let mut q = SearchQuery {
            tenant_id: who.tenant_id(),
            folder_id,
            name_fold,
            conds,
            content_types: r
                .content_types
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
            size_min: r.size_min,
            size_max: r.size_max,
            modified_from: r
                .modified_after
                .as_deref()
                .map(|s| instant("modified_after", s))
                .transpose()?,
            modified_to: r
                .modified_before
                .as_deref()
                .map(|s| instant("modified_before", s))
                .transpose()?,
            uploader,
            tokens,
            driver: 0,
            merge: false,
            splits: Vec::new(),
            whole_tenant: false,
            sort,
            desc,
            limit,
            cursor,
        };
        self.db.plan_search(&mut q).await?;
        // Facet ids: 0 stands for media types (as in the per-folder counts).
        let mut facet_ids = Vec::with_capacity(r.facets.len());
        for key in &r.facets {
            if key == TYPE_FACET {
                facet_ids.push(0);
                continue;
            }
            let d = by_key
                .get(key.as_str())
                .ok_or_else(|| bad(key, "there is no such attribute"))?;
            if !d.spec.attr_type.has_choices() {
                return Err(bad(
                    key,
                    "facets count choice and multi_choice attributes only",
                ));
            }
            facet_ids.push(d.id);
        }
        let mut facets = Map::new();
        let (counted, total) = if facet_ids.is_empty() {
            (Vec::new(), None)
        } else {
            self.db.search_facets(&q, &facet_ids).await?
        };
        for (key, counts) in r.facets.iter().zip(counted) {
            let m: Map<String, Value> = counts
                .into_iter()
                .map(|(k, n)| (k, Value::from(n)))
                .collect();
            facets.insert(key.clone(), Value::Object(m));
        }
        let page = self.db.search_counted(&q, total).await?;
        let ids: Vec<i64> = page.items.iter().map(|n| n.id).collect();
        let paths = self.db.paths_of(who.tenant_id(), &ids).await?;
        let mut rows: HashMap<i64, Vec<_>> = HashMap::new();
        if !schema.defs.is_empty() {
            for (n, a, v) in self.db.attribute_rows_of(&ids).await? {
                rows.entry(n).or_default().push((a, v));
            }
        }
        let items = page
            .items
            .into_iter()
            .map(|n| SearchItem {
                id: n.id,
                path: paths.get(&n.id).cloned().unwrap_or_default(),
                attributes: values_by_key(
                    &schema,
                    rows.get(&n.id).map(Vec::as_slice).unwrap_or_default(),
                ),
                name: n.name,
                size: n.size,
                modified: rfc3339(n.modified_at),
                content_type: n.content_type,
            })
            .collect();
        Ok(SearchResult {
            items,
            next_cursor: page.next.as_ref().map(encode_cursor),
            total: page.total,
            facets,
        })
    }
}

impl Service {
    /// The folder a search or export is limited to (the tenant's root when
    /// none is given); a missing folder is `not_found`.
    pub(crate) async fn scope_folder(&self, who: &Identity, folder: Option<&str>) -> Result<i64> {
        let Some(f) = folder.filter(|f| !f.is_empty() && *f != "/") else {
            return Ok(who.tenant.root_id);
        };
        let path = NodePath::parse(f)?;
        match self.folder_at(who, &path, false).await {
            Ok(n) => Ok(n.id),
            Err(ServiceError::ParentNotFound(_)) => Err(ServiceError::NotFound(path.to_string())),
            Err(e) => Err(e),
        }
    }
}

fn encode_cursor(c: &SearchCursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Result<SearchCursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ServiceError::InvalidInput("cursor is not one this server gave out".into()))
}

/// How the values of an attribute of this type are search tokens of their
/// file (PostgreSQL's `nodes.attr_tokens`, SQLite's FTS5 `node_tokens`: see
/// migrations/*/0019_attribute_tokens.sql, which list the same types).
fn token_kind(t: AttrType) -> Option<TokenKind> {
    match t {
        AttrType::Choice | AttrType::MultiChoice => Some(TokenKind::Choice),
        AttrType::Date | AttrType::Boolean => Some(TokenKind::Whole),
        AttrType::Text | AttrType::Number => None,
    }
}

/// One filter as database conditions, checked against the attribute.
fn condition(
    attr: i64,
    spec: &kura_core::attributes::AttrSpec,
    f: &FilterIn,
) -> Result<Vec<AttrCond>> {
    let key = f.key.as_str();
    let t = spec.attr_type;
    let one = |v: &Value| -> Result<kura_core::attributes::AttrValue> {
        // A multiple choice is filtered by single choices.
        if t == AttrType::MultiChoice {
            return spec
                .value(&Value::Array(vec![v.clone()]))
                .map_err(|e| bad(key, e.reason));
        }
        spec.value(v).map_err(|e| bad(key, e.reason))
    };
    let text_of = |v: &Value| -> Result<String> {
        Ok(match one(v)? {
            kura_core::attributes::AttrValue::Text(s)
            | kura_core::attributes::AttrValue::Choice(s) => s,
            kura_core::attributes::AttrValue::MultiChoice(mut cs) => cs.pop().unwrap_or_default(),
            _ => String::new(),
        })
    };
    let num_of = |v: &Value| -> Result<f64> {
        Ok(match one(v)? {
            kura_core::attributes::AttrValue::Number(n) => n,
            kura_core::attributes::AttrValue::Date(d) => parse_date(&d).unwrap_or(0) as f64,
            kura_core::attributes::AttrValue::Boolean(b) => f64::from(u8::from(b)),
            _ => 0.0,
        })
    };
    let list = |v: &Value| -> Result<Vec<Value>> {
        v.as_array()
            .filter(|a| !a.is_empty())
            .cloned()
            .ok_or_else(|| bad(key, format!("{} needs a non-empty list", f.op)))
    };
    let numeric = matches!(t, AttrType::Number | AttrType::Date | AttrType::Boolean);
    let ordered = matches!(t, AttrType::Number | AttrType::Date);
    let refuse = || {
        bad(
            key,
            format!("op {:?} does not apply to a {} attribute", f.op, t.as_str()),
        )
    };
    Ok(match f.op.as_str() {
        "eq" if numeric => {
            let n = num_of(&f.value)?;
            vec![AttrCond::Range {
                attr,
                lo: Some((n, true)),
                hi: Some((n, true)),
            }]
        }
        "eq" => vec![AttrCond::TextIn(attr, vec![text_of(&f.value)?])],
        "ne" if numeric => vec![AttrCond::NumNot(attr, num_of(&f.value)?)],
        "ne" => vec![AttrCond::TextNot(attr, text_of(&f.value)?)],
        "lt" | "lte" | "gt" | "gte" if ordered => {
            let n = num_of(&f.value)?;
            let incl = f.op.ends_with('e');
            let (lo, hi) = if f.op.starts_with('g') {
                (Some((n, incl)), None)
            } else {
                (None, Some((n, incl)))
            };
            vec![AttrCond::Range { attr, lo, hi }]
        }
        "between" if ordered => {
            let l = list(&f.value)?;
            let [a, b] = l.as_slice() else {
                return Err(bad(key, "between needs [low, high]"));
            };
            vec![AttrCond::Range {
                attr,
                lo: Some((num_of(a)?, true)),
                hi: Some((num_of(b)?, true)),
            }]
        }
        "any" if t.has_choices() || t == AttrType::Text => {
            let vals = list(&f.value)?
                .iter()
                .map(text_of)
                .collect::<Result<Vec<_>>>()?;
            vec![AttrCond::TextIn(attr, vals)]
        }
        "all" if t == AttrType::MultiChoice => {
            let vals = list(&f.value)?
                .iter()
                .map(text_of)
                .collect::<Result<Vec<_>>>()?;
            vec![AttrCond::TextAll(attr, vals)]
        }
        "contains" if t == AttrType::Text => {
            let s = f
                .value
                .as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(key, "contains needs a non-empty string"))?;
            vec![AttrCond::Contains(attr, search_fold(s))]
        }
        "lt" | "lte" | "gt" | "gte" | "between" | "any" | "all" | "contains" => {
            return Err(refuse());
        }
        other => {
            return Err(bad(
                key,
                format!(
                    "op must be one of eq, ne, lt, lte, gt, gte, between, any, all, contains (not {other:?})"
                ),
            ));
        }
    })
}
