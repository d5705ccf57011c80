#!/usr/bin/env bash
# Complete runs under `run --memory-limit` at several sizes: the "Bounded memory" table of docs/benchmarks.md.
#
#   bench/bounded.sh [--dir DIR] [--sizes "5000000 15000000 50000000"] [--as-of D] LIMIT...
#
# For each size N, DIR/N/lake holds `ledgerlake generate --invoices N --accounts N/10 --seed 42`, ingested (made
# here when missing; the generated CSV is deleted once landed). Then, for each LIMIT (e.g. 1GB 2GB) and size, one
# `ledgerlake run --as-of D --full-refresh --memory-limit LIMIT` under GNU time. Prints one line per run: passes,
# wall time, peak RSS, user and system CPU. Needs free disk of about twice the largest delivery.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ll="${LEDGERLAKE_BUILD:-$here/../build}/ledgerlake"
dir=/tmp/ll-bounded
sizes="5000000 15000000 50000000"
as_of=2024-11-24
limits=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --as-of) as_of="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) limits+=("$1"); shift ;;
  esac
done
[[ ${#limits[@]} -gt 0 ]] || { echo "usage: bench/bounded.sh [--dir DIR] [--sizes \"N ...\"] LIMIT..." >&2; exit 2; }
[[ -x "$ll" ]] || { echo "build first: $ll is missing" >&2; exit 1; }

for n in $sizes; do
  d="$dir/$n"
  if [[ ! -f "$d/lake/catalog.db" ]]; then
    rm -rf "$d" && mkdir -p "$d"
    "$ll" generate --out "$d/in" --invoices "$n" --accounts $((n / 10)) --seed 42 > "$d/gen.txt"
    "$ll" --lake "$d/lake" init > /dev/null
    "$ll" --lake "$d/lake" ingest "$d/in" > /dev/null
    rm -rf "$d/in"
  fi
done

mib() {  # a size as --memory-limit reads it (binary units), in MiB
  awk -v s="$1" 'BEGIN { n = s + 0; u = toupper(substr(s, length(n "") + 1, 1));
    print (u == "G" ? n * 1024 : u == "M" ? n : u == "K" ? n / 1024 : n / 1048576) }'
}
echo "| limit | invoices | passes | wall | peak RSS | peak - limit | user + sys CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for limit in "${limits[@]}"; do
  for n in $sizes; do
    d="$dir/$n"
    sync
    /usr/bin/time -f "%e %M %U %S" "$ll" --lake "$d/lake" run --as-of "$as_of" --full-refresh \
      --memory-limit "$limit" > "$d/run-$limit.txt" 2> "$d/run-$limit.time"
    read -r wall kib user sys < <(tail -1 "$d/run-$limit.time")
    passes=$(head -1 "$d/run-$limit.txt" | sed -n 's/.*, \([0-9]*\) passes).*/\1/p')
    printf '| %s | %s | %s | %s s | %d MiB | %+d MiB | %.1f s |\n' "$limit" "$n" "${passes:-1}" "$wall" \
      $((kib / 1024)) $((kib / 1024 - $(mib "$limit"))) "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
  done
done
