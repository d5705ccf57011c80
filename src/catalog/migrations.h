// The catalog database's own schema (its SQL tables), versioned with SQLite's user_version and brought up to
// date when the catalog is opened. Used by catalog/catalog.cc only.
#pragma once

#include "catalog/sqlite.h"
#include "util/status.h"

namespace ledgerlake::catalog {

inline constexpr int kCatalogFormat = 9;

// Creates the tables of a new catalog, or upgrades an older one, in one transaction. Fails when the database
// was written by a newer ledgerlake (user_version above kCatalogFormat).
Status Migrate(sqlite::Database& db);

// For a reader that may not write: OK when the database is at kCatalogFormat; otherwise a message saying which
// ledgerlake command (or upgrade) would bring it there.
Status CheckFormat(sqlite::Database& db);

}  // namespace ledgerlake::catalog
