use std::io::Write;

use zip::write::SimpleFileOptions;

use super::*;

const LIMITS: SniffLimits = SniffLimits {
    max_zip_entries: 50,
    max_unpacked_bytes: 1 << 20,
};

pub(crate) fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn png() -> Vec<u8> {
    let mut v = PNG_SIG.to_vec();
    v.extend_from_slice(&[0, 0, 0, 13]);
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
    v.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend_from_slice(b"IEND");
    v.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
    v
}

const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

const LAS: &str = "# exported\n~VERSION INFORMATION\n VERS.   2.0 : CWLS LOG ASCII STANDARD\n \
    WRAP.   NO  : ONE LINE PER DEPTH STEP\n~WELL INFORMATION\n STRT.FT 1000.0 : START\n\
    ~A DEPT GR\n1000.0 45.2\n";

/// A minimal real workbook: content types, workbook, one sheet.
pub(crate) fn xlsx(extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut parts: Vec<(&str, Vec<u8>)> = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.to_vec(),
        ),
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/worksheets/sheet1.xml", b"<worksheet/>".to_vec()),
    ];
    parts.extend(extra.iter().cloned());
    for (name, data) in parts {
        w.start_file(name, opts).unwrap();
        w.write_all(&data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn allowed_kinds_are_recognised_by_content() {
    assert_eq!(sniff(&pdf(), LIMITS), Ok(DocumentKind::Pdf));
    assert_eq!(sniff(&png(), LIMITS), Ok(DocumentKind::Png));
    assert_eq!(sniff(&jpeg(), LIMITS), Ok(DocumentKind::Jpeg));
    assert_eq!(sniff(LAS.as_bytes(), LIMITS), Ok(DocumentKind::Las));
    assert_eq!(
        sniff(b"api,oil_bbl\n42-001,12.5\n42-002,\"1,3\"\n", LIMITS),
        Ok(DocumentKind::Csv)
    );
    assert_eq!(
        sniff("\u{feff}a;b\r\n1;2\r\n".as_bytes(), LIMITS),
        Ok(DocumentKind::Csv)
    );
    assert_eq!(sniff(&xlsx(&[]), LIMITS), Ok(DocumentKind::Xlsx));
}

#[test]
fn renamed_executables_are_refused() {
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    assert!(matches!(sniff(&elf, LIMITS), Err(SniffError::Forbidden(_))));
    let mut mz = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
    mz.extend_from_slice(b"This program cannot be run in DOS mode.");
    assert!(matches!(sniff(&mz, LIMITS), Err(SniffError::Forbidden(_))));
    assert!(matches!(
        sniff(b"#!/bin/sh\necho a,b\necho c,d\n", LIMITS),
        Err(SniffError::Forbidden(_))
    ));
    // Another recognised but unlisted type.
    assert!(matches!(
        sniff(b"GIF89a\x01\0\x01\0\0\0\0;", LIMITS),
        Err(SniffError::Forbidden(_))
    ));
}

#[test]
fn truncated_or_fake_binaries_are_malformed() {
    assert!(matches!(
        sniff(b"%PDF-1.7\nno end marker", LIMITS),
        Err(SniffError::Malformed {
            kind: DocumentKind::Pdf,
            ..
        })
    ));
    let mut cut = png();
    cut.truncate(20);
    assert!(sniff(&cut, LIMITS).is_err());
    assert!(matches!(
        sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], LIMITS),
        Err(SniffError::Malformed {
            kind: DocumentKind::Jpeg,
            ..
        })
    ));
    assert_eq!(sniff(b"", LIMITS), Err(SniffError::Empty));
}

#[test]
fn declared_types_and_names_map_to_kinds() {
    assert_eq!(
        DocumentKind::from_declared_type("image/png"),
        Some(DocumentKind::Png)
    );
    assert_eq!(
        DocumentKind::from_declared_type("Application/PDF; charset=x"),
        Some(DocumentKind::Pdf)
    );
    assert_eq!(
        DocumentKind::from_declared_type("application/octet-stream"),
        None
    );
    assert_eq!(
        DocumentKind::from_file_name("logs/w1.LAS"),
        Some(DocumentKind::Las)
    );
    assert_eq!(DocumentKind::from_file_name("setup.exe"), None);
    assert_eq!(DocumentKind::from_file_name("noext"), None);
}

#[test]
fn las_needs_a_version_section_first_with_vers_and_wrap() {
    assert_eq!(
        sniff(b"~Version\nVERS. 3.0 :\nWRAP. YES :\n~A\n", LIMITS),
        Ok(DocumentKind::Las)
    );
    let wrong_first = "~WELL INFORMATION\nSTRT.FT 1 :\n~V\nVERS. 2.0 :\nWRAP. NO :\n";
    assert!(matches!(
        sniff(wrong_first.as_bytes(), LIMITS),
        Err(SniffError::Malformed {
            kind: DocumentKind::Las,
            ..
        })
    ));
    let no_wrap = "~V\nVERS. 2.0 : CWLS\n~W\nWRAP. NO :\n";
    assert!(matches!(
        sniff(no_wrap.as_bytes(), LIMITS),
        Err(SniffError::Malformed {
            kind: DocumentKind::Las,
            ..
        })
    ));
    let bad_version = "~V\nVERS. 9.9 :\nWRAP. NO :\n";
    assert!(sniff(bad_version.as_bytes(), LIMITS).is_err());
}

#[test]
fn csv_needs_consistent_rows_and_clean_text() {
    assert_eq!(
        sniff(b"a,b,c\n1,2\n", LIMITS),
        Err(SniffError::Unrecognised),
        "inconsistent rows"
    );
    assert_eq!(
        sniff(b"just one column\nof prose\n", LIMITS),
        Err(SniffError::Unrecognised)
    );
    assert_eq!(
        sniff(b"a,b\n1,\0\n", LIMITS),
        Err(SniffError::Unrecognised),
        "NUL"
    );
    assert_eq!(
        sniff(b"a,b\n\xff\xfe,1\n", LIMITS),
        Err(SniffError::Unrecognised)
    );
    // Markup is never CSV, whether `infer` names it (HTML) or not.
    assert!(matches!(
        sniff(b"<html><script>a,b</script></html>\n", LIMITS),
        Err(SniffError::Forbidden(_))
    ));
    assert_eq!(
        sniff(b"<row>a,b</row>\n<row>c,d</row>\n", LIMITS),
        Err(SniffError::Unrecognised)
    );
    assert_eq!(sniff(b"a\tb\n1\t2\n", LIMITS), Ok(DocumentKind::Csv));
}

#[test]
fn zip_bombs_and_other_zips_are_refused() {
    // 2 MiB of zeros compress to a few KiB but expand past the 1 MiB limit.
    let bomb = xlsx(&[("xl/media/zeros.bin", vec![0; 2 << 20])]);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    assert!(matches!(
        sniff(&bomb, LIMITS),
        Err(SniffError::TooLargeUnpacked(_))
    ));

    let many: Vec<(String, Vec<u8>)> = (0..60).map(|i| (format!("x/{i}"), vec![1])).collect();
    let many: Vec<(&str, Vec<u8>)> = many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    assert!(matches!(
        sniff(&xlsx(&many), LIMITS),
        Err(SniffError::TooLargeUnpacked(_))
    ));

    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("readme.txt", SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"hello").unwrap();
    let plain_zip = w.finish().unwrap().into_inner();
    assert!(matches!(
        sniff(&plain_zip, LIMITS),
        Err(SniffError::Malformed {
            kind: DocumentKind::Xlsx,
            ..
        })
    ));
}

/// Sets every declared uncompressed size (local headers and central directory) to 1 byte.
fn understate_sizes(zip: &mut [u8]) {
    let mut i = 0;
    while i + 4 <= zip.len() {
        let offset = match &zip[i..i + 4] {
            b"PK\x03\x04" => Some(22),
            b"PK\x01\x02" => Some(24),
            _ => None,
        };
        if let Some(o) = offset {
            zip[i + o..i + o + 4].copy_from_slice(&1u32.to_le_bytes());
            i += 4;
        } else {
            i += 1;
        }
    }
}

#[test]
fn a_bomb_that_lies_about_its_sizes_is_stopped_while_decompressing() {
    let mut bomb = xlsx(&[("xl/media/zeros.bin", vec![0; 2 << 20])]);
    understate_sizes(&mut bomb);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bomb[..])).unwrap();
    let declared: u64 = (0..zip.len())
        .map(|i| zip.by_index_raw(i).unwrap().size())
        .sum();
    assert!(
        declared <= LIMITS.max_unpacked_bytes,
        "the declared sizes pass"
    );
    assert!(matches!(
        sniff(&bomb, LIMITS),
        Err(SniffError::TooLargeUnpacked(_))
    ));
}
