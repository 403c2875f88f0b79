//! Files for the upload tests, built in code (no binary fixtures committed).

use std::io::Write;

use zip::write::SimpleFileOptions;

/// A PDF of exactly `size` bytes (a comment pads it).
pub fn pdf(size: usize) -> Vec<u8> {
    let head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%";
    let tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut v = head.to_vec();
    v.extend(std::iter::repeat_n(b'x', pad));
    v.extend_from_slice(tail);
    v
}

/// A 1x1 PNG.
pub fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend_from_slice(&[
        0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ]);
    v.extend_from_slice(b"\0\0\0\0IEND\xae\x42\x60\x82");
    v
}

/// A LAS 2.0 well log.
pub const LAS: &str = "~VERSION INFORMATION\n VERS.   2.0 : CWLS LOG ASCII STANDARD\n \
    WRAP.   NO  : ONE LINE PER DEPTH STEP\n~WELL INFORMATION\n WELL.  UNIT 7-12H : WELL\n\
    ~CURVE INFORMATION\n DEPT.FT : DEPTH\n GR.GAPI : GAMMA RAY\n~A\n8000.0 45.2\n8000.5 47.9\n";

/// A production CSV.
pub const CSV: &str = "month,oil_bbl,gas_mcf\n2025-01,3120,14500\n2025-02,2985,13980\n";

/// A workbook: content types, workbook, one sheet, and `extra` parts.
pub fn xlsx(extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut parts: Vec<(&str, Vec<u8>)> = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_vec(),
        ),
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData/></worksheet>".to_vec()),
    ];
    parts.extend(extra.iter().cloned());
    for (name, data) in parts {
        w.start_file(name, opts).unwrap();
        w.write_all(&data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A zip bomb posing as a workbook: 4 MiB of zeros in a few KiB (the test apps allow
/// 64 KiB uploads, so 1.25 MiB unpacked).
pub fn bomb() -> Vec<u8> {
    xlsx(&[("xl/media/image1.bin", vec![0; 4 << 20])])
}

/// The start of an x86-64 ELF executable.
pub fn elf() -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    v.extend(std::iter::repeat_n(0u8, 200));
    v
}

/// The start of a Windows executable.
pub fn exe() -> Vec<u8> {
    let mut v = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    v.extend_from_slice(b"This program cannot be run in DOS mode.\r\n");
    v
}

/// Lower-case hex sha256.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
