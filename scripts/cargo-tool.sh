#!/usr/bin/env bash
# Sourced by scripts that need a cargo subcommand from crates.io (deny.sh, fuzz.sh).
#
# cargo_tool CRATE VERSION: builds CRATE at VERSION into ~/.cache/ogf-tools/CRATE-VERSION
# once (cargo install --locked) and puts its bin directory first on PATH.
cargo_tool() {
  local crate=$1 version=$2
  local root=$HOME/.cache/ogf-tools/$crate-$version
  if [ ! -x "$root/bin/$crate" ]; then
    echo "installing $crate $version (crates.io) into $root"
    cargo install --locked --root "$root" "$crate" --version "$version"
  fi
  export PATH="$root/bin:$PATH"
}
