//! The operator's manifest → objects path (`ogf-operator render`: YAML, the CRD's schema and
//! CEL rules, then the pure builders): any text renders or is refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ogf_crds::Color;
use ogf_operator::render::{RenderOptions, render};

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = std::str::from_utf8(data) else {
        return;
    };
    let options = RenderOptions {
        namespace: "fuzz".into(),
        active_color: Color::Blue,
        service_monitor_api: true,
    };
    let _ = render(manifest, &options);
});
