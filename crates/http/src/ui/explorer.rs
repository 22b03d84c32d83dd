//! The explorer: a folder's page (tree, breadcrumb, first page of entries),
//! and the fragments htmx fetches (more entries, a tree branch, a file's
//! details). Changes go through the JSON API from static/js/explorer.js.

use super::auth::UiUser;
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, encode_path, error_page, render};
use crate::extract::tree_path;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use kura_core::{Node, NodeKind, NodePath};
use kura_service::{ListOptions, ServiceError, SortKey};
use serde::Deserialize;
use std::collections::HashMap;

/// Entries on a folder's first page (rendered with the page itself).
const FIRST_PAGE: i64 = 200;
/// Entries per "load more" fragment.
const NEXT_PAGE: i64 = 500;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    sort: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
}

/// One entry of a folder, ready to show.
pub struct Row {
    pub name: String,
    /// Full path in the tenant.
    pub path: String,
    pub folder: bool,
    /// Explorer URL (folders) or download URL (files).
    pub href: String,
    pub size: i64,
    pub size_text: String,
    pub modified_iso: String,
    pub modified_text: String,
    pub by: String,
    /// Icon id in static/icons.svg.
    pub icon: &'static str,
    /// The file's media type (the preview picks its viewer by it).
    pub content_type: String,
    /// Thumbnail URL, for files that may have one (the icon stays when it
    /// turns out there is none).
    pub thumb: Option<String>,
}

/// A sortable column header.
pub struct Column {
    pub key: &'static str,
    /// The cells' class suffix (`c-<class>`), shared with the rows.
    pub class: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (aria-sort).
    pub aria_sort: &'static str,
}

/// One link of the breadcrumb.
pub struct Crumb {
    pub name: String,
    pub href: String,
}

/// One folder of the tree.
pub struct TreeItem {
    pub name: String,
    pub path: String,
    pub href: String,
    pub children_url: String,
}

#[derive(Template)]
#[template(path = "explorer.html")]
struct ExplorerPage {
    t: Tr,
    icons: String,
    c: Chrome,
    path: String,
    crumbs: Vec<Crumb>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    more_url: Option<String>,
    tree: Vec<TreeItem>,
    list_url: String,
    empty: bool,
}

#[derive(Template)]
#[template(path = "rows.html")]
struct RowsFragment {
    t: Tr,
    icons: String,
    rows: Vec<Row>,
    more_url: Option<String>,
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreeFragment {
    t: Tr,
    icons: String,
    tree: Vec<TreeItem>,
}

/// A version in the details panel.
pub struct VersionRow {
    pub id: i64,
    pub size_text: String,
    pub created_iso: String,
    pub created_text: String,
    pub by: String,
    pub current: bool,
    pub href: String,
}

#[derive(Template)]
#[template(path = "details.html")]
struct DetailsFragment {
    t: Tr,
    icons: String,
    name: String,
    path: String,
    folder: bool,
    size_text: String,
    content_type: String,
    created_iso: String,
    created_text: String,
    modified_iso: String,
    modified_text: String,
    by: String,
    scan: String,
    versions: Vec<VersionRow>,
    /// The definitions that apply here and the item's values, as JSON for
    /// static/js/attr-panel.js (escaped into attributes by askama).
    attr_defs: String,
    attr_values: String,
    /// The file's thumbnail URL, if it may have one.
    thumb: Option<String>,
}

/// URL of the icon sprite.
fn icons() -> String {
    super::assets::url("icons.svg")
}

/// The icon of a file by its type and name.
fn icon(n: &Node) -> &'static str {
    if n.kind == NodeKind::Folder {
        return "folder";
    }
    let ct = n.content_type.as_deref().unwrap_or("");
    let ext = n
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => return "pdf",
        "dwg" | "dxf" | "jww" | "jwc" | "sfc" | "p21" | "step" | "stp" | "iges" | "igs" => {
            return "drawing";
        }
        "xls" | "xlsx" | "csv" | "ods" => return "sheet",
        "doc" | "docx" | "odt" | "rtf" => return "doc",
        "zip" | "7z" | "lzh" | "rar" | "gz" | "tar" => return "archive",
        _ => {}
    }
    if ct.starts_with("image/") {
        "image"
    } else if ct.starts_with("video/") {
        "video"
    } else if ct.starts_with("audio/") {
        "audio"
    } else if ct.starts_with("text/") {
        "text"
    } else {
        "file"
    }
}

fn sort_of(q: &ListQuery) -> Result<(SortKey, bool), ServiceError> {
    let sort = match q.sort.as_deref().unwrap_or("name") {
        "name" => SortKey::Name,
        "size" => SortKey::Size,
        "modified" => SortKey::Modified,
        "modified_by" => SortKey::ModifiedBy,
        _ => return Err(ServiceError::InvalidInput("sort".into())),
    };
    let desc = match q.order.as_deref().unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        _ => return Err(ServiceError::InvalidInput("order".into())),
    };
    Ok((sort, desc))
}

fn sort_name(s: SortKey) -> &'static str {
    match s {
        SortKey::Name => "name",
        SortKey::Size => "size",
        SortKey::Modified => "modified",
        SortKey::ModifiedBy => "modified_by",
    }
}

/// `parent` joined with `name`.
fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Rows of a page of entries, with "modified by" names looked up once.
async fn rows(
    st: &AppState,
    user: &UiUser,
    base: &str,
    items: &[Node],
) -> Result<Vec<Row>, ServiceError> {
    let names = st
        .svc
        .display_names(
            &user.who,
            items.iter().filter_map(|n| n.modified_by).collect(),
        )
        .await?;
    let lang = user.t.0;
    Ok(items
        .iter()
        .map(|n| row(n, &join(base, &n.name), &names, lang))
        .collect())
}

fn row(n: &Node, path: &str, names: &HashMap<i64, String>, lang: super::i18n::Lang) -> Row {
    let folder = n.kind == NodeKind::Folder;
    let enc = encode_path(path);
    Row {
        name: n.name.clone(),
        path: path.to_string(),
        folder,
        href: if folder {
            format!("/ui/files{enc}")
        } else {
            format!("/api/v1/files{enc}")
        },
        size: if folder { 0 } else { n.size },
        size_text: if folder {
            String::new()
        } else {
            format::size(n.size, lang)
        },
        modified_iso: format::iso(n.modified_at),
        modified_text: format::datetime(n.modified_at, lang),
        by: n
            .modified_by
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default(),
        icon: icon(n),
        content_type: n.content_type.clone().unwrap_or_default(),
        thumb: thumb_url(n, &enc),
    }
}

/// The thumbnail URL of a file whose type gets thumbnails. The version in it
/// makes a new version a new URL.
fn thumb_url(n: &Node, enc: &str) -> Option<String> {
    kura_core::thumbnail::source_of(n.content_type.as_deref())?;
    let v = n.current_version_id?;
    Some(format!("/api/v1/thumbnails{enc}?version={v}"))
}

fn list_url(path: &str, sort: SortKey, desc: bool, cursor: Option<&str>) -> String {
    let mut u = format!(
        "/ui/list{}?sort={}&order={}",
        encode_path(path),
        sort_name(sort),
        if desc { "desc" } else { "asc" }
    );
    if let Some(c) = cursor {
        u.push_str("&cursor=");
        u.push_str(c);
    }
    u
}

/// Sub-folders of a folder, for the tree.
async fn subfolders(
    st: &AppState,
    user: &UiUser,
    path: &NodePath,
) -> Result<Vec<TreeItem>, ServiceError> {
    let opts = ListOptions {
        sort: SortKey::Name,
        descending: false,
        limit: Some(1000),
        cursor: None,
    };
    let page = st.svc.list_folder(&user.who, path, &opts).await?;
    let base = path.to_string();
    Ok(page
        .items
        .iter()
        .take_while(|n| n.kind == NodeKind::Folder)
        .map(|n| {
            let p = join(&base, &n.name);
            let enc = encode_path(&p);
            TreeItem {
                name: n.name.clone(),
                href: format!("/ui/files{enc}"),
                children_url: format!("/ui/tree{enc}"),
                path: p,
            }
        })
        .collect())
}

/// `GET /ui/files/{*path}`
pub async fn page(
    State(st): State<AppState>,
    user: UiUser,
    Query(q): Query<ListQuery>,
    uri: Uri,
) -> Response {
    match explorer(&st, &user, &q, &uri).await {
        Ok(r) => r,
        Err(e) => error_page(user.t, &e),
    }
}

async fn explorer(
    st: &AppState,
    user: &UiUser,
    q: &ListQuery,
    uri: &Uri,
) -> Result<Response, ServiceError> {
    let path = tree_path(uri, "/ui/files").map_err(|e| e.0)?;
    let (sort, desc) = sort_of(q)?;
    let opts = ListOptions {
        sort,
        descending: desc,
        limit: Some(FIRST_PAGE),
        cursor: None,
    };
    let listing = st.svc.list_folder(&user.who, &path, &opts).await?;
    let base = path.to_string();
    let rows = rows(st, user, &base, &listing.items).await?;
    let more_url = listing
        .next_cursor
        .as_deref()
        .map(|c| list_url(&base, sort, desc, Some(c)));
    let t = user.t;
    let mut crumbs = vec![Crumb {
        name: t.get("files.root").to_string(),
        href: "/ui/files/".into(),
    }];
    let mut acc = String::new();
    for seg in base.split('/').filter(|s| !s.is_empty()) {
        acc.push('/');
        acc.push_str(seg);
        crumbs.push(Crumb {
            name: seg.to_string(),
            href: format!("/ui/files{}", encode_path(&acc)),
        });
    }
    let here_base = format!("/ui/files{}", encode_path(&base));
    let columns = [
        ("name", "name", "files.col.name"),
        ("size", "size", "files.col.size"),
        ("modified", "mod", "files.col.modified"),
        ("modified_by", "by", "files.col.by"),
    ]
    .into_iter()
    .map(|(key, class, label)| {
        let active = sort_name(sort) == key;
        let next_desc = active && !desc;
        Column {
            key,
            class,
            label: t.get(label),
            href: format!(
                "{here_base}?sort={key}&order={}",
                if next_desc { "desc" } else { "asc" }
            ),
            aria_sort: match (active, desc) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
        }
    })
    .collect();
    let tree = subfolders(st, user, &NodePath::root()).await?;
    let here = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let empty = rows.is_empty();
    let page = ExplorerPage {
        t,
        icons: icons(),
        c: Chrome::of(user, "files", &here),
        list_url: list_url(&base, sort, desc, None),
        path: base,
        crumbs,
        columns,
        rows,
        more_url,
        tree,
        empty,
    };
    Ok(render(&page))
}

/// `GET /ui/list/{*path}?sort&order&cursor`: the next entries (htmx).
pub async fn more(
    State(st): State<AppState>,
    user: UiUser,
    Query(q): Query<ListQuery>,
    uri: Uri,
) -> Response {
    let run = async {
        let path = tree_path(&uri, "/ui/list").map_err(|e| e.0)?;
        let (sort, desc) = sort_of(&q)?;
        let limit = if q.cursor.is_some() {
            NEXT_PAGE
        } else {
            FIRST_PAGE
        };
        let opts = ListOptions {
            sort,
            descending: desc,
            limit: Some(limit),
            cursor: q.cursor.clone(),
        };
        let listing = st.svc.list_folder(&user.who, &path, &opts).await?;
        let base = path.to_string();
        let rows = rows(&st, &user, &base, &listing.items).await?;
        let more_url = listing
            .next_cursor
            .as_deref()
            .map(|c| list_url(&base, sort, desc, Some(c)));
        Ok::<_, ServiceError>(render(&RowsFragment {
            t: user.t,
            icons: icons(),
            rows,
            more_url,
        }))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => error_page(user.t, &e),
    }
}

/// `GET /ui/tree/{*path}`: a folder's sub-folders (htmx).
pub async fn tree(State(st): State<AppState>, user: UiUser, uri: Uri) -> Response {
    let run = async {
        let path = tree_path(&uri, "/ui/tree").map_err(|e| e.0)?;
        let tree = subfolders(&st, &user, &path).await?;
        Ok::<_, ServiceError>(render(&TreeFragment {
            t: user.t,
            icons: icons(),
            tree,
        }))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => error_page(user.t, &e),
    }
}

/// `GET /ui/details/{*path}`: a file's or folder's details and versions (htmx).
pub async fn details(State(st): State<AppState>, user: UiUser, uri: Uri) -> Response {
    let run = async {
        let path = tree_path(&uri, "/ui/details").map_err(|e| e.0)?;
        let node = st.svc.node_at(&user.who, &path).await?;
        let folder = node.kind == NodeKind::Folder;
        let versions = if folder {
            vec![]
        } else {
            st.svc.versions(&user.who, &path).await?.1
        };
        let ids: Vec<i64> = node
            .modified_by
            .into_iter()
            .chain(versions.iter().filter_map(|v| v.created_by))
            .collect();
        let names = st.svc.display_names(&user.who, ids).await?;
        let defs = st.svc.attributes_at(&user.who, &path).await?;
        let values = st.svc.node_attributes(&user.who, &node).await?;
        let lang = user.t.0;
        let p = path.to_string();
        let enc = encode_path(&p);
        let name_of = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
        let versions = versions
            .iter()
            .map(|v| VersionRow {
                id: v.id,
                size_text: format::size(v.size, lang),
                created_iso: format::iso(v.created_at),
                created_text: format::datetime(v.created_at, lang),
                by: name_of(v.created_by),
                current: node.current_version_id == Some(v.id),
                href: format!("/api/v1/files{enc}?version={}", v.id),
            })
            .collect();
        let scan = match node.scan_status {
            Some(s) => user.t.get(match s.as_str() {
                "clean" => "details.scan.clean",
                "quarantined" => "details.scan.quarantined",
                _ => "details.scan.unscanned",
            }),
            None => "",
        };
        Ok::<_, ServiceError>(render(&DetailsFragment {
            t: user.t,
            icons: icons(),
            name: node.name.clone(),
            folder,
            size_text: if folder {
                String::new()
            } else {
                format::size(node.size, lang)
            },
            content_type: node.content_type.clone().unwrap_or_default(),
            created_iso: format::iso(node.created_at),
            created_text: format::datetime(node.created_at, lang),
            modified_iso: format::iso(node.modified_at),
            modified_text: format::datetime(node.modified_at, lang),
            by: name_of(node.modified_by),
            scan: scan.to_string(),
            versions,
            thumb: thumb_url(&node, &enc),
            path: p,
            attr_defs: serde_json::to_string(&defs).unwrap_or_else(|_| "[]".into()),
            attr_values: serde_json::Value::Object(values).to_string(),
        }))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => error_page(user.t, &e),
    }
}
