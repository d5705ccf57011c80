-- DuckDB's side of the benchmark: the same three feature datasets as ledgerlake, written as Parquet in the same
-- partition layout, so both can be timed end to end on the same delivery.
--
-- The computation itself is not repeated here: it is tests/reference/features.sql, the reference the tests
-- use. Run that script first, in the same connection (or concatenate the two files), then this one, which
-- exports the ref_* tables it created. Placeholders, substituted textually: ${DATA_DIR} and ${AS_OF} as in
-- features.sql, and ${OUT_DIR}, an existing directory without earlier output (a partitioned COPY neither creates
-- parent directories nor overwrites).
--
-- Layout: ${OUT_DIR}/<dataset>/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/*.parquet, from the snapshot date.

CREATE OR REPLACE TEMP TABLE ref_ingest_partition AS
SELECT
  strftime(DATE '${AS_OF}', '%Y') AS ingest_year,
  strftime(DATE '${AS_OF}', '%m') AS ingest_month,
  strftime(DATE '${AS_OF}', '%d') AS ingest_day;

COPY (SELECT * FROM ref_account_features, ref_ingest_partition)
TO '${OUT_DIR}/account_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));

COPY (SELECT * FROM ref_account_invoice_features, ref_ingest_partition)
TO '${OUT_DIR}/account_invoice_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));

COPY (SELECT * FROM ref_invoice_features, ref_ingest_partition)
TO '${OUT_DIR}/invoice_features' (FORMAT parquet, PARTITION_BY (ingest_year, ingest_month, ingest_day));
