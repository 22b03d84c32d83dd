//! The message catalogue (web/i18n/messages.toml): every string of the web UI
//! in Japanese and English, and how a request's language is chosen.

use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// The cookie that remembers the language a user picked.
pub const LANG_COOKIE: &str = "kura_lang";

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// The BCP 47 tag (`lang` attribute, cookie value).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// `ja` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of Japanese and English for an Accept-Language header
    /// (highest q first, then order); English when neither is named.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in header.split(',').enumerate() {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "ja" || tag.starts_with("ja-") {
                Lang::Ja
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or(Lang::En)
    }

    /// The request's language: the cookie, else Accept-Language.
    pub fn of_request(parts: &Parts) -> Lang {
        Self::of_headers(&parts.headers)
    }

    /// As `of_request`, from the headers alone.
    pub fn of_headers(headers: &HeaderMap) -> Lang {
        let from_cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v));
        from_cookie.unwrap_or_else(|| {
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
                .unwrap_or(Lang::En)
        })
    }
}

#[derive(serde::Deserialize)]
struct Pair {
    en: String,
    ja: String,
}

static SOURCE: &str = include_str!("../../../../web/i18n/messages.toml");

static CATALOGUE: LazyLock<HashMap<String, Pair>> =
    LazyLock::new(|| match toml::from_str(SOURCE) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "the UI message catalogue does not parse");
            HashMap::new()
        }
    });

/// The strings the browser modules need (keys `js.*` and `error.*`), as
/// one JSON object per language.
static JS_JA: LazyLock<String> = LazyLock::new(|| js_catalogue(Lang::Ja));
static JS_EN: LazyLock<String> = LazyLock::new(|| js_catalogue(Lang::En));

fn js_catalogue(lang: Lang) -> String {
    let map: BTreeMap<&str, &str> = CATALOGUE
        .iter()
        .filter(|(k, _)| k.starts_with("js.") || k.starts_with("error."))
        .map(|(k, v)| {
            let s = match lang {
                Lang::Ja => v.ja.as_str(),
                Lang::En => v.en.as_str(),
            };
            (k.as_str(), s)
        })
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

/// Translator handed to templates: `{{ t.get("signin.title") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The message `key` in this language, or `None` if the catalogue lacks it.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        CATALOGUE.get(key).map(|p| match self.0 {
            Lang::Ja => p.ja.as_str(),
            Lang::En => p.en.as_str(),
        })
    }

    /// The message `key`; the key itself if it is missing (a unit test keeps
    /// the templates and the catalogue in step).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.lookup(key).unwrap_or(key)
    }

    /// The translated message of an API error code (generic if unknown).
    pub fn error(&self, code: &str) -> &'static str {
        self.lookup(&format!("error.{code}"))
            .or_else(|| self.lookup("error.generic"))
            .unwrap_or("error")
    }

    /// The language tag.
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    /// The browser modules' strings as JSON (for a `<meta>` tag).
    pub fn js(&self) -> &'static str {
        match self.0 {
            Lang::Ja => JS_JA.as_str(),
            Lang::En => JS_EN.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("ja,en-US;q=0.9"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("en-US,ja;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, ja;q=0.5"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("en;q=0.1, ja-JP;q=0.7"),
            Lang::Ja
        );
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn catalogue_parses_and_has_both_languages() {
        let m = toml::from_str::<HashMap<String, Pair>>(SOURCE).unwrap();
        assert!(m.len() > 50);
        for (k, v) in &m {
            assert!(!v.en.trim().is_empty() && !v.ja.trim().is_empty(), "{k}");
        }
    }

    /// Every `t.get("...")` in the templates and every `t("...")` in the
    /// browser modules names a message of the catalogue.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
        let mut files = vec![];
        for dir in ["templates", "static/js"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(e.unwrap().path());
            }
        }
        let mut missing = vec![];
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for marker in ["t.get(\"", "t(\"", "t('"] {
                for (i, _) in text.match_indices(marker) {
                    // `t("` must start a name (not end `asset("`).
                    let before = text[..i].chars().next_back().unwrap_or(' ');
                    if !marker.starts_with("t.") && (before.is_alphanumeric() || before == '_') {
                        continue;
                    }
                    let rest = &text[i + marker.len()..];
                    let end = rest.find(['"', '\'']).unwrap();
                    let key = &rest[..end];
                    if key.contains('{') || key.ends_with('.') {
                        continue;
                    }
                    if Tr(Lang::En).lookup(key).is_none() {
                        missing.push(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }
}
