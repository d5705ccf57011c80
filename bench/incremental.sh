#!/usr/bin/env bash
# Incremental run vs full refresh: a lake holding N invoices gets a delivery of 1% new invoices (with their line
# items) and, with --updates, a re-send of that fraction of the lake's invoices with a payment recorded; times
# `run` (incremental: applies only the delivery) against `run --full-refresh` of the same day (rebuilds from every
# landed extract), both under the same --memory-limit when given (then in several passes), and checks both give the
# same views. Prints wall time and peak RSS (GNU time) of the first run, the incremental one and the full refresh.
#   bench/incremental.sh [--invoices N] [--accounts A] [--runs R] [--work DIR] [--memory-limit L] [--updates F]
# e.g. bench/incremental.sh --invoices 15000000 --accounts 1500000 --memory-limit 1GB --updates 0.005 --runs 1
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${LEDGERLAKE_BUILD:-$here/build}/ledgerlake"
invoices=5000000 accounts=500000 runs=3 work=/tmp/ll-incremental limit="" updates=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --invoices) invoices="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --memory-limit) limit="$2"; shift 2 ;;
    --updates) updates="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin" ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
limit_args=()
[[ -n "$limit" ]] && limit_args=(--memory-limit "$limit")
rm -rf "$work" && mkdir -p "$work"
"$bin" generate --out "$work/base" --invoices "$invoices" --accounts "$accounts" --seed 7 >/dev/null
# The delivery: another generation's invoices (1% as many) with ids moved past the base's, and their line items;
# they belong to the base's accounts and skus (ids 1..accounts, 1..500).
"$bin" generate --out "$work/gen2" --invoices $(( invoices / 100 )) --accounts "$accounts" --seed 8 >/dev/null
mkdir -p "$work/delta"
awk -F, -v OFS=, -v n="$invoices" 'NR == 1 { print; next } { $1 += n; print }' "$work/gen2/invoices.csv" > "$work/delta/invoices.csv"
awk -F, -v OFS=, -v n="$invoices" 'NR == 1 { print; next } { $1 += n; print }' "$work/gen2/invoice_line_items.csv" > "$work/delta/invoice_line_items.csv"
rm -rf "$work/gen2"
# Re-sent updates: every (1/F)th invoice of the lake again, same account and date, now paid on 2024-12-30.
if [[ "$updates" != 0 ]]; then
  every=$(awk -v f="$updates" 'BEGIN { printf "%d", 1 / f }')
  mkdir -p "$work/resent"
  awk -F, -v OFS=, -v k="$every" 'NR == 1 { print; next } (NR - 1) % k == 0 { $4 = "2024-12-30"; print }' \
    "$work/base/invoices.csv" > "$work/resent/invoices.csv"
fi
echo "base: $invoices invoices, $(du -sh "$work/base" | cut -f1); delivery: $(( $(wc -l < "$work/delta/invoices.csv") - 1 )) new invoices, $(( $(wc -l < "$work/delta/invoice_line_items.csv") - 1 )) line items$([[ -f "$work/resent/invoices.csv" ]] && echo ", $(( $(wc -l < "$work/resent/invoices.csv") - 1 )) re-sent invoices")${limit:+; --memory-limit $limit}"

digest="SELECT d, count(*) AS n, sum(hash(r)) AS h FROM (
  SELECT 'account_features' AS d, x::VARCHAR AS r FROM account_features x
  UNION ALL SELECT 'account_invoice_features', x::VARCHAR FROM account_invoice_features x
  UNION ALL SELECT 'invoice_features', x::VARCHAR FROM invoice_features x) GROUP BY d ORDER BY d"

timed() {  # prints "wall_seconds max_rss_kib" of the command; its stdout goes to $work/stdout
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout"
  cat "$work/time"
}
passes() {  # the passes of the lake's newest run
  "$bin" --lake "$1" catalog runs --json | awk -F': ' '/"passes"/ { p = $2 } END { gsub(/,/, "", p); print p }'
}
for r in $(seq 1 "$runs"); do
  lake="$work/lake"
  rm -rf "$lake"
  "$bin" --lake "$lake" init >/dev/null
  "$bin" --lake "$lake" ingest "$work/base" >/dev/null
  sync
  full_base=$(timed "$bin" --lake "$lake" run --as-of 2024-12-31 "${limit_args[@]}")
  p_base=$(passes "$lake")
  "$bin" --lake "$lake" ingest "$work/delta" >/dev/null
  [[ -d "$work/resent" ]] && "$bin" --lake "$lake" ingest "$work/resent" >/dev/null
  sync
  incr=$(timed "$bin" --lake "$lake" run --as-of 2025-01-01 --json "${limit_args[@]}")
  overlapped=$(awk -F': ' '/"overlapped_passes"/ { gsub(/,/, "", $2); print $2 }' "$work/stdout")
  p_incr=$(passes "$lake")
  kind=$("$bin" --lake "$lake" catalog runs --json | awk -F'"' '/"kind"/ { k = $4 } END { print k }')
  [[ "$kind" == delta ]] || { echo "run $r: the second run was not incremental ($kind)" >&2; exit 1; }
  d_incr=$("$bin" --lake "$lake" query "$digest" --format csv)
  delta_rows=$("$bin" --lake "$lake" query "SELECT count(*) FROM invoice_features_history WHERE ingest_year = 2025" --format csv | tail -1)
  sync
  full=$(timed "$bin" --lake "$lake" run --as-of 2025-01-01 --full-refresh "${limit_args[@]}")
  d_full=$("$bin" --lake "$lake" query "$digest" --format csv)
  [[ "$d_incr" == "$d_full" ]] || { echo "run $r: incremental and full refresh differ" >&2; echo "$d_incr" >&2; echo "$d_full" >&2; exit 1; }
  ratio=$(awk -v a="${incr% *}" -v b="${full% *}" 'BEGIN { printf "%.1f", 100 * a / b }')
  echo "run $r: first run (complete, $p_base passes) ${full_base% *} s ${full_base#* } KiB | incremental ($p_incr passes, $overlapped overlapped) ${incr% *} s ${incr#* } KiB ($delta_rows invoice_features rows in the delta) | full refresh ${full% *} s ${full#* } KiB | incremental/full ${ratio}% | same views"
done
