//! Search over a tenant's files: name substring (on the NFKC-folded name),
//! attribute filters, folder subtree, type, size, date and uploader; sorted
//! with keyset paging; facet counts. One SQL text for both backends.

use crate::rows::{NODE_COLS, NodeRow};
use crate::{Db, DbError};
use kura_core::{Node, Timestamp};
use sqlx::AssertSqlSafe;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Num(f64),
    Text(String),
}

/// One attribute condition, already checked against the schema.
#[derive(Debug, Clone)]
pub enum AttrCond {
    /// Some value of the attribute equals one of these texts (text, choice).
    TextIn(i64, Vec<String>),
    /// No value of the attribute equals this text.
    TextNot(i64, String),
    /// Each of these texts is a value (multiple choice "all").
    TextAll(i64, Vec<String>),
    /// The folded value contains this folded text.
    Contains(i64, String),
    /// A number (number, date as days, boolean 0/1) within bounds.
    Range {
        attr: i64,
        lo: Option<(f64, bool)>,
        hi: Option<(f64, bool)>,
    },
    /// No number equal to this.
    NumNot(i64, f64),
}

/// How an attribute's values are also search tokens of their file
/// (PostgreSQL: `nodes.attr_tokens`; SQLite: the FTS5 index `node_tokens`;
/// see migrations/*/0019_attribute_tokens.sql).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenKind {
    /// Choices: one token per value.
    Choice,
    /// Whole numbers (dates as days, booleans as 0/1): trie tokens, so
    /// ranges are a few tokens too.
    Whole,
}

/// What to sort by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchSort {
    Name,
    Modified,
    Size,
    /// An attribute's value: by its number (`true`) or text.
    Attr(i64, bool),
}

/// Where the previous page ended: its last sort value and id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchCursor {
    /// The item had no value to sort by (such items come last).
    #[serde(default)]
    pub missing: bool,
    pub text: Option<String>,
    pub num: Option<f64>,
    pub id: i64,
}

/// A checked search.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub tenant_id: i64,
    /// The folder whose subtree is searched (the tenant's root for all).
    pub folder_id: i64,
    pub name_fold: Option<String>,
    pub conds: Vec<AttrCond>,
    /// Media types (exact) or prefixes ending in `/` (e.g. `image/`).
    pub content_types: Vec<String>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    pub modified_from: Option<Timestamp>,
    pub modified_to: Option<Timestamp>,
    pub uploader: Option<i64>,
    /// The attributes whose values are also search tokens of their file
    /// (choice, multiple choice, date, boolean).
    pub tokens: Vec<(i64, TokenKind)>,
    /// Which attribute term leads the search (see [`Db::plan_search`]).
    pub driver: usize,
    /// SQLite: list the candidates by merging the terms' value lists (each
    /// already in node order in its index) instead of probing from the
    /// leading term (see [`Db::plan_search`]).
    pub merge: bool,
    /// SQLite: node ids at which the search is cut into parts that run as
    /// statements of their own, at once, on several pooled connections
    /// (SQLite runs one statement on one core; see [`Db::plan_search`]).
    /// Empty: one statement. The first part starts at the smallest id and
    /// the last ends at the largest, so no file falls outside every part.
    pub splits: Vec<i64>,
    /// SQLite: the scope is the tenant's root (set by [`Db::plan_search`]).
    /// Statements then leave out the files of the folders that trashed
    /// folders hide instead of listing every live folder, and totals and
    /// facets without filters come from the tenant's own counts
    /// (`search_facets_tenant`). False: the live folders are walked, which
    /// is right for every scope.
    pub whole_tenant: bool,
    pub sort: SearchSort,
    pub desc: bool,
    pub limit: i64,
    pub cursor: Option<SearchCursor>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub items: Vec<Node>,
    pub next: Option<SearchCursor>,
    pub total: i64,
}

struct Sql {
    params: Vec<Param>,
}

impl Sql {
    fn new() -> Self {
        Self { params: Vec::new() }
    }
    /// Adds a parameter and returns its placeholder.
    fn p(&mut self, v: Param) -> String {
        self.params.push(v);
        format!("${}", self.params.len())
    }
}

fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl SearchQuery {
    /// The node-id ranges (inclusive) of the parts, `None` for a search in
    /// one statement.
    fn parts(&self, sqlite: bool) -> Vec<Option<(i64, i64)>> {
        if !sqlite || self.splits.is_empty() {
            return vec![None];
        }
        let mut out = Vec::with_capacity(self.splits.len() + 1);
        let mut lo = i64::MIN;
        for &at in &self.splits {
            if at > lo {
                out.push(Some((lo, at - 1)));
                lo = at;
            }
        }
        out.push(Some((lo, i64::MAX)));
        out
    }

    /// Whether only the folder scope restricts the search: then totals and
    /// facets are sums of the per-folder counts (`search_facets`), or for a
    /// whole tenant on SQLite of the tenant's counts (`tenant_facets_sql`).
    fn scope_only(&self) -> bool {
        self.name_fold.is_none()
            && self.conds.is_empty()
            && self.content_types.is_empty()
            && self.size_min.is_none()
            && self.size_max.is_none()
            && self.modified_from.is_none()
            && self.modified_to.is_none()
            && self.uploader.is_none()
    }
}

/// The CTE `gone(id)`: a tenant's trashed folders and the live folders
/// under them, whose files a search of the whole tenant leaves out. Walks
/// the trash and what is under it only (indexes `nodes_trash`,
/// `nodes_live_folders`), not the live tree: the trash is small next to the
/// archive (1M files in 5,126 folders: 7 ms to list the live folders).
fn trashed_folders(q: &SearchQuery, s: &mut Sql) -> String {
    let t = s.p(Param::Int(q.tenant_id));
    format!(
        "WITH RECURSIVE gone(id) AS (
            SELECT id FROM nodes WHERE tenant_id = {t} AND trashed_at IS NOT NULL AND kind = 'folder'
            UNION
            SELECT c.id FROM nodes c JOIN gone ON c.parent_id = gone.id
            WHERE c.kind = 'folder' AND c.trashed_at IS NULL) "
    )
}

/// SQLite, a whole tenant without filters: the sums of the tenant's facet
/// counts (`search_facets_tenant`, a few rows per attribute) less the counts
/// of the folders that trashed folders hide; rows `(attr_id, value, n)` with
/// n > 0, ordered.
fn tenant_facets_sql(q: &SearchQuery, attr_ids: &[i64], s: &mut Sql) -> String {
    let cte = trashed_folders(q, s);
    let t = s.p(Param::Int(q.tenant_id));
    let marks: Vec<String> = attr_ids.iter().map(|a| s.p(Param::Int(*a))).collect();
    let marks = marks.join(", ");
    format!(
        "{cte}SELECT attr_id, value, CAST(SUM(n) AS BIGINT) FROM (
            SELECT attr_id, value, n FROM search_facets_tenant WHERE tenant_id = {t} AND attr_id IN ({marks})
            UNION ALL
            SELECT f.attr_id, f.value, -f.n FROM search_facets f
            WHERE f.folder_id IN (SELECT id FROM gone) AND f.attr_id IN ({marks}))
         GROUP BY attr_id, value HAVING SUM(n) > 0 ORDER BY attr_id, value"
    )
}

/// The live folders of the scope (a trashed folder hides what is in it), as
/// the CTE `sub(id)` that starts every search statement. Walks folders only
/// (index `nodes_live_folders`), never their files. For a search of the
/// whole tenant (`whole_tenant`) it is [`trashed_folders`] instead, the
/// folders to leave out.
fn live_folders(q: &SearchQuery, s: &mut Sql) -> String {
    if q.whole_tenant {
        return trashed_folders(q, s);
    }
    let f = s.p(Param::Int(q.folder_id));
    format!(
        "WITH RECURSIVE sub(id) AS (
            SELECT CAST({f} AS BIGINT) UNION ALL
            SELECT c.id FROM nodes c JOIN sub ON c.parent_id = sub.id
            WHERE c.kind = 'folder' AND c.trashed_at IS NULL) "
    )
}

/// An FTS5 phrase matching the text as a substring (trigram tokenizer).
fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The WHERE clause shared by results, totals and facets (files only, live,
/// in the subtree, not quarantined); the statement starts with
/// [`live_folders`].
fn filter(q: &SearchQuery, s: &mut Sql, sqlite: bool, part: Option<(i64, i64)>) -> String {
    let t = s.p(Param::Int(q.tenant_id));
    // When an index lists candidates (names, attributes), SQLite must start
    // from them: a unary `+` keeps it from walking a million files through
    // the tenant/kind or parent indexes instead (its planner has no value
    // statistics to know better).
    // PostgreSQL misjudges the size of the recursive subtree (it guessed 101
    // folders for 5,126) and then walked every file of it, probing the
    // attributes of each: 35 s for a two-attribute filter over a million
    // files. `+ 0` makes its integer tests unusable as index conditions
    // the same way (`kind` stays plain: the pg_trgm index is partial on it),
    // and `IS TRUE` keeps the subtree test a hashed filter instead of a join
    // it would again plan from that guess.
    let led = q.name_fold.is_some() || !terms(q).0.is_empty();
    let plain = |col: &str| -> String {
        match (led, sqlite) {
            (false, _) => col.to_string(),
            (true, true) => format!("+{col}"),
            (true, false) => format!("({col} + 0)"),
        }
    };
    let mut w = vec![
        format!("{} = {t}", plain("n.tenant_id")),
        if sqlite && led {
            "+n.kind = 'file'".to_string()
        } else {
            "n.kind = 'file'".to_string()
        },
        "n.trashed_at IS NULL".to_string(),
        "n.scan_status <> 'quarantined'".to_string(),
        if q.whole_tenant {
            format!("{} NOT IN (SELECT id FROM gone)", plain("n.parent_id"))
        } else if led && !sqlite {
            "(n.parent_id IN (SELECT id FROM sub)) IS TRUE".to_string()
        } else {
            format!("{} IN (SELECT id FROM sub)", plain("n.parent_id"))
        },
    ];
    if let Some(name) = &q.name_fold {
        // SQLite: candidates from the FTS5 trigram index (three characters
        // or more), checked by LIKE for exactly the same meaning as a scan.
        // PostgreSQL's planner uses the pg_trgm index for the LIKE itself.
        if sqlite && name.chars().count() >= 3 {
            let p = s.p(Param::Text(fts_phrase(name)));
            w.push(format!(
                "n.id IN (SELECT rowid FROM nodes_name_fts WHERE nodes_name_fts MATCH {p})"
            ));
        }
        let p = s.p(Param::Text(like_pattern(name)));
        w.push(format!("n.name_fold LIKE {p} ESCAPE '\\'"));
    }
    if !q.content_types.is_empty() {
        let mut any = Vec::new();
        for ct in &q.content_types {
            if ct.ends_with('/') {
                let p = s.p(Param::Text(format!("{}%", ct.replace(['%', '_'], ""))));
                any.push(format!("n.content_type LIKE {p}"));
            } else {
                let p = s.p(Param::Text(ct.clone()));
                any.push(format!("n.content_type = {p}"));
            }
        }
        w.push(format!("({})", any.join(" OR ")));
    }
    if let Some(v) = q.size_min {
        let p = s.p(Param::Int(v));
        w.push(format!("n.size >= {p}"));
    }
    if let Some(v) = q.size_max {
        let p = s.p(Param::Int(v));
        w.push(format!("n.size <= {p}"));
    }
    if let Some(v) = q.modified_from {
        let p = s.p(Param::Int(v));
        w.push(format!("n.modified_at >= {p}"));
    }
    if let Some(v) = q.modified_to {
        let p = s.p(Param::Int(v));
        w.push(format!("n.modified_at < {p}"));
    }
    if let Some(v) = q.uploader {
        let p = s.p(Param::Int(v));
        w.push(format!("n.modified_by = {p}"));
    }
    if let Some((lo, hi)) = part {
        // The candidate lists are cut too (`attr_filter`); this test keeps
        // the part exact whatever lists the candidates.
        let (lo, hi) = (s.p(Param::Int(lo)), s.p(Param::Int(hi)));
        w.push(format!("{} BETWEEN {lo} AND {hi}", plain("n.id")));
    }
    if let Some(c) = attr_filter(q, s, sqlite, part) {
        w.push(c);
    }
    w.join(" AND ")
}

/// One test on one attribute's value rows.
enum Pred<'a> {
    TextIn(&'a [String]),
    TextEq(&'a str),
    Contains(&'a str),
    Range(Option<(f64, bool)>, Option<(f64, bool)>),
    NumEq(f64),
}

/// A value row of attribute `.0` passing `.1`.
struct Term<'a>(i64, Pred<'a>);

impl Term<'_> {
    /// The condition on the value row aliased `v`, within a part's node ids
    /// (an index range where the value is one text).
    fn sql_in(&self, v: &str, s: &mut Sql, part: Option<(i64, i64)>) -> String {
        let cond = self.sql(v, s);
        match part {
            Some((lo, hi)) => {
                let (lo, hi) = (s.p(Param::Int(lo)), s.p(Param::Int(hi)));
                format!("{cond} AND {v}.node_id BETWEEN {lo} AND {hi}")
            }
            None => cond,
        }
    }

    /// The condition on the value row aliased `v`.
    fn sql(&self, v: &str, s: &mut Sql) -> String {
        let a = s.p(Param::Int(self.0));
        let test = match &self.1 {
            Pred::TextIn(vals) => {
                let marks: Vec<String> = vals.iter().map(|x| s.p(Param::Text(x.clone()))).collect();
                format!("{v}.text_value IN ({})", marks.join(", "))
            }
            Pred::TextEq(x) => format!("{v}.text_value = {}", s.p(Param::Text((*x).to_string()))),
            Pred::Contains(x) => format!(
                "{v}.fold_value LIKE {} ESCAPE '\\'",
                s.p(Param::Text(like_pattern(x)))
            ),
            Pred::Range(lo, hi) => {
                let mut parts = vec![format!("{v}.num_value IS NOT NULL")];
                if let Some((x, incl)) = lo {
                    let p = s.p(Param::Num(*x));
                    parts.push(format!(
                        "{v}.num_value {} {p}",
                        if *incl { ">=" } else { ">" }
                    ));
                }
                if let Some((x, incl)) = hi {
                    let p = s.p(Param::Num(*x));
                    parts.push(format!(
                        "{v}.num_value {} {p}",
                        if *incl { "<=" } else { "<" }
                    ));
                }
                parts.join(" AND ")
            }
            Pred::NumEq(x) => format!("{v}.num_value = {}", s.p(Param::Num(*x))),
        };
        format!("{v}.attr_id = {a} AND {test}")
    }
}

/// The attribute conditions as terms every match must have a value row for
/// (`.0`) and terms no match may have one for (`.1`).
fn terms(q: &SearchQuery) -> (Vec<Term<'_>>, Vec<Term<'_>>) {
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    for c in &q.conds {
        match c {
            AttrCond::TextIn(a, vals) => pos.push(Term(*a, Pred::TextIn(vals))),
            AttrCond::TextAll(a, vals) => {
                pos.extend(vals.iter().map(|x| Term(*a, Pred::TextEq(x))));
            }
            AttrCond::Contains(a, x) => pos.push(Term(*a, Pred::Contains(x))),
            AttrCond::Range { attr, lo, hi } => pos.push(Term(*attr, Pred::Range(*lo, *hi))),
            AttrCond::TextNot(a, x) => neg.push(Term(*a, Pred::TextEq(x))),
            AttrCond::NumNot(a, x) => neg.push(Term(*a, Pred::NumEq(*x))),
        }
    }
    (pos, neg)
}

/// The trie levels of whole-number tokens: bits shifted off per level.
const TOKEN_SHIFTS: [u32; 4] = [0, 4, 8, 12];
/// A range needing more tokens than this is filtered through the value
/// index instead (only very wide or open ranges do).
const MAX_RANGE_TOKENS: usize = 128;

/// The tokens of the whole numbers within the bounds: any of them is a
/// match. Each level covers the parts of the range its blocks do not
/// (`None`: an open or too wide range).
fn range_tokens(
    attr: i64,
    lo: Option<(f64, bool)>,
    hi: Option<(f64, bool)>,
) -> Option<Vec<String>> {
    let ((lo, lo_incl), (hi, hi_incl)) = (lo?, hi?);
    if !lo.is_finite() || !hi.is_finite() || lo.abs() > 1e15 || hi.abs() > 1e15 {
        return None;
    }
    // The whole numbers within the bounds, inclusive.
    let mut a = if lo_incl { lo.ceil() } else { lo.floor() + 1.0 } as i64;
    let mut b = if hi_incl { hi.floor() } else { hi.ceil() - 1.0 } as i64;
    let mut out = Vec::new();
    for (i, shift) in TOKEN_SHIFTS.iter().enumerate() {
        if a > b {
            break;
        }
        // The whole blocks of the next level inside [a, b]: from `up` to
        // `down` (exclusive) at this level.
        let split = TOKEN_SHIFTS.get(i + 1).and_then(|next| {
            let block = 1i64 << (next - shift);
            let up = a + (block - a.rem_euclid(block)) % block;
            let down = (b + 1) - (b + 1).rem_euclid(block);
            (up < down).then_some((block, up, down))
        });
        let Some((block, up, down)) = split else {
            if usize::try_from(b - a + 1).map_or(true, |n| out.len() + n > MAX_RANGE_TOKENS) {
                return None;
            }
            out.extend((a..=b).map(|v| format!("{attr}#{shift}:{v}")));
            break;
        };
        out.extend((a..up).map(|v| format!("{attr}#{shift}:{v}")));
        out.extend((down..=b).map(|v| format!("{attr}#{shift}:{v}")));
        if out.len() > MAX_RANGE_TOKENS {
            return None;
        }
        a = up.div_euclid(block);
        b = down.div_euclid(block) - 1;
    }
    Some(out)
}

/// A positive term as a test on the file's own tokens: all of them (`true`)
/// or any of them (`false`); `None` where the attribute has no tokens or
/// the range is too wide.
fn term_tokens(q: &SearchQuery, t: &Term<'_>) -> Option<(bool, Vec<String>)> {
    let kind = q.tokens.iter().find(|(a, _)| *a == t.0).map(|(_, k)| *k)?;
    let attr = t.0;
    match (&t.1, kind) {
        (Pred::TextEq(x), TokenKind::Choice) => Some((true, vec![format!("{attr}={x}")])),
        (Pred::TextIn(vals), TokenKind::Choice) => Some((
            vals.len() == 1,
            vals.iter().map(|x| format!("{attr}={x}")).collect(),
        )),
        (Pred::Range(lo, hi), TokenKind::Whole) => range_tokens(attr, *lo, *hi).map(|t| (false, t)),
        _ => None,
    }
}

/// An index probe: whether the file `on` has a value row passing term `t`
/// (aliased `v<i>`, unique within the statement).
fn probe(t: &Term<'_>, on: &str, i: usize, s: &mut Sql) -> String {
    let v = format!("v{i}");
    format!(
        "EXISTS (SELECT 1 FROM attribute_values {v} WHERE {} AND {v}.node_id = {on})",
        t.sql(&v, s)
    )
}

/// The positive terms that have tokens as one lookup of the files' search
/// tokens, and the other terms as probes of the value index per match.
/// PostgreSQL: tests on `n.attr_tokens` (its GIN index lists the matching
/// files at once; all "all of" tokens go into one test). SQLite: one MATCH
/// of the FTS5 index `node_tokens` (within the part's ids). `None` when no
/// term has tokens.
fn token_filter(
    q: &SearchQuery,
    s: &mut Sql,
    sqlite: bool,
    part: Option<(i64, i64)>,
) -> Option<String> {
    let (pos, neg) = terms(q);
    let mut all: Vec<String> = Vec::new();
    let mut any: Vec<Vec<String>> = Vec::new();
    let mut rest = Vec::new();
    for t in &pos {
        match term_tokens(q, t) {
            Some((true, toks)) => all.extend(toks),
            Some((false, toks)) => any.push(toks),
            None => rest.push(t),
        }
    }
    if all.is_empty() && any.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if any.iter().any(Vec::is_empty) {
        parts.push("1 = 0".to_string());
    } else if sqlite {
        let mut expr: Vec<String> = all.iter().map(|x| crate::tokens::encode(x)).collect();
        for toks in &any {
            let words: Vec<String> = toks.iter().map(|x| crate::tokens::encode(x)).collect();
            expr.push(format!("({})", words.join(" OR ")));
        }
        let m = s.p(Param::Text(expr.join(" AND ")));
        let within = match part {
            Some((lo, hi)) => {
                let (lo, hi) = (s.p(Param::Int(lo)), s.p(Param::Int(hi)));
                format!(" AND rowid BETWEEN {lo} AND {hi}")
            }
            None => String::new(),
        };
        parts.push(format!(
            "n.id IN (SELECT rowid FROM node_tokens WHERE node_tokens MATCH {m}{within})"
        ));
    } else {
        if !all.is_empty() {
            let marks: Vec<String> = all.into_iter().map(|x| s.p(Param::Text(x))).collect();
            parts.push(format!(
                "n.attr_tokens @> ARRAY[{}]::TEXT[]",
                marks.join(", ")
            ));
        }
        for toks in any {
            let marks: Vec<String> = toks.into_iter().map(|x| s.p(Param::Text(x))).collect();
            parts.push(format!(
                "n.attr_tokens && ARRAY[{}]::TEXT[]",
                marks.join(", ")
            ));
        }
    }
    for (i, t) in rest.into_iter().enumerate() {
        parts.push(probe(t, "n.id", i, s));
    }
    for (i, t) in neg.iter().enumerate() {
        parts.push(format!("NOT {}", probe(t, "n.id", pos.len() + i, s)));
    }
    Some(parts.join(" AND "))
}

/// The attribute conditions as one clause. The matching node ids come from
/// the value index: the leading term (`q.driver`, the most selective one
/// where [`Db::plan_search`] measured them) lists candidates, every other
/// term is one index probe per candidate, and only the survivors are looked
/// up in `nodes`. (1M files, SQLite: a two-attribute count went from 2.1 s,
/// with every term a separate `IN` list, to well under 100 ms.)
fn attr_filter(
    q: &SearchQuery,
    s: &mut Sql,
    sqlite: bool,
    part: Option<(i64, i64)>,
) -> Option<String> {
    if let Some(f) = token_filter(q, s, sqlite, part) {
        return Some(f);
    }
    let (pos, neg) = terms(q);
    if pos.is_empty() {
        if neg.is_empty() {
            return None;
        }
        let parts: Vec<String> = neg
            .iter()
            .enumerate()
            .map(|(i, t)| format!("NOT {}", probe(t, "n.id", i, s)))
            .collect();
        return Some(parts.join(" AND "));
    }
    if q.merge && pos.len() >= 2 {
        return Some(merged_candidates(&pos, &neg, s, sqlite, part));
    }
    let lead = q.driver.min(pos.len() - 1);
    let mut parts = Vec::new();
    if let Some(t) = pos.get(lead) {
        parts.push(t.sql_in("d", s, part));
    }
    for (i, t) in pos.iter().enumerate().filter(|(i, _)| *i != lead) {
        parts.push(probe(t, "d.node_id", i, s));
    }
    for (i, t) in neg.iter().enumerate() {
        parts.push(format!("NOT {}", probe(t, "d.node_id", pos.len() + i, s)));
    }
    Some(format!(
        "n.id IN (SELECT d.node_id FROM attribute_values d WHERE {})",
        parts.join(" AND ")
    ))
}

/// The candidates as one compound SELECT (SQLite): every positive term is
/// the list of node ids of its value rows, the lists are intersected, a
/// term with several values is the union of one list per value, and the
/// negative terms are probes on the survivors. SQLite merges compound
/// SELECTs ordered by the id (`MERGE (INTERSECT)` in its plan); a
/// single-value list comes out of the covering index already in node order,
/// so this reads each list once, in sequence, instead of one index probe
/// per candidate. (1M files: a two-choice filter's candidates 69 -> 20 ms,
/// a date range with a two-value choice 96 -> 47 ms.)
fn merged_candidates(
    pos: &[Term<'_>],
    neg: &[Term<'_>],
    s: &mut Sql,
    sqlite: bool,
    part: Option<(i64, i64)>,
) -> String {
    let mut i = 0;
    let mut arm = |t: &Term<'_>, s: &mut Sql| {
        i += 1;
        let v = format!("m{i}");
        format!(
            "SELECT {v}.node_id FROM attribute_values {v} WHERE {}",
            t.sql_in(&v, s, part)
        )
    };
    // SQLite's compound operators bind left to right, so a union may come
    // first unwrapped (and stays a merge); a later one is wrapped (and
    // sorted for the merge). PostgreSQL binds INTERSECT first: every union
    // is wrapped there.
    let mut order: Vec<&Term<'_>> = pos.iter().collect();
    order.sort_by_key(|t| !matches!(&t.1, Pred::TextIn(v) if v.len() > 1));
    let mut compound = Vec::new();
    for (k, t) in order.into_iter().enumerate() {
        let sql = match &t.1 {
            Pred::TextIn(vals) if vals.len() > 1 => {
                let arms: Vec<String> = vals
                    .iter()
                    .map(|x| arm(&Term(t.0, Pred::TextEq(x)), s))
                    .collect();
                let union = arms.join(" UNION ");
                if k == 0 && sqlite {
                    union
                } else {
                    format!("SELECT u{k}.node_id FROM ({union}) u{k}")
                }
            }
            _ => arm(t, s),
        };
        compound.push(sql);
    }
    let nots: Vec<String> = neg
        .iter()
        .enumerate()
        .map(|(i, t)| format!(" AND NOT {}", probe(t, "c.node_id", pos.len() + i, s)))
        .collect();
    format!(
        "n.id IN (SELECT c.node_id FROM ({} ORDER BY 1) c WHERE 1 = 1{})",
        compound.join(" INTERSECT "),
        nots.concat()
    )
}

/// The sort expression and whether it is numeric. Only an attribute sort
/// can be NULL (a file without a value; such files sort last in both
/// directions, `NULLS LAST`). The attribute's value is read once per match:
/// a second subquery for a "missing" flag made the subtree page of 8,000
/// files sorted by an attribute read every value twice.
fn sort_expr(q: &SearchQuery, s: &mut Sql) -> (String, bool) {
    match q.sort {
        SearchSort::Name => ("n.name_key".into(), false),
        SearchSort::Modified => ("n.modified_at".into(), true),
        SearchSort::Size => ("n.size".into(), true),
        SearchSort::Attr(a, num) => {
            let p = s.p(Param::Int(a));
            let col = if num { "num_value" } else { "text_value" };
            (
                format!(
                    "(SELECT MIN(v.{col}) FROM attribute_values v WHERE v.node_id = n.id AND v.attr_id = {p})"
                ),
                num,
            )
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: &'q [Param],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        q = match p {
            Param::Int(v) => q.bind(*v),
            Param::Num(v) => q.bind(*v),
            Param::Text(v) => q.bind(v.as_str()),
        };
    }
    q
}

impl Db {
    /// Plans the attribute terms on SQLite, whose planner has no value
    /// statistics: counts each positive term's value rows in the index (up
    /// to a cap; a choice term's files are read from the tenant's facet
    /// counts instead), notes whether the scope is the whole tenant
    /// (`whole_tenant`) and either lets the smallest lead, with one probe of
    /// every other term per candidate, or, when even the smallest is large
    /// and the lists together are not much larger, merges the lists
    /// (`merge`). When even the smallest list is long, the search is also
    /// cut into parts by node id, one per core, between the ids that the
    /// texts asked for span (`splits`): SQLite runs a statement on one core
    /// only. PostgreSQL plans by its own statistics whatever leads.
    pub async fn plan_search(&self, q: &mut SearchQuery) -> Result<(), DbError> {
        const CAP: i64 = 200_000;
        /// Below this many candidates, probing from the leader is cheap.
        const PROBE_BELOW: i64 = 5_000;
        /// A merge reads every list; a probe costs about this many reads.
        const PROBE_COST: i64 = 10;
        /// Below this many candidates, one statement is about as fast as
        /// several (each part walks the live folders again).
        const SPLIT_FROM: i64 = 10_000;
        if self.backend() != crate::Backend::Sqlite {
            return Ok(());
        }
        let root: Option<i64> = sqlx::query_scalar("SELECT root_id FROM tenants WHERE id = $1")
            .bind(q.tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        q.whole_tenant = root == Some(q.folder_id);
        let (pos, _) = terms(q);
        if pos.is_empty() {
            return Ok(());
        }
        let choice = |t: &Term<'_>| {
            q.tokens
                .iter()
                .any(|(a, k)| *a == t.0 && *k == TokenKind::Choice)
        };
        // One term alone needs no plan; only a choice term is cheap enough to
        // estimate for deciding whether to cut the search into parts.
        if pos.len() == 1 && !pos.iter().all(choice) {
            return Ok(());
        }
        // With search tokens (`token_filter`) no term leads, and only the
        // size of the choice terms is needed, to decide on parts: counting a
        // range of dates would cost more than it saves.
        let tokened = pos.iter().any(|t| term_tokens(q, t).is_some());
        // The terms are counted at once, each on a connection of its own:
        // a search waits for the slowest count instead of their sum. A
        // choice term is estimated from the tenant's facet counts of files
        // (`search_facets_tenant`, a row per value) instead of counting its
        // rows.
        let counting = pos.iter().filter(|t| !tokened || choice(t)).map(|t| {
            let mut s = Sql::new();
            let values: Option<Vec<&str>> = match &t.1 {
                Pred::TextIn(vals) if choice(t) => Some(vals.iter().map(String::as_str).collect()),
                Pred::TextEq(x) if choice(t) => Some(vec![*x]),
                _ => None,
            };
            let sql = match values {
                Some(vals) => {
                    let a = s.p(Param::Int(t.0));
                    let marks: Vec<String> = vals
                        .into_iter()
                        .map(|x| s.p(Param::Text(x.to_string())))
                        .collect();
                    let tenant = s.p(Param::Int(q.tenant_id));
                    format!(
                        "SELECT CAST(COALESCE(SUM(f.n), 0) AS BIGINT) FROM search_facets_tenant f
                         WHERE f.tenant_id = {tenant} AND f.attr_id = {a} AND f.value IN ({})",
                        marks.join(", ")
                    )
                }
                None => {
                    let cond = t.sql("v", &mut s);
                    let cap = s.p(Param::Int(CAP));
                    format!(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM attribute_values v WHERE {cond} LIMIT {cap}) x"
                    )
                }
            };
            self.count_one(sql, s)
        });
        let (counts, span) = futures_util::future::try_join(
            futures_util::future::try_join_all(counting),
            self.id_span(&pos),
        )
        .await?;
        let (lead, least) = counts
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(_, n)| n)
            .unwrap_or((0, 0));
        let all: i64 = counts.iter().sum();
        let terms = pos.len();
        drop(pos);
        if counts.is_empty() {
            return Ok(());
        }
        let probes = least.saturating_mul(PROBE_COST) * (terms as i64 - 1);
        // (With tokens, `counts` holds the choice terms only, and neither
        // a leader nor a merge is used.)
        q.driver = if tokened { 0 } else { lead };
        q.merge = !tokened && terms >= 2 && least >= PROBE_BELOW && all <= probes;
        q.splits = match span {
            Some((lo, hi)) if least >= SPLIT_FROM => split_points(lo, hi, cores()),
            _ => Vec::new(),
        };
        Ok(())
    }

    /// The smallest and largest node id that every match lies between: the
    /// ids of the texts that positive terms ask for (a match has one of
    /// each term's), read off the ends of their index ranges. `None` when
    /// no term asks for texts, or none has a value row.
    async fn id_span(&self, pos: &[Term<'_>]) -> Result<Option<(i64, i64)>, DbError> {
        let mut s = Sql::new();
        let mut ends = Vec::new();
        for t in pos {
            let vals: Vec<&str> = match &t.1 {
                Pred::TextIn(vals) => vals.iter().map(String::as_str).collect(),
                Pred::TextEq(x) => vec![*x],
                _ => continue,
            };
            // Per term: the smallest of its values' first ids and the largest
            // of their last ids (each an index lookup: SQLite's min/max
            // optimisation needs one aggregate per statement). Across terms:
            // the largest first and the smallest last.
            let mut firsts = Vec::new();
            let mut lasts = Vec::new();
            for x in vals {
                for (agg, out) in [("MIN", &mut firsts), ("MAX", &mut lasts)] {
                    let (a, v) = (s.p(Param::Int(t.0)), s.p(Param::Text(x.to_string())));
                    out.push(format!(
                        "(SELECT {agg}(node_id) FROM attribute_values WHERE attr_id = {a} AND text_value = {v})"
                    ));
                }
            }
            ends.push(format!(
                "SELECT MIN(lo) AS lo, MAX(hi) AS hi FROM ({}) t",
                firsts
                    .iter()
                    .zip(&lasts)
                    .map(|(lo, hi)| format!("SELECT {lo} AS lo, {hi} AS hi"))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ")
            ));
        }
        if ends.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT MAX(lo), MIN(hi) FROM ({}) e",
            ends.join(" UNION ALL ")
        );
        use sqlx::Row;
        let row = bind_all(sqlx::query(AssertSqlSafe(sql)), &s.params)
            .fetch_one(&self.pool)
            .await?;
        let lo: Option<i64> = row.try_get(0)?;
        let hi: Option<i64> = row.try_get(1)?;
        Ok(lo.zip(hi).filter(|(lo, hi)| lo < hi))
    }

    /// One page of a search, with the total count.
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchPage, DbError> {
        self.search_counted(q, None).await
    }

    /// [`Db::search`] with the total already known (from
    /// [`Db::search_facets`], which counts it in passing for searches
    /// without filters), saving the statement that would count it again.
    /// A search cut into parts (`splits`) runs one statement per part at
    /// once and merges their pages (each sorted, at most one page long) and
    /// totals.
    pub async fn search_counted(
        &self,
        q: &SearchQuery,
        known_total: Option<i64>,
    ) -> Result<SearchPage, DbError> {
        let sqlite = self.backend() == crate::Backend::Sqlite;
        let count_here = q.cursor.is_none() && !q.scope_only();
        let parts = q.parts(sqlite);
        let pages = parts.iter().map(|part| self.search_part(q, sqlite, *part));
        let counting = async {
            match (count_here, known_total) {
                (true, _) => Ok(None),
                (false, Some(t)) => Ok(Some(t)),
                (false, None) => self.search_total(q).await.map(Some),
            }
        };
        let (pages, counted) =
            futures_util::future::try_join(futures_util::future::try_join_all(pages), counting)
                .await?;
        let mut total = 0;
        let mut found = Vec::new();
        for (items, part_total) in pages {
            total += part_total;
            found.extend(items);
        }
        if found.len() > 1 {
            found.sort_by(|a, b| result_order(&a.1, &b.1, q.desc));
        }
        let limit = usize::try_from(q.limit).unwrap_or(0);
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|(_, key)| key.clone())
        } else {
            None
        };
        Ok(SearchPage {
            items: found.into_iter().map(|(node, _)| node).collect(),
            next,
            total: counted.unwrap_or(total),
        })
    }

    /// The first `limit + 1` results of one part (all of the search for
    /// `None`), in order with their sort keys, and for the first page of a
    /// filtered search the part's count of matches.
    async fn search_part(
        &self,
        q: &SearchQuery,
        sqlite: bool,
        part: Option<(i64, i64)>,
    ) -> Result<(Vec<(Node, SearchCursor)>, i64), DbError> {
        let mut s = Sql::new();
        let cte = live_folders(q, &mut s);
        let wh = filter(q, &mut s, sqlite, part);
        let (expr, numeric) = sort_expr(q, &mut s);
        let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
        // Only an attribute sort has items without a value (NULL, last);
        // leaving `NULLS LAST` out of the other sorts lets the planner walk
        // an index in order instead of sorting every match.
        let attr_sort = matches!(q.sort, SearchSort::Attr(..));
        let mut keyset = String::new();
        if let Some(c) = &q.cursor {
            let id = s.p(Param::Int(c.id));
            keyset = if attr_sort && c.missing {
                format!(" AND sk IS NULL AND n_id {cmp} {id}")
            } else {
                let v = if numeric {
                    s.p(Param::Num(c.num.unwrap_or(0.0)))
                } else {
                    s.p(Param::Text(c.text.clone().unwrap_or_default()))
                };
                let nulls = if attr_sort { "sk IS NULL OR " } else { "" };
                format!(" AND ({nulls}sk {cmp} {v} OR (sk = {v} AND n_id {cmp} {id}))")
            };
        }
        let order = if attr_sort {
            format!("sk {dir} NULLS LAST, n_id {dir}")
        } else {
            format!("sk {dir}, n_id {dir}")
        };
        // The first page of a filtered search counts its matches in the same
        // pass (they are all read to sort them anyway); an unfiltered one
        // adds up the per-folder counts instead (`search_total`).
        let count_here = q.cursor.is_none() && !q.scope_only();
        let window = if count_here {
            ", COUNT(*) OVER () AS total_n"
        } else {
            ""
        };
        let lim = s.p(Param::Int(q.limit + 1));
        // Matches are sorted and counted as (id, sort key) pairs only; the
        // page's rows are read afterwards, so a sort over 20,000 matches does
        // not carry their whole rows (1M files: 125 -> 70 ms with the merge).
        let cols = NODE_COLS
            .split(", ")
            .map(|c| format!("x.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let total_col = if count_here { ", p.total_n" } else { "" };
        let sql = format!(
            "{cte}SELECT {cols}, p.sk{total_col} FROM (
                 SELECT r.n_id, r.sk{window} FROM (
                     SELECT n.id AS n_id, {expr} AS sk FROM nodes n WHERE {wh}) r
                 WHERE 1 = 1{keyset} ORDER BY {order} LIMIT {lim}) p
             JOIN nodes x ON x.id = p.n_id ORDER BY {order}"
        );
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &s.params)
            .fetch_all(&self.pool)
            .await?;
        use sqlx::Row;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let n: NodeRow = sqlx::FromRow::from_row(row)?;
            let (text, num) = if numeric {
                let v = row.try_get::<Option<f64>, _>("sk").or_else(|_| {
                    row.try_get::<Option<i64>, _>("sk")
                        .map(|v| v.map(|v| v as f64))
                })?;
                (None, v)
            } else {
                (row.try_get::<Option<String>, _>("sk")?, None)
            };
            let missing = text.is_none() && num.is_none();
            let node: Node = n.try_into()?;
            let key = SearchCursor {
                missing,
                text,
                num,
                id: node.id,
            };
            items.push((node, key));
        }
        let total = match (count_here, rows.first()) {
            (true, Some(row)) => row.try_get::<i64, _>("total_n")?,
            _ => 0,
        };
        Ok((items, total))
    }

    /// How many files match, in all pages (the parts counted at once).
    async fn search_total(&self, q: &SearchQuery) -> Result<i64, DbError> {
        let sqlite = self.backend() == crate::Backend::Sqlite;
        if q.scope_only() && q.whole_tenant {
            // The tenant's media-type counts, as for facets.
            return Ok(self.search_facets(q, &[0]).await?.1.unwrap_or(0));
        }
        if q.scope_only() {
            let mut c = Sql::new();
            let cte = live_folders(q, &mut c);
            let sql = format!(
                "{cte}SELECT CAST(COALESCE(SUM(f.n), 0) AS BIGINT) FROM search_facets f
                 WHERE f.folder_id IN (SELECT id FROM sub) AND f.attr_id = 0"
            );
            return self.count_one(sql, c).await;
        }
        let counts = q.parts(sqlite).into_iter().map(|part| {
            let mut c = Sql::new();
            let cte = live_folders(q, &mut c);
            let wh = filter(q, &mut c, sqlite, part);
            self.count_one(format!("{cte}SELECT COUNT(*) FROM nodes n WHERE {wh}"), c)
        });
        Ok(futures_util::future::try_join_all(counts)
            .await?
            .into_iter()
            .sum())
    }

    /// The one number a counting statement answers.
    async fn count_one(&self, sql: String, s: Sql) -> Result<i64, DbError> {
        use sqlx::Row;
        Ok(bind_all(sqlx::query(AssertSqlSafe(sql)), &s.params)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }

    /// The counts of several facets (`attr_id` 0: media types), in the order
    /// asked, and for searches without filters also the total (the sum of
    /// the media-type counts). Without filters, the per-folder counts of
    /// the scope's live folders are added up, one statement per attribute
    /// (and the media types for the total), at once; for a whole tenant on
    /// SQLite one statement reads the tenant's counts ([`tenant_facets_sql`]).
    /// With filters, every facet of every part is counted at once and the
    /// parts' counts are added up.
    pub async fn search_facets(
        &self,
        q: &SearchQuery,
        attr_ids: &[i64],
    ) -> Result<(Vec<Vec<(String, i64)>>, Option<i64>), DbError> {
        if !q.scope_only() {
            let sqlite = self.backend() == crate::Backend::Sqlite;
            let parts = q.parts(sqlite);
            let counting = attr_ids.iter().map(|a| {
                let parts = &parts;
                async move {
                    let each = parts
                        .iter()
                        .map(|part| self.search_facet(q, *a, sqlite, *part));
                    let mut sum: std::collections::BTreeMap<String, i64> = Default::default();
                    for counts in futures_util::future::try_join_all(each).await? {
                        for (value, n) in counts {
                            *sum.entry(value).or_default() += n;
                        }
                    }
                    Ok::<_, DbError>(sum.into_iter().collect::<Vec<_>>())
                }
            });
            let out = futures_util::future::try_join_all(counting).await?;
            return Ok((out, None));
        }
        if attr_ids.is_empty() {
            return Ok((Vec::new(), None));
        }
        let mut wanted = attr_ids.to_vec();
        if !wanted.contains(&0) {
            wanted.push(0);
        }
        let whole = q.whole_tenant;
        // A statement runs on one core (SQLite; PostgreSQL without parallel
        // workers for this), and most of a facet's time over a subtree is
        // grouping its per-folder rows: each attribute is summed by a
        // statement of its own, at once (SQLite, 1M files, 3 facets: 82 ms
        // in one statement, 61 ms for the largest alone). The whole tenant
        // on SQLite is one statement over the tenant's own few rows.
        let groups: Vec<Vec<i64>> = if whole {
            vec![wanted]
        } else {
            wanted.iter().map(|a| vec![*a]).collect()
        };
        let summing = groups.iter().map(|group| {
            let mut s = Sql::new();
            let sql = if whole {
                tenant_facets_sql(q, group, &mut s)
            } else {
                let cte = live_folders(q, &mut s);
                let marks: Vec<String> = group.iter().map(|a| s.p(Param::Int(*a))).collect();
                format!(
                    "{cte}SELECT f.attr_id, f.value, CAST(SUM(f.n) AS BIGINT) FROM search_facets f
                     WHERE f.folder_id IN (SELECT id FROM sub) AND f.attr_id IN ({})
                     GROUP BY f.attr_id, f.value HAVING SUM(f.n) > 0 ORDER BY f.attr_id, f.value",
                    marks.join(", ")
                )
            };
            async move {
                bind_all(sqlx::query(AssertSqlSafe(sql)), &s.params)
                    .fetch_all(&self.pool)
                    .await
            }
        });
        let rows = futures_util::future::try_join_all(summing).await?;
        use sqlx::Row;
        let mut by_attr: std::collections::HashMap<i64, Vec<(String, i64)>> =
            std::collections::HashMap::new();
        for r in rows.iter().flatten() {
            by_attr
                .entry(r.try_get::<i64, _>(0)?)
                .or_default()
                .push((r.try_get::<String, _>(1)?, r.try_get::<i64, _>(2)?));
        }
        let total = by_attr
            .get(&0)
            .map_or(0, |types| types.iter().map(|(_, n)| n).sum());
        Ok((
            attr_ids
                .iter()
                .map(|a| by_attr.get(a).cloned().unwrap_or_default())
                .collect(),
            Some(total),
        ))
    }

    /// How many matching files of a part have each value of an attribute
    /// (counted; `attr_id` 0: their media types).
    async fn search_facet(
        &self,
        q: &SearchQuery,
        attr_id: i64,
        sqlite: bool,
        part: Option<(i64, i64)>,
    ) -> Result<Vec<(String, i64)>, DbError> {
        let mut s = Sql::new();
        let cte = live_folders(q, &mut s);
        let wh = filter(q, &mut s, sqlite, part);
        let sql = if attr_id == 0 {
            format!(
                "{cte}SELECT COALESCE(n.content_type, 'application/octet-stream') AS ct, COUNT(*) FROM nodes n WHERE {wh}
                 GROUP BY COALESCE(n.content_type, 'application/octet-stream') ORDER BY ct"
            )
        } else {
            let a = s.p(Param::Int(attr_id));
            format!(
                "{cte}SELECT v.text_value, COUNT(DISTINCT v.node_id) FROM attribute_values v
                 WHERE v.attr_id = {a} AND v.text_value IS NOT NULL AND v.node_id IN (SELECT n.id FROM nodes n WHERE {wh})
                 GROUP BY v.text_value ORDER BY v.text_value"
            )
        };
        pairs(
            bind_all(sqlx::query(AssertSqlSafe(sql)), &s.params)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}

/// The order of results: items without a sort value last, then by the sort
/// value and the id, both in the asked direction. The same order as the
/// statements' `ORDER BY` on SQLite, which compares texts byte by byte like
/// `str` (only SQLite searches in parts).
fn result_order(a: &SearchCursor, b: &SearchCursor, desc: bool) -> std::cmp::Ordering {
    let by_value = match (&a.num, &b.num) {
        (Some(x), Some(y)) => x.total_cmp(y),
        _ => a.text.cmp(&b.text),
    }
    .then(a.id.cmp(&b.id));
    a.missing
        .cmp(&b.missing)
        .then(if desc { by_value.reverse() } else { by_value })
}

/// How many parts a search is cut into: one per core, at most four.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(1)
            .min(4)
    })
}

/// The ids cutting `lo..=hi` into `n` ranges of about the same width (ids
/// are given in the order files arrive, so matches spread over them).
fn split_points(lo: i64, hi: i64, n: usize) -> Vec<i64> {
    let n = n as i128;
    let width = i128::from(hi) - i128::from(lo) + 1;
    let mut at: Vec<i64> = (1..n)
        .filter_map(|k| i64::try_from(i128::from(lo) + width * k / n).ok())
        .filter(|at| *at > lo)
        .collect();
    at.dedup();
    at
}

/// Rows of (text, count).
fn pairs(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<(String, i64)>, DbError> {
    use sqlx::Row;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// Which whole numbers a token stands for, as the trigger makes them:
    /// `v >> shift == n`.
    fn covers(token: &str, v: i64) -> bool {
        let (_, rest) = token.split_once('#').unwrap();
        let (shift, n) = rest.split_once(':').unwrap();
        (v >> shift.parse::<u32>().unwrap()) == n.parse::<i64>().unwrap()
    }

    #[test]
    fn parts_cover_every_id_once() {
        for (lo, hi, n) in [(1, 1_000_000, 2), (7, 9, 4), (100, 101, 4), (-5, 5, 3)] {
            let splits = split_points(lo, hi, n);
            assert!(splits.windows(2).all(|w| w[0] < w[1]), "{splits:?}");
            assert!(splits.iter().all(|at| lo < *at && *at <= hi), "{splits:?}");
            assert_eq!(
                splits.len(),
                n.min((hi - lo + 1) as usize) - 1,
                "{splits:?}"
            );
        }
        assert_eq!(split_points(1, 100, 2), vec![51]);
        let q = SearchQuery {
            splits: vec![10, 10, 20],
            whole_tenant: false,
            ..query()
        };
        assert_eq!(q.parts(false), vec![None], "PostgreSQL runs one statement");
        let parts: Vec<(i64, i64)> = q.parts(true).into_iter().flatten().collect();
        assert_eq!(parts, vec![(i64::MIN, 9), (10, 19), (20, i64::MAX)]);
        assert_eq!(query().parts(true), vec![None]);
    }

    #[test]
    fn merged_parts_keep_the_statement_order() {
        let key = |missing, text: &str, id| SearchCursor {
            missing,
            text: Some(text.into()),
            num: None,
            id,
        };
        let mut keys = [
            key(true, "", 1),
            key(false, "b", 2),
            key(false, "a", 9),
            key(false, "b", 1),
            key(false, "\u{e9}", 3),
            key(false, "z", 4),
        ];
        keys.sort_by(|a, b| result_order(a, b, false));
        let ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
        assert_eq!(ids, vec![9, 1, 2, 4, 3, 1], "bytes order: z before \u{e9}");
        keys.sort_by(|a, b| result_order(a, b, true));
        let ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
        assert_eq!(ids, vec![3, 4, 2, 1, 9, 1], "missing values stay last");
        let num = |v: f64, id| SearchCursor {
            missing: false,
            text: None,
            num: Some(v),
            id,
        };
        let mut keys = [num(10.0, 1), num(-1.5, 2), num(2.0, 3)];
        keys.sort_by(|a, b| result_order(a, b, false));
        assert_eq!(keys.iter().map(|k| k.id).collect::<Vec<_>>(), vec![2, 3, 1]);
    }

    fn query() -> SearchQuery {
        SearchQuery {
            tenant_id: 1,
            folder_id: 1,
            name_fold: None,
            conds: vec![],
            content_types: vec![],
            size_min: None,
            size_max: None,
            modified_from: None,
            modified_to: None,
            uploader: None,
            tokens: vec![],
            driver: 0,
            merge: false,
            splits: vec![],
            whole_tenant: false,
            sort: SearchSort::Name,
            desc: false,
            limit: 10,
            cursor: None,
        }
    }

    #[test]
    fn range_tokens_cover_exactly_the_range() {
        // Every range within [-300, 9000] that the tokens can express,
        // sampled; every value near it is inside exactly when a token
        // covers it, and never by two tokens.
        let mut checked = 0;
        for (lo, hi) in [
            (-300i64, 9000i64),
            (0, 15),
            (1, 1),
            (5, 4),
            (16, 31),
            (-17, -1),
        ]
        .into_iter()
        .chain((0..400).map(|k| (k * 37 - 2000, k * 37 - 2000 + k * k % 5000)))
        {
            let Some(toks) = range_tokens(7, Some((lo as f64, true)), Some((hi as f64, true)))
            else {
                continue;
            };
            assert!(toks.len() <= MAX_RANGE_TOKENS);
            assert!(toks.iter().all(|t| t.starts_with("7#")));
            for v in (lo - 40)..=(hi + 40) {
                let n = toks.iter().filter(|t| covers(t, v)).count();
                assert_eq!(
                    n,
                    usize::from(lo <= v && v <= hi),
                    "{lo}..={hi} at {v}: {toks:?}"
                );
            }
            checked += 1;
        }
        assert!(checked > 300, "only {checked} ranges had tokens");
    }

    #[test]
    fn range_tokens_follow_open_and_exclusive_bounds() {
        assert_eq!(range_tokens(1, Some((3.0, true)), None), None);
        assert_eq!(range_tokens(1, None, Some((3.0, true))), None);
        // Exclusive and fractional bounds keep only the whole numbers inside.
        assert_eq!(
            range_tokens(1, Some((3.0, false)), Some((5.5, true))),
            Some(vec!["1#0:4".to_string(), "1#0:5".to_string()])
        );
        assert_eq!(
            range_tokens(1, Some((2.5, true)), Some((4.0, false))),
            Some(vec!["1#0:3".to_string()])
        );
        // Nothing inside: no token, so nothing matches.
        assert_eq!(
            range_tokens(1, Some((4.0, false)), Some((4.0, true))),
            Some(vec![])
        );
        // A quarter and a year of days are a few dozen tokens, not 90 or 365.
        let quarter = range_tokens(1, Some((18993.0, true)), Some((19082.0, true))).unwrap();
        assert!(quarter.len() <= 30, "{}", quarter.len());
        let year = range_tokens(1, Some((18993.0, true)), Some((19357.0, true))).unwrap();
        assert!(year.len() <= 60, "{}", year.len());
        // Ten thousand years are too many.
        assert_eq!(
            range_tokens(1, Some((0.0, true)), Some((3_650_000.0, true))),
            None
        );
    }
}
