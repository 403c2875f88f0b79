#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows) with actionlint, which also runs
# ShellCheck on every `run:` script, and the project's shell scripts with ShellCheck. These workflows cannot run on this machine
# (no GitHub), so this is what checks them before they reach GitHub.
# actionlint is built from the Go module proxy into ~/.cache/ogf-tools, once per version.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION=v1.7.12
bin_dir=$HOME/.cache/ogf-tools/actionlint-$ACTIONLINT_VERSION
if [ ! -x "$bin_dir/actionlint" ]; then
  echo "building actionlint $ACTIONLINT_VERSION (Go module proxy) into $bin_dir"
  GOBIN=$bin_dir go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
command -v shellcheck >/dev/null || { echo "error: shellcheck is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
"$bin_dir/actionlint" -no-color
# The project's own shell scripts, with what they source.
shellcheck -x -P SCRIPTDIR scripts/*.sh e2e/testenv/*.sh bench/*.sh .ci/run
echo "workflows and scripts ok"
