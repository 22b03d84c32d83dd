//! Human byte sizes for capacities: `10GiB`, `500MB`, `1024`.

use crate::CoreError;

/// Parses a byte size with an optional unit: B, KiB, MiB, GiB, TiB (binary) or KB, MB, GB, TB (decimal).
pub fn parse_size(input: &str) -> Result<u64, CoreError> {
    let s = input.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let unit = unit.trim();
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "tib" | "t" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(CoreError::InvalidSize(format!(
                "unknown unit {unit:?} in {input:?} (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"
            )));
        }
    };
    if num.is_empty() {
        return Err(CoreError::InvalidSize(format!("{input:?} has no number")));
    }
    let bad = || CoreError::InvalidSize(format!("{input:?} is not a valid size"));
    let bytes = if let Some((whole, frac)) = num.split_once('.') {
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let digits = u32::try_from(frac.len()).map_err(|_| bad())?;
        let frac_v: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        let scale = 10u64.checked_pow(digits).ok_or_else(bad)?;
        let w = whole.checked_mul(mult).ok_or_else(bad)?;
        let f = u128::from(frac_v) * u128::from(mult) / u128::from(scale);
        w.checked_add(u64::try_from(f).map_err(|_| bad())?)
            .ok_or_else(bad)?
    } else {
        num.parse::<u64>()
            .map_err(|_| bad())?
            .checked_mul(mult)
            .ok_or_else(bad)?
    };
    if bytes > i64::MAX as u64 {
        return Err(bad());
    }
    Ok(bytes)
}

/// Formats bytes with binary units for people (`1.5 GiB`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = "B";
    for u in UNITS {
        unit = u;
        if v < 1024.0 || u == "TiB" {
            break;
        }
        v /= 1024.0;
    }
    if unit == "B" {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_size("10GiB").unwrap(), 10 * (1 << 30));
        assert_eq!(parse_size("5 MB").unwrap(), 5_000_000);
        assert_eq!(parse_size("1KB").unwrap(), 1000);
        assert_eq!(parse_size("2KiB").unwrap(), 2048);
        assert_eq!(parse_size("1TiB").unwrap(), 1 << 40);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert_eq!(parse_size("123B").unwrap(), 123);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 * (1 << 29));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_size("").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("-5MB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(1536), "1.5 KiB");
    }
}
