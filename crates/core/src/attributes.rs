//! Custom search attributes (issue 5): the per-tenant schema and the values
//! files carry. Pure rules only: validating definitions, changes to them, and
//! values against them; storage and search live in `db` and `service`.

use serde_json::Value;
use std::collections::BTreeSet;

/// Longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most choices one attribute may offer.
pub const MAX_CHOICES: usize = 500;

/// The type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    Text,
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the attribute's choices.
    Choice,
    /// Any set of the attribute's choices.
    MultiChoice,
    Boolean,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Choice => "choice",
            Self::MultiChoice => "multi_choice",
            Self::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AttrError> {
        Ok(match s {
            "text" => Self::Text,
            "number" => Self::Number,
            "date" => Self::Date,
            "choice" => Self::Choice,
            "multi_choice" => Self::MultiChoice,
            "boolean" => Self::Boolean,
            other => {
                return Err(AttrError::definition(format!(
                    "type must be one of text, number, date, choice, multi_choice, boolean (not {other:?})"
                )));
            }
        })
    }

    /// Choice types carry a list of choices.
    pub fn has_choices(self) -> bool {
        matches!(self, Self::Choice | Self::MultiChoice)
    }
}

/// Labels in both of Kura's languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Labels {
    pub ja: String,
    pub en: String,
}

/// One choice: a stable value (what is stored and searched) and its labels
/// (which may change without touching any file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChoiceDef {
    pub value: String,
    pub labels: Labels,
}

/// A validated attribute definition (without storage ids).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttrSpec {
    pub key: String,
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    pub labels: Labels,
    pub required: bool,
    /// Given to new files that do not set the attribute.
    pub default: Option<AttrValue>,
    /// In display order (choice types only).
    pub choices: Vec<ChoiceDef>,
}

/// A value of an attribute.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`, validated.
    Date(String),
    Choice(String),
    MultiChoice(Vec<String>),
    Boolean(bool),
}

/// Why a definition or a value was refused; names the attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", key.as_deref().map(|k| format!("attribute {k:?}: ")).unwrap_or_default())]
pub struct AttrError {
    pub key: Option<String>,
    pub reason: String,
}

impl AttrError {
    fn definition(reason: impl Into<String>) -> Self {
        Self {
            key: None,
            reason: reason.into(),
        }
    }

    fn of(key: &str, reason: impl Into<String>) -> Self {
        Self {
            key: Some(key.to_string()),
            reason: reason.into(),
        }
    }
}

/// Checks an attribute key: a lower-case ASCII letter, then up to 63 lower-case
/// letters, digits or underscores (keys appear in URLs, CSV headers and queries).
pub fn validate_key(key: &str) -> Result<(), AttrError> {
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && key.len() <= 64 {
        Ok(())
    } else {
        Err(AttrError::definition(format!(
            "key {key:?} must start with a-z and contain only a-z, 0-9 and _ (at most 64)"
        )))
    }
}

fn validate_labels(labels: &Labels, what: &str) -> Result<Labels, AttrError> {
    let clean = |s: &str| s.trim().to_string();
    let l = Labels {
        ja: clean(&labels.ja),
        en: clean(&labels.en),
    };
    for (lang, v) in [("ja", &l.ja), ("en", &l.en)] {
        if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
            return Err(AttrError::definition(format!(
                "{what}: the {lang} label must have 1-200 characters"
            )));
        }
    }
    Ok(l)
}

impl AttrSpec {
    /// Validates a new definition.
    pub fn new(
        key: &str,
        attr_type: AttrType,
        labels: &Labels,
        required: bool,
        choices: &[ChoiceDef],
        default: Option<&Value>,
    ) -> Result<Self, AttrError> {
        validate_key(key)?;
        let labels = validate_labels(labels, key)?;
        let choices = validate_choices(key, attr_type, choices)?;
        let mut spec = Self {
            key: key.to_string(),
            attr_type,
            labels,
            required,
            default: None,
            choices,
        };
        spec.default = match default {
            None | Some(Value::Null) => None,
            Some(v) => Some(spec.value(v)?),
        };
        Ok(spec)
    }

    /// Validates a value for this attribute (JSON as sent by a client).
    pub fn value(&self, v: &Value) -> Result<AttrValue, AttrError> {
        let key = self.key.as_str();
        let want = |t: &str| AttrError::of(key, format!("expects {t}, not {v}"));
        match self.attr_type {
            AttrType::Text => {
                let s = v.as_str().ok_or_else(|| want("a string"))?.trim();
                if s.is_empty() {
                    return Err(AttrError::of(key, "is empty (send null to clear it)"));
                }
                if s.chars().count() > MAX_TEXT_CHARS
                    || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
                {
                    return Err(AttrError::of(
                        key,
                        format!(
                            "text must have at most {MAX_TEXT_CHARS} characters and no control characters"
                        ),
                    ));
                }
                Ok(AttrValue::Text(s.to_string()))
            }
            AttrType::Number => {
                let n = v
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| want("a number"))?;
                Ok(AttrValue::Number(n))
            }
            AttrType::Date => {
                let s = v.as_str().ok_or_else(|| want("a date YYYY-MM-DD"))?;
                parse_date(s)
                    .ok_or_else(|| AttrError::of(key, format!("{s:?} is not a date YYYY-MM-DD")))?;
                Ok(AttrValue::Date(s.to_string()))
            }
            AttrType::Choice => {
                let s = v.as_str().ok_or_else(|| want("one of its choices"))?;
                self.check_choice(s)?;
                Ok(AttrValue::Choice(s.to_string()))
            }
            AttrType::MultiChoice => {
                let items = v.as_array().ok_or_else(|| want("a list of its choices"))?;
                let mut seen = BTreeSet::new();
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let s = item.as_str().ok_or_else(|| want("a list of its choices"))?;
                    self.check_choice(s)?;
                    if seen.insert(s) {
                        out.push(s.to_string());
                    }
                }
                // Stored in the schema's order, so equal sets compare equal.
                out.sort_by_key(|c| self.choices.iter().position(|d| &d.value == c));
                Ok(AttrValue::MultiChoice(out))
            }
            AttrType::Boolean => Ok(AttrValue::Boolean(
                v.as_bool().ok_or_else(|| want("true or false"))?,
            )),
        }
    }

    fn check_choice(&self, s: &str) -> Result<(), AttrError> {
        if self.choices.iter().any(|c| c.value == s) {
            Ok(())
        } else {
            let known: Vec<&str> = self.choices.iter().map(|c| c.value.as_str()).collect();
            Err(AttrError::of(
                &self.key,
                format!("{s:?} is not one of its choices ({})", known.join(", ")),
            ))
        }
    }

    /// The choices a new list of choices would drop (values in use must be
    /// migrated explicitly before they can go).
    pub fn dropped_choices(&self, next: &[ChoiceDef]) -> Vec<String> {
        self.choices
            .iter()
            .filter(|c| !next.iter().any(|n| n.value == c.value))
            .map(|c| c.value.clone())
            .collect()
    }
}

fn validate_choices(
    key: &str,
    t: AttrType,
    choices: &[ChoiceDef],
) -> Result<Vec<ChoiceDef>, AttrError> {
    if !t.has_choices() {
        if choices.is_empty() {
            return Ok(Vec::new());
        }
        return Err(AttrError::of(
            key,
            format!("a {} attribute has no choices", t.as_str()),
        ));
    }
    if choices.is_empty() || choices.len() > MAX_CHOICES {
        return Err(AttrError::of(key, format!("needs 1-{MAX_CHOICES} choices")));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(choices.len());
    for c in choices {
        let value = c.value.trim();
        if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
            return Err(AttrError::of(
                key,
                "a choice value must have 1-200 characters",
            ));
        }
        if !seen.insert(value.to_string()) {
            return Err(AttrError::of(
                key,
                format!("choice {value:?} appears twice"),
            ));
        }
        out.push(ChoiceDef {
            value: value.to_string(),
            labels: validate_labels(&c.labels, key)?,
        });
    }
    Ok(out)
}

/// One stored row of a value: text (text, choices), its search form, and a
/// number (numbers, dates as days since 1970, booleans as 0/1).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValue {
    pub text: Option<String>,
    pub fold: Option<String>,
    pub num: Option<f64>,
}

impl AttrValue {
    /// The rows that store this value (several for a multiple choice).
    pub fn stored(&self) -> Vec<StoredValue> {
        let text = |t: &str| StoredValue {
            text: Some(t.to_string()),
            fold: Some(search_fold(t)),
            num: None,
        };
        let num = |n: f64| StoredValue {
            text: None,
            fold: None,
            num: Some(n),
        };
        match self {
            Self::Text(t) | Self::Choice(t) => vec![text(t)],
            Self::MultiChoice(cs) => cs.iter().map(|c| text(c)).collect(),
            Self::Number(n) => vec![num(*n)],
            Self::Date(d) => match parse_date(d) {
                Some(days) => vec![StoredValue {
                    text: Some(d.clone()),
                    fold: None,
                    num: Some(days as f64),
                }],
                None => Vec::new(),
            },
            Self::Boolean(b) => vec![num(if *b { 1.0 } else { 0.0 })],
        }
    }

    /// Rebuilds a value from its rows; `None` if there are none (or they do
    /// not fit the type, which only a bug could cause).
    pub fn from_stored(t: AttrType, rows: &[StoredValue]) -> Option<Self> {
        let first = rows.first()?;
        Some(match t {
            AttrType::Text => Self::Text(first.text.clone()?),
            AttrType::Choice => Self::Choice(first.text.clone()?),
            AttrType::MultiChoice => {
                Self::MultiChoice(rows.iter().filter_map(|r| r.text.clone()).collect())
            }
            AttrType::Number => Self::Number(first.num?),
            AttrType::Date => Self::Date(first.text.clone()?),
            AttrType::Boolean => Self::Boolean(first.num? != 0.0),
        })
    }

    /// The value as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Parses `YYYY-MM-DD` (a real calendar date) into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    let epoch = time::macros::date!(1970 - 01 - 01);
    Some((d - epoch).whole_days())
}

/// The form names are matched in by search: NFKC (full-width and half-width
/// forms alike), then lower case. Katakana and hiragana stay distinct.
pub fn search_fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfkc().collect::<String>().to_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(s: &str) -> Labels {
        Labels {
            ja: format!("{s}（日本語）"),
            en: s.to_string(),
        }
    }

    fn choice(v: &str) -> ChoiceDef {
        ChoiceDef {
            value: v.into(),
            labels: labels(v),
        }
    }

    #[test]
    fn keys_are_checked() {
        assert!(validate_key("project_no").is_ok());
        assert!(validate_key("rev2").is_ok());
        for bad in [
            "",
            "Project",
            "2rev",
            "a-b",
            "プロジェクト",
            &"x".repeat(65),
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_checked_against_the_type_and_name_the_attribute() {
        let num = AttrSpec::new(
            "height",
            AttrType::Number,
            &labels("Height"),
            false,
            &[],
            None,
        )
        .unwrap();
        assert_eq!(num.value(&json!(12.5)).unwrap(), AttrValue::Number(12.5));
        let e = num.value(&json!("12")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("height"));
        assert!(
            e.to_string()
                .starts_with("attribute \"height\": expects a number"),
            "{e}"
        );

        let date = AttrSpec::new(
            "approved",
            AttrType::Date,
            &labels("Approved"),
            true,
            &[],
            None,
        )
        .unwrap();
        assert!(date.value(&json!("2026-02-28")).is_ok());
        assert!(date.value(&json!("2026-02-30")).is_err(), "not a real day");
        assert!(date.value(&json!("2026/02/28")).is_err());

        let kind = AttrSpec::new(
            "drawing_type",
            AttrType::Choice,
            &labels("Drawing type"),
            false,
            &[choice("plan"), choice("section"), choice("詳細図")],
            Some(&json!("plan")),
        )
        .unwrap();
        assert_eq!(kind.default, Some(AttrValue::Choice("plan".into())));
        assert!(kind.value(&json!("詳細図")).is_ok());
        let e = kind.value(&json!("elevation")).unwrap_err();
        assert!(e.reason.contains("not one of its choices"), "{e}");

        let tags = AttrSpec::new(
            "rights",
            AttrType::MultiChoice,
            &labels("Rights"),
            false,
            &[choice("web"), choice("print"), choice("tv")],
            None,
        )
        .unwrap();
        assert_eq!(
            tags.value(&json!(["tv", "web", "tv"])).unwrap(),
            AttrValue::MultiChoice(vec!["web".into(), "tv".into()]),
            "deduplicated, in schema order"
        );
        assert!(tags.value(&json!("web")).is_err());

        let text =
            AttrSpec::new("site", AttrType::Text, &labels("Site"), false, &[], None).unwrap();
        assert!(text.value(&json!("  ")).is_err());
        assert!(text.value(&json!("x".repeat(1001))).is_err());
        assert_eq!(
            text.value(&json!(" 品川 ")).unwrap(),
            AttrValue::Text("品川".into())
        );

        let flag = AttrSpec::new(
            "final",
            AttrType::Boolean,
            &labels("Final"),
            false,
            &[],
            None,
        )
        .unwrap();
        assert!(flag.value(&json!(1)).is_err());
    }

    #[test]
    fn definitions_are_checked() {
        // Choices only for choice types, at least one, unique.
        assert!(
            AttrSpec::new(
                "a",
                AttrType::Text,
                &labels("A"),
                false,
                &[choice("x")],
                None
            )
            .is_err()
        );
        assert!(AttrSpec::new("a", AttrType::Choice, &labels("A"), false, &[], None).is_err());
        assert!(
            AttrSpec::new(
                "a",
                AttrType::Choice,
                &labels("A"),
                false,
                &[choice("x"), choice("x")],
                None
            )
            .is_err()
        );
        // Both labels are needed.
        let half = Labels {
            ja: "".into(),
            en: "A".into(),
        };
        assert!(AttrSpec::new("a", AttrType::Text, &half, false, &[], None).is_err());
        // A default must itself be valid.
        assert!(
            AttrSpec::new(
                "a",
                AttrType::Number,
                &labels("A"),
                false,
                &[],
                Some(&json!("x"))
            )
            .is_err()
        );
        assert!(AttrType::parse("float").is_err());
        assert_eq!(
            AttrType::parse("multi_choice").unwrap(),
            AttrType::MultiChoice
        );
    }

    #[test]
    fn dropped_choices_are_reported() {
        let s = AttrSpec::new(
            "k",
            AttrType::Choice,
            &labels("K"),
            false,
            &[choice("a"), choice("b")],
            None,
        )
        .unwrap();
        assert_eq!(
            s.dropped_choices(&[choice("b"), choice("c")]),
            vec!["a".to_string()]
        );
        assert!(
            s.dropped_choices(&[choice("b"), choice("a")]).is_empty(),
            "reordering drops nothing"
        );
    }

    #[test]
    fn search_folding_matches_width_and_case() {
        assert_eq!(search_fold("ＡＢＣ１２３"), search_fold("abc123"));
        assert_eq!(search_fold("ｶﾀｶﾅ"), search_fold("カタカナ"));
        assert_eq!(search_fold("図面Ａ"), "図面a");
        assert_ne!(search_fold("かたかな"), search_fold("カタカナ"));
        assert_eq!(parse_date("1970-01-02"), Some(1));
    }
}
