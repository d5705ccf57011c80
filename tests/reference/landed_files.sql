-- Reference loader for any sequence of landed extracts, dirty ones included: the contract's value rules, its
-- reject and upsert rules and its line-item group rule (docs/data-contract.md), applied in SQL to the files in
-- landing order, written from that contract alone and never from src/. It yields the merged source tables that
-- tests/reference/features.sql computes the features from, so that a lake that was fed the same files, in any
-- mix of full, incremental, partitioned or interrupted runs, must show the same features.
--
-- Input, made by the caller before this script runs:
--   ref_landed(seq BIGINT, path VARCHAR, has_payment_column BOOLEAN): every landed file, seq its landing order;
--     has_payment_column says whether an invoices file's header has payment_dates or payment_date.
-- Placeholders, substituted textually: ${ACCOUNTS_FILES}, ${SKUS_FILES}, ${INVOICES_FILES} and
-- ${LINE_ITEMS_FILES}, each a non-empty DuckDB list literal of that table's paths in landing order (a table with
-- no file is given one holding only its header).
-- The files must be plain CSV whose every record has the header's number of fields (the structural rejects,
-- column_count, unterminated_quote and invalid_utf8, are the CSV reader's business and are tested on their own).
--
-- Output (TEMP tables), as tests/reference/clean_delivery.sql makes them: ref_accounts, ref_skus, ref_invoices
-- (with has_payment_column per row, from its file), ref_line_items.

-- Value rules. Surrounding spaces are ignored; an empty value is missing.
CREATE OR REPLACE TEMP MACRO ref_int(x) AS
  CASE WHEN regexp_full_match(trim(x), '[+-]?[0-9]+') THEN TRY_CAST(trim(x) AS BIGINT) END;
-- At most 2 places after the point (more is rejected, never rounded).
CREATE OR REPLACE TEMP MACRO ref_money(x) AS
  CASE WHEN regexp_full_match(trim(x), '[+-]?([0-9]+(\.[0-9]{0,2})?|\.[0-9]{1,2})')
       THEN TRY_CAST(trim(x) AS DECIMAL(18,2)) END;
-- ISO YYYY-MM-DD, or an ISO timestamp (optional fraction and zone) taken as its date.
CREATE OR REPLACE TEMP MACRO ref_date(x) AS
  CASE WHEN regexp_full_match(trim(x),
         '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?')
       THEN TRY_CAST(left(trim(x), 10) AS DATE) END;
CREATE OR REPLACE TEMP MACRO ref_present(x) AS coalesce(trim(x), '') <> '';

-- The raw rows, in landing order and, within a file, in file order (rowid of a table created from an ordered
-- scan, DuckDB preserving insertion order), each with its file's landing sequence.
CREATE OR REPLACE TEMP TABLE ref_raw_accounts AS
SELECT * FROM read_csv(${ACCOUNTS_FILES}, header = true, all_varchar = true, union_by_name = true,
                       filename = true, delim = ',', quote = '"', escape = '"');
CREATE OR REPLACE TEMP TABLE ref_raw_skus AS
SELECT * FROM read_csv(${SKUS_FILES}, header = true, all_varchar = true, union_by_name = true,
                       filename = true, delim = ',', quote = '"', escape = '"');
-- The payment column is optional and accepted as payment_dates or payment_date: a zero-row stub supplies
-- whichever the files lack.
CREATE OR REPLACE TEMP TABLE ref_raw_invoices AS
SELECT * FROM (
  SELECT NULL::VARCHAR AS payment_dates, NULL::VARCHAR AS payment_date WHERE false
  UNION ALL BY NAME
  SELECT * FROM read_csv(${INVOICES_FILES}, header = true, all_varchar = true, union_by_name = true,
                         filename = true, delim = ',', quote = '"', escape = '"'));
CREATE OR REPLACE TEMP TABLE ref_raw_line_items AS
SELECT * FROM read_csv(${LINE_ITEMS_FILES}, header = true, all_varchar = true, union_by_name = true,
                       filename = true, delim = ',', quote = '"', escape = '"');

-- Valid rows, typed. A row is valid when every required value is present and parses, and every optional typed
-- value that is present parses (prices are never negative).
CREATE OR REPLACE TEMP TABLE ref_valid_accounts AS
SELECT l.seq, r.rowid AS position, ref_int(r.account_id) AS account_id, ref_date(r.joining_date) AS joining_date
FROM ref_raw_accounts r JOIN ref_landed l ON l.path = r.filename
WHERE ref_int(r.account_id) IS NOT NULL AND ref_date(r.joining_date) IS NOT NULL;

CREATE OR REPLACE TEMP TABLE ref_valid_skus AS
SELECT l.seq, r.rowid AS position, ref_int(r.item_id) AS item_id, ref_money(r.item_retail_price) AS item_retail_price
FROM ref_raw_skus r JOIN ref_landed l ON l.path = r.filename
WHERE ref_int(r.item_id) IS NOT NULL
  AND ref_money(r.item_retail_price) >= 0
  AND (NOT ref_present(r.item_cost_price) OR ref_money(r.item_cost_price) >= 0);

CREATE OR REPLACE TEMP TABLE ref_valid_invoices AS
SELECT l.seq, r.rowid AS position, ref_int(r.invoice_id) AS invoice_id, ref_int(r.account_id) AS account_id,
       ref_date(r.date_issued) AS date_issued, ref_date(coalesce(r.payment_dates, r.payment_date)) AS payment_date,
       l.has_payment_column
FROM ref_raw_invoices r JOIN ref_landed l ON l.path = r.filename
WHERE ref_int(r.invoice_id) IS NOT NULL AND ref_int(r.account_id) IS NOT NULL AND ref_date(r.date_issued) IS NOT NULL
  AND (NOT ref_present(coalesce(r.payment_dates, r.payment_date))
       OR ref_date(coalesce(r.payment_dates, r.payment_date)) IS NOT NULL);

CREATE OR REPLACE TEMP TABLE ref_valid_line_items AS
SELECT l.seq, r.rowid AS position, ref_int(r.invoice_id) AS invoice_id, ref_int(r.item_id) AS item_id,
       ref_int(r.quantity) AS quantity
FROM ref_raw_line_items r JOIN ref_landed l ON l.path = r.filename
WHERE ref_int(r.invoice_id) IS NOT NULL AND ref_int(r.item_id) IS NOT NULL AND ref_int(r.quantity) IS NOT NULL;

-- Upserts: per key, the valid row of the most recently landed file wins, and within a file the later row (an
-- earlier row with the same key is a duplicate when equal, a duplicate_key reject when not).
CREATE OR REPLACE TEMP TABLE ref_accounts AS
SELECT account_id, joining_date FROM ref_valid_accounts
QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY seq DESC, position DESC) = 1;

CREATE OR REPLACE TEMP TABLE ref_skus AS
SELECT item_id, item_retail_price FROM ref_valid_skus
QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY seq DESC, position DESC) = 1;

CREATE OR REPLACE TEMP TABLE ref_invoices AS
SELECT invoice_id, account_id, date_issued, payment_date, has_payment_column FROM ref_valid_invoices
QUALIFY row_number() OVER (PARTITION BY invoice_id ORDER BY seq DESC, position DESC) = 1;

-- Line items have no key: an invoice's lines are every valid line of the most recently landed file that has any
-- line of it, repeats included.
CREATE OR REPLACE TEMP TABLE ref_line_items AS
SELECT invoice_id, item_id, quantity FROM ref_valid_line_items
QUALIFY seq = max(seq) OVER (PARTITION BY invoice_id);
