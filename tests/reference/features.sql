-- Reference computation of the three feature datasets of docs/features.md in DuckDB SQL, written from that
-- contract alone and never from src/engine/: the independent computation that the engine's results are
-- compared with (tests), and DuckDB's side of the benchmark (bench/duckdb_features.sql appends its Parquet
-- export to this script).
--
-- Input: the merged source tables, made by one of the reference loaders run first in the same connection:
-- tests/reference/clean_delivery.sql (one clean delivery) or tests/reference/landed_files.sql (any sequence of
-- landed extracts, dirty ones included, with the contract's reject and upsert rules):
--   ref_accounts(account_id, joining_date), ref_skus(item_id, item_retail_price),
--   ref_invoices(invoice_id, account_id, date_issued, payment_date, has_payment_column),
--   ref_line_items(invoice_id, item_id, quantity)
-- and the snapshot date D as ${AS_OF} (YYYY-MM-DD), substituted textually before running.
-- Output: tables ref_account_features, ref_account_invoice_features and ref_invoice_features, with exactly the
-- column names, order and types of the contract. Intermediate tables are TEMP and also named ref_*.
-- Rows whose parent is unknown (an invoice of an unknown account, a line item of an unknown invoice or sku) are
-- pending: in no dataset.

CREATE OR REPLACE TEMP TABLE ref_params AS SELECT DATE '${AS_OF}' AS as_of;

-- The invoices that exist as of D: issued on or before D, of a known account. The account may join after D:
-- its invoices are still reported (with a negative acct_age), it only has no account_features row yet.
CREATE OR REPLACE TEMP TABLE ref_invoices_as_of AS
SELECT i.invoice_id, i.account_id, i.date_issued, i.payment_date, i.has_payment_column, a.joining_date
FROM ref_invoices i
JOIN ref_accounts a USING (account_id)
WHERE i.date_issued <= (SELECT as_of FROM ref_params);

-- Spending and item count per invoice, in exact decimal arithmetic (BIGINT x DECIMAL stays DECIMAL). Line items
-- of an unknown sku are pending and drop out of the inner join; those of an unknown invoice never meet one.
CREATE OR REPLACE TEMP TABLE ref_invoice_totals AS
SELECT li.invoice_id,
       sum(li.quantity * s.item_retail_price) AS spending,
       sum(li.quantity) AS items
FROM ref_line_items li
JOIN ref_skus s USING (item_id)
GROUP BY li.invoice_id;

-- account_features: one row per account that has joined by D.
CREATE OR REPLACE TABLE ref_account_features AS
WITH ages AS (
  SELECT a.account_id, a.joining_date, p.as_of,
         -- Completed years: one less than the difference of the years when D falls before the anniversary in
         -- D's year; a 29 February joining date has its anniversary on 28 February in a non-leap year.
         year(p.as_of) - year(a.joining_date)
           - CASE WHEN make_date(year(p.as_of), month(a.joining_date),
                                 CASE WHEN month(a.joining_date) = 2 AND day(a.joining_date) = 29
                                           AND NOT (year(p.as_of) % 4 = 0
                                                    AND (year(p.as_of) % 100 <> 0 OR year(p.as_of) % 400 = 0))
                                      THEN 28 ELSE day(a.joining_date) END) > p.as_of
                  THEN 1 ELSE 0 END AS completed_years
  FROM ref_accounts a
  CROSS JOIN ref_params p
  WHERE a.joining_date <= p.as_of
),
activity AS (
  SELECT account_id, count(*) AS n, min(date_issued) AS first_issued, max(date_issued) AS last_issued
  FROM ref_invoices_as_of
  GROUP BY account_id
)
SELECT
  g.account_id,
  CAST(g.as_of - g.joining_date AS INTEGER) AS feature_account_age_day,
  CAST(g.completed_years AS INTEGER) AS feature_account_age_year,
  CAST(g.completed_years >= 1 AS INTEGER) AS feature_customer_age_over_one_year,
  CAST(coalesce(v.n, 0) AS INTEGER) AS feature_total_invoices,
  CASE WHEN v.n >= 2 THEN CAST(v.last_issued - v.first_issued AS DOUBLE) / (v.n - 1) END
    AS feature_avg_invoice_interval_day
FROM ages g
LEFT JOIN activity v USING (account_id)
ORDER BY g.account_id;

-- account_invoice_features: one row per invoice as of D; 0.00 for an invoice without line items.
CREATE OR REPLACE TABLE ref_account_invoice_features AS
SELECT
  i.account_id,
  i.invoice_id,
  i.date_issued,
  CAST(coalesce(t.spending, 0) AS DECIMAL(18,2)) AS feature_invoice_spending
FROM ref_invoices_as_of i
LEFT JOIN ref_invoice_totals t USING (invoice_id)
ORDER BY i.account_id, i.invoice_id;

-- invoice_features: one row per invoice as of D.
CREATE OR REPLACE TABLE ref_invoice_features AS
SELECT
  i.invoice_id AS inv_id,
  i.account_id AS acct_id,
  CAST(coalesce(t.spending, 0) AS DECIMAL(18,2)) AS inv_total,
  CAST(coalesce(t.items, 0) AS BIGINT) AS inv_items,
  CAST(i.date_issued - i.joining_date AS INTEGER) AS acct_age,
  CAST(count(*) OVER earlier_120_days AS INTEGER) AS num_inv_120d,
  CAST(row_number() OVER (PARTITION BY i.account_id ORDER BY i.date_issued, i.invoice_id) AS INTEGER)
    AS cum_tot_inv_acct,
  CAST(CASE
         WHEN NOT i.has_payment_column THEN NULL
         -- paid by D: 30 days is still on time
         WHEN i.payment_date <= p.as_of THEN i.payment_date - i.date_issued > 30
         -- unpaid at D (no payment date, or one after D, which nobody knows as of D): late once overdue
         WHEN p.as_of - i.date_issued > 30 THEN true
         ELSE NULL                                                                 -- not due yet
       END AS INTEGER) AS is_late
FROM ref_invoices_as_of i
LEFT JOIN ref_invoice_totals t USING (invoice_id)
CROSS JOIN ref_params p
-- The account's other invoices with date_issued - 120 <= their date < date_issued. Dates are whole days, so
-- "strictly before the issuing day" is "at least one day before": same-day invoices never count each other.
WINDOW earlier_120_days AS (
  PARTITION BY i.account_id ORDER BY i.date_issued
  RANGE BETWEEN INTERVAL 120 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING)
ORDER BY inv_id;
