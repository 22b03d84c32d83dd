//! The configuration written on the very first start when none was given, so
//! that `kura serve` works on a machine without ClamAV and says so plainly.

use kura_scan::{ClamdScanner, ScanConfig, Scanner};
use std::path::Path;

/// Where a local clamd usually listens (Debian's socket, then the TCP default).
const CANDIDATES: [&str; 2] = ["unix:/var/run/clamav/clamd.ctl", "tcp://127.0.0.1:3310"];

/// Writes `file` with scanning required if a local clamd answers, otherwise
/// with scanning disabled and a comment that says so. Returns what it chose.
pub async fn write_config(file: &Path) -> anyhow::Result<Option<String>> {
    let mut found = None;
    for addr in CANDIDATES {
        let cfg = ScanConfig {
            clamd: addr.into(),
            connect_timeout_seconds: 1,
            io_timeout_seconds: 2,
            ..ScanConfig::default()
        };
        if let Ok(s) = ClamdScanner::new(&cfg)
            && s.ping().await.is_ok()
        {
            found = Some(addr.to_string());
            break;
        }
    }
    let scan = match &found {
        Some(addr) => format!(
            "[scan]\n\
             # A clamd answered at {addr} on the first start: every upload is virus-scanned,\n\
             # and uploads are refused (503) while clamd is unreachable.\n\
             mode = \"required\"\n\
             clamd = \"{addr}\"\n"
        ),
        None => "[scan]\n\
             # VIRUS SCANNING IS OFF. No ClamAV daemon (clamd) answered on this machine at the\n\
             # first start, so uploads are stored UNSCANNED and marked as such.\n\
             # To scan: install clamav-daemon (see deploy/clamd.conf), then set\n\
             #   mode = \"required\"\n\
             #   clamd = \"unix:/var/run/clamav/clamd.ctl\"   # or \"tcp://127.0.0.1:3310\"\n\
             mode = \"disabled\"\n"
            .to_string(),
    };
    let text = format!(
        "# Kura configuration, written on the first start because none was given.\n\
         # Every setting is described in deploy/kura.example.toml; environment variables\n\
         # KURA_<SECTION>__<KEY> override this file.\n\n{scan}"
    );
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(file, text)?;
    Ok(found)
}
