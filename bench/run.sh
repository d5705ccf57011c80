#!/usr/bin/env bash
# The benchmark: ledgerlake against DuckDB doing the same work on the same delivery.
#
#   bench/run.sh [--invoices N] [--accounts N] [--runs K] [--as-of D] [--seed S] [--out DIR] [--results FILE]
#                [--duckdb-threads N] [--duckdb-memory-limit X] [--wait-idle S] [--max-other P] [--retries R] [--keep]
#
# 1. Generates the delivery with `ledgerlake generate` (fixed seed; reused from DIR when kept by an earlier --keep).
# 2. Times `ledgerlake ingest` of it into a fresh lake, K times, each after a plain copy of the same files to the
#    same disk (`cp`, then `sync` of the copies: what "the disk's copy speed" means in the ingest target).
# 3. Alternates K times: `ledgerlake run --as-of D --full-refresh` on that lake; then DuckDB running the script a
#    DuckDB user would write for the job (bench/duckdb_idiomatic.sql: typed read_csv, one join + GROUP BY, window
#    functions, COPY ... PARTITION_BY), the headline peer; then DuckDB running the contract-faithful reference
#    (tests/reference/clean_delivery.sql + features.sql + bench/duckdb_features.sql: DISTINCT over every keyed
#    table, each step materialised), a second row. Each DuckDB side writes into a fresh, empty OUT_DIR.
#    Every command runs under GNU time (wall, user+sys CPU, peak RSS). For shared machines: each first waits (at
#    most S seconds, default 60; 0: no wait) for a second in which the rest of the machine used under 10% of the
#    CPU, and a run during which other processes took more than P% (default 10) of the machine's CPU is repeated,
#    at most R times (default 3). The report shows how much each kept run was disturbed.
# 4. Checks with bench/compare.sql that each DuckDB side wrote the same rows as ledgerlake for each of the three
#    datasets. If anything differs it prints what, and exits 1 without reporting any timing.
# 5. Prints a markdown report (medians, MB/s and rows/s of input, the DuckDB/ledgerlake ratios, the machine) and
#    writes it to FILE (default DIR/results-<invoices>.md).
#
# Binaries come from ${LEDGERLAKE_BUILD:-<repo>/build}: build them first with
#   cmake --build build --target ledgerlake duckdb_sql
# Scratch data goes to DIR (default /tmp/ll-bench); without --keep, the delivery, lakes and DuckDB output are
# deleted at the end (logs and results stay). Exit status: 0 reported, 1 failure or outputs differ, 2 usage.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${LEDGERLAKE_BUILD:-$root/build}"
ll="$build/ledgerlake"
duck="$build/duckdb_sql"

invoices=100000
accounts=""
runs=3
as_of=2024-11-24
seed=42
out=/tmp/ll-bench
results=""
duck_opts=()
keep=0
wait_idle=60
max_other=10
retries=3

die() { echo "bench: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "bench: $1 wants a positive integer, got '$2'" >&2; exit 2; }; }

while (($#)); do
  case "$1" in
    --invoices) positive "$1" "${2-}"; invoices=$2; shift 2 ;;
    --accounts) positive "$1" "${2-}"; accounts=$2; shift 2 ;;
    --runs) positive "$1" "${2-}"; runs=$2; shift 2 ;;
    --seed) [[ "${2-}" =~ ^[0-9]+$ ]] || usage; seed=$2; shift 2 ;;
    --as-of) [[ "${2-}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || usage; as_of=$2; shift 2 ;;
    --out) [[ -n "${2-}" ]] || usage; out=$2; shift 2 ;;
    --results) [[ -n "${2-}" ]] || usage; results=$2; shift 2 ;;
    --duckdb-threads) positive "$1" "${2-}"; duck_opts+=(--threads "$2"); shift 2 ;;
    --duckdb-memory-limit) [[ -n "${2-}" ]] || usage; duck_opts+=(--memory-limit "$2"); shift 2 ;;
    --wait-idle) [[ "${2-}" =~ ^[0-9]+$ ]] || usage; wait_idle=$2; shift 2 ;;
    --max-other) [[ "${2-}" =~ ^[0-9]+$ ]] || usage; max_other=$2; shift 2 ;;
    --retries) [[ "${2-}" =~ ^[0-9]+$ ]] || usage; retries=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
  esac
done
accounts=${accounts:-$(((invoices + 9) / 10))}
mkdir -p "$out"
out="$(cd "$out" && pwd)"
results=${results:-$out/results-$invoices.md}
command_line="bench/run.sh --invoices $invoices --accounts $accounts --runs $runs --as-of $as_of --seed $seed"
((${#duck_opts[@]})) && command_line+=" ${duck_opts[*]/#--/--duckdb-}"
command_line+=" --wait-idle $wait_idle --max-other $max_other --retries $retries"

[[ -x "$ll" && -x "$duck" ]] || die "missing $ll or $duck: cmake --build $build --target ledgerlake duckdb_sql"
if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
  echo "bench: installing GNU time (Debian package 'time')" >&2
  sudo=""; ((EUID == 0)) || sudo=sudo
  $sudo apt-get install -y time >/dev/null || die "cannot install GNU time: apt-get install time"
fi

# Benchmark copies: the build directory may be rebuilt while this runs.
mkdir -p "$out/bin"
cp "$ll" "$duck" "$out/bin/"
built="$(date -u -r "$ll" '+%Y-%m-%d %H:%M UTC')"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$root" status --porcelain -- src 2>/dev/null | wc -l)"
ll="$out/bin/ledgerlake"
duck="$out/bin/duckdb_sql"

logs="$out/logs"
lake="$out/lake"
duck_out="$out/duckdb-out"
ref_out="$out/duckdb-ref-out"
duck_cwd="$out/duckdb-tmp"  # DuckDB spills to .tmp in its working directory
copy_dir="$out/copy"
partition="ingest_year=${as_of:0:4}/ingest_month=${as_of:5:2}/ingest_day=${as_of:8:2}"
rm -rf "$logs" "$out"/*.times "$out"/*.discarded
mkdir -p "$logs" "$duck_cwd"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"

# --- the delivery --------------------------------------------------------------------------------------------
data="$out/data/a$accounts-i$invoices-s$seed"
if [[ ! -f "$data.complete" ]]; then
  rm -rf "$data"
  echo "bench: generating $invoices invoices, $accounts accounts (seed $seed) into $data" >&2
  "$ll" generate --out "$data" --accounts "$accounts" --invoices "$invoices" --seed "$seed" >"$logs/generate.log"
  touch "$data.complete"
fi
csv_bytes=$(stat -c %s "$data"/*.csv | awk '{s += $1} END {print s}')

# --- measuring -------------------------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
cores=$(nproc)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# wait_for_idle: returns once a one-second sample shows the machine under 10% busy, or after $wait_idle seconds.
wait_for_idle() {
  local deadline=$((SECONDS + wait_idle)) before
  while ((SECONDS < deadline)); do
    before=$(busy_ticks)
    sleep 1
    (($(busy_ticks) - before < hz * cores / 10)) && return 0
  done
  return 0
}

# measure NAME PREPARE CMD...: runs PREPARE (a command, untimed), then CMD under GNU time, stdout to
# logs/NAME-<n>.log and stderr to logs/NAME-<n>.err, and appends one line to NAME.times: wall seconds, user+sys CPU
# seconds, peak RSS KiB, and the CPU seconds the rest of the machine used meanwhile. A run during which other
# processes took more than --max-other percent of the machine's CPU is discarded and repeated (up to --retries
# times; then the last one is kept) and counted in NAME.discarded.
measure() {
  local name=$1 prepare=$2
  shift 2
  local n=1 attempt line
  [[ -f "$out/$name.times" ]] && n=$(($(wc -l <"$out/$name.times") + 1))
  local log="$logs/$name-$n.log" tf="$logs/$name-$n.time"
  for ((attempt = 0; ; attempt++)); do
    $prepare
    sync  # so that writeback of the previous step's files is not charged to this one
    ((wait_idle)) && wait_for_idle
    local before after
    before=$(busy_ticks)
    if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>"${log%.log}.err"; then
      echo "bench: $name failed: $*" >&2
      tail -n 20 "${log%.log}.err" >&2
      exit 1
    fi
    after=$(busy_ticks)
    line=$(tail -n 1 "$tf" | awk -v b="$before" -v a="$after" -v hz="$hz" \
      '{cpu = $2 + $3; other = (a - b) / hz - cpu; if (other < 0) other = 0; print $1, cpu, $4, other}')
    awk -v c="$cores" -v m="$max_other" '{exit !(100 * $4 / ($1 * c) > m)}' <<<"$line" || break
    ((attempt < retries)) || break
    echo "bench: $name run $n disturbed ($(awk -v c="$cores" '{printf "%.0f%%", 100 * $4 / ($1 * c)}' <<<"$line") \
of the CPU went to other processes): repeating it" >&2
    echo "$line" >>"$out/$name.discarded"
  done
  echo "$line" >>"$out/$name.times"
  echo "bench: $name run $n: $(awk -v c="$cores" \
    '{printf "%.2f s wall, %.2f s CPU, %.0f MiB, others %.0f%%", $1, $2, $3 / 1024, 100 * $4 / ($1 * c)}' \
    <<<"$line")" >&2
}
fresh_lake() {
  rm -rf "$lake"
  "$ll" --lake "$lake" init >/dev/null
}
fresh_duck_out() {
  rm -rf "$duck_out"
  mkdir -p "$duck_out"
}
fresh_ref_out() {
  rm -rf "$ref_out"
  mkdir -p "$ref_out"
}

fresh_copy() {
  rm -rf "$copy_dir"
  mkdir -p "$copy_dir"
}

echo "bench: copy and ingest, alternating, x $runs" >&2
for ((i = 1; i <= runs; i++)); do
  measure copy fresh_copy sh -c 'cp "$0"/*.csv "$1"/ && sync "$1"/*.csv' "$data" "$copy_dir"
  measure ingest fresh_lake "$ll" --lake "$lake" ingest "$data"
done
rm -rf "$copy_dir"

echo "bench: run --full-refresh, the DuckDB script and the DuckDB reference, alternating, x $runs" >&2
for ((i = 1; i <= runs; i++)); do
  measure ledgerlake : "$ll" --lake "$lake" run --as-of "$as_of" --full-refresh --json
  measure duckdb fresh_duck_out env --chdir="$duck_cwd" "$duck" "${duck_opts[@]}" \
    --set "DATA_DIR=$data" --set "AS_OF=$as_of" --set "OUT_DIR=$duck_out" "$here/duckdb_idiomatic.sql"
  measure duckdb_ref fresh_ref_out env --chdir="$duck_cwd" "$duck" "${duck_opts[@]}" \
    --set "DATA_DIR=$data" --set "AS_OF=$as_of" --set "OUT_DIR=$ref_out" \
    "$root/tests/reference/clean_delivery.sql" "$root/tests/reference/features.sql" "$here/duckdb_features.sql"
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- same rows? ------------------------------------------------------------------------------------------------
echo "bench: comparing the outputs" >&2
for side in duckdb:$duck_out duckdb_ref:$ref_out; do
  compare="$logs/compare-${side%%:*}.csv"
  "$duck" --set "OURS=$lake/processed" --set "DUCK=${side#*:}" --set "PARTITION=$partition" --print csv \
    "$here/compare.sql" >"$compare" 2>"$logs/compare.err" || { cat "$logs/compare.err" >&2; die "the comparison failed"; }
  "$duck" --print table /dev/stdin >"$logs/compare-${side%%:*}.txt" <<<"
    UNPIVOT (SELECT * FROM read_csv('$compare', header = true, all_varchar = true) WHERE same IS DISTINCT FROM 'true')
    ON COLUMNS(* EXCLUDE dataset) INTO NAME field VALUE value"
  if [[ $(awk -F, 'NR > 1 && $2 != "true"' "$compare" | wc -l) -ne 0 || $(wc -l <"$compare") -ne 4 ]]; then
    cat "$logs/compare-${side%%:*}.txt" >&2
    die "ledgerlake's output differs from that of ${side%%:*} (above; $compare): no results reported"
  fi
done
output_rows=$(awk -F, 'NR > 1 {printf "%s%s %s", (NR > 2 ? ", " : ""), $3, $1}' "$compare" |
  sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')

# --- report ----------------------------------------------------------------------------------------------------
# Input rows: what ledgerlake read, per table, from the last run's JSON summary.
IFS=, read -r acc_rows sku_rows inv_rows li_rows < <("$duck" --print csv /dev/stdin <<<"
  SELECT tables.accounts.read, tables.skus.read, tables.invoices.read, tables.invoice_line_items.read
  FROM read_json('$logs/ledgerlake-$runs.log')" | tail -n 1)
input_rows=$((acc_rows + sku_rows + inv_rows + li_rows))

# ledgerlake's own stage times, median over the runs, from each run's JSON summary.
stages=$("$duck" --print csv /dev/stdin <<<"
  SELECT string_agg(key || ' ' || printf('%.2f', s), ', ' ORDER BY id)
  FROM (SELECT key, min(id) AS id, median(value::DOUBLE) AS s
        FROM read_text('$logs/ledgerlake-*.log'), json_each(content -> 'stages_seconds') GROUP BY key)" |
  tail -n 1 | tr -d '"')

median() {  # median of column $2 of file $1
  awk -v c="$2" '{print $c}' "$1" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
declare -A med  # med[<step>.<wall|cpu|rss|other>]
for step in copy ingest ledgerlake duckdb duckdb_ref; do
  for col in 1:wall 2:cpu 3:rss 4:other; do med[$step.${col#*:}]=$(median "$out/$step.times" "${col%%:*}"); done
done
row() {  # row LABEL WALL CPU RSS_KIB
  awk -v l="$1" -v w="$2" -v c="$3" -v r="$4" -v b="$csv_bytes" -v n="$input_rows" \
    'function commas(x,  s, t) {
       s = sprintf("%.0f", x); t = ""
       while (length(s) > 3) { t = "," substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) }
       return s t
     }
     BEGIN {printf "| %s | %.2f | %.2f | %s | %.1f | %s |\n", l, w, c, commas(r / 1024), b / 1e6 / w, commas(n / w)}'
}
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
discarded() { if [[ -f "$out/$1.discarded" ]]; then wc -l <"$out/$1.discarded"; else echo 0; fi; }
runs_of() {  # each run's wall time, with the share of the machine's CPU other processes took meanwhile
  awk -v c="$cores" '{printf "%s%.2f (%.0f%%)", (NR > 1 ? ", " : ""), $1, 100 * $4 / ($1 * c)}' "$out/$1.times"
}
other_pct() { awk -v o="$1" -v w="$2" -v c="$cores" 'BEGIN {printf "%.0f%%", 100 * o / (w * c)}'; }
wall_ratio=$(ratio "${med[duckdb.wall]}" "${med[ledgerlake.wall]}")
rss_ratio=$(ratio "${med[duckdb.rss]}" "${med[ledgerlake.rss]}")
cpu_ratio=$(ratio "${med[duckdb.cpu]}" "${med[ledgerlake.cpu]}")
ref_wall_ratio=$(ratio "${med[duckdb_ref.wall]}" "${med[ledgerlake.wall]}")
ref_rss_ratio=$(ratio "${med[duckdb_ref.rss]}" "${med[ledgerlake.rss]}")
ref_cpu_ratio=$(ratio "${med[duckdb_ref.cpu]}" "${med[ledgerlake.cpu]}")
verdict() {  # verdict RATIO TARGET; "missed by N%": ledgerlake would need N% less (time or memory) to meet it
  awk -v r="$1" -v t="$2" 'BEGIN {
    if (r >= t) print "met"; else printf "missed by %.1f%% (ledgerlake needs that much less)", 100 * (1 - r / t)
  }'
}
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
ram="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
disk="$(findmnt -no SOURCE,FSTYPE -T "$out" | tr -s ' ')"
duckdb_version="$(cat "$root/third_party/duckdb/VERSION" 2>/dev/null || echo '?')"

report="$(cat <<EOF
### $(thousands "$invoices") invoices, $(thousands "$accounts") accounts ($started, commit $commit)

Input: 4 CSV files, $(awk -v b="$csv_bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB, $(thousands "$input_rows") rows \
($(thousands "$acc_rows") accounts, $(thousands "$sku_rows") skus, $(thousands "$inv_rows") invoices, \
$(thousands "$li_rows") line items), as of $as_of. Medians of $runs runs; MB/s and rows/s are input over wall time.

| step | wall s | CPU s | peak RSS MiB | MB/s | rows/s |
|---|---:|---:|---:|---:|---:|
$(row "copy of the CSVs (cp + sync)" "${med[copy.wall]}" "${med[copy.cpu]}" "${med[copy.rss]}")
$(row "ledgerlake ingest" "${med[ingest.wall]}" "${med[ingest.cpu]}" "${med[ingest.rss]}")
$(row "ledgerlake run --full-refresh" "${med[ledgerlake.wall]}" "${med[ledgerlake.cpu]}" "${med[ledgerlake.rss]}")
$(row "DuckDB, the script a user writes (duckdb_idiomatic.sql)" "${med[duckdb.wall]}" "${med[duckdb.cpu]}" "${med[duckdb.rss]}")
| **DuckDB script / ledgerlake (run)** | **${wall_ratio}x** | **${cpu_ratio}x** | **${rss_ratio}x** | | |
$(row "DuckDB, contract-faithful reference (features.sql)" "${med[duckdb_ref.wall]}" "${med[duckdb_ref.cpu]}" "${med[duckdb_ref.rss]}")
| DuckDB reference / ledgerlake (run) | ${ref_wall_ratio}x | ${ref_cpu_ratio}x | ${ref_rss_ratio}x | | |

- Targets, against the DuckDB script: wall ratio >= 3 — $(verdict "$wall_ratio" 3); \
RSS ratio >= 2 — $(verdict "$rss_ratio" 2).
- Ingest (copy, hash, read and type every value): $(ratio "${med[ingest.wall]}" "${med[copy.wall]}")x the time \
of a plain copy of the same files, i.e. at $(awk -v c="${med[copy.wall]}" -v i="${med[ingest.wall]}" \
'BEGIN {printf "%.0f%%", 100 * c / i}') of the disk's copy speed.
- ledgerlake's stages (median s, from \`run --json\`): $stages.
- Each run's wall s (other processes' CPU share): copy $(runs_of copy); ingest $(runs_of ingest); \
ledgerlake run $(runs_of ledgerlake); DuckDB script $(runs_of duckdb); DuckDB reference $(runs_of duckdb_ref).
- Runs repeated because other processes took over $max_other% of the CPU: ingest $(discarded ingest), \
ledgerlake run $(discarded ledgerlake), DuckDB script $(discarded duckdb), DuckDB reference \
$(discarded duckdb_ref).
- Output check: each DuckDB side wrote the same rows as ledgerlake in all three datasets ($output_rows).
- Machine: $cores cores ($cpu_model), $ram RAM, $disk disk for $out; DuckDB $duckdb_version, default threads \
and memory limit unless stated in the command.
- Load: 1/5/15-min load average $load_start at the start, $load_end at the end; other processes used a median \
$(other_pct "${med[ledgerlake.other]}" "${med[ledgerlake.wall]}") of the machine's CPU during ledgerlake's runs and \
$(other_pct "${med[duckdb.other]}" "${med[duckdb.wall]}") during the DuckDB script's.
- Binary: built $built from commit $commit$( ((dirty)) && echo " plus uncommitted changes in $dirty file(s) in src/").
- Command: \`$command_line\`
EOF
)"
mkdir -p "$(dirname "$results")"
printf '%s\n' "$report" | tee "$results"
echo "bench: written to $results" >&2

if ((!keep)); then
  rm -rf "$lake" "$duck_out" "$ref_out" "$duck_cwd" "$data" "$data.complete" "${out:?}/bin"
  rmdir "$out/data" 2>/dev/null || true
fi
