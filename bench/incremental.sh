#!/usr/bin/env bash
# Incremental run vs full refresh (issue 3's performance report): a lake holding N invoices gets a delivery of
# 1% new invoices (with their line items); times `run` (incremental: applies only the delivery) against
# `run --full-refresh` of the same day (rebuilds from every landed extract), and checks both give the same views.
#   bench/incremental.sh [--invoices N] [--accounts A] [--runs R] [--work DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="$here/build/ledgerlake"
invoices=5000000 accounts=500000 runs=3 work=/tmp/ll-incremental
while [[ $# -gt 0 ]]; do
  case "$1" in
    --invoices) invoices="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin" ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$bin" generate --out "$work/base" --invoices "$invoices" --accounts "$accounts" --seed 7 >/dev/null
# The delivery: another generation's invoices (1% as many) with ids moved past the base's, and their line items;
# they belong to the base's accounts and skus (ids 1..accounts, 1..500).
"$bin" generate --out "$work/gen2" --invoices $(( invoices / 100 )) --accounts "$accounts" --seed 8 >/dev/null
mkdir -p "$work/delta"
awk -F, -v OFS=, -v n="$invoices" 'NR == 1 { print; next } { $1 += n; print }' "$work/gen2/invoices.csv" > "$work/delta/invoices.csv"
awk -F, -v OFS=, -v n="$invoices" 'NR == 1 { print; next } { $1 += n; print }' "$work/gen2/invoice_line_items.csv" > "$work/delta/invoice_line_items.csv"
rm -rf "$work/gen2"
echo "base: $invoices invoices, $(du -sh "$work/base" | cut -f1); delivery: $(( $(wc -l < "$work/delta/invoices.csv") - 1 )) invoices, $(( $(wc -l < "$work/delta/invoice_line_items.csv") - 1 )) line items"

digest="SELECT d, count(*) AS n, sum(hash(r)) AS h FROM (
  SELECT 'account_features' AS d, x::VARCHAR AS r FROM account_features x
  UNION ALL SELECT 'account_invoice_features', x::VARCHAR FROM account_invoice_features x
  UNION ALL SELECT 'invoice_features', x::VARCHAR FROM invoice_features x) GROUP BY d ORDER BY d"

timed() {  # prints "wall_seconds max_rss_kib" of the command
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}
for r in $(seq 1 "$runs"); do
  lake="$work/lake"
  rm -rf "$lake"
  "$bin" --lake "$lake" init >/dev/null
  "$bin" --lake "$lake" ingest "$work/base" >/dev/null
  sync
  full_base=$(timed "$bin" --lake "$lake" run --as-of 2024-12-31)
  "$bin" --lake "$lake" ingest "$work/delta" >/dev/null
  sync
  incr=$(timed "$bin" --lake "$lake" run --as-of 2025-01-01)
  d_incr=$("$bin" --lake "$lake" query "$digest" --format csv)
  delta_rows=$("$bin" --lake "$lake" query "SELECT count(*) FROM invoice_features_history WHERE ingest_year = 2025" --format csv | tail -1)
  sync
  full=$(timed "$bin" --lake "$lake" run --as-of 2025-01-01 --full-refresh)
  d_full=$("$bin" --lake "$lake" query "$digest" --format csv)
  [[ "$d_incr" == "$d_full" ]] || { echo "run $r: incremental and full refresh differ" >&2; echo "$d_incr" >&2; echo "$d_full" >&2; exit 1; }
  echo "run $r: first run (complete) ${full_base% *} s ${full_base#* } KiB | incremental ${incr% *} s ${incr#* } KiB ($delta_rows invoice_features rows in the delta) | full refresh ${full% *} s ${full#* } KiB | same views"
done
