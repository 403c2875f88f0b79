//! XLSX (Office Open XML workbook) structure check, safe against zip bombs: the entry count
//! is capped, the sizes the archive declares are summed and capped before anything is
//! decompressed, and then every entry is decompressed into a counter that stops at the same
//! cap (archives can lie about sizes). Nothing is written anywhere.

use std::io::{Cursor, Read};

use super::{DocumentKind, SniffError, SniffLimits, malformed};

/// The part every OOXML package has.
const CONTENT_TYPES: &str = "[Content_Types].xml";
/// The workbook part of a spreadsheet package.
const WORKBOOK: &str = "xl/workbook.xml";
/// Largest `[Content_Types].xml` read into memory.
const MAX_CONTENT_TYPES_BYTES: u64 = 1 << 20;

fn bad(reason: impl Into<String>) -> SniffError {
    malformed(DocumentKind::Xlsx, reason)
}

/// Checks that `bytes` is a spreadsheet package within `limits`.
pub fn check(bytes: &[u8], limits: SniffLimits) -> Result<(), SniffError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip archive ({e})")))?;
    if zip.len() > limits.max_zip_entries {
        return Err(SniffError::TooLargeUnpacked(format!(
            "{} entries (at most {})",
            zip.len(),
            limits.max_zip_entries
        )));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| bad(format!("unreadable entry ({e})")))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_unpacked_bytes {
        return Err(SniffError::TooLargeUnpacked(format!(
            "declares {declared} bytes (at most {})",
            limits.max_unpacked_bytes
        )));
    }
    if zip.index_for_name(CONTENT_TYPES).is_none() {
        return Err(bad(format!("no {CONTENT_TYPES}")));
    }
    if zip.index_for_name(WORKBOOK).is_none() {
        return Err(bad(format!("no {WORKBOOK} (not a spreadsheet)")));
    }
    let mut budget = limits.max_unpacked_bytes;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("unreadable entry ({e})")))?;
        let is_types = entry.name() == CONTENT_TYPES;
        // One byte more than the budget tells "over the limit" apart from "exactly at it".
        let mut limited = (&mut entry).take(budget.saturating_add(1));
        let read = if is_types {
            let mut xml = Vec::new();
            let n = (&mut limited)
                .take(MAX_CONTENT_TYPES_BYTES)
                .read_to_end(&mut xml)
                .map_err(|e| bad(format!("corrupt entry ({e})")))?;
            let types = String::from_utf8_lossy(&xml);
            if !types.contains("spreadsheetml") {
                return Err(bad("the content types name no spreadsheet"));
            }
            u64::try_from(n).unwrap_or(u64::MAX)
        } else {
            std::io::copy(&mut limited, &mut std::io::sink())
                .map_err(|e| bad(format!("corrupt entry ({e})")))?
        };
        if read > budget {
            return Err(SniffError::TooLargeUnpacked(format!(
                "decompresses to more than {} bytes",
                limits.max_unpacked_bytes
            )));
        }
        budget -= read;
    }
    Ok(())
}
