-- The headline DuckDB peer of the benchmark: the script a user who picks DuckDB for this job would write, on one
-- clean delivery (bench/run.sh runs it alternately with ledgerlake and checks both wrote the same rows).
--
-- Typed read_csv straight from the files, one join and GROUP BY for the invoice totals, window functions (a RANGE
-- frame for num_inv_120d, row_number() for the running count), COPY ... PARTITION_BY for the Parquet. No DISTINCT
-- and no staging copies of the inputs: on a clean delivery (one row per key) there is nothing to deduplicate, and
-- repeated line items are lines that count. The semantics are the contract's (docs/features.md), labels
-- point-in-time included; what it leaves out is what a clean delivery never needs (reject, upsert and pending
-- rules, and a payment column named payment_date instead of payment_dates): tests/reference/ has the faithful one.
--
-- Placeholders, substituted textually: ${DATA_DIR} (accounts.csv, skus.csv, invoices.csv,
-- invoice_line_items.csv), ${AS_OF} (YYYY-MM-DD) and ${OUT_DIR}, an existing empty directory. Layout:
-- ${OUT_DIR}/<dataset>/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/*.parquet.

CREATE TABLE accounts AS
SELECT account_id, joining_date
FROM read_csv('${DATA_DIR}/accounts.csv', header = true,
              columns = {'account_id': 'BIGINT', 'company_name': 'VARCHAR', 'company_address': 'VARCHAR',
                         'contact_person': 'VARCHAR', 'contact_phone': 'VARCHAR', 'gender': 'VARCHAR',
                         'joining_date': 'DATE'});

CREATE TABLE invoice_totals AS
SELECT li.invoice_id, sum(li.quantity * s.item_retail_price) AS spending, sum(li.quantity) AS items
FROM read_csv('${DATA_DIR}/invoice_line_items.csv', header = true,
              columns = {'invoice_id': 'BIGINT', 'item_id': 'BIGINT', 'quantity': 'BIGINT'}) li
JOIN read_csv('${DATA_DIR}/skus.csv', header = true,
              columns = {'item_id': 'BIGINT', 'item_name': 'VARCHAR', 'item_description': 'VARCHAR',
                         'item_cost_price': 'DECIMAL(18,2)', 'item_retail_price': 'DECIMAL(18,2)'}) s
  USING (item_id)
GROUP BY li.invoice_id;

CREATE TABLE invoice_features AS
SELECT
  i.invoice_id AS inv_id,
  i.account_id AS acct_id,
  i.date_issued,
  CAST(coalesce(t.spending, 0) AS DECIMAL(18,2)) AS inv_total,
  CAST(coalesce(t.items, 0) AS BIGINT) AS inv_items,
  CAST(i.date_issued - a.joining_date AS INTEGER) AS acct_age,
  CAST(count(*) OVER (PARTITION BY i.account_id ORDER BY i.date_issued
                      RANGE BETWEEN INTERVAL 120 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING) AS INTEGER)
    AS num_inv_120d,
  CAST(row_number() OVER (PARTITION BY i.account_id ORDER BY i.date_issued, i.invoice_id) AS INTEGER)
    AS cum_tot_inv_acct,
  CAST(CASE WHEN i.payment_dates <= DATE '${AS_OF}' THEN i.payment_dates - i.date_issued > 30
            WHEN DATE '${AS_OF}' - i.date_issued > 30 THEN true END AS INTEGER) AS is_late
FROM read_csv('${DATA_DIR}/invoices.csv', header = true,
              columns = {'invoice_id': 'BIGINT', 'account_id': 'BIGINT', 'date_issued': 'DATE',
                         'payment_dates': 'DATE'}) i
JOIN accounts a USING (account_id)
LEFT JOIN invoice_totals t USING (invoice_id)
WHERE i.date_issued <= DATE '${AS_OF}';

COPY (
  SELECT inv_id, acct_id, inv_total, inv_items, acct_age, num_inv_120d, cum_tot_inv_acct, is_late,
         '${AS_OF}'[1:4] AS ingest_year, '${AS_OF}'[6:7] AS ingest_month, '${AS_OF}'[9:10] AS ingest_day
  FROM invoice_features
) TO '${OUT_DIR}/invoice_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));

COPY (
  SELECT acct_id AS account_id, inv_id AS invoice_id, date_issued, inv_total AS feature_invoice_spending,
         '${AS_OF}'[1:4] AS ingest_year, '${AS_OF}'[6:7] AS ingest_month, '${AS_OF}'[9:10] AS ingest_day
  FROM invoice_features
) TO '${OUT_DIR}/account_invoice_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));

COPY (
  SELECT
    a.account_id,
    CAST(DATE '${AS_OF}' - a.joining_date AS INTEGER) AS feature_account_age_day,
    CAST(date_sub('year', a.joining_date, DATE '${AS_OF}') AS INTEGER) AS feature_account_age_year,
    CAST(date_sub('year', a.joining_date, DATE '${AS_OF}') >= 1 AS INTEGER) AS feature_customer_age_over_one_year,
    CAST(coalesce(v.n, 0) AS INTEGER) AS feature_total_invoices,
    CAST(v.last_issued - v.first_issued AS DOUBLE) / nullif(v.n - 1, 0) AS feature_avg_invoice_interval_day,
    '${AS_OF}'[1:4] AS ingest_year, '${AS_OF}'[6:7] AS ingest_month, '${AS_OF}'[9:10] AS ingest_day
  FROM accounts a
  LEFT JOIN (SELECT acct_id, count(*) AS n, min(date_issued) AS first_issued, max(date_issued) AS last_issued
             FROM invoice_features GROUP BY acct_id) v ON v.acct_id = a.account_id
  WHERE a.joining_date <= DATE '${AS_OF}'
) TO '${OUT_DIR}/account_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));
