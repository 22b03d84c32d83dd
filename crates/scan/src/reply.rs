//! clamd's answers to INSTREAM, parsed into a verdict.

/// What the scanner concluded about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Scanned, nothing found.
    Clean,
    /// A signature matched; the name is clamd's (e.g. `Win.Test.EICAR_HDB-1`).
    Infected(String),
    /// The scanner did not scan everything because a size limit was reached:
    /// the stream was longer than StreamMaxLength, or (with
    /// `AlertExceedsMax yes`) a file or archive member exceeded MaxFileSize,
    /// MaxScanSize, MaxRecursion or MaxFiles. The detail is clamd's text.
    LimitExceeded(String),
}

/// Signatures clamd reports when a limit stopped the scan rather than a virus.
const LIMIT_SIGNATURE_PREFIX: &str = "Heuristics.Limits.Exceeded";

/// Parses a reply such as `stream: OK`, `stream: Eicar FOUND` or
/// `INSTREAM size limit exceeded. ERROR` (NUL terminator optional).
/// Returns `None` for anything else (an error the caller reports as such).
pub fn parse_reply(raw: &[u8]) -> Option<Verdict> {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\0', '\n', '\r', ' ']);
    if text.contains("size limit exceeded") {
        return Some(Verdict::LimitExceeded(text.to_string()));
    }
    let body = text.strip_prefix("stream:").unwrap_or(text).trim();
    if body == "OK" {
        return Some(Verdict::Clean);
    }
    if let Some(sig) = body.strip_suffix(" FOUND") {
        let sig = sig.trim();
        if sig.is_empty() {
            return None;
        }
        if sig.starts_with(LIMIT_SIGNATURE_PREFIX) {
            return Some(Verdict::LimitExceeded(sig.to_string()));
        }
        return Some(Verdict::Infected(sig.to_string()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(parse_reply(b"stream: OK\0"), Some(Verdict::Clean));
        assert_eq!(
            parse_reply(b"stream: Test.EICAR.NDB.UNOFFICIAL FOUND\0"),
            Some(Verdict::Infected("Test.EICAR.NDB.UNOFFICIAL".into()))
        );
        assert_eq!(
            parse_reply(b"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0"),
            Some(Verdict::LimitExceeded(
                "Heuristics.Limits.Exceeded.MaxFileSize".into()
            ))
        );
        assert!(matches!(
            parse_reply(b"INSTREAM size limit exceeded. ERROR\0"),
            Some(Verdict::LimitExceeded(_))
        ));
        assert_eq!(parse_reply(b"stream: lstat() failed. ERROR\0"), None);
        assert_eq!(parse_reply(b"stream:  FOUND\0"), None);
        assert_eq!(parse_reply(b""), None);
    }
}
