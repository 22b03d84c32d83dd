//! The `[scan]` configuration section and clamd's own limits.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Whether uploads must be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanMode {
    /// Every upload is scanned; if the scanner cannot answer, the upload is refused.
    #[default]
    Required,
    /// Nothing is scanned (files are recorded as unscanned). Must be chosen explicitly.
    Disabled,
}

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddress {
    /// `tcp://host:port`
    Tcp(String),
    /// `unix:/path/to/clamd.sock`
    Unix(PathBuf),
}

impl ClamdAddress {
    /// Parses `tcp://host:port` or `unix:/path`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            if rest
                .rsplit_once(':')
                .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
            {
                return Err(format!("scan.clamd {s:?}: expected tcp://host:port"));
            }
            return Ok(Self::Tcp(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("unix:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest.is_empty() {
                return Err(format!(
                    "scan.clamd {s:?}: expected unix:/path/to/clamd.sock"
                ));
            }
            return Ok(Self::Unix(PathBuf::from(rest)));
        }
        Err(format!(
            "scan.clamd {s:?}: expected tcp://host:port or unix:/path/to/clamd.sock"
        ))
    }
}

impl std::fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(a) => write!(f, "tcp://{a}"),
            Self::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// The `[scan]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanConfig {
    pub mode: ScanMode,
    /// `tcp://host:port` or `unix:/path/to/clamd.sock`.
    pub clamd: String,
    /// clamd's configuration file, if Kura can read it: its StreamMaxLength
    /// then overrides `stream_max_length`.
    pub clamd_conf: Option<PathBuf>,
    /// clamd's StreamMaxLength (clamd's default is 100M). Longer files are
    /// handled by the tenant's oversize policy.
    pub stream_max_length: String,
    pub connect_timeout_seconds: u64,
    /// Longest wait for clamd to take the next chunk while streaming.
    pub io_timeout_seconds: u64,
    /// Longest wait for the verdict once the whole file has been sent.
    pub scan_timeout_seconds: u64,
    /// Scans running at once on this node; more uploads wait for a slot.
    pub max_concurrent: usize,
    /// Hours between periodic rescans of stored files (0 = off).
    pub rescan_interval_hours: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            mode: ScanMode::Required,
            clamd: "tcp://127.0.0.1:3310".into(),
            clamd_conf: None,
            stream_max_length: "100M".into(),
            connect_timeout_seconds: 5,
            io_timeout_seconds: 30,
            scan_timeout_seconds: 600,
            max_concurrent: 8,
            rescan_interval_hours: 0,
        }
    }
}

impl ScanConfig {
    /// The stream limit: clamd.conf's StreamMaxLength when `clamd_conf` is
    /// set, else `stream_max_length`.
    pub fn resolved_stream_max_length(&self) -> Result<u64, String> {
        if let Some(conf) = &self.clamd_conf {
            return read_stream_max_length(conf);
        }
        kura_core::size::parse_size(&self.stream_max_length)
            .map_err(|e| format!("scan.stream_max_length: {e}"))
    }
}

/// Reads StreamMaxLength from a clamd.conf (clamd's default, 100M, if absent).
pub fn read_stream_max_length(conf: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(conf)
        .map_err(|e| format!("cannot read clamd config {}: {e}", conf.display()))?;
    stream_max_length_from(&text).map_err(|e| format!("{}: {e}", conf.display()))
}

fn stream_max_length_from(text: &str) -> Result<u64, String> {
    let mut value = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        if parts.next() == Some("StreamMaxLength") {
            value = parts.next().map(str::to_string);
        }
    }
    match value {
        // clamd's sizes use K and M for KiB and MiB, as parse_size does.
        Some(v) => kura_core::size::parse_size(&v).map_err(|e| format!("StreamMaxLength: {e}")),
        None => Ok(100 << 20),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            ClamdAddress::parse("tcp://127.0.0.1:3310"),
            Ok(ClamdAddress::Tcp("127.0.0.1:3310".into()))
        );
        assert_eq!(
            ClamdAddress::parse("unix:/run/clamav/clamd.ctl"),
            Ok(ClamdAddress::Unix("/run/clamav/clamd.ctl".into()))
        );
        assert!(ClamdAddress::parse("127.0.0.1:3310").is_err());
        assert!(ClamdAddress::parse("tcp://127.0.0.1").is_err());
        assert!(ClamdAddress::parse("unix:").is_err());
    }

    #[test]
    fn stream_limit_from_clamd_conf() {
        assert_eq!(
            stream_max_length_from("# StreamMaxLength 5M\nStreamMaxLength 300M\n"),
            Ok(300 << 20)
        );
        assert_eq!(stream_max_length_from("Foreground yes\n"), Ok(100 << 20));
        assert!(stream_max_length_from("StreamMaxLength lots\n").is_err());
    }
}
