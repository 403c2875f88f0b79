#!/usr/bin/env bash
# Starts and stops the test environment's processes. Sourced by testenv.sh.
#
# Each component has a start_<name> function that execs its binary in the
# background with a pid file under $RUN_DIR/pids and a log under $RUN_DIR/logs,
# and a ready_<name> function polled (bounded) until it answers.

PORT_BASE=${OGF_TESTENV_PORT_BASE:-36000}
P_ETCD=$((PORT_BASE + 379))
P_ETCD_PEER=$((PORT_BASE + 380))
P_APISERVER=$((PORT_BASE + 443))
P_KCM=$((PORT_BASE + 257))
P_SCHED=$((PORT_BASE + 259))
P_KWOK=$((PORT_BASE + 247))
P_FERRET=$((PORT_BASE + 17))
P_FERRET_DEBUG=$((PORT_BASE + 88))
P_MINIO=$((PORT_BASE + 900))
P_MINIO_CONSOLE=$((PORT_BASE + 901))

PKI=$RUN_DIR/pki
PIDS=$RUN_DIR/pids
DATA=$RUN_DIR/data
KUBECONFIG_FILE=$RUN_DIR/kubeconfig

# Start order; `down` stops in reverse. OGF_TESTENV_SERVICES_ONLY=1 starts only
# FerretDB and MinIO, for e2e runs against an existing cluster (OGF_E2E_KUBECONFIG).
if [ "${OGF_TESTENV_SERVICES_ONLY:-}" = 1 ]; then
  COMPONENTS="ferretdb minio"
else
  COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler kwok ferretdb minio"
fi

component_ports() {
  case $1 in
    etcd) echo "$P_ETCD $P_ETCD_PEER" ;;
    kube-apiserver) echo "$P_APISERVER" ;;
    kube-controller-manager) echo "$P_KCM" ;;
    kube-scheduler) echo "$P_SCHED" ;;
    kwok) echo "$P_KWOK" ;;
    ferretdb) echo "$P_FERRET $P_FERRET_DEBUG" ;;
    minio) echo "$P_MINIO $P_MINIO_CONSOLE" ;;
  esac
}

port_in_use() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }

pid_of() { [ -f "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }

# alive NAME: the recorded pid runs and is still our binary (not a recycled pid).
alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  [ -n "$pid" ] && [ -e "/proc/$pid" ] || return 1
  case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
    "$BIN_DIR/$1"*) return 0 ;;
    *) return 1 ;;
  esac
}

# launch NAME ARGS...: run $BIN_DIR/NAME in its own session, record its pid.
launch() {
  local name=$1
  shift
  setsid "$BIN_DIR/$name" "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  local pid=$! tries=0
  echo "$pid" >"$PIDS/$name.pid"
  # The background subshell execs setsid, which execs the binary: until both
  # execs happened /proc/PID/exe still names bash or setsid, and `alive` would
  # call a healthy start dead (seen on loaded CI machines). Wait for the exec.
  while [ -e "/proc/$pid" ] && [ $tries -lt 100 ]; do
    case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
      "$BIN_DIR/$name"*) return 0 ;;
    esac
    tries=$((tries + 1))
    sleep 0.05
  done
}

# wait_ready NAME SECONDS: poll ready_NAME until it succeeds, the process dies, or time runs out.
wait_ready() {
  local name=$1 limit=$2 start=$SECONDS
  until "ready_${name//-/_}" >/dev/null 2>&1; do
    alive "$name" || return 1
    [ $((SECONDS - start)) -lt "$limit" ] || return 1
    sleep 0.2
  done
}

k() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
https_get() { curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }

gen_pki() {
  mkdir -p "$PKI"
  (
    cd "$PKI" || exit 1
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 3650 -subj "/CN=ogf-testenv-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    sign() { # sign NAME SUBJECT EXTENSIONS
      openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2"
      printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out "$1.crt" -extfile "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
    sign admin "/O=system:masters/CN=ogf-testenv-admin" "extendedKeyUsage=clientAuth"
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) >"$LOG_DIR/pki.log" 2>&1
}

write_kubeconfig() {
  local b64='base64 -w0'
  cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ogf-testenv
  cluster:
    server: https://127.0.0.1:$P_APISERVER
    certificate-authority-data: $($b64 "$PKI/ca.crt")
users:
- name: ogf-testenv-admin
  user:
    client-certificate-data: $($b64 "$PKI/admin.crt")
    client-key-data: $($b64 "$PKI/admin.key")
contexts:
- name: ogf-testenv
  context: {cluster: ogf-testenv, user: ogf-testenv-admin}
current-context: ogf-testenv
EOF
}

start_etcd() {
  launch etcd --name ogf --data-dir "$DATA/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$P_ETCD" --advertise-client-urls "http://127.0.0.1:$P_ETCD" \
    --listen-peer-urls "http://127.0.0.1:$P_ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$P_ETCD_PEER" \
    --initial-cluster "ogf=http://127.0.0.1:$P_ETCD_PEER" --log-level warn
}
ready_etcd() { curl -fsS --max-time 2 "http://127.0.0.1:$P_ETCD/health" | grep -q '"health":"true"'; }

start_kube_apiserver() {
  launch kube-apiserver --etcd-servers "http://127.0.0.1:$P_ETCD" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$P_APISERVER" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC \
    --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true --endpoint-reconciler-type none \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --enable-priority-and-fairness=false --profiling=false --v=1
}
ready_kube_apiserver() { https_get "https://127.0.0.1:$P_APISERVER/readyz" | grep -q ok; }

start_kube_controller_manager() {
  launch kube-controller-manager --kubeconfig "$KUBECONFIG_FILE" \
    --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$P_KCM" --leader-elect=false \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --concurrent-gc-syncs 5 --profiling=false --v=1
}
ready_kube_controller_manager() { curl -fsSk --max-time 2 "https://127.0.0.1:$P_KCM/healthz" | grep -q ok; }

start_kube_scheduler() {
  launch kube-scheduler --kubeconfig "$KUBECONFIG_FILE" \
    --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
    --bind-address 127.0.0.1 --secure-port "$P_SCHED" --leader-elect=false --profiling=false --v=1
}
ready_kube_scheduler() { curl -fsSk --max-time 2 "https://127.0.0.1:$P_SCHED/healthz" | grep -q ok; }

start_kwok() {
  { cat "$BIN_DIR/kwok-stages.yaml"; echo "---"; cat "$HERE/kwok-pod-complete.yaml"; } >"$RUN_DIR/kwok.yaml"
  launch kwok --kubeconfig "$KUBECONFIG_FILE" --config "$RUN_DIR/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:$P_KWOK" --node-lease-duration-seconds 40
}
ready_kwok() { curl -fsS --max-time 2 "http://127.0.0.1:$P_KWOK/healthz"; }

start_ferretdb() {
  mkdir -p "$DATA/ferretdb"
  launch ferretdb --handler=sqlite --sqlite-url="file:$DATA/ferretdb/" \
    --listen-addr="127.0.0.1:$P_FERRET" --debug-addr="127.0.0.1:$P_FERRET_DEBUG" \
    --state-dir="$DATA/ferretdb" --telemetry=disable --log-level=WARN
}
ready_ferretdb() { (exec 3<>"/dev/tcp/127.0.0.1/$P_FERRET") 2>/dev/null; }

start_minio() {
  mkdir -p "$DATA/minio"
  MINIO_ROOT_USER=$(cat "$RUN_DIR/s3-access-key") MINIO_ROOT_PASSWORD=$(cat "$RUN_DIR/s3-secret-key") \
    MINIO_BROWSER=off MINIO_UPDATE=off \
    launch minio server "$DATA/minio" --address "127.0.0.1:$P_MINIO" --console-address "127.0.0.1:$P_MINIO_CONSOLE" --quiet
}
ready_minio() { curl -fsS --max-time 2 "http://127.0.0.1:$P_MINIO/minio/health/live"; }

# The bucket the e2e tests share (each test under its own prefix).
S3_BUCKET=ogf-e2e
create_bucket() {
  curl -fsS --max-time 10 -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$(cat "$RUN_DIR/s3-access-key"):$(cat "$RUN_DIR/s3-secret-key")" \
    "http://127.0.0.1:$P_MINIO/$S3_BUCKET"
}

# start_component NAME: check ports, start, wait until ready; on failure stop everything `up` started.
start_component() {
  local name=$1 port
  for port in $(component_ports "$name"); do
    port_in_use "$port" && fail "$name" "port $port is already in use (set OGF_TESTENV_PORT_BASE to move all ports)"
  done
  "start_${name//-/_}"
  if ! wait_ready "$name" "${2:-60}"; then
    if alive "$name"; then fail "$name" "not ready after ${2:-60} s"; else fail "$name" "exited before it became ready"; fi
  fi
}

fail() {
  say "error: $1: $2; log: $LOG_DIR/$1.log"
  [ -f "$LOG_DIR/$1.log" ] && tail -n 20 "$LOG_DIR/$1.log" | sed 's/^/    /' >&2
  cmd_down >/dev/null 2>&1 || true
  exit 1
}

# The fake node that kwok keeps Ready; every pod may schedule there.
register_nodes() {
  local i
  for i in 0 1; do
    k apply -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, topology.kubernetes.io/zone: zone-$i}
status:
  allocatable: {cpu: "128", memory: 1Ti, pods: "1100"}
  capacity: {cpu: "128", memory: 1Ti, pods: "1100"}
EOF
  done
  k wait --for=condition=Ready node --all --timeout=60s >/dev/null
}

write_env() {
  {
    echo "export OGF_TESTENV=1"
    echo "export OGF_TESTENV_BIN=$BIN_DIR"
    if [ "${OGF_TESTENV_SERVICES_ONLY:-}" != 1 ]; then
      echo "export KUBECONFIG=$KUBECONFIG_FILE"
      echo "export OGF_TESTENV_KUBECONFIG=$KUBECONFIG_FILE"
    fi
  } >"$ENV_FILE"
  cat >>"$ENV_FILE" <<EOF
export OGF_MONGODB_URI=mongodb://127.0.0.1:$P_FERRET/
export OGF_S3_ENDPOINT=http://127.0.0.1:$P_MINIO
export OGF_S3_REGION=us-east-1
export OGF_S3_BUCKET=$S3_BUCKET
export OGF_S3_ACCESS_KEY_ID=$(cat "$RUN_DIR/s3-access-key")
export OGF_S3_SECRET_ACCESS_KEY=$(cat "$RUN_DIR/s3-secret-key")
export OGF_TESTENV_LOGS=$LOG_DIR
EOF
}

all_alive() {
  local c
  for c in $COMPONENTS; do alive "$c" || return 1; done
}

cmd_up() {
  if all_alive && [ -f "$ENV_FILE" ]; then
    say "already up; env file: $ENV_FILE"
    return 0
  fi
  cmd_down >/dev/null 2>&1 || true
  local t0=$SECONDS
  local needed="etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok ferretdb minio helm"
  [ "${OGF_TESTENV_SERVICES_ONLY:-}" = 1 ] && needed="ferretdb minio"
  # One word per component: the split is wanted.
  # shellcheck disable=SC2046
  cmd_build $(for b in $needed; do case $b in kube-*|kubectl) echo kubernetes ;; *) echo "$b" ;; esac; done | sort -u)
  for b in $needed; do
    [ -x "$BIN_DIR/$b" ] || die "$b is missing from $BIN_DIR after the build"
  done
  rm -rf "$DATA" "$PKI" "$LOG_DIR" "$ENV_FILE"
  mkdir -p "$PIDS" "$DATA" "$LOG_DIR"
  gen_pki || fail pki "certificate generation failed"
  write_kubeconfig
  openssl rand -hex 8 | sed 's/^/ogf/' >"$RUN_DIR/s3-access-key"
  openssl rand -hex 20 >"$RUN_DIR/s3-secret-key"
  if [ "${OGF_TESTENV_SERVICES_ONLY:-}" != 1 ]; then
    start_component etcd
    start_component kube-apiserver 90
    start_component kube-controller-manager
    start_component kube-scheduler
    start_component kwok
    register_nodes >>"$LOG_DIR/kwok.log" 2>&1 || fail kwok "fake nodes did not become Ready"
  fi
  start_component ferretdb
  start_component minio
  create_bucket >>"$LOG_DIR/minio.log" 2>&1 || fail minio "cannot create bucket $S3_BUCKET"
  write_env
  say "up in $((SECONDS - t0))s; env file: $ENV_FILE (source it); logs: $LOG_DIR"
}

# stop NAME: TERM, then KILL after 10 s; only a pid that is still our binary.
stop_component() {
  local name=$1 pid i
  if alive "$name"; then
    pid=$(pid_of "$name")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      [ -e "/proc/$pid" ] || break
      sleep 0.2
    done
    [ -e "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$PIDS/$name.pid"
}

cmd_down() {
  local c
  for c in $(echo "$COMPONENTS" | tr ' ' '\n' | tac); do stop_component "$c"; done
  rm -f "$ENV_FILE"
  say "down"
}

cmd_status() {
  local c rc=0
  for c in $COMPONENTS; do
    if alive "$c"; then echo "$c running (pid $(pid_of "$c"))"; else echo "$c stopped"; rc=1; fi
  done
  return $rc
}

cmd_restart() {
  local name=$1
  case " $COMPONENTS " in *" $name "*) ;; *) die "unknown component $name (one of: $COMPONENTS)" ;; esac
  stop_component "$name"
  start_component "$name"
  say "restarted $name"
}

# stop-one NAME / start-one NAME, for fault-injection tests that need the gap.
cmd_stop_one() { stop_component "$1"; }
cmd_start_one() { start_component "$1"; }
