#!/usr/bin/env bash
# cargo-deny on the workspace (deny.toml): licenses, bans and sources. Advisories
# need the RustSec database from GitHub, which this machine cannot reach: with
# OGF_DENY_ADVISORIES=1 (as in CI on GitHub) they are checked too.
# cargo-deny is built from crates.io into ~/.cache/ogf-tools, once per version (about
# 3 minutes on two cores). Part of `make test`; alone: `make deny`.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DENY_VERSION=0.20.2
# shellcheck source=scripts/cargo-tool.sh
. scripts/cargo-tool.sh
cargo_tool cargo-deny "$CARGO_DENY_VERSION"
checks=(licenses bans sources)
[ "${OGF_DENY_ADVISORIES:-}" = 1 ] && checks+=(advisories)
cargo deny --locked check "${checks[@]}"
