#!/usr/bin/env bash
# The main job on an embedded default: builds ledgerlake, generates a realistic sample delivery, lands it in a
# fresh lake, runs the feature job as of 2024-11-24 and shows a few query results.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/build.sh" >/dev/null
ll="$here/build/ledgerlake"
demo="$here/demo"
rm -rf "$demo"
export LEDGERLAKE_LAKE="$demo/lake"
echo "== generate"
"$ll" generate --out "$demo/extracts" --accounts 20000 --invoices 200000 --seed 42
echo; echo "== init + ingest"
"$ll" init
"$ll" ingest "$demo/extracts"
echo; echo "== run"
"$ll" run --as-of 2024-11-24
echo; echo "== query: the model input, first rows"
"$ll" query "SELECT * FROM invoice_features ORDER BY acct_id, cum_tot_inv_acct LIMIT 8"
echo; echo "== query: on-time rate by account age"
"$ll" query "SELECT a.feature_account_age_year AS years, count(*) AS invoices,
                    round(avg(i.is_late), 3) AS late_rate, sum(i.inv_total) AS billed
             FROM invoice_features i JOIN account_features a ON a.account_id = i.acct_id
             WHERE i.is_late IS NOT NULL GROUP BY 1 ORDER BY 1"
echo; echo "lake: $LEDGERLAKE_LAKE (try: $ll --lake $LEDGERLAKE_LAKE query \"SELECT * FROM account_features LIMIT 5\")"
