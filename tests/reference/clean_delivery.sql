-- Reference loader for ONE clean delivery: the four CSV files in ${DATA_DIR}, each <table>.csv or
-- <table>.csv.gz (read as <table>.csv*, so nothing else of that name may sit there), typed into the tables that
-- tests/reference/features.sql computes the features from. Written from docs/data-contract.md alone, never from
-- src/. Placeholder, substituted textually before running: ${DATA_DIR}.
--
-- "Clean" means no malformed rows and one row per key, so none of the contract's reject or upsert rules apply
-- (tests/reference/landed_files.sql applies them, over many files). What does apply: an exact repeat of a keyed
-- row (account, sku, invoice) is counted once (a duplicate); line items have no key, so a repeated line is a
-- second line of the same item and counts again.
--
-- Output (TEMP tables): ref_accounts(account_id, joining_date), ref_skus(item_id, item_retail_price),
-- ref_invoices(invoice_id, account_id, date_issued, payment_date, has_payment_column),
-- ref_line_items(invoice_id, item_id, quantity).

-- Columns are matched by header name; only those the features use are typed and kept (the others are read as
-- text, so nothing is left to type sniffing).
CREATE OR REPLACE TEMP TABLE ref_accounts AS
SELECT DISTINCT account_id, joining_date
FROM read_csv('${DATA_DIR}/accounts.csv*', header = true, all_varchar = true,
              types = {'account_id': 'BIGINT', 'joining_date': 'DATE'});

CREATE OR REPLACE TEMP TABLE ref_skus AS
SELECT DISTINCT item_id, item_retail_price
FROM read_csv('${DATA_DIR}/skus.csv*', header = true, all_varchar = true,
              types = {'item_id': 'BIGINT', 'item_retail_price': 'DECIMAL(18,2)'});

-- The payment column is optional and accepted as payment_dates or payment_date: a zero-row stub, unioned by
-- name, supplies whichever of the two the file lacks (as NULL). Whether the file has either at all decides
-- whether is_late can ever be known.
CREATE OR REPLACE TEMP TABLE ref_invoices AS
SELECT DISTINCT invoice_id, account_id, date_issued,
       CAST(coalesce(payment_dates, payment_date) AS DATE) AS payment_date,
       EXISTS (
         SELECT 1
         FROM (DESCRIBE SELECT * FROM read_csv('${DATA_DIR}/invoices.csv*', header = true, all_varchar = true))
         WHERE column_name IN ('payment_dates', 'payment_date')
       ) AS has_payment_column
FROM (
  SELECT NULL::VARCHAR AS payment_dates, NULL::VARCHAR AS payment_date WHERE false
  UNION ALL BY NAME
  SELECT * FROM read_csv('${DATA_DIR}/invoices.csv*', header = true, all_varchar = true,
                         types = {'invoice_id': 'BIGINT', 'account_id': 'BIGINT', 'date_issued': 'DATE'})
);

CREATE OR REPLACE TEMP TABLE ref_line_items AS
SELECT invoice_id, item_id, quantity
FROM read_csv('${DATA_DIR}/invoice_line_items.csv*', header = true, all_varchar = true,
              types = {'invoice_id': 'BIGINT', 'item_id': 'BIGINT', 'quantity': 'BIGINT'});
