//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`, made by the
//! project's own writers (archive writer, cursor encoders) and from its examples, so that
//! libFuzzer starts from valid inputs and mutates from there.

use std::fs;
use std::path::Path;

use ogf_api::backup::archive::{ArchiveHeader, ArchiveWriter, FORMAT_VERSION, Manifest};
use ogf_api::domain::cursor::Cursor;
use ogf_api::domain::saved_search::MatchesCursor;
use ogf_api::domain::sort::{KeyPart, ListingCursor, ListingSort};

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)
    };

    write("backup_archive", "two-collections", &archive()?)?;

    let cursors = [
        Cursor {
            created_at_ms: 1_700_000_000_000,
            id: "lst_01HZX3".into(),
        }
        .encode(),
        ListingCursor {
            sort: ListingSort::Production,
            key: vec![KeyPart::Real(412.5), KeyPart::Int(1_700_000_000_000)],
            id: "lst-9".into(),
        }
        .encode(),
        MatchesCursor {
            since_ms: 1_699_000_000_000,
            created_at_ms: 1_700_000_000_000,
            id: "a_b".into(),
        }
        .encode(),
    ];
    for (i, cursor) in cursors.iter().enumerate() {
        write("cursor_decode", &format!("cursor-{i}"), cursor.as_bytes())?;
    }

    let queries = [
        "q=royalty%20checks&sort=relevance",
        "q=permian&type=mineral_rights&min_price=100000&max_price=5000000&limit=20",
        "near=-102.03,31.87&radius_km=50&sort=price_desc",
        "bbox=-104.5,31.0,-101.0,33.0&state=TX&county=Reeves&sort=ending_soonest",
        "basin=Bakken&min_nri=75&min_boe_d=100&min_net_acres=10&max_net_acres=640&sale_type=auction",
        "q=%C4%B0stanbul%20ZAMAN&status=active",
    ];
    for (i, query) in queries.iter().enumerate() {
        write("search_query", &format!("query-{i}"), query.as_bytes())?;
    }

    let uploads: [(&str, &[u8]); 4] = [
        ("las", b"~VERSION INFORMATION\nVERS. 2.0 :\nWRAP. NO :\n~WELL\nSTRT.M 1670.0 :\n~A\n1670.0 123.4\n"),
        ("csv", b"well,api,oil_bbl_d\nSmith 1H,42-389-12345,412.5\n"),
        ("pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"),
    ];
    for (name, bytes) in uploads {
        write("upload_sniff", name, bytes)?;
    }

    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in fs::read_dir(examples)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            write("operator_render", &name.unwrap_or_default(), &fs::read(&path)?)?;
        }
    }
    Ok(())
}

/// A small archive as a backup writes it: two collections, the trailer.
fn archive() -> std::io::Result<Vec<u8>> {
    let header = ArchiveHeader {
        format_version: FORMAT_VERSION,
        app_version: "fuzz".into(),
        store: "embedded".into(),
        schema_version: 10,
        started_at: chrono::DateTime::UNIX_EPOCH,
    };
    let mut writer = ArchiveWriter::new(Vec::new(), &header)?;
    writer.begin("listings")?;
    writer.record(b"\x16\x00\x00\x00\x02title\x00\x06\x00\x00\x00Smith\x00\x00")?;
    writer.record(b"\x05\x00\x00\x00\x00")?;
    writer.begin("users")?;
    writer.record(b"\x05\x00\x00\x00\x00")?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        store: "embedded".into(),
        ..Manifest::empty()
    };
    let (bytes, _) = writer.finish(manifest)?;
    Ok(bytes)
}
