//! Plain-text building blocks: kubectl-style tables, ages, sizes.
//!
//! Tables follow kubectl's layout (upper-case headers, columns padded and separated by three
//! spaces, no borders); that is a dozen lines, so no table crate.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// A table: a header row and data rows, rendered with aligned columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells render empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, each line indented by `indent` spaces and ending in a newline.
    pub fn render(&self, indent: usize) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().take(columns).enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = " ".repeat(indent);
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                if i + 1 == columns {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}   "));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// How long ago `then` was, kubectl style: `45s`, `12m`, `5h`, `3d`; `<future>` for times
/// ahead of `now` by more than a little clock skew.
pub fn age(then: &Timestamp, now: &Timestamp) -> String {
    let seconds = now.as_second() - then.as_second();
    match seconds {
        s if s < -5 => "<future>".into(),
        s if s < 120 => format!("{}s", s.max(0)),
        s if s < 120 * 60 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// `age` of an optional API time, `-` when absent.
pub fn age_of(time: Option<&Time>, now: &Timestamp) -> String {
    time.map_or_else(|| "-".into(), |t| age(&t.0, now))
}

/// A time as RFC 3339 to the second with its age, e.g. `2026-01-02T03:04:05Z (5h ago)`;
/// `never` when absent.
pub fn when(time: Option<&Time>, now: &Timestamp) -> String {
    match time {
        Some(t) => format!("{} ({} ago)", rfc3339(&t.0), age(&t.0, now)),
        None => "never".into(),
    }
}

/// RFC 3339 to the second, UTC.
pub fn rfc3339(t: &Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `12.3 MiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `value`, or `-` when absent or empty.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => "-".into(),
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> crate::error::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn tables_align_like_kubectl() {
        let mut table = Table::new(&["NAME", "PHASE", "IMAGE"]);
        table.row(vec![
            "a-long-name".into(),
            "Succeeded".into(),
            "img:1".into(),
        ]);
        table.row(vec!["b".into(), "Pending".into(), String::new()]);
        assert_eq!(
            table.render(2),
            "  NAME          PHASE       IMAGE\n  a-long-name   Succeeded   img:1\n  b             Pending\n"
        );
        assert!(!table.is_empty());
        assert!(Table::new(&["X"]).is_empty());
    }

    #[test]
    fn ages_read_like_kubectl() {
        let now = ts("2026-01-10T12:00:00Z");
        assert_eq!(age(&ts("2026-01-10T11:59:15Z"), &now), "45s");
        assert_eq!(age(&ts("2026-01-10T11:48:00Z"), &now), "12m");
        assert_eq!(age(&ts("2026-01-10T07:00:00Z"), &now), "5h");
        assert_eq!(age(&ts("2026-01-07T12:00:00Z"), &now), "3d");
        assert_eq!(age(&ts("2026-01-10T12:00:02Z"), &now), "0s");
        assert_eq!(age(&ts("2026-01-10T13:00:00Z"), &now), "<future>");
        assert_eq!(age_of(None, &now), "-");
        assert_eq!(
            when(Some(&Time(ts("2026-01-10T07:00:00.5Z"))), &now),
            "2026-01-10T07:00:00Z (5h ago)"
        );
        assert_eq!(when(None, &now), "never");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(12_897_484), "12.3 MiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(or_dash(Some("")), "-");
        assert_eq!(or_dash(Some("x")), "x");
    }
}
