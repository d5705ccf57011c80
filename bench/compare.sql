-- The benchmark's correctness check (bench/run.sh): ledgerlake's partition D and the DuckDB script's must hold
-- the same rows, as multisets, under the same column names and types. Prints one row per dataset: `same`, the
-- row counts, how many rows each side has that the other lacks with the first three of them, and both column
-- lists. The two outputs are identical when `same` is true for every dataset.
--
-- Placeholders: ${OURS} (ledgerlake's <lake>/processed), ${DUCK} (the DuckDB script's OUT_DIR), ${PARTITION}
-- (ingest_year=YYYY/ingest_month=MM/ingest_day=DD). feature_avg_invoice_interval_day is compared rounded to 9
-- places: two correct divisions of the same numbers may differ in the last bit.

CREATE TEMP TABLE ours_account_features AS
SELECT * FROM read_parquet('${OURS}/account_features/${PARTITION}/*.parquet', hive_partitioning = false);
CREATE TEMP TABLE duck_account_features AS
SELECT * FROM read_parquet('${DUCK}/account_features/${PARTITION}/*.parquet', hive_partitioning = false);
CREATE TEMP TABLE ours_account_invoice_features AS
SELECT * FROM read_parquet('${OURS}/account_invoice_features/${PARTITION}/*.parquet', hive_partitioning = false);
CREATE TEMP TABLE duck_account_invoice_features AS
SELECT * FROM read_parquet('${DUCK}/account_invoice_features/${PARTITION}/*.parquet', hive_partitioning = false);
CREATE TEMP TABLE ours_invoice_features AS
SELECT * FROM read_parquet('${OURS}/invoice_features/${PARTITION}/*.parquet', hive_partitioning = false);
CREATE TEMP TABLE duck_invoice_features AS
SELECT * FROM read_parquet('${DUCK}/invoice_features/${PARTITION}/*.parquet', hive_partitioning = false);

-- Each table's columns as "name TYPE, ..." in file order.
CREATE TEMP TABLE cmp_columns AS
SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) AS columns
FROM duckdb_columns()
WHERE database_name = 'temp' AND (table_name LIKE 'ours%' OR table_name LIKE 'duck%')
GROUP BY table_name;

-- The rows as compared: the contract's columns by name and in order (a missing column is an error naming it; an
-- extra or mistyped one shows in the column lists), the DOUBLE rounded.
CREATE TEMP VIEW ours_account_features_cmp AS
SELECT account_id, feature_account_age_day, feature_account_age_year, feature_customer_age_over_one_year,
       feature_total_invoices, round(feature_avg_invoice_interval_day, 9) AS feature_avg_invoice_interval_day
FROM ours_account_features;
CREATE TEMP VIEW duck_account_features_cmp AS
SELECT account_id, feature_account_age_day, feature_account_age_year, feature_customer_age_over_one_year,
       feature_total_invoices, round(feature_avg_invoice_interval_day, 9) AS feature_avg_invoice_interval_day
FROM duck_account_features;
CREATE TEMP VIEW ours_account_invoice_features_cmp AS
SELECT account_id, invoice_id, date_issued, feature_invoice_spending
FROM ours_account_invoice_features;
CREATE TEMP VIEW duck_account_invoice_features_cmp AS
SELECT account_id, invoice_id, date_issued, feature_invoice_spending
FROM duck_account_invoice_features;
CREATE TEMP VIEW ours_invoice_features_cmp AS
SELECT inv_id, acct_id, inv_total, inv_items, acct_age, num_inv_120d, cum_tot_inv_acct, is_late
FROM ours_invoice_features;
CREATE TEMP VIEW duck_invoice_features_cmp AS
SELECT inv_id, acct_id, inv_total, inv_items, acct_age, num_inv_120d, cum_tot_inv_acct, is_late
FROM duck_invoice_features;

-- The rows only one side has (EXCEPT ALL both ways, so repeats count), rendered as text.
CREATE TEMP TABLE cmp_only(dataset VARCHAR, side VARCHAR, row_text VARCHAR);
INSERT INTO cmp_only
SELECT 'account_features', 'ledgerlake', x::VARCHAR
FROM (SELECT * FROM ours_account_features_cmp EXCEPT ALL SELECT * FROM duck_account_features_cmp) x
UNION ALL
SELECT 'account_features', 'duckdb', x::VARCHAR
FROM (SELECT * FROM duck_account_features_cmp EXCEPT ALL SELECT * FROM ours_account_features_cmp) x;
INSERT INTO cmp_only
SELECT 'account_invoice_features', 'ledgerlake', x::VARCHAR
FROM (SELECT * FROM ours_account_invoice_features_cmp EXCEPT ALL SELECT * FROM duck_account_invoice_features_cmp) x
UNION ALL
SELECT 'account_invoice_features', 'duckdb', x::VARCHAR
FROM (SELECT * FROM duck_account_invoice_features_cmp EXCEPT ALL SELECT * FROM ours_account_invoice_features_cmp) x;
INSERT INTO cmp_only
SELECT 'invoice_features', 'ledgerlake', x::VARCHAR
FROM (SELECT * FROM ours_invoice_features_cmp EXCEPT ALL SELECT * FROM duck_invoice_features_cmp) x
UNION ALL
SELECT 'invoice_features', 'duckdb', x::VARCHAR
FROM (SELECT * FROM duck_invoice_features_cmp EXCEPT ALL SELECT * FROM ours_invoice_features_cmp) x;

WITH counts(dataset, ours_rows, duckdb_rows) AS (
  VALUES ('account_features', (SELECT count(*) FROM ours_account_features),
                              (SELECT count(*) FROM duck_account_features)),
         ('account_invoice_features', (SELECT count(*) FROM ours_account_invoice_features),
                                      (SELECT count(*) FROM duck_account_invoice_features)),
         ('invoice_features', (SELECT count(*) FROM ours_invoice_features),
                              (SELECT count(*) FROM duck_invoice_features))
),
one_sided AS (
  SELECT dataset,
         count(*) FILTER (WHERE side = 'ledgerlake') AS only_ledgerlake,
         count(*) FILTER (WHERE side = 'duckdb') AS only_duckdb,
         string_agg(row_text, ' ; ' ORDER BY row_text) FILTER (WHERE side = 'ledgerlake' AND n <= 3)
           AS first_only_ledgerlake,
         string_agg(row_text, ' ; ' ORDER BY row_text) FILTER (WHERE side = 'duckdb' AND n <= 3)
           AS first_only_duckdb
  FROM (SELECT *, row_number() OVER (PARTITION BY dataset, side ORDER BY row_text) AS n FROM cmp_only)
  GROUP BY dataset
)
SELECT c.dataset,
       c.ours_rows = c.duckdb_rows AND coalesce(o.only_ledgerlake, 0) = 0 AND coalesce(o.only_duckdb, 0) = 0
         AND co.columns = cd.columns AS same,
       c.ours_rows, c.duckdb_rows,
       coalesce(o.only_ledgerlake, 0) AS only_ledgerlake, coalesce(o.only_duckdb, 0) AS only_duckdb,
       o.first_only_ledgerlake, o.first_only_duckdb,
       co.columns AS ledgerlake_columns, cd.columns AS duckdb_columns
FROM counts c
LEFT JOIN one_sided o USING (dataset)
LEFT JOIN cmp_columns co ON co.table_name = 'ours_' || c.dataset
LEFT JOIN cmp_columns cd ON cd.table_name = 'duck_' || c.dataset
ORDER BY c.dataset;
