#!/usr/bin/env bash
# Parser fuzzing (libFuzzer through cargo-fuzz): runs every target in fuzz/ for a bounded
# time, starting from seeds made by the project's own writers (fuzz/examples/seeds.rs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default: 60 s for each target
#
# Needs nightly Rust (installed with rustup if missing) and cargo-fuzz (built from crates.io
# into ~/.cache/ogf-tools once). A crash stops the run and leaves the input in
# fuzz/artifacts/<target>/; replay it with `cargo +nightly fuzz run <target> <file>`, then
# turn it into a unit test next to the code it broke. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.2
# shellcheck source=scripts/cargo-tool.sh
. scripts/cargo-tool.sh
cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(upload_sniff backup_archive search_query cursor_decode operator_render)

(cd fuzz && cargo +nightly run --quiet --locked --example seeds)
for target in "${targets[@]}"; do
  echo "==> $target for ${seconds}s"
  # -s none: no sanitizer. The code under test is safe Rust (memory errors are not the
  # question; panics, aborts, hangs and runaway memory are), and ASan made every target
  # several times slower. Debug assertions (-a) catch integer overflow.
  cargo +nightly fuzz run --fuzz-dir fuzz -s none -a "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
done
