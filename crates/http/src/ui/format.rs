//! Sizes, numbers and dates written the way each language writes them.
//! Dates are rendered in UTC here and rewritten into the browser's time zone
//! by static/js/app.js (from the `datetime` attribute).

use super::i18n::Lang;

/// `1234567` as `1,234,567` (both languages group by thousands with a comma).
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `512 B`, `3.4 KB`, `12 MB` (steps of 1024, as
/// Windows Explorer writes them); bytes are バイト in Japanese.
pub fn size(bytes: i64, lang: Lang) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return match lang {
            Lang::Ja => format!("{} バイト", number(bytes)),
            Lang::En => format!("{} B", number(bytes)),
        };
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = "KB";
    for u in UNITS.iter().skip(1) {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{} {unit}", number(v.round() as i64))
    }
}

/// A timestamp (ms since the epoch) as RFC 3339 for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    kura_core::clock::rfc3339(ms)
}

/// A timestamp (ms since the epoch) in UTC, as each language writes dates.
pub fn datetime(ms: i64, lang: Lang) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return String::new();
    };
    match lang {
        Lang::Ja => format!(
            "{}/{:02}/{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Lang::En => {
            let m = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = m
                .get(usize::from(u8::from(t.month())).saturating_sub(1))
                .unwrap_or(&"");
            format!(
                "{month} {}, {} {:02}:{:02}",
                t.day(),
                t.year(),
                t.hour(),
                t.minute()
            )
        }
    }
}

/// A short description of the browser and system in a User-Agent header
/// ("Firefox · Windows"); `None` if neither is recognised.
pub fn device(ua: &str) -> Option<String> {
    // Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: &[(&str, &str)] = &[
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS X", "macOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |list: &[(&str, &'static str)]| {
        list.iter()
            .find(|(needle, _)| ua.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(b), Some(s)) => Some(format!("{b} · {s}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

/// A percentage 0..=100 of `part` in `whole` (0 if `whole` is not positive).
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    ((part as f64 / whole as f64) * 100.0)
        .round()
        .clamp(0.0, 100.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device(firefox).as_deref(), Some("Firefox · Windows"));
        let edge = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0";
        assert_eq!(device(edge).as_deref(), Some("Edge · macOS"));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(iphone).as_deref(), Some("Safari · iPhone"));
        assert_eq!(device("curl/8.5.0").as_deref(), Some("curl"));
        assert_eq!(device("my-script"), None);
    }

    #[test]
    fn sizes_and_numbers() {
        assert_eq!(number(0), "0");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(number(-1000), "-1,000");
        assert_eq!(size(512, Lang::En), "512 B");
        assert_eq!(size(512, Lang::Ja), "512 バイト");
        assert_eq!(size(1536, Lang::En), "1.5 KB");
        assert_eq!(size(10 * 1024 * 1024 * 1024, Lang::En), "10 GB");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 0), 0);
    }

    #[test]
    fn dates() {
        let ms = 1_795_000_000_000; // 2026-11-18T...
        assert!(datetime(ms, Lang::Ja).starts_with("2026/11/"));
        assert!(datetime(ms, Lang::En).starts_with("Nov "));
    }
}
