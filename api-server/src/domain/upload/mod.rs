//! Upload content checks: which [`DocumentKind`] some bytes are, decided by their content
//! only, never by a file name or a declared `Content-Type`. Pure functions, no I/O.
//!
//! The `infer` crate recognises binary signatures (so executables, archives and other media
//! are named and refused); each allowed kind then passes a stricter check of its own
//! ([`binary`] for PDF, PNG and JPEG, [`text`] for LAS and CSV, [`xlsx`] for the zip
//! structure, with limits against zip bombs).

pub mod binary;
pub mod text;
pub mod xlsx;

/// MIME type `infer` gives Office Open XML workbooks.
const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

wire_enum!(
    /// The kinds of documents a data room accepts.
    DocumentKind, "document kind" {
        /// PDF.
        Pdf => "pdf",
        /// PNG image.
        Png => "png",
        /// JPEG image.
        Jpeg => "jpeg",
        /// LAS well log (CWLS Log ASCII Standard).
        Las => "las",
        /// Comma (or `;`, tab, `|`) separated values.
        Csv => "csv",
        /// Excel workbook (Office Open XML).
        Xlsx => "xlsx",
    }
);

impl DocumentKind {
    /// The `Content-Type` downloads are served with.
    pub fn mime_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Jpeg => "image/jpeg",
            // LAS has no registered type: plain text, downloaded as an attachment.
            DocumentKind::Las => "text/plain; charset=utf-8",
            DocumentKind::Csv => "text/csv; charset=utf-8",
            DocumentKind::Xlsx => XLSX_MIME,
        }
    }

    /// The extension of generated file names.
    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Las => "las",
            DocumentKind::Csv => "csv",
            DocumentKind::Xlsx => "xlsx",
        }
    }

    /// A short human name (`PDF`, `LAS well log`, ...).
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Png => "PNG",
            DocumentKind::Jpeg => "JPEG",
            DocumentKind::Las => "LAS well log",
            DocumentKind::Csv => "CSV",
            DocumentKind::Xlsx => "XLSX",
        }
    }

    /// The kind a declared `Content-Type` (parameters ignored) names, when it names one of
    /// ours; generic or unknown types name none.
    pub fn from_declared_type(content_type: &str) -> Option<DocumentKind> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "application/pdf" => Some(DocumentKind::Pdf),
            "image/png" => Some(DocumentKind::Png),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(DocumentKind::Jpeg),
            "text/csv" | "application/csv" => Some(DocumentKind::Csv),
            XLSX_MIME => Some(DocumentKind::Xlsx),
            _ => None,
        }
    }

    /// The kind a file name's extension names, when it names one of ours.
    pub fn from_file_name(name: &str) -> Option<DocumentKind> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "pdf" => Some(DocumentKind::Pdf),
            "png" => Some(DocumentKind::Png),
            "jpg" | "jpeg" => Some(DocumentKind::Jpeg),
            "las" => Some(DocumentKind::Las),
            "csv" => Some(DocumentKind::Csv),
            "xlsx" => Some(DocumentKind::Xlsx),
            _ => None,
        }
    }
}

/// Limits of the structural checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SniffLimits {
    /// Most entries an XLSX (zip) may have.
    pub max_zip_entries: usize,
    /// Most bytes the entries of an XLSX may expand to, declared and actually decompressed.
    pub max_unpacked_bytes: u64,
}

impl SniffLimits {
    /// Limits for uploads of at most `max_upload_bytes`: 1,000 zip entries and 20 times the
    /// upload size once unpacked (real workbooks compress 5-10 times).
    pub fn for_upload(max_upload_bytes: u64) -> Self {
        Self {
            max_zip_entries: 1_000,
            max_unpacked_bytes: max_upload_bytes.saturating_mul(20),
        }
    }
}

/// Why content was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    /// Nothing to check.
    #[error("the file is empty")]
    Empty,
    /// A recognised type that is not allowed (executables, archives, other media).
    #[error("{0} files are not accepted")]
    Forbidden(String),
    /// Looks like an allowed kind but fails its structural check.
    #[error("not a valid {kind}: {reason}")]
    Malformed {
        /// The kind it looked like.
        kind: DocumentKind,
        /// What is wrong.
        reason: String,
    },
    /// A zip that expands past the limits (a zip bomb, or simply too big).
    #[error("the workbook expands past the limits: {0}")]
    TooLargeUnpacked(String),
    /// None of the allowed kinds.
    #[error("unrecognised content: only PDF, PNG, JPEG, LAS, CSV and XLSX are accepted")]
    Unrecognised,
}

pub(crate) fn malformed(kind: DocumentKind, reason: impl Into<String>) -> SniffError {
    SniffError::Malformed {
        kind,
        reason: reason.into(),
    }
}

/// The kind of `bytes`, decided by content alone (see the module docs).
pub fn sniff(bytes: &[u8], limits: SniffLimits) -> Result<DocumentKind, SniffError> {
    if bytes.is_empty() {
        return Err(SniffError::Empty);
    }
    if let Some(what) = binary::executable(bytes) {
        return Err(SniffError::Forbidden(what.to_owned()));
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some("application/pdf") => binary::check_pdf(bytes).map(|()| DocumentKind::Pdf),
        Some("image/png") => binary::check_png(bytes).map(|()| DocumentKind::Png),
        Some("image/jpeg") => binary::check_jpeg(bytes).map(|()| DocumentKind::Jpeg),
        Some("application/zip" | XLSX_MIME) => {
            xlsx::check(bytes, limits).map(|()| DocumentKind::Xlsx)
        }
        Some(other) => Err(SniffError::Forbidden(other.to_owned())),
        None => text::sniff_text(bytes),
    }
}

#[cfg(test)]
mod tests;
