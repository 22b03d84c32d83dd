//! CSV export and import of attribute values by path, for registering
//! existing archives in bulk. UTF-8 (with a BOM, so Excel reads it) or
//! Shift_JIS (CP932) for Excel users in Japan. An import is all or nothing:
//! any bad row changes nothing, and a dry run reports every row's problems.
//!
//! Columns: `path`, then one per attribute key. A cell left empty changes
//! nothing; multiple choices are separated by `;`; choices may be given by
//! value or by their Japanese or English label; dates as `YYYY-MM-DD` (or
//! `YYYY/MM/DD`); booleans as true/false, 1/0, yes/no or はい/いいえ.

use crate::attributes::{Schema, values_by_key};
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use kura_core::attributes::{AttrSpec, AttrType, AttrValue};
use kura_core::{NodeKind, NodePath};
use kura_db::{SearchQuery, SearchSort};
use serde_json::Value;
use std::collections::HashMap;

/// Rows one import may have.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// The character encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    Utf8,
    ShiftJis,
}

impl CsvEncoding {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        match s.map(str::to_ascii_lowercase).as_deref() {
            None | Some("utf-8") | Some("utf8") => Ok(Self::Utf8),
            Some("shift_jis") | Some("sjis") | Some("cp932") | Some("windows-31j") => {
                Ok(Self::ShiftJis)
            }
            Some(o) => Err(ServiceError::InvalidInput(format!(
                "encoding must be utf-8 or shift_jis, not {o:?}"
            ))),
        }
    }
}

/// A problem with one row: `line` is the row as a spreadsheet numbers it
/// (the header is row 1; 0 for problems found after reading every row).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvRowError {
    pub line: u64,
    pub path: Option<String>,
    pub attribute: Option<String>,
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CsvImportReport {
    pub dry_run: bool,
    pub rows: usize,
    /// Items whose values change.
    pub updated: usize,
    pub errors: Vec<CsvRowError>,
}

fn cell_text(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(s) | AttrValue::Choice(s) | AttrValue::Date(s) => s.clone(),
        AttrValue::MultiChoice(cs) => cs.join(";"),
        AttrValue::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }
        }
        AttrValue::Boolean(b) => (if *b { "true" } else { "false" }).to_string(),
    }
    .replace('\u{0}', "")
    .trim()
    .to_string()
}

/// A cell as typed by a person, as a JSON value for the attribute.
fn cell_value(d: &AttrSpec, cell: &str) -> std::result::Result<Value, String> {
    let c = cell.trim();
    let choice = |s: &str| -> String {
        d.choices
            .iter()
            .find(|x| x.value == s || x.labels.ja == s || x.labels.en.eq_ignore_ascii_case(s))
            .map(|x| x.value.clone())
            .unwrap_or_else(|| s.to_string())
    };
    Ok(match d.attr_type {
        AttrType::Text => Value::from(c),
        AttrType::Number => {
            let n: f64 = c.parse().map_err(|_| format!("{c:?} is not a number"))?;
            serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| format!("{c:?} is not a number"))?
        }
        AttrType::Date => Value::from(c.replace('/', "-")),
        AttrType::Choice => Value::from(choice(c)),
        AttrType::MultiChoice => Value::Array(
            c.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::from(choice(s)))
                .collect(),
        ),
        AttrType::Boolean => match c.to_lowercase().as_str() {
            "true" | "1" | "yes" | "はい" | "○" => Value::Bool(true),
            "false" | "0" | "no" | "いいえ" | "×" => Value::Bool(false),
            _ => return Err(format!("{c:?} is not true or false")),
        },
    })
}

fn decode(body: &[u8], enc: CsvEncoding) -> Result<String> {
    match enc {
        CsvEncoding::Utf8 => {
            let b = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            String::from_utf8(b.to_vec()).map_err(|e| {
                ServiceError::InvalidInput(format!(
                    "the file is not UTF-8 (byte {}); for Excel files from Japan send encoding=shift_jis",
                    e.utf8_error().valid_up_to()
                ))
            })
        }
        CsvEncoding::ShiftJis => {
            let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(body);
            if bad {
                return Err(ServiceError::InvalidInput(
                    "the file is not valid Shift_JIS; send encoding=utf-8 if it is UTF-8".into(),
                ));
            }
            Ok(text.into_owned())
        }
    }
}

/// CSV text in the wanted encoding; Shift_JIS cannot hold every character.
pub fn encode(text: &str, enc: CsvEncoding) -> Result<Vec<u8>> {
    match enc {
        CsvEncoding::Utf8 => Ok(text.as_bytes().to_vec()),
        CsvEncoding::ShiftJis => {
            let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(text);
            if bad {
                return Err(ServiceError::InvalidInput(
                    "some names or values cannot be written in Shift_JIS; export as UTF-8".into(),
                ));
            }
            Ok(bytes.into_owned())
        }
    }
}

impl Service {
    /// The attribute values of every file under `folder` as CSV, page by
    /// page (bounded memory whatever the number of files).
    pub async fn export_attributes(
        &self,
        who: &Identity,
        folder: Option<&str>,
        enc: CsvEncoding,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<Bytes>>> {
        who.require_read()?;
        let schema = self.schema(who.tenant_id()).await?;
        let folder_id = self.scope_folder(who, folder).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let svc = self.clone();
        let tenant_id = who.tenant_id();
        // The header is checked now, so an unencodable key fails the request
        // rather than the stream.
        let mut header = csv_line(
            std::iter::once("path".to_string())
                .chain(schema.defs.iter().map(|d| d.spec.key.clone())),
        );
        if enc == CsvEncoding::Utf8 {
            header.insert(0, '\u{FEFF}');
        }
        let first = Bytes::from(encode(&header, enc)?);
        tokio::spawn(async move {
            if tx.send(Ok(first)).await.is_err() {
                return;
            }
            let mut q = SearchQuery {
                tenant_id,
                folder_id,
                name_fold: None,
                conds: Vec::new(),
                content_types: Vec::new(),
                size_min: None,
                size_max: None,
                modified_from: None,
                modified_to: None,
                uploader: None,
                tokens: Vec::new(),
                driver: 0,
                merge: false,
                splits: Vec::new(),
                whole_tenant: false,
                sort: SearchSort::Name,
                desc: false,
                limit: 500,
                cursor: None,
            };
            loop {
                let chunk = svc.export_page(&schema, &mut q, enc).await;
                let done = matches!(chunk, Ok(None)) || chunk.is_err();
                let msg = match chunk {
                    Ok(Some(b)) => Ok(b),
                    Ok(None) => break,
                    Err(e) => Err(e),
                };
                if tx.send(msg).await.is_err() || done {
                    break;
                }
            }
        });
        Ok(rx)
    }

    /// One page of export rows; `None` after the last.
    async fn export_page(
        &self,
        schema: &Schema,
        q: &mut SearchQuery,
        enc: CsvEncoding,
    ) -> Result<Option<Bytes>> {
        if q.limit == 0 {
            return Ok(None);
        }
        let page = self.db.search(q).await?;
        let ids: Vec<i64> = page.items.iter().map(|n| n.id).collect();
        let paths = self.db.paths_of(q.tenant_id, &ids).await?;
        let mut rows: HashMap<i64, Vec<_>> = HashMap::new();
        for (n, a, v) in self.db.attribute_rows_of(&ids).await? {
            rows.entry(n).or_default().push((a, v));
        }
        let mut out = String::new();
        for n in &page.items {
            let values = values_by_key(
                schema,
                rows.get(&n.id).map(Vec::as_slice).unwrap_or_default(),
            );
            let mut cells = vec![paths.get(&n.id).cloned().unwrap_or_default()];
            for d in &schema.defs {
                let cell = values
                    .get(&d.spec.key)
                    .and_then(|v| d.spec.value(v).ok())
                    .map(|v| cell_text(&v))
                    .unwrap_or_default();
                cells.push(cell);
            }
            out.push_str(&csv_line(cells.into_iter()));
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => q.limit = 0,
        }
        if out.is_empty() {
            return Ok(if q.limit == 0 {
                None
            } else {
                Some(Bytes::new())
            });
        }
        Ok(Some(Bytes::from(encode(&out, enc)?)))
    }

    /// Imports attribute values from CSV (see the module docs). With
    /// `dry_run`, or when any row is bad, nothing changes; the report lists
    /// every problem.
    pub async fn import_attributes(
        &self,
        who: &Identity,
        body: &[u8],
        enc: CsvEncoding,
        dry_run: bool,
    ) -> Result<CsvImportReport> {
        who.require_write()?;
        let schema = self.schema(who.tenant_id()).await?;
        let text = decode(body, enc)?;
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| ServiceError::InvalidInput(format!("the CSV header cannot be read: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.first().map(String::as_str) != Some("path") {
            return Err(ServiceError::InvalidInput(
                "the first column of the header must be \"path\"".into(),
            ));
        }
        let mut errors = Vec::new();
        let mut cols = Vec::new();
        for h in header.iter().skip(1) {
            match schema.defs.iter().find(|d| &d.spec.key == h) {
                Some(d) => cols.push(Some(d)),
                None => {
                    errors.push(CsvRowError {
                        line: 1,
                        path: None,
                        attribute: Some(h.clone()),
                        reason: "there is no such attribute".into(),
                    });
                    cols.push(None);
                }
            }
        }
        let mut items = Vec::new();
        let mut rows = 0usize;
        for rec in rdr.records() {
            rows += 1;
            if rows > MAX_IMPORT_ROWS {
                return Err(ServiceError::InvalidInput(format!(
                    "an import has at most {MAX_IMPORT_ROWS} rows; split the file"
                )));
            }
            // Rows as a spreadsheet numbers them (the header is row 1).
            let line = u64::try_from(rows).unwrap_or(0) + 1;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errors.push(CsvRowError {
                        line,
                        path: None,
                        attribute: None,
                        reason: format!("not valid CSV: {e}"),
                    });
                    continue;
                }
            };
            let raw_path = rec.get(0).unwrap_or("").trim().to_string();
            let err = |attribute: Option<&str>, reason: String| CsvRowError {
                line,
                path: Some(raw_path.clone()),
                attribute: attribute.map(str::to_string),
                reason,
            };
            let path = match NodePath::parse(&raw_path) {
                Ok(p) if !p.is_root() => p,
                Ok(_) => {
                    errors.push(err(None, "the root folder has no attributes".into()));
                    continue;
                }
                Err(e) => {
                    errors.push(err(None, e.to_string()));
                    continue;
                }
            };
            let node = match self.node_at(who, &path).await {
                Ok(n) => n,
                Err(ServiceError::NotFound(_) | ServiceError::NotAFolder(_)) => {
                    errors.push(err(None, "no such file or folder".into()));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut values = serde_json::Map::new();
            for (i, col) in cols.iter().enumerate() {
                let Some(d) = col else { continue };
                let cell = rec.get(i + 1).unwrap_or("").trim();
                if cell.is_empty() {
                    continue;
                }
                match cell_value(&d.spec, cell) {
                    Ok(v) => {
                        values.insert(d.spec.key.clone(), v);
                    }
                    Err(reason) => errors.push(err(Some(&d.spec.key), reason)),
                }
            }
            match Self::validate(&schema, &path, &values) {
                Ok(set) => items.push((path, node, set)),
                Err(ServiceError::InvalidAttribute { key, reason }) => {
                    errors.push(err(Some(&key), reason));
                }
                Err(e) => return Err(e),
            }
        }
        // Required attributes of files must hold after the import.
        let ids: Vec<i64> = items.iter().map(|(_, n, _)| n.id).collect();
        let mut old: HashMap<i64, Vec<_>> = HashMap::new();
        for (n, a, v) in self.db.attribute_rows_of(&ids).await? {
            old.entry(n).or_default().push((a, v));
        }
        for (path, node, set) in &items {
            if node.kind != NodeKind::File {
                continue;
            }
            let before = old.get(&node.id).map(Vec::as_slice).unwrap_or_default();
            let has = |id: i64| {
                set.iter().any(|(i, v)| *i == id && v.is_some())
                    || before.iter().any(|(a, _)| *a == id)
            };
            if let Err(ServiceError::InvalidAttribute { key, reason }) =
                Self::check_required(&schema, path, &has)
            {
                errors.push(CsvRowError {
                    line: 0,
                    path: Some(path.to_string()),
                    attribute: Some(key),
                    reason,
                });
            }
        }
        let updated = items.iter().filter(|(_, _, s)| !s.is_empty()).count();
        let report = CsvImportReport {
            dry_run,
            rows,
            updated,
            errors,
        };
        if dry_run {
            return Ok(report);
        }
        if !report.errors.is_empty() {
            return Err(ServiceError::InvalidCsv(report.errors));
        }
        self.apply_rows(who, &schema, &items, &old).await?;
        Ok(report)
    }
}

/// One CSV line (RFC 4180 quoting), ending in CRLF as Excel writes it.
fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let cells: Vec<String> = cells.collect();
    if w.write_record(&cells).is_err() {
        return String::new();
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}
