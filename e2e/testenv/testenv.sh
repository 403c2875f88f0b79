#!/usr/bin/env bash
# The OGF test environment: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok), FerretDB (MongoDB wire protocol
# on SQLite) and MinIO (S3), built from the Go module proxy and run on loopback.
#
#   testenv.sh build [COMPONENT...]   build what is missing (cached by version)
#   testenv.sh up                     build if needed, start everything, write the env file
#   testenv.sh down                   stop exactly what `up` started
#   testenv.sh env                    print the env file (source it, or `eval "$(testenv.sh env)"`)
#   testenv.sh status                 which components run
#   testenv.sh restart COMPONENT      stop and start one component (fault-injection tests)
#   testenv.sh stop|start COMPONENT   stop or start one component
#
# Binaries: ${OGF_TESTENV_CACHE:-~/.cache/ogf-testenv}/<key>/bin, key = hash of versions.env.
# Runtime state (pids, certs, data, logs, env file): ${OGF_TESTENV_DIR:-~/.cache/ogf-testenv/run}.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"

CACHE_ROOT=${OGF_TESTENV_CACHE:-$HOME/.cache/ogf-testenv}
KEY=$(sha256sum "$HERE/versions.env" | cut -c1-12)
BIN_DIR=$CACHE_ROOT/$KEY/bin
SRC_DIR=$CACHE_ROOT/$KEY/src
RUN_DIR=${OGF_TESTENV_DIR:-$CACHE_ROOT/run}
LOG_DIR=$RUN_DIR/logs
BUILD_LOG_DIR=$CACHE_ROOT/$KEY/logs
ENV_FILE=$RUN_DIR/env

say() { printf 'testenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=build.sh
. "$HERE/build.sh"
# shellcheck source=run.sh
. "$HERE/run.sh"

case ${1:-} in
  build) shift; cmd_build "$@" ;;
  up) cmd_up ;;
  down) cmd_down ;;
  env) [ -f "$ENV_FILE" ] || die "not up (no $ENV_FILE)"; cat "$ENV_FILE" ;;
  status) cmd_status ;;
  restart) shift; cmd_restart "${1:?component}" ;;
  stop) shift; cmd_stop_one "${1:?component}" ;;
  start) shift; cmd_start_one "${1:?component}" ;;
  bin-dir) echo "$BIN_DIR" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
