//! File and folder names, paths inside a tenant, and tenant codes.
//!
//! Names are NFC-normalised so that the same visible name typed on macOS (NFD)
//! and Windows (NFC) is one name; uniqueness in a folder ignores case but the
//! case given is kept.

use crate::CoreError;
use unicode_normalization::UnicodeNormalization;

/// Longest name in bytes (UTF-8), like most file systems.
pub const MAX_NAME_BYTES: usize = 255;
/// Longest path in bytes (UTF-8).
pub const MAX_PATH_BYTES: usize = 4096;

/// A valid, NFC-normalised file or folder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Validates and normalises a name.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let n: String = raw.nfc().collect();
        if n.is_empty() {
            return Err(CoreError::InvalidName("a name cannot be empty".into()));
        }
        if n == "." || n == ".." {
            return Err(CoreError::InvalidName(format!(
                "{n:?} is not allowed as a name"
            )));
        }
        if n.len() > MAX_NAME_BYTES {
            return Err(CoreError::InvalidName(format!(
                "a name may have at most {MAX_NAME_BYTES} bytes (UTF-8); this one has {}",
                n.len()
            )));
        }
        if let Some(c) = n
            .chars()
            .find(|c| *c == '/' || *c == '\\' || c.is_control())
        {
            let what = match c {
                '/' => "a slash (/)".to_string(),
                '\\' => "a backslash (\\)".to_string(),
                c => format!("the control character U+{:04X}", u32::from(c)),
            };
            return Err(CoreError::InvalidName(format!(
                "a name cannot contain {what}"
            )));
        }
        Ok(Self(n))
    }

    /// The name as given (NFC).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that decides uniqueness inside a folder: case-folded NFC.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Case-insensitive comparison key of a name (lower-cased, NFC).
pub fn name_key(name: &str) -> String {
    name.nfc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

/// A path inside a tenant's tree: zero names is the root folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodePath(Vec<Name>);

impl NodePath {
    /// The root folder.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses an already percent-decoded, slash-separated path; leading and
    /// one trailing slash are ignored, empty segments are refused.
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        Self::from_segments(split_path(raw)?.into_iter().map(str::to_string))
    }

    /// Parses a percent-encoded URL path. Segments are split before decoding so
    /// an encoded slash (`%2F`) can never become a separator.
    pub fn parse_url_encoded(raw: &str) -> Result<Self, CoreError> {
        let mut segs = Vec::new();
        for seg in split_path(raw)? {
            let decoded = percent_decode(seg)?;
            segs.push(decoded);
        }
        Self::from_segments(segs)
    }

    fn from_segments(segs: impl IntoIterator<Item = String>) -> Result<Self, CoreError> {
        let mut names = Vec::new();
        let mut total = 0usize;
        for s in segs {
            let name = Name::parse(&s)
                .map_err(|e| CoreError::InvalidPath(format!("{e} (segment {s:?})")))?;
            total += name.as_str().len() + 1;
            names.push(name);
        }
        if total > MAX_PATH_BYTES {
            return Err(CoreError::InvalidPath(format!(
                "a path may have at most {MAX_PATH_BYTES} bytes; this one has {total}"
            )));
        }
        Ok(Self(names))
    }

    /// Builds a path from names.
    pub fn from_names(names: Vec<Name>) -> Self {
        Self(names)
    }

    /// The names from the root down.
    pub fn names(&self) -> &[Name] {
        &self.0
    }

    /// True for the root folder.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The parent path and the last name; `None` for the root.
    pub fn split_last(&self) -> Option<(NodePath, &Name)> {
        let (last, rest) = self.0.split_last()?;
        Some((NodePath(rest.to_vec()), last))
    }

    /// This path with one more name.
    pub fn join(&self, name: &Name) -> NodePath {
        let mut v = self.0.clone();
        v.push(name.clone());
        NodePath(v)
    }

    /// True if `other` is this path or lies below it (compared case-insensitively).
    pub fn contains(&self, other: &NodePath) -> bool {
        other.0.len() >= self.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .all(|(a, b)| a.key() == b.key())
    }
}

impl std::fmt::Display for NodePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for n in &self.0 {
            write!(f, "/{n}")?;
        }
        Ok(())
    }
}

fn split_path(raw: &str) -> Result<Vec<&str>, CoreError> {
    if raw.len() > MAX_PATH_BYTES * 3 {
        return Err(CoreError::InvalidPath(format!(
            "a path may have at most {MAX_PATH_BYTES} bytes"
        )));
    }
    let trimmed = raw.strip_prefix('/').unwrap_or(raw);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let segs: Vec<&str> = trimmed.split('/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(CoreError::InvalidPath(
            "a path cannot contain an empty segment (//)".into(),
        ));
    }
    Ok(segs)
}

fn percent_decode(seg: &str) -> Result<String, CoreError> {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    CoreError::InvalidPath(format!("bad percent-encoding in {seg:?}"))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| CoreError::InvalidPath(format!("{seg:?} is not valid UTF-8 once decoded")))
}

/// A tenant's short code, used at login and in admin commands: `acme`, `tokyo-office`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantCode(String);

impl TenantCode {
    /// Validates a code: 2-32 of a-z, 0-9 and `-`, starting with a letter (case-insensitive input).
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let c = raw.trim().to_ascii_lowercase();
        let ok_len = (2..=32).contains(&c.len());
        let ok_first = c.chars().next().is_some_and(|f| f.is_ascii_lowercase());
        let ok_chars = c
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !(ok_len && ok_first && ok_chars) {
            return Err(CoreError::InvalidTenantCode(format!(
                "{raw:?}: use 2-32 characters a-z, 0-9 and -, starting with a letter"
            )));
        }
        Ok(Self(c))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates a login id: 1-128 characters, no whitespace or control characters; compared case-insensitively.
pub fn validate_login(raw: &str) -> Result<String, CoreError> {
    let l: String = raw.trim().nfc().collect();
    if l.is_empty() || l.len() > 128 || l.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CoreError::InvalidValue(
            "a login id has 1-128 characters without spaces or control characters".into(),
        ));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_nfc_and_checked() {
        let nfd = "\u{30cf}\u{309a}"; // ハ + combining handakuten
        assert_eq!(Name::parse(nfd).unwrap().as_str(), "\u{30d1}"); // パ
        assert!(Name::parse("").is_err());
        assert!(Name::parse(".").is_err());
        assert!(Name::parse("..").is_err());
        assert!(Name::parse("a/b").is_err());
        assert!(Name::parse("a\\b").is_err());
        assert!(Name::parse("a\0b").is_err());
        assert!(Name::parse("a\nb").is_err());
        assert!(Name::parse(&"x".repeat(256)).is_err());
        assert!(Name::parse(&"x".repeat(255)).is_ok());
        // 85 three-byte characters = 255 bytes, 86 = 258
        assert!(Name::parse(&"図".repeat(85)).is_ok());
        assert!(Name::parse(&"図".repeat(86)).is_err());
        assert!(Name::parse("...").is_ok());
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(
            Name::parse("Report.PDF").unwrap().key(),
            Name::parse("report.pdf").unwrap().key()
        );
        assert_ne!(
            Name::parse("a").unwrap().key(),
            Name::parse("b").unwrap().key()
        );
    }

    #[test]
    fn paths_split_before_decoding() {
        let p = NodePath::parse_url_encoded("/a%20b/%E5%9B%B3%E9%9D%A2.pdf").unwrap();
        assert_eq!(p.to_string(), "/a b/図面.pdf");
        assert!(NodePath::parse_url_encoded("/a%2Fb").is_err());
        assert!(NodePath::parse_url_encoded("/a%2fb").is_err());
        assert!(NodePath::parse_url_encoded("/a/%2E%2E/b").is_err());
        assert!(NodePath::parse_url_encoded("/a/../b").is_err());
        assert!(NodePath::parse_url_encoded("/a%5C..%5Cb").is_err());
        assert!(NodePath::parse_url_encoded("/a//b").is_err());
        assert!(NodePath::parse_url_encoded("/a%ZZ").is_err());
        assert!(NodePath::parse_url_encoded("/a%FF").is_err());
        assert!(NodePath::parse_url_encoded("/").unwrap().is_root());
        assert!(NodePath::parse_url_encoded("").unwrap().is_root());
        let long = format!("/{}", vec!["x".repeat(200); 25].join("/"));
        assert!(NodePath::parse_url_encoded(&long).is_err());
    }

    #[test]
    fn path_helpers() {
        let p = NodePath::parse("/a/b/c").unwrap();
        let (parent, last) = p.split_last().unwrap();
        assert_eq!(parent.to_string(), "/a/b");
        assert_eq!(last.as_str(), "c");
        assert!(NodePath::parse("/A").unwrap().contains(&p));
        assert!(!p.contains(&NodePath::parse("/a").unwrap()));
    }

    #[test]
    fn tenant_codes() {
        assert_eq!(TenantCode::parse("Acme").unwrap().as_str(), "acme");
        assert!(TenantCode::parse("a").is_err());
        assert!(TenantCode::parse("1abc").is_err());
        assert!(TenantCode::parse("ac me").is_err());
        assert!(TenantCode::parse("tokyo-office2").is_ok());
    }
}
