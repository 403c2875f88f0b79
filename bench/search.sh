#!/usr/bin/env bash
# Listing search benchmark (issue 4): requests/s, p50 and p99 of GET /api/v1/listings for a
# fixed mix of searches (full text, filters, geo, every sort, a cursor page 2), per store
# (embedded; mongodb = FerretDB at $OGF_MONGODB_URI when set) and per size (1,000 and 100,000
# deterministic demo listings), release build, wrk with 50 connections on the same machine.
# Prints markdown tables; raw output goes to bench/results/search/.
#
#   bench/search.sh                                   # 3 interleaved runs of 10 s per setup
#   STORES=embedded SIZES="1000 100000" RUNS=5 bench/search.sh
#   . <(e2e/testenv/testenv.sh env) && bench/search.sh   # with the FerretDB rows
#   MONGODB_SIZES=1000 bench/search.sh               # FerretDB at 1,000 only (see docs/benchmarks.md)
#
# Every setup (store × size) is loaded and served at once on its own loopback port, then the
# runs alternate between setups, so that load from other work on the machine falls on all
# alike. Before the runs, each query of the mix is timed alone (one client, median of
# PROBES requests): that shows which query grows with the data. Rate limits are off; the
# requests are anonymous (no drafts), like most marketplace traffic. The embedded data
# directories are temporary; the FerretDB databases are named ogf_bench_search_* and dropped
# at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq; }
cargo build --release -p ogf-api -q
bin=target/release/ogf-api

RUNS=${RUNS:-3} DURATION=${DURATION:-10s} CONNECTIONS=${CONNECTIONS:-50} THREADS=${THREADS:-2}
SIZES=${SIZES:-1000 100000} PROBES=${PROBES:-5} TIMEOUT=${TIMEOUT:-30s}
MONGODB_SIZES=${MONGODB_SIZES:-$SIZES}
if [ -z "${STORES:-}" ]; then
  STORES=embedded
  if [ -n "${OGF_MONGODB_URI:-}" ]; then STORES="embedded mongodb"; else
    echo "OGF_MONGODB_URI not set: embedded store only" >&2; fi
fi
out=bench/results/search; mkdir -p "$out"; rm -f "$out"/*.txt "$out"/*.log
scratch=$(mktemp -d)
declare -a setups=() pids=() dbs=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${dbs[@]}"; do
    OGF_STORE=mongodb OGF_MONGODB_DATABASE=$db "$bin" demo drop-database >/dev/null || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

# The fixed mix. Coordinates: Midland County TX (Permian), McKenzie County ND (Bakken).
# Prices in cents. The cursor request (page 2 of the last line) is added per setup.
mix() {
  cat <<'EOT'
/api/v1/listings?q=permian
/api/v1/listings?q=royalty%20checks&sort=relevance
/api/v1/listings?q=midland&sort=newest
/api/v1/listings?q=frac&type=equipment&sort=price_asc
/api/v1/listings?sort=newest
/api/v1/listings?type=mineral_rights&sort=newest
/api/v1/listings?basin=Bakken&sort=price_asc
/api/v1/listings?state=ND&min_price=10000000&max_price=50000000&sort=price_desc
/api/v1/listings?min_price=100000000&sort=price_asc
/api/v1/listings?type=working_interest&min_nri=80&sort=production
/api/v1/listings?min_boe_d=100&sort=production
/api/v1/listings?county=Reeves&sort=production
/api/v1/listings?near=-102.03,31.87&radius_km=50
/api/v1/listings?near=-103.4,47.7&radius_km=100&sort=price_desc
/api/v1/listings?bbox=-104.5,31.0,-101.0,33.0&sort=newest
/api/v1/listings?bbox=-98.5,34.5,-97.0,36.0&type=royalty_interest&sort=production
/api/v1/listings?sale_type=auction&sort=ending_soonest
/api/v1/listings?sort=ending_soonest
/api/v1/listings?basin=Permian&type=royalty_interest&sort=newest
EOT
}

wait_healthy() { # port pid
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# Load and start every setup.
for store in $STORES; do
  sizes=$SIZES; [ "$store" = mongodb ] && sizes=$MONGODB_SIZES
  for size in $sizes; do
    name=$store-$size
    env=(OGF_STORE="$store" OGF_LOG=warn)
    if [ "$store" = embedded ]; then
      env+=(OGF_DATA_DIR="$scratch/$name")
    else
      db=ogf_bench_search_$$_$size; dbs+=("$db")
      env+=(OGF_MONGODB_DATABASE="$db")
    fi
    env "${env[@]}" "$bin" demo load --count "$size" | tee "$out/$name-load.log" >&2
    port=$((20000 + RANDOM % 20000))
    env "${env[@]}" OGF_BIND=127.0.0.1:$port OGF_DEMO_DATA=0 \
      OGF_RATE_LIMIT_AUTH_PER_MINUTE=0 OGF_RATE_LIMIT_ANONYMOUS_PER_DAY=0 OGF_RATE_LIMIT_USER_PER_MINUTE=0 \
      OGF_CACHE_TTL_LISTINGS_SECONDS=0 OGF_JWT_SECRET="$(openssl rand -hex 32)" \
      OGF_ADMIN_PASSWORD="bench-$RANDOM-$RANDOM-$RANDOM" \
      "$bin" serve >"$out/$name-server.log" 2>&1 &
    pids+=($!)
    wait_healthy "$port" "$!" || { echo "$name: server did not start" >&2; cat "$out/$name-server.log" >&2; exit 1; }
    # The request list: the mix plus page 2 of its last request.
    mix >"$scratch/$name.paths"
    last=$(tail -n1 "$scratch/$name.paths")
    cursor=$(curl -fsS "http://127.0.0.1:$port$last" | jq -er '.next_cursor')
    echo "$last&cursor=$cursor" >>"$scratch/$name.paths"
    cp "$scratch/$name.paths" "$out/$name-requests.txt"
    setups+=("$name:$port")
  done
done

# Each query alone: one client, median of PROBES, and the page size it returned.
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for setup in "${setups[@]}"; do
  name=${setup%%:*} port=${setup##*:}
  while read -r path; do
    items=$(curl -fsS "http://127.0.0.1:$port$path" | jq '.items | length')
    ms=$(for _ in $(seq 1 "$PROBES"); do
      curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port$path"
    done | awk '{print $1 * 1000}' | median)
    printf '%s\t%s\t%s\n' "$path" "$items" "$ms"
  done <"$scratch/$name.paths" >"$out/$name-probe.tsv"
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$RUNS"); do
  for setup in "${setups[@]}"; do
    name=${setup%%:*} port=${setup##*:}
    SEARCH_REQUESTS=$scratch/$name.paths wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
      --timeout "$TIMEOUT" --latency -s bench/search.lua "http://127.0.0.1:$port" >"$out/$name-$i.txt"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ms() { # wrk latency "1.23ms" / "850.00us" / "1.2s" / "1.20m" -> ms
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v}
        else if (v ~ /m$/) {sub(/m$/,"",v); print v*60000} else {sub(/s$/,"",v); print v*1000}}'
}
declare -A p99
echo "| store | listings | req/s (median of $RUNS) | p50 ms | p99 ms | requests | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|---|"
for setup in "${setups[@]}"; do
  name=${setup%%:*} store=${name%-*} size=${name##*-}
  files=("$out/$name"-[0-9]*.txt)
  rps=$(grep -h '^Requests/sec' "${files[@]}" | awk '{print $2}' | median)
  p50=$(grep -h ' 50%' "${files[@]}" | awk '{print $2}' | ms | median)
  p99[$name]=$(grep -h ' 99%' "${files[@]}" | awk '{print $2}' | ms | median)
  requests=$(grep -h 'requests in' "${files[@]}" | awk '{s+=$1} END {print s+0}')
  non2xx=$({ grep -h 'Non-2xx' "${files[@]}" || true; } | awk '{s+=$NF} END {print s+0}')
  sockerr=$({ grep -h 'Socket errors' "${files[@]}" || true; } |
    awk -F'[ ,]+' '{for (k=1; k<=NF; k++) if ($k ~ /^[0-9]+$/) s+=$k} END {print s+0}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$store" "$size" "$rps" "$p50" "${p99[$name]}" "$requests" "$non2xx" "$sockerr"
done
echo
# shellcheck disable=SC2086 # SIZES is a space-separated list
set -- $SIZES; small=$1; large=${!#}
for store in $STORES; do
  a=${p99[$store-$small]:-} b=${p99[$store-$large]:-}
  [ -n "$a" ] && [ -n "$b" ] && [ "$small" != "$large" ] &&
    awk -v s="$store" -v a="$a" -v b="$b" -v x="$small" -v y="$large" \
      'BEGIN {printf "%s: p99 at %d / p99 at %d = %.2f\n", s, y, x, b / a}'
done
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT, $RUNS interleaved runs per setup, $(nproc) cores shared by wrk, the servers (and FerretDB); load average before $load_before, after $load_after."
echo
echo "Each query alone (one client, median of $PROBES requests, ms; items on the first page):"
echo
header="| query |" rule="|---|"
for setup in "${setups[@]}"; do header+=" ${setup%%:*} |"; rule+="---|"; done
echo "$header"; echo "$rule"
first=${setups[0]%%:*}
n=$(wc -l <"$out/$first-probe.tsv")
for row in $(seq 1 "$n"); do
  line="| \`$(sed -n "${row}p" "$out/$first-probe.tsv" | cut -f1 | sed 's#^/api/v1/listings##; s#cursor=[^&]*#cursor=…#')\` |"
  for setup in "${setups[@]}"; do
    line+=" $(sed -n "${row}p" "$out/${setup%%:*}-probe.tsv" | awk -F'\t' '{printf "%.2f (%s)", $3, $2}') |"
  done
  echo "$line"
done
