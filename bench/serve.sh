#!/usr/bin/env bash
# The service under load, with wrk: requests per second and latency (p50, p99) of GET /healthz (the floor: the HTTP
# server alone), GET /api/accounts/{id}/features (the online store, a random account per request) and a small
# POST /api/query, each against the same server in the same run; the lookup and query figures are also given as a
# ratio to /healthz; then the lookup again while runs commit back to back. wrk and the service share the cores.
#   bench/serve.sh [--invoices N] [--accounts A] [--seconds S] [--connections C] [--threads T] [--work DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${LEDGERLAKE_BUILD:-$here/build}/ledgerlake"
invoices=1000000 accounts=100000 seconds=10 connections=32 threads=1 work=/tmp/ll-serve-bench
while [[ $# -gt 0 ]]; do
  case "$1" in
    --invoices) invoices="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin" ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

rm -rf "$work" && mkdir -p "$work"
lake="$work/lake"
"$bin" --lake "$lake" init >/dev/null
"$bin" generate --out "$work/gen" --invoices "$invoices" --accounts "$accounts" --seed 7 >/dev/null
"$bin" --lake "$lake" ingest "$work/gen" >/dev/null
"$bin" --lake "$lake" run --as-of 2025-01-01 >/dev/null
rm -rf "$work/gen"
token=$("$bin" --lake "$lake" token create --role admin --name bench 2>/dev/null)
"$bin" --lake "$lake" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q '"feature index built"' "$work/serve.log" 2>/dev/null && break
  sleep 0.1
done
port=$(grep -o '"address":"127.0.0.1:[0-9]*"' "$work/serve.log" | head -1 | grep -o '[0-9]*"$' | tr -d '"')
[[ -n "$port" ]] || { cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"

cat > "$work/lookup.lua" <<EOF
math.randomseed(7)
request = function()
  return wrk.format("GET", "/api/accounts/" .. math.random(1, $accounts) .. "/features")
end
EOF
cat > "$work/query.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"sql": "SELECT inv_id, inv_total, is_late FROM invoice_features WHERE inv_id = 4242"}'
wrk.headers["Content-Type"] = "application/json"
EOF

# One wrk run: prints "rps p50_ms p99_ms".
measure() {
  local out
  out=$(wrk -t "$threads" -c "$connections" -d "${seconds}s" --latency -H "Authorization: Bearer $token" "$@")
  echo "$out" > "$work/wrk-$(date +%s%N).txt"
  local rps p50 p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
  errors=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  [[ -z "$errors" ]] || echo "warning: $errors non-2xx answers" >&2
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() {  # wrk prints 1.23ms, 456.00us or 1.02s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

read -r h_rps h_p50 h_p99 < <(measure "$url/healthz")
read -r l_rps l_p50 l_p99 < <(measure -s "$work/lookup.lua" "$url")
read -r q_rps q_p50 q_p99 < <(measure -s "$work/query.lua" "$url/api/query")
# The lookup again while runs commit one after the other (full refreshes of the same day, each followed by a
# rebuild of the online store in the service): the runs take the cores the lookups had.
rm -f "$work/stop"
( while [[ ! -f "$work/stop" ]]; do "$bin" --lake "$lake" run --as-of 2025-01-01 --full-refresh >/dev/null 2>&1; done ) &
runner=$!
sleep 1
read -r r_rps r_p50 r_p99 < <(measure -s "$work/lookup.lua" "$url")
touch "$work/stop"
wait "$runner"
runs_done=$(grep -c '"feature index built"' "$work/serve.log")

echo "ledgerlake serve: $invoices invoices, $accounts accounts; wrk -t$threads -c$connections -d${seconds}s; $(nproc) cores"
printf '%-34s %12s %10s %10s %14s\n' endpoint "requests/s" "p50 ms" "p99 ms" "rps vs healthz"
printf '%-34s %12.0f %10.3f %10.3f %14s\n' "GET /healthz" "$h_rps" "$h_p50" "$h_p99" "1.00"
printf '%-34s %12.0f %10.3f %10.3f %14.2f\n' "GET /api/accounts/{id}/features" "$l_rps" "$l_p50" "$l_p99" \
  "$(awk -v a="$l_rps" -v b="$h_rps" 'BEGIN { print a / b }')"
printf '%-34s %12.0f %10.3f %10.3f %14.2f\n' "POST /api/query (one row)" "$q_rps" "$q_p50" "$q_p99" \
  "$(awk -v a="$q_rps" -v b="$h_rps" 'BEGIN { print a / b }')"
printf '%-34s %12.0f %10.3f %10.3f %14.2f\n' "GET /api/accounts/{id}/features" "$r_rps" "$r_p50" "$r_p99" \
  "$(awk -v a="$r_rps" -v b="$h_rps" 'BEGIN { print a / b }')"
echo "  (the last row while runs committed back to back: the online store was built $runs_done times in all)"
