#!/usr/bin/env bash
# Builds the test environment's binaries from the Go module proxy, once, into
# $OGF_TESTENV_CACHE/<key>/bin. Sourced by testenv.sh; not meant to be run alone.
#
# Every component is built through a small wrapper module of our own
# (<key>/src/<component>/go.mod): that is what lets `go build` take modules
# whose own go.mod carries `replace` lines (k8s.io/kubernetes, etcd).

build_log() { echo "$BUILD_LOG_DIR/build-$1.log"; }

# wrapper_module NAME: a fresh wrapper module directory for NAME, printed.
wrapper_module() {
  local dir="$SRC_DIR/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init "ogf.dev/testenv/$1" >/dev/null 2>&1)
  echo "$dir"
}

# go_build NAME MODULE@VERSION PACKAGE OUTPUT [LDFLAGS]: go get + go build in NAME's wrapper.
go_build_in() {
  local dir=$1 pkg=$2 out=$3 ldflags=${4:-}
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$BIN_DIR/$out" "$pkg")
}

build_kubernetes() {
  local v=$KUBERNETES_VERSION minor staging dir gomod
  minor=$(echo "$v" | cut -d. -f2)
  dir=$(wrapper_module kubernetes)
  gomod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || { echo "cannot download k8s.io/kubernetes@$v"; return 1; }
  # One replace line per staging module, read from k8s.io/kubernetes' own go.mod.
  staging=$(sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$gomod")
  {
    grep -E '^godebug' "$gomod" || true
    echo "replace ("
    for m in $staging; do echo "	$m => $m v0.$minor.${v##*.}"; done
    echo ")"
  } >>"$dir/go.mod"
  local ld="-X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1"
  ld="$ld -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1"
  ld="$ld -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  local cmd
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    (cd "$dir" && go get "k8s.io/kubernetes/cmd/$cmd@$v") || return 1
  done
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    go_build_in "$dir" "k8s.io/kubernetes/cmd/$cmd" "$cmd" "$ld" || return 1
  done
}

build_etcd() {
  local dir
  dir=$(wrapper_module etcd)
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION") || return 1
  # The server module's root package is etcd's `main`.
  go_build_in "$dir" go.etcd.io/etcd/server/v3 etcd \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
}

build_kwok() {
  local dir
  dir=$(wrapper_module kwok)
  (cd "$dir" && go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION") || return 1
  go_build_in "$dir" sigs.k8s.io/kwok/cmd/kwok kwok || return 1
  # kwok's stock node and pod stages, from the same pinned module (pod-complete is ours).
  local stage f
  stage=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/general/pod-create pod/general/pod-init-container-running \
    pod/general/pod-init-container-completed pod/general/pod-ready pod/general/pod-delete; do
    echo "---"
    cat "$stage/$f.yaml"
  done >"$BIN_DIR/kwok-stages.yaml"
}

build_ferretdb() {
  local dir
  dir=$(wrapper_module ferretdb)
  (cd "$dir" && go get "github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION") || return 1
  # FerretDB reads its version from build/version/version.txt, which its build
  # tooling generates and the module zip lacks: build from a copy of the pinned
  # module with that file written.
  local src
  src=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB) || return 1
  cp -r "$src" "$dir/ferretdb-src" && chmod -R u+w "$dir/ferretdb-src"
  echo "$FERRETDB_VERSION" >"$dir/ferretdb-src/build/version/version.txt"
  echo "ogf-testenv" >"$dir/ferretdb-src/build/version/package.txt"
  (cd "$dir" && go mod edit -replace "github.com/FerretDB/FerretDB=./ferretdb-src") || return 1
  go_build_in "$dir" github.com/FerretDB/FerretDB/cmd/ferretdb ferretdb
}

build_minio() {
  local dir
  dir=$(wrapper_module minio)
  (cd "$dir" && go get "github.com/minio/minio@$MINIO_VERSION") || return 1
  go_build_in "$dir" github.com/minio/minio minio
}

build_helm() {
  local dir
  dir=$(wrapper_module helm)
  (cd "$dir" && go get "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") || return 1
  go_build_in "$dir" helm.sh/helm/v3/cmd/helm helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
}

# component -> binaries it produces
component_bins() {
  case $1 in
    kubernetes) echo "kube-apiserver kube-controller-manager kube-scheduler kubectl" ;;
    kwok) echo "kwok kwok-stages.yaml" ;;
    *) echo "$1" ;;
  esac
}

ALL_COMPONENTS="etcd kubernetes kwok ferretdb minio helm"

# build [COMPONENT...]: builds what is missing; a failure names the component and its log.
cmd_build() {
  command -v go >/dev/null || die "go is not installed: the test environment is built with the Go toolchain"
  mkdir -p "$BIN_DIR" "$SRC_DIR" "$BUILD_LOG_DIR"
  local comps=${*:-$ALL_COMPONENTS} c b missing failed="" built=""
  for c in $comps; do
    missing=""
    for b in $(component_bins "$c"); do [ -s "$BIN_DIR/$b" ] || missing=1; done
    [ -z "$missing" ] && continue
    say "building $c (log: $(build_log "$c"))"
    local t0=$SECONDS
    if "build_$c" >"$(build_log "$c")" 2>&1; then
      say "built $c in $((SECONDS - t0))s"
      built="$built $c"
    else
      say "FAILED to build $c: see $(build_log "$c")"
      tail -n 15 "$(build_log "$c")" | sed 's/^/    /' >&2
      failed="$failed $c"
    fi
  done
  [ -z "$failed" ] || die "build failed for:$failed"
  if [ -n "$built" ]; then free_go_caches; fi
}

# On CI the Go caches (several GB after the Kubernetes build) would crowd out the
# Rust target directory on the same disk; the built binaries are all that is kept.
free_go_caches() {
  [ "${CI:-}" = true ] || [ "${OGF_TESTENV_FREE_GO_CACHES:-}" = 1 ] || return 0
  say "freeing the Go build and module caches (CI)"
  go clean -cache -modcache >/dev/null 2>&1 || true
  rm -rf "$SRC_DIR"
}
