#!/usr/bin/env bash
# The one test command (`make test`): installs what is missing, brings the test
# environment up (real Kubernetes control plane, FerretDB, MinIO), runs format,
# lint and every test against it, and tears down what it started.
#
# OGF_KEEP_TESTENV=1 leaves the environment running afterwards (faster reruns);
# an environment that was already up before is never torn down.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "checking tools"
scripts/install-deps.sh

step "test environment"
testenv=e2e/testenv/testenv.sh
started_here=0
if ! $testenv status >/dev/null 2>&1; then
  started_here=1
fi
cleanup() {
  if [ "$started_here" = 1 ] && [ "${OGF_KEEP_TESTENV:-}" != 1 ]; then
    $testenv down || true
  fi
}
trap cleanup EXIT
$testenv up
# shellcheck disable=SC1090
. <($testenv env)

# Incremental caches are of no use on a fresh CI clone and cost gigabytes.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo deny (licenses, bans, sources)"
scripts/deny.sh

step "fuzz targets still compile (running them is make fuzz)"
cargo check --locked --manifest-path fuzz/Cargo.toml --target-dir target/fuzz-check --bins --examples

step "GitHub workflows (actionlint + shellcheck)"
scripts/actionlint.sh

step "cargo test"
cargo test --workspace --locked --no-fail-fast
