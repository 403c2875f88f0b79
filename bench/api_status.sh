#!/usr/bin/env bash
# API throughput benchmark (issue 3): requests/s and latency of GET /api/v1/status
# (anonymous, and again with the Bearer header it ignores: the cost of sending and
# parsing the header alone) and an authenticated GET /api/v1/users/me, release build,
# embedded store, with wrk on the same machine. Prints a markdown table; raw wrk output
# goes to bench/results/api_status/. The middleware alone, in process and without
# network noise: `cargo bench -p ogf-api --bench auth_middleware`.
#
#   bench/api_status.sh                      # 3 runs of 10 s each per endpoint, medians reported
#   SESSION_CACHE_TTL=0 bench/api_status.sh  # the same with the session cache off
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release -p ogf-api -q

RUNS=${RUNS:-3} DURATION=${DURATION:-10s} CONNECTIONS=${CONNECTIONS:-64} THREADS=${THREADS:-2}
out=bench/results/api_status; mkdir -p "$out"
data=$(mktemp -d); port=$((20000 + RANDOM % 20000))
password=bench-password-$RANDOM-$RANDOM
OGF_DATA_DIR=$data OGF_BIND=127.0.0.1:$port OGF_DEMO_DATA=100 OGF_LOG=warn \
  OGF_SESSION_CACHE_TTL_SECONDS=${SESSION_CACHE_TTL:-5} \
  OGF_RATE_LIMIT_AUTH_PER_MINUTE=0 OGF_RATE_LIMIT_ANONYMOUS_PER_DAY=0 OGF_RATE_LIMIT_USER_PER_MINUTE=0 \
  OGF_JWT_SECRET=$(openssl rand -hex 32) OGF_ADMIN_PASSWORD=$password \
  target/release/ogf-api serve >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"email\":\"admin@ogf.local\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$port/api/v1/auth/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }

run() { # name run path [header]
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency ${4:+-H "$4"} "http://127.0.0.1:$port$3" >"$out/$1-$2.txt"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { # wrk latency "1.23ms" / "850.00us" / "1.2s" -> ms
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else {sub(/s$/,"",v); print v*1000}}'
}
summarize() { # name
  local rps p50 p99 errors
  rps=$(grep -h '^Requests/sec' "$out/$1"-*.txt | awk '{print $2}' | median)
  p50=$(grep -h ' 50%' "$out/$1"-*.txt | awk '{print $2}' | ms | median)
  p99=$(grep -h ' 99%' "$out/$1"-*.txt | awk '{print $2}' | ms | median)
  errors=$({ grep -h 'Non-2xx' "$out/$1"-*.txt || true; } | awk '{s+=$NF} END {print s+0}')
  echo "$1 $rps $p50 $p99 $errors"
}
rm -f "$out"/status-*.txt "$out"/status_bearer-*.txt "$out"/users_me-*.txt
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Interleaved, so that load from other work on the machine hits both endpoints alike.
for i in $(seq 1 "$RUNS"); do
  run status "$i" /api/v1/status
  run users_me "$i" /api/v1/users/me "Authorization: Bearer $token"
  run status_bearer "$i" /api/v1/status "Authorization: Bearer $token"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
read -r _ s_rps s_p50 s_p99 s_err < <(summarize status)
read -r _ b_rps b_p50 b_p99 b_err < <(summarize status_bearer)
read -r _ m_rps m_p50 m_p99 m_err < <(summarize users_me)
cost=$(awk -v a="$s_rps" -v b="$m_rps" 'BEGIN {printf "%.1f", (a-b)/a*100}')
header_cost=$(awk -v a="$s_rps" -v b="$b_rps" 'BEGIN {printf "%.1f", (a-b)/a*100}')
cat <<EOT
| endpoint | req/s (median of $RUNS) | p50 ms | p99 ms | non-2xx |
|---|---|---|---|---|
| GET /api/v1/status | $s_rps | $s_p50 | $s_p99 | $s_err |
| GET /api/v1/status + Bearer header (ignored) | $b_rps | $b_p50 | $b_p99 | $b_err |
| GET /api/v1/users/me (Bearer) | $m_rps | $m_p50 | $m_p99 | $m_err |

Authenticated request costs $cost % of the status throughput; the Bearer header alone (status with the header) $header_cost % (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores shared by wrk and the server, session cache TTL ${SESSION_CACHE_TTL:-5} s, load average before $load_before, after $load_after).
Session cache: $(curl -fsS "http://127.0.0.1:$port/metrics" | grep '^ogf_cache_lookups_total' | tr '\n' ' ')
EOT
