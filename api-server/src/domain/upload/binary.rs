//! Checks of the binary kinds (PDF, PNG, JPEG) beyond their first bytes, and the executable
//! formats refused whatever else they look like.

use super::{DocumentKind, SniffError, malformed};

/// How far from the end a PDF's `%%EOF` marker may be (trailing whitespace, incremental
/// updates written by sloppy tools).
const PDF_EOF_WINDOW: usize = 1024;
/// The PNG file signature.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The executable format `bytes` starts with, if any: ELF, Windows/DOS (`MZ`), Mach-O, a
/// script with a `#!` interpreter line, or a Java class.
pub fn executable(bytes: &[u8]) -> Option<&'static str> {
    const FORMATS: &[(&[u8], &str)] = &[
        (b"\x7fELF", "ELF executable"),
        (b"MZ", "Windows executable"),
        (b"\xfe\xed\xfa\xce", "Mach-O executable"),
        (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
        (b"\xce\xfa\xed\xfe", "Mach-O executable"),
        (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
        (b"\xca\xfe\xba\xbe", "Mach-O or Java class"),
        (b"#!", "script"),
    ];
    FORMATS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, name)| *name)
}

/// A PDF: `%PDF-<major>.<minor>` at the very start and an `%%EOF` marker near the end.
pub fn check_pdf(bytes: &[u8]) -> Result<(), SniffError> {
    let header = bytes.get(..8).unwrap_or_default();
    let versioned = header.starts_with(b"%PDF-")
        && header[5].is_ascii_digit()
        && header[6] == b'.'
        && header[7].is_ascii_digit();
    if !versioned {
        return Err(malformed(
            DocumentKind::Pdf,
            "no %PDF-<version> header at the start",
        ));
    }
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(malformed(DocumentKind::Pdf, "no %%EOF marker at the end"));
    }
    Ok(())
}

/// A PNG: the signature, then an `IHDR` chunk of 13 bytes, and an `IEND` chunk at the end.
pub fn check_png(bytes: &[u8]) -> Result<(), SniffError> {
    let ok_start = bytes.starts_with(PNG_SIGNATURE)
        && bytes.get(8..12) == Some(&[0u8, 0, 0, 13][..])
        && bytes.get(12..16) == Some(&b"IHDR"[..]);
    if !ok_start {
        return Err(malformed(
            DocumentKind::Png,
            "no IHDR chunk after the signature",
        ));
    }
    let end = bytes.len().saturating_sub(8);
    if bytes.get(end..end + 4) != Some(&b"IEND"[..]) {
        return Err(malformed(DocumentKind::Png, "no IEND chunk at the end"));
    }
    Ok(())
}

/// A JPEG: the start-of-image marker followed by another marker, and an end-of-image marker
/// near the end.
pub fn check_jpeg(bytes: &[u8]) -> Result<(), SniffError> {
    if !(bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && bytes.len() >= 4) {
        return Err(malformed(DocumentKind::Jpeg, "no start-of-image marker"));
    }
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return Err(malformed(DocumentKind::Jpeg, "no end-of-image marker"));
    }
    Ok(())
}
