//! Custom search attributes: the tenant's schema (admins) and the values of
//! files and folders (anyone who may write them). Every change is audited with
//! the old and new value.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::attributes::{AttrError, AttrSpec, AttrType, AttrValue, ChoiceDef, Labels};
use kura_core::name::name_key;
use kura_core::{Node, NodeKind, NodePath};
use kura_db::{AttrDefRecord, DbError};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a node trusts its copy of a tenant's schema. Changes made on this
/// node apply at once; other nodes see them within this time.
const SCHEMA_TTL: Duration = Duration::from_secs(5);

/// A tenant's live schema with the paths of the folders definitions apply to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    pub(crate) defs: Vec<AttrDefRecord>,
    /// folder id -> its path (for definitions limited to a subtree).
    folder_paths: HashMap<i64, String>,
}

/// Per-tenant schema cache.
#[derive(Default)]
pub(crate) struct SchemaCache(std::sync::Mutex<HashMap<i64, (Instant, Arc<Schema>)>>);

impl SchemaCache {
    fn get(&self, tenant_id: i64) -> Option<Arc<Schema>> {
        let m = self.0.lock().ok()?;
        m.get(&tenant_id)
            .filter(|(at, _)| at.elapsed() < SCHEMA_TTL)
            .map(|(_, s)| s.clone())
    }
    fn put(&self, tenant_id: i64, s: Arc<Schema>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(tenant_id, (Instant::now(), s));
        }
    }
    fn forget(&self, tenant_id: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&tenant_id);
        }
    }
}

/// A definition as shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttributeView {
    pub key: String,
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    pub labels: Labels,
    pub required: bool,
    pub default: Option<Value>,
    pub choices: Vec<ChoiceDef>,
    pub position: i64,
    /// The folder whose subtree it applies to (`null`: everywhere).
    pub folder: Option<String>,
    pub archived: bool,
}

/// A new definition.
#[derive(Debug, Clone)]
pub struct NewAttribute {
    pub key: String,
    pub attr_type: String,
    pub labels: Labels,
    pub required: bool,
    pub default: Option<Value>,
    pub choices: Vec<ChoiceDef>,
    pub position: Option<i64>,
    pub folder: Option<String>,
}

/// Changes to a definition; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AttributeChange {
    pub attr_type: Option<String>,
    pub labels: Option<Labels>,
    pub required: Option<bool>,
    /// `Some(None)` removes the default.
    pub default: Option<Option<Value>>,
    pub choices: Option<Vec<ChoiceDef>>,
    /// Stored values to move from one choice to another (old -> new), so
    /// that a choice in use can be removed.
    pub rename_choices: BTreeMap<String, String>,
    pub position: Option<i64>,
    /// `Some(None)`: everywhere.
    pub folder: Option<Option<String>>,
}

fn invalid(e: AttrError) -> ServiceError {
    ServiceError::InvalidAttribute {
        key: e.key.unwrap_or_default(),
        reason: e.reason,
    }
}

fn not_found(key: &str) -> ServiceError {
    ServiceError::InvalidAttribute {
        key: key.to_string(),
        reason: "there is no such attribute".into(),
    }
}

impl Schema {
    fn def(&self, key: &str) -> Option<&AttrDefRecord> {
        self.defs.iter().find(|d| d.spec.key == key)
    }

    /// Whether a definition applies to a node at `path`.
    fn applies(&self, d: &AttrDefRecord, path: &NodePath) -> bool {
        let Some(fid) = d.folder_id else { return true };
        let Some(folder) = self.folder_paths.get(&fid) else {
            // The folder is gone: the definition applies nowhere.
            return false;
        };
        let (f, p) = (name_key(folder), name_key(&path.to_string()));
        f == "/" || p == f || p.starts_with(&format!("{f}/"))
    }
}

impl Service {
    /// The tenant's live schema (cached briefly).
    pub(crate) async fn schema(&self, tenant_id: i64) -> Result<Arc<Schema>> {
        if let Some(s) = self.schema_cache.get(tenant_id) {
            return Ok(s);
        }
        let defs = self.db.attribute_defs(tenant_id, false).await?;
        let folders: Vec<i64> = defs.iter().filter_map(|d| d.folder_id).collect();
        let folder_paths = if folders.is_empty() {
            HashMap::new()
        } else {
            self.db.paths_of(tenant_id, &folders).await?
        };
        let s = Arc::new(Schema { defs, folder_paths });
        self.schema_cache.put(tenant_id, s.clone());
        Ok(s)
    }

    async fn view(&self, tenant_id: i64, d: &AttrDefRecord) -> Result<AttributeView> {
        let folder = match d.folder_id {
            Some(id) => self.db.paths_of(tenant_id, &[id]).await?.remove(&id),
            None => None,
        };
        Ok(AttributeView {
            key: d.spec.key.clone(),
            attr_type: d.spec.attr_type,
            labels: d.spec.labels.clone(),
            required: d.spec.required,
            default: d.spec.default.as_ref().map(AttrValue::to_json),
            choices: d.spec.choices.clone(),
            position: d.position,
            folder,
            archived: d.archived_at.is_some(),
        })
    }

    /// The tenant's attribute definitions (archived ones too if asked).
    pub async fn list_attributes(
        &self,
        who: &Identity,
        with_archived: bool,
    ) -> Result<Vec<AttributeView>> {
        who.require_read()?;
        let defs = self
            .db
            .attribute_defs(who.tenant_id(), with_archived)
            .await?;
        let mut out = Vec::with_capacity(defs.len());
        for d in &defs {
            out.push(self.view(who.tenant_id(), d).await?);
        }
        Ok(out)
    }

    async fn folder_id(&self, who: &Identity, folder: Option<&str>) -> Result<Option<i64>> {
        let Some(f) = folder else { return Ok(None) };
        let path = NodePath::parse(f)?;
        if path.is_root() {
            return Ok(None);
        }
        Ok(Some(self.folder_at(who, &path, false).await?.id))
    }

    /// Adds an attribute (tenant admins).
    pub async fn create_attribute(&self, who: &Identity, a: NewAttribute) -> Result<AttributeView> {
        who.require_tenant_admin()?;
        let t = AttrType::parse(&a.attr_type).map_err(invalid)?;
        let spec = AttrSpec::new(
            &a.key,
            t,
            &a.labels,
            a.required,
            &a.choices,
            a.default.as_ref(),
        )
        .map_err(|e| {
            invalid(AttrError {
                key: Some(a.key.clone()),
                ..e
            })
        })?;
        let folder_id = self.folder_id(who, a.folder.as_deref()).await?;
        let id = self
            .db
            .create_attribute_def(who.tenant_id(), &spec, a.position, folder_id, self.now())
            .await?;
        self.schema_cache.forget(who.tenant_id());
        let detail = serde_json::to_string(&spec).unwrap_or_default();
        self.audit(who, "attribute.create", &spec.key, Some(&detail))
            .await?;
        let d = self.live_def(who, &spec.key).await?;
        debug_assert_eq!(d.id, id);
        self.view(who.tenant_id(), &d).await
    }

    async fn live_def(&self, who: &Identity, key: &str) -> Result<AttrDefRecord> {
        self.db
            .attribute_defs(who.tenant_id(), false)
            .await?
            .into_iter()
            .find(|d| d.spec.key == key)
            .ok_or_else(|| ServiceError::NotFound(format!("the attribute {key:?}")))
    }

    /// Changes an attribute (tenant admins). A change that would lose stored
    /// values (a new type while files have values; removing a choice in use)
    /// is refused with `attribute_in_use` unless the values are migrated
    /// explicitly with `rename_choices`.
    pub async fn update_attribute(
        &self,
        who: &Identity,
        key: &str,
        c: AttributeChange,
    ) -> Result<AttributeView> {
        who.require_tenant_admin()?;
        let d = self.live_def(who, key).await?;
        let old = &d.spec;
        let t = match &c.attr_type {
            Some(t) => AttrType::parse(t).map_err(|e| {
                invalid(AttrError {
                    key: Some(key.into()),
                    ..e
                })
            })?,
            None => old.attr_type,
        };
        if t != old.attr_type {
            let n = self.db.attribute_use_count(d.id).await?;
            if n > 0 {
                return Err(ServiceError::AttributeInUse(format!(
                    "attribute {key:?} has values on {n} items; its type cannot change from {} to {} without losing them (create a new attribute instead)",
                    old.attr_type.as_str(),
                    t.as_str()
                )));
            }
        }
        let choices = match (&c.choices, t.has_choices()) {
            (Some(cs), _) => cs.clone(),
            (None, true) => old.choices.clone(),
            (None, false) => Vec::new(),
        };
        let default = match &c.default {
            Some(d) => d.clone(),
            None => old.default.as_ref().map(AttrValue::to_json),
        };
        let spec = AttrSpec::new(
            key,
            t,
            c.labels.as_ref().unwrap_or(&old.labels),
            c.required.unwrap_or(old.required),
            &choices,
            default.as_ref(),
        )
        .map_err(|e| {
            invalid(AttrError {
                key: Some(key.into()),
                ..e
            })
        })?;
        // Renames must go from an old choice to a choice that remains.
        for (from, to) in &c.rename_choices {
            if !old.choices.iter().any(|x| &x.value == from) {
                return Err(invalid(AttrError {
                    key: Some(key.into()),
                    reason: format!("rename_choices: {from:?} is not one of its choices"),
                }));
            }
            if !spec.choices.iter().any(|x| &x.value == to) {
                return Err(invalid(AttrError {
                    key: Some(key.into()),
                    reason: format!("rename_choices: {to:?} is not one of the new choices"),
                }));
            }
        }
        let dropped: Vec<String> = if old.attr_type.has_choices() && t == old.attr_type {
            old.dropped_choices(&spec.choices)
                .into_iter()
                .filter(|c2| !c.rename_choices.contains_key(c2))
                .collect()
        } else {
            Vec::new()
        };
        let used = self.db.choices_in_use(d.id, &dropped).await?;
        if !used.is_empty() {
            return Err(ServiceError::AttributeInUse(format!(
                "attribute {key:?}: the choices {} are in use; move their values to another choice with rename_choices, then remove them",
                used.iter()
                    .map(|u| format!("{u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let folder_id = match &c.folder {
            Some(f) => self.folder_id(who, f.as_deref()).await?,
            None => d.folder_id,
        };
        let renames: Vec<(String, String)> = c.rename_choices.into_iter().collect();
        self.db
            .update_attribute_def(
                who.tenant_id(),
                d.id,
                &spec,
                c.position.unwrap_or(d.position),
                folder_id,
                &renames,
                self.now(),
            )
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound(format!("the attribute {key:?}")),
                e => e.into(),
            })?;
        self.schema_cache.forget(who.tenant_id());
        let detail = serde_json::json!({ "old": old, "new": spec, "renamed": renames }).to_string();
        self.audit(who, "attribute.update", key, Some(&detail))
            .await?;
        let d = self.live_def(who, key).await?;
        self.view(who.tenant_id(), &d).await
    }

    /// Archives an attribute (tenant admins): it disappears from forms and
    /// files, but its values are kept.
    pub async fn archive_attribute(&self, who: &Identity, key: &str) -> Result<()> {
        who.require_tenant_admin()?;
        let d = self.live_def(who, key).await?;
        self.db
            .archive_attribute_def(who.tenant_id(), d.id, self.now())
            .await?;
        self.schema_cache.forget(who.tenant_id());
        self.audit(who, "attribute.archive", key, None).await
    }

    /// The live definitions that apply to the item at `path` (those limited
    /// to another folder's subtree left out), in schema order: what a form
    /// for that item offers.
    pub async fn attributes_at(
        &self,
        who: &Identity,
        path: &NodePath,
    ) -> Result<Vec<AttributeView>> {
        who.require_read()?;
        let schema = self.schema(who.tenant_id()).await?;
        let mut out = Vec::new();
        for d in schema.defs.iter().filter(|d| schema.applies(d, path)) {
            out.push(self.view(who.tenant_id(), d).await?);
        }
        Ok(out)
    }

    /// A file or folder with its attribute values (no bytes are read).
    pub async fn node_meta(
        &self,
        who: &Identity,
        path: &NodePath,
    ) -> Result<(Node, Map<String, Value>)> {
        who.require_read()?;
        let node = self.node_at(who, path).await?;
        let values = self.node_attributes(who, &node).await?;
        Ok((node, values))
    }

    /// The live attribute values of a node, by key.
    pub async fn node_attributes(&self, who: &Identity, node: &Node) -> Result<Map<String, Value>> {
        let schema = self.schema(who.tenant_id()).await?;
        if schema.defs.is_empty() {
            return Ok(Map::new());
        }
        let rows = self.db.node_attribute_rows(node.id).await?;
        Ok(values_by_key(&schema, &rows))
    }

    /// Validates values sent with a request against the schema, for a node
    /// at `path`: unknown keys, wrong types, values outside the attribute's
    /// folder are refused, naming the attribute. `null` clears a value.
    pub(crate) fn validate(
        schema: &Schema,
        path: &NodePath,
        values: &Map<String, Value>,
    ) -> Result<Vec<(i64, Option<AttrValue>)>> {
        let mut out = Vec::with_capacity(values.len());
        for (k, v) in values {
            let d = schema.def(k).ok_or_else(|| not_found(k))?;
            if !schema.applies(d, path) {
                return Err(ServiceError::InvalidAttribute {
                    key: k.clone(),
                    reason: format!("does not apply to {path} (only inside its folder)"),
                });
            }
            let value = match v {
                Value::Null => None,
                v => Some(d.spec.value(v).map_err(invalid)?),
            };
            out.push((d.id, value));
        }
        Ok(out)
    }

    /// Checks that a file at `path` would have every required attribute
    /// that applies there, given what it has and what is being set.
    pub(crate) fn check_required(
        schema: &Schema,
        path: &NodePath,
        has: &dyn Fn(i64) -> bool,
    ) -> Result<()> {
        for d in &schema.defs {
            if d.spec.required && schema.applies(d, path) && !has(d.id) {
                return Err(ServiceError::InvalidAttribute {
                    key: d.spec.key.clone(),
                    reason: "is required".into(),
                });
            }
        }
        Ok(())
    }

    /// Before an upload stores any byte: validates the `X-Kura-Attributes`
    /// values, and for a new file applies defaults and checks required ones.
    /// Returns what to store once the file is committed.
    pub(crate) async fn upload_attributes(
        &self,
        who: &Identity,
        path: &NodePath,
        values: Option<&Map<String, Value>>,
        exists: impl std::future::Future<Output = Result<bool>>,
    ) -> Result<Option<PendingAttributes>> {
        let schema = self.schema(who.tenant_id()).await?;
        if schema.defs.is_empty() {
            return match values {
                Some(v) if !v.is_empty() => {
                    let k = v.keys().next().cloned().unwrap_or_default();
                    Err(not_found(&k))
                }
                _ => Ok(None),
            };
        }
        let given = match values {
            Some(v) => Self::validate(&schema, path, v)?,
            None => Vec::new(),
        };
        let needs_new_file_rules = schema
            .defs
            .iter()
            .any(|d| (d.spec.required || d.spec.default.is_some()) && schema.applies(d, path));
        let mut set = given;
        if needs_new_file_rules && !exists.await? {
            for d in &schema.defs {
                if let Some(def) = &d.spec.default
                    && schema.applies(d, path)
                    && !set.iter().any(|(id, _)| *id == d.id)
                {
                    set.push((d.id, Some(def.clone())));
                }
            }
            let has = |id: i64| set.iter().any(|(i, v)| *i == id && v.is_some());
            Self::check_required(&schema, path, &has)?;
        }
        if set.is_empty() {
            return Ok(None);
        }
        Ok(Some(PendingAttributes { schema, set }))
    }

    /// The rows an upload's attributes store, `(attr_id, rows)`, and the
    /// audit detail of what changes (old values read from the file being
    /// replaced, if any). Both go into the upload's own commit, so a file
    /// never exists without the attributes it was uploaded with.
    pub(crate) async fn upload_attribute_rows(
        &self,
        existing: Option<i64>,
        p: &PendingAttributes,
    ) -> Result<(
        Vec<(i64, Vec<kura_core::attributes::StoredValue>)>,
        Option<String>,
    )> {
        let old = match existing {
            Some(id) => self.db.node_attribute_rows(id).await?,
            None => Vec::new(),
        };
        let rows = p
            .set
            .iter()
            .map(|(id, v)| (*id, v.as_ref().map(AttrValue::stored).unwrap_or_default()))
            .collect();
        let diff = diff_of(&p.schema, &old, &p.set);
        let audit = (!diff.is_empty()).then(|| Value::Object(diff).to_string());
        Ok((rows, audit))
    }

    /// Changes attributes of the file or folder at `path`.
    pub async fn set_attributes(
        &self,
        who: &Identity,
        path: &NodePath,
        values: &Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        who.require_write()?;
        let node = self.node_at(who, path).await?;
        let schema = self.schema(who.tenant_id()).await?;
        let set = Self::validate(&schema, path, values)?;
        let old = self.db.node_attribute_rows(node.id).await?;
        if node.kind == NodeKind::File {
            let has = |id: i64| match set.iter().find(|(i, _)| *i == id) {
                Some((_, v)) => v.is_some(),
                None => old.iter().any(|(a, _)| *a == id),
            };
            Self::check_required(&schema, path, &has)?;
        }
        self.write_values(who, path, &node, &schema, &old, &set)
            .await?;
        let rows = self.db.node_attribute_rows(node.id).await?;
        Ok(values_by_key(&schema, &rows))
    }

    /// Sets the same values on up to `MAX_BULK` files and folders, all or
    /// nothing: every path must exist and every value be valid for it.
    /// Each item's change is audited with its old and new values.
    pub async fn bulk_set_attributes(
        &self,
        who: &Identity,
        paths: &[String],
        values: &Map<String, Value>,
    ) -> Result<usize> {
        who.require_write()?;
        if paths.is_empty() || paths.len() > MAX_BULK {
            return Err(ServiceError::InvalidInput(format!(
                "send 1-{MAX_BULK} paths"
            )));
        }
        if values.is_empty() {
            return Err(ServiceError::InvalidInput(
                "set at least one attribute".into(),
            ));
        }
        let schema = self.schema(who.tenant_id()).await?;
        let mut items = Vec::with_capacity(paths.len());
        for p in paths {
            let path = NodePath::parse(p)?;
            let node = self.node_at(who, &path).await?;
            let set = Self::validate(&schema, &path, values)?;
            items.push((path, node, set));
        }
        let ids: Vec<i64> = items.iter().map(|(_, n, _)| n.id).collect();
        let mut old: HashMap<i64, Vec<(i64, kura_core::attributes::StoredValue)>> = HashMap::new();
        for (n, a, v) in self.db.attribute_rows_of(&ids).await? {
            old.entry(n).or_default().push((a, v));
        }
        for (path, node, set) in &items {
            let before = old.get(&node.id).map(Vec::as_slice).unwrap_or_default();
            if node.kind == NodeKind::File {
                let has = |id: i64| match set.iter().find(|(i, _)| *i == id) {
                    Some((_, v)) => v.is_some(),
                    None => before.iter().any(|(a, _)| *a == id),
                };
                Self::check_required(&schema, path, &has).map_err(|e| match e {
                    ServiceError::InvalidAttribute { key, reason } => {
                        ServiceError::InvalidAttribute {
                            key,
                            reason: format!("{reason} (on {path})"),
                        }
                    }
                    e => e,
                })?;
            }
        }
        self.apply_rows(who, &schema, &items, &old).await?;
        Ok(items.len())
    }

    /// Writes the values of many items in one transaction and audits each
    /// changed item with its old and new values.
    pub(crate) async fn apply_rows(
        &self,
        who: &Identity,
        schema: &Schema,
        items: &[ItemValues],
        old: &HashMap<i64, Vec<(i64, kura_core::attributes::StoredValue)>>,
    ) -> Result<()> {
        let mut changes = Vec::new();
        let mut events = Vec::new();
        let now = self.now();
        for (path, node, set) in items {
            let before = old.get(&node.id).map(Vec::as_slice).unwrap_or_default();
            for (id, v) in set {
                changes.push((
                    node.id,
                    *id,
                    v.as_ref().map(AttrValue::stored).unwrap_or_default(),
                ));
            }
            let diff = diff_of(schema, before, set);
            if !diff.is_empty() {
                events.push(kura_db::NewAuditEvent {
                    tenant_id: Some(who.tenant_id()),
                    user_id: (who.user.id != 0).then_some(who.user.id),
                    action: "attributes.update".into(),
                    target: Some(path.to_string()),
                    detail: Some(Value::Object(diff).to_string()),
                    ip: who.ip.clone(),
                    created_at: now,
                });
            }
        }
        self.db
            .set_attribute_values(who.tenant_id(), &changes)
            .await?;
        self.db.audit_many(&events).await?;
        Ok(())
    }

    async fn write_values(
        &self,
        who: &Identity,
        path: &NodePath,
        node: &Node,
        schema: &Schema,
        old: &[(i64, kura_core::attributes::StoredValue)],
        set: &[(i64, Option<AttrValue>)],
    ) -> Result<()> {
        let changes: Vec<_> = set
            .iter()
            .map(|(id, v)| {
                (
                    node.id,
                    *id,
                    v.as_ref().map(AttrValue::stored).unwrap_or_default(),
                )
            })
            .collect();
        self.db
            .set_attribute_values(who.tenant_id(), &changes)
            .await?;
        // The audit names each attribute with its old and new value.
        let diff = diff_of(schema, old, set);
        if !diff.is_empty() {
            self.audit(
                who,
                "attributes.update",
                &path.to_string(),
                Some(&Value::Object(diff).to_string()),
            )
            .await?;
        }
        Ok(())
    }
}

/// An item with the values to set on it (`None` clears).
pub(crate) type ItemValues = (NodePath, Node, Vec<(i64, Option<AttrValue>)>);

/// Most items one bulk edit may change.
pub const MAX_BULK: usize = 10_000;

/// `{key: {old, new}}` for the attributes `set` changes.
fn diff_of(
    schema: &Schema,
    old: &[(i64, kura_core::attributes::StoredValue)],
    set: &[(i64, Option<AttrValue>)],
) -> Map<String, Value> {
    let before = values_by_key(schema, old);
    let mut diff = Map::new();
    for (id, v) in set {
        let Some(d) = schema.defs.iter().find(|d| d.id == *id) else {
            continue;
        };
        let new = v.as_ref().map(AttrValue::to_json).unwrap_or(Value::Null);
        let was = before.get(&d.spec.key).cloned().unwrap_or(Value::Null);
        if was != new {
            diff.insert(
                d.spec.key.clone(),
                serde_json::json!({ "old": was, "new": new }),
            );
        }
    }
    diff
}

/// Values decided before an upload, stored after its commit.
pub(crate) struct PendingAttributes {
    schema: Arc<Schema>,
    set: Vec<(i64, Option<AttrValue>)>,
}

/// Stored rows grouped into values of live attributes, by key, in schema order.
pub(crate) fn values_by_key(
    schema: &Schema,
    rows: &[(i64, kura_core::attributes::StoredValue)],
) -> Map<String, Value> {
    let mut out = Map::new();
    for d in &schema.defs {
        let mine: Vec<_> = rows
            .iter()
            .filter(|(a, _)| *a == d.id)
            .map(|(_, r)| r.clone())
            .collect();
        if let Some(mut v) = AttrValue::from_stored(d.spec.attr_type, &mine) {
            if let AttrValue::MultiChoice(cs) = &mut v {
                cs.sort_by_key(|c| d.spec.choices.iter().position(|x| &x.value == c));
            }
            out.insert(d.spec.key.clone(), v.to_json());
        }
    }
    out
}
