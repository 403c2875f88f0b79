//! Checks of the text kinds: LAS well logs and CSV. Both must be UTF-8 (a leading byte-order
//! mark is allowed) without NUL or other control characters besides tab, CR and LF.

use super::{DocumentKind, SniffError, malformed};

/// Delimiters a CSV may use, in order of preference.
const DELIMITERS: &[u8] = b",;\t|";

/// The text of `bytes` if it is clean UTF-8 text, else why not.
fn clean_text(bytes: &[u8]) -> Result<&str, &'static str> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err("contains NUL or other control characters");
    }
    Ok(text)
}

/// LAS or CSV, else [`SniffError::Unrecognised`] (or why it is not valid text).
pub fn sniff_text(bytes: &[u8]) -> Result<DocumentKind, SniffError> {
    let text = clean_text(bytes).map_err(|_| SniffError::Unrecognised)?;
    if first_section(text).is_some() {
        check_las(text)?;
        return Ok(DocumentKind::Las);
    }
    check_csv(text)?;
    Ok(DocumentKind::Csv)
}

/// The first line that is neither blank nor a `#` comment, if it starts a `~` section.
fn first_section(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| l.starts_with('~'))
}

/// A LAS file: its first section is `~V` (version information) and holds a `VERS` line with
/// a known version (1.2, 2.0 or 3.0) and a `WRAP` line with `YES` or `NO`.
pub fn check_las(text: &str) -> Result<(), SniffError> {
    let bad = |reason: &str| malformed(DocumentKind::Las, reason);
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let first = lines.next().unwrap_or_default();
    if !first.to_ascii_uppercase().starts_with("~V") {
        return Err(bad("the first section is not ~V (version information)"));
    }
    let (mut version, mut wrap) = (None, None);
    for line in lines.take_while(|l| !l.starts_with('~')) {
        let Some((mnemonic, rest)) = line.split_once('.') else {
            continue;
        };
        // `VERS.   2.0 : CWLS LOG ASCII STANDARD`: the value is before the colon.
        let value = rest.split(':').next().unwrap_or("").trim();
        let value = value.split_whitespace().last().unwrap_or("");
        match mnemonic.trim().to_ascii_uppercase().as_str() {
            "VERS" => version = Some(value.to_owned()),
            "WRAP" => wrap = Some(value.to_ascii_uppercase()),
            _ => {}
        }
    }
    match version.as_deref() {
        Some("1.2" | "1.20" | "2.0" | "2.00" | "3.0" | "3.00") => {}
        Some(_) => return Err(bad("VERS is not 1.2, 2.0 or 3.0")),
        None => return Err(bad("no VERS line in the ~V section")),
    }
    match wrap.as_deref() {
        Some("YES" | "NO") => Ok(()),
        Some(_) => Err(bad("WRAP is not YES or NO")),
        None => Err(bad("no WRAP line in the ~V section")),
    }
}

/// A CSV: not markup, and every row has the same number (at least two) of fields separated
/// by one of `,` `;` tab `|` (quoted fields follow RFC 4180).
pub fn check_csv(text: &str) -> Result<(), SniffError> {
    if text.trim_start().starts_with('<') {
        return Err(SniffError::Unrecognised);
    }
    if text.trim().is_empty() {
        return Err(SniffError::Empty);
    }
    DELIMITERS
        .iter()
        .find(|&&d| consistent_rows(text, d))
        .map(|_| ())
        .ok_or(SniffError::Unrecognised)
}

/// Whether every record of `text` parses with delimiter `d` into the same number (>= 2) of
/// fields.
fn consistent_rows(text: &str, d: u8) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(d)
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let mut fields = None;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return fields.is_some(),
            Ok(true) => {
                let n = record.len();
                if n < 2 || fields.is_some_and(|f| f != n) {
                    return false;
                }
                fields = Some(n);
            }
            Err(_) => return false,
        }
    }
}
