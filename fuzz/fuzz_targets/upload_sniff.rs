//! Upload content sniffing (PDF, PNG, JPEG, LAS, CSV, XLSX): any bytes are classified or
//! refused, never a panic, and the verdict is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogf_api::domain::upload::{SniffLimits, sniff};

fuzz_target!(|data: &[u8]| {
    let limits = SniffLimits::for_upload(10 << 20);
    let first = sniff(data, limits).map_err(|e| e.to_string());
    let again = sniff(data, limits).map_err(|e| e.to_string());
    assert_eq!(first, again, "the same bytes got two verdicts");
});
