// Package lakehouse owns lakebench's storage: one DuckDB file per target with
// the bronze, silver, gold, ml and sys (system tables) schemas, the catalog, ingestion with
// quarantine, context-cancellable and paged queries, the system tables and the
// single-writer lock. It is the only package that imports the DuckDB driver or
// database/sql.
package lakehouse
