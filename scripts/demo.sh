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
echo; echo "== the next day: a payment, a new invoice and a price change arrive; the run applies only them"
read -r inv acct issued < <("$ll" query "SELECT invoice_id, account_id, date_issued FROM raw_invoices
    WHERE payment_dates IS NULL AND date_issued BETWEEN '2024-10-26' AND '2024-11-24' ORDER BY invoice_id::BIGINT LIMIT 1" --format csv |
  tail -1 | tr ',' ' ')
mkdir -p "$demo/delta"
printf 'invoice_id,account_id,date_issued,payment_dates\n%s,%s,%s,2024-11-25\n900001,1,2024-11-25,\n' \
  "$inv" "$acct" "$issued" > "$demo/delta/invoices_2024-11-25.csv"
printf 'invoice_id,item_id,quantity\n900001,250,3\n' > "$demo/delta/invoice_line_items_2024-11-25.csv"
printf 'item_id,item_retail_price\n250,99.99\n' > "$demo/delta/skus_2024-11-25.csv"
"$ll" ingest "$demo/delta"
"$ll" run --as-of 2024-11-25 | sed -n '1p;/^dataset/,/^$/p'
echo "== query: the current view, and the same invoice as of the day before"
"$ll" query "SELECT * FROM invoice_features WHERE inv_id IN ($inv, 900001) ORDER BY inv_id"
"$ll" query "SELECT * FROM invoice_features WHERE inv_id IN ($inv, 900001) ORDER BY inv_id" --as-of 2024-11-24
echo; echo "lake: $LEDGERLAKE_LAKE (try: $ll --lake $LEDGERLAKE_LAKE query \"SELECT * FROM account_features LIMIT 5\")"
