#!/usr/bin/env bash
# The benchmark on several data shapes: bench/run.sh once per shape, one report for all of them.
#
#   bench/shapes.sh [--runs K] [--out DIR] [--results FILE] [--shapes "INVOICES:ACCOUNTS ..."] [-- RUN_SH_ARGS...]
#
# The default shapes are 5M invoices at about 10, 50 and 20,000 invoices per account (500,000, 100,000 and 250
# accounts), then 1M and 20M invoices at 10 per account for the trend. Each shape's report (the DuckDB script, the
# contract-faithful DuckDB reference and ledgerlake, alternated, medians; see bench/run.sh) is appended to FILE
# (default DIR/results-shapes.md) under a summary table of the headline ratios. Scratch data goes to DIR (default
# /tmp/ll-bench), removed shape by shape. Exit status: that of the first run.sh that fails, else 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs=3
out=/tmp/ll-bench
results=""
shapes="5000000:500000 5000000:100000 5000000:250 1000000:100000 20000000:2000000"
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }
while (($#)); do
  case "$1" in
    --runs) [[ "${2-}" =~ ^[1-9][0-9]*$ ]] || usage; runs=$2; shift 2 ;;
    --out) [[ -n "${2-}" ]] || usage; out=$2; shift 2 ;;
    --results) [[ -n "${2-}" ]] || usage; results=$2; shift 2 ;;
    --shapes) [[ "${2-}" =~ ^[0-9]+:[0-9]+( [0-9]+:[0-9]+)*$ ]] || usage; shapes=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage 0 ;;
    *) echo "shapes: unknown argument '$1'" >&2; usage ;;
  esac
done
mkdir -p "$out"
results=${results:-$out/results-shapes.md}
parts=()
summary="| invoices | accounts | invoices per account | ledgerlake s | DuckDB script s | DuckDB reference s | \
script / ledgerlake (wall) | script / ledgerlake (peak RSS) |
|---:|---:|---:|---:|---:|---:|---:|---:|"
# cell ROW COLUMN: a cell of the row of $part's table whose label starts with ROW, without markup or "x".
cell() { grep -F "| $1" "$part" | head -n 1 | awk -F'|' -v c="$2" '{gsub(/[ *x]/, "", $c); print $c}'; }
for shape in $shapes; do
  invoices=${shape%%:*} accounts=${shape#*:}
  part="$out/results-$invoices-$accounts.md"
  bash "$here/run.sh" --invoices "$invoices" --accounts "$accounts" --runs "$runs" --out "$out" --results "$part" "$@"
  parts+=("$part")
  summary+=$'\n'"| $invoices | $accounts | $((invoices / accounts)) | $(cell 'ledgerlake run' 3) | \
$(cell 'DuckDB, the script' 3) | $(cell 'DuckDB, contract' 3) | $(cell '**DuckDB script' 3)x | $(cell '**DuckDB script' 5)x |"
done
{
  echo "## DuckDB peers against ledgerlake on $(wc -w <<<"$shapes") shapes"
  echo
  echo "$summary"
  echo
  for part in "${parts[@]}"; do cat "$part"; echo; done
} >"$results"
cat "$results"
echo "shapes: written to $results" >&2
