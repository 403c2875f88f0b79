//! The plaintext backup archive reader: any bytes end in events or an error, never a panic,
//! and never an allocation larger than the input justifies (libFuzzer's -rss_limit_mb and
//! -malloc_limit_mb catch those).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogf_api::backup::archive::ArchiveReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = ArchiveReader::new(data) else {
        return;
    };
    let mut buf = Vec::new();
    // Every event consumes at least one byte, so this ends.
    while let Ok(Some(_)) = reader.next_event(&mut buf) {}
});
