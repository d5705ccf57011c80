// Catalog: opening, registering and crawling files, schema versions, breaking changes. Runs and partitions are
// in catalog_runs.cc.
#include "catalog/catalog.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <unordered_map>

#include "catalog/migrations.h"

namespace ledgerlake::catalog {

namespace {

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

// The landed files the catalog knows: sequence -> sha256.
Result<std::unordered_map<uint64_t, std::string>> KnownFiles(sqlite::Database& db) {
  auto stmt = db.Prepare("SELECT sequence, sha256 FROM files WHERE schema_version IS NOT NULL");
  if (!stmt.ok()) return stmt.status();
  std::unordered_map<uint64_t, std::string> known;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    known.emplace(static_cast<uint64_t>(stmt->ColumnInt(0)), stmt->ColumnText(1));
  }
  return known;
}

// Crawls `files` on one thread per core (the crawl is CPU-bound; a large plain file is read in parts on all of
// them); profiles in the same order. Files with a profile in `profiled` (by sequence) are not read again.
Result<std::vector<FileProfile>> CrawlAll(const std::vector<const lake::LandedFile*>& files,
                                          const std::unordered_map<uint64_t, FileProfile>* profiled = nullptr) {
  std::vector<Result<FileProfile>> results(files.size(), Result<FileProfile>(Status::OK()));
  TaskPool pool;
  pool.ParallelFor(files.size(), [&](size_t i) {
    const lake::LandedFile& f = *files[i];
    const auto known = profiled ? profiled->find(f.sequence) : decltype(profiled->end()){};
    if (profiled && known != profiled->end()) {
      results[i] = known->second;
    } else if (f.gzip) {
      results[i] = CrawlFile(f.path, f.table);
    } else {
      results[i] = CrawlPlainFile(f.path, f.table, f.path, pool);  // landed files are never written again
    }
  });
  std::vector<FileProfile> profiles;
  profiles.reserve(files.size());
  for (Result<FileProfile>& r : results) {
    if (!r.ok()) return r.status();
    profiles.push_back(std::move(*r));
  }
  return profiles;
}

Result<bool> IsRegistered(sqlite::Database& db, uint64_t sequence) {
  auto stmt = db.Prepare("SELECT 1 FROM files WHERE sequence = ? AND schema_version IS NOT NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, static_cast<int64_t>(sequence));
  return stmt->Step();
}

}  // namespace

std::string BreakingLine(const BreakingChange& b) {
  return b.table + ": file " + b.file + " (ingested from " + b.source + "), column " + b.column + ": " + b.detail;
}

Result<Catalog> Catalog::Open(const lake::Lake& lake) {
  auto db = sqlite::Database::Open(PathOf(lake));
  if (!db.ok()) return db.status();
  LL_RETURN_IF_ERROR(Migrate(*db));
  return Catalog(std::move(*db), lake.root());
}

Result<Catalog> Catalog::OpenForReading(const lake::Lake& lake) {
  const std::string path = PathOf(lake);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("the lake has no catalog (" + path + ")");
  sqlite::OpenOptions options;
  options.read_only = true;
  auto db = sqlite::Database::Open(path, options);
  if (!db.ok()) return db.status();
  LL_RETURN_IF_ERROR(CheckFormat(*db));
  return Catalog(std::move(*db), lake.root());
}

std::string Catalog::Relative(const std::string& path) const {
  const std::string prefix = root_ + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

Status Catalog::Sync(const lake::Lake& lake, const std::unordered_map<uint64_t, FileProfile>* profiled) {
  auto landed = lake::ListLanded(lake);
  if (!landed.ok()) return landed.status();
  auto known = KnownFiles(db_);
  if (!known.ok()) return known.status();
  std::vector<const lake::LandedFile*> missing;
  for (const lake::LandedFile& f : *landed) {
    const auto it = known->find(f.sequence);
    if (it == known->end()) {
      missing.push_back(&f);
    } else if (it->second != f.sha256) {
      return Status::Corruption("the catalog " + db_.path() + " does not match the raw zone: landed file " +
                                Relative(f.path) + " has another content hash than the one registered");
    }
  }
  if (missing.empty()) return Status::OK();
  // Crawl outside any write transaction (it reads whole files); register each file in its own.
  auto profiles = CrawlAll(missing, profiled);
  if (!profiles.ok()) return profiles.status();
  for (size_t i = 0; i < missing.size(); ++i) {
    auto txn = sqlite::Transaction::Begin(db_);
    if (!txn.ok()) return txn.status();
    auto registered = IsRegistered(db_, missing[i]->sequence);
    if (!registered.ok()) return registered.status();
    if (*registered) continue;  // another process was quicker; the transaction rolls back
    LL_RETURN_IF_ERROR(Register(*missing[i], (*profiles)[i]));
    LL_RETURN_IF_ERROR(txn->Commit());
  }
  return Status::OK();
}

Result<std::vector<lake::LandedFile>> Catalog::LandedFiles() {
  auto stmt = db_.Prepare(
      "SELECT sequence, table_name, path, source, sha256, bytes, decoded_bytes, gzip, landed_unix FROM files "
      "ORDER BY sequence");
  if (!stmt.ok()) return stmt.status();
  std::vector<lake::LandedFile> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    lake::LandedFile f;
    f.sequence = static_cast<uint64_t>(stmt->ColumnInt(0));
    const auto table = contract::TableFromName(stmt->ColumnText(1));
    if (!table) return Status::Corruption("catalog " + db_.path() + ": unknown table " + stmt->ColumnText(1));
    f.table = *table;
    f.path = root_ + "/" + stmt->ColumnText(2);
    f.source = stmt->ColumnText(3);
    f.sha256 = stmt->ColumnText(4);
    f.bytes = static_cast<uint64_t>(stmt->ColumnInt(5));
    f.decoded_bytes = static_cast<uint64_t>(stmt->ColumnInt(6));
    f.gzip = stmt->ColumnInt(7) != 0;
    f.landed_unix = stmt->ColumnInt(8);
    out.push_back(std::move(f));
  }
  return out;
}

Status Catalog::Recrawl(const lake::Lake& lake) {
  auto landed = lake::ListLanded(lake);
  if (!landed.ok()) return landed.status();
  std::vector<const lake::LandedFile*> all;
  for (const lake::LandedFile& f : *landed) all.push_back(&f);
  auto profiles = CrawlAll(all);
  if (!profiles.ok()) return profiles.status();
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  LL_RETURN_IF_ERROR(
      db_.Execute("DELETE FROM schema_breaks; DELETE FROM schema_columns; DELETE FROM schema_versions; "
                  "UPDATE files SET schema_version = NULL, rows = NULL;"));
  for (size_t i = 0; i < landed->size(); ++i) LL_RETURN_IF_ERROR(Register((*landed)[i], (*profiles)[i]));
  return txn->Commit();
}

Status Catalog::Register(const lake::LandedFile& f, const FileProfile& profile) {
  const std::string table(contract::TableName(f.table));
  const int64_t now = NowUnix();
  {
    auto stmt = db_.Prepare("INSERT OR IGNORE INTO tables (name, registered_unix) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    LL_RETURN_IF_ERROR(stmt->BindText(1, table).BindInt(2, now).Run());
  }
  {
    auto stmt = db_.Prepare(
        "INSERT INTO files (sequence, table_name, path, source, sha256, bytes, decoded_bytes, gzip, landed_unix, "
        "registered_unix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sequence) DO NOTHING");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt(1, static_cast<int64_t>(f.sequence))
        .BindText(2, table)
        .BindText(3, Relative(f.path))
        .BindText(4, f.source)
        .BindText(5, f.sha256)
        .BindInt(6, static_cast<int64_t>(f.bytes))
        .BindInt(7, static_cast<int64_t>(f.decoded_bytes))
        .BindInt(8, f.gzip ? 1 : 0)
        .BindInt(9, f.landed_unix)
        .BindInt(10, now);
    LL_RETURN_IF_ERROR(stmt->Run());
  }
  auto versions = LoadVersions(table);
  if (!versions.ok()) return versions.status();
  const Placement place = Place(*versions, profile);
  if (place.new_version) {
    auto stmt = db_.Prepare(
        "INSERT INTO schema_versions (table_name, version, change, detail, file_sequence) VALUES (?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, table)
        .BindInt(2, place.version)
        .BindText(3, ChangeKindName(place.change))
        .BindText(4, place.detail)
        .BindInt(5, static_cast<int64_t>(f.sequence));
    LL_RETURN_IF_ERROR(stmt->Run());
  }
  LL_RETURN_IF_ERROR(StoreColumns(table, place.version, place.columns));
  {
    auto stmt = db_.Prepare("UPDATE files SET schema_version = ?, rows = ? WHERE sequence = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt(1, place.version)
        .BindInt(2, static_cast<int64_t>(profile.records))
        .BindInt(3, static_cast<int64_t>(f.sequence));
    LL_RETURN_IF_ERROR(stmt->Run());
  }
  if (!place.problems.empty()) {
    auto stmt = db_.Prepare(
        "INSERT OR REPLACE INTO schema_breaks (file_sequence, table_name, column_name, detail) VALUES (?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    for (const SchemaProblem& p : place.problems) {
      stmt->Reset();
      stmt->BindInt(1, static_cast<int64_t>(f.sequence)).BindText(2, table).BindText(3, p.column).BindText(4, p.detail);
      LL_RETURN_IF_ERROR(stmt->Run());
    }
  }
  return Status::OK();
}

Status Catalog::StoreColumns(std::string_view table, int version, const TableSchema& columns) {
  auto del = db_.Prepare("DELETE FROM schema_columns WHERE table_name = ? AND version = ?");
  if (!del.ok()) return del.status();
  LL_RETURN_IF_ERROR(del->BindText(1, table).BindInt(2, version).Run());
  auto ins = db_.Prepare(
      "INSERT INTO schema_columns (table_name, version, position, name, type, scale, nullable, format) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnSchema& c = columns[i];
    ins->Reset();
    ins->BindText(1, table)
        .BindInt(2, version)
        .BindInt(3, static_cast<int64_t>(i))
        .BindText(4, c.name)
        .BindText(5, ColumnTypeName(c.type))
        .BindInt(6, c.scale)
        .BindInt(7, c.nullable ? 1 : 0)
        .BindText(8, c.format);
    LL_RETURN_IF_ERROR(ins->Run());
  }
  return Status::OK();
}

Result<TableSchema> Catalog::LoadColumns(std::string_view table, int version) {
  auto stmt = db_.Prepare(
      "SELECT name, type, scale, nullable, format FROM schema_columns WHERE table_name = ? AND version = ? "
      "ORDER BY position");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, table).BindInt(2, version);
  TableSchema columns;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ColumnSchema c;
    c.name = stmt->ColumnText(0);
    const auto type = ColumnTypeFromName(stmt->ColumnText(1));
    if (!type) return Status::Corruption("catalog " + db_.path() + ": unknown column type " + stmt->ColumnText(1));
    c.type = *type;
    c.scale = static_cast<int>(stmt->ColumnInt(2));
    c.nullable = stmt->ColumnInt(3) != 0;
    c.format = stmt->ColumnText(4);
    columns.push_back(std::move(c));
  }
  return columns;
}

Result<std::vector<VersionInfo>> Catalog::LoadVersions(std::string_view table) {
  std::vector<VersionInfo> versions;
  {
    auto stmt = db_.Prepare("SELECT version, change FROM schema_versions WHERE table_name = ? ORDER BY version");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, table);
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const auto change = ChangeKindFromName(stmt->ColumnText(1));
      if (!change) return Status::Corruption("catalog " + db_.path() + ": unknown change " + stmt->ColumnText(1));
      versions.push_back(VersionInfo{static_cast<int>(stmt->ColumnInt(0)), *change, {}});
    }
  }
  for (VersionInfo& v : versions) {
    auto columns = LoadColumns(table, v.version);
    if (!columns.ok()) return columns.status();
    v.columns = std::move(*columns);
  }
  return versions;
}

Result<std::vector<BreakingChange>> Catalog::BreakingChanges(bool include_superseded) {
  // A breaking file is superseded by any later file of its table that was crawled without a breaking problem.
  auto stmt = db_.Prepare(R"sql(
      SELECT b.table_name, b.file_sequence, f.path, f.source, b.column_name, b.detail,
             EXISTS (
               SELECT 1 FROM files g
               WHERE g.table_name = b.table_name AND g.sequence > b.file_sequence AND g.schema_version IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM schema_breaks c WHERE c.file_sequence = g.sequence)) AS superseded
      FROM schema_breaks b JOIN files f ON f.sequence = b.file_sequence
      ORDER BY b.file_sequence, b.column_name)sql");
  if (!stmt.ok()) return stmt.status();
  std::vector<BreakingChange> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const bool superseded = stmt->ColumnInt(6) != 0;
    if (superseded && !include_superseded) continue;
    out.push_back(BreakingChange{stmt->ColumnText(0), static_cast<uint64_t>(stmt->ColumnInt(1)), stmt->ColumnText(2),
                                 stmt->ColumnText(3), stmt->ColumnText(4), stmt->ColumnText(5), superseded});
  }
  return out;
}

Result<std::vector<SchemaVersion>> Catalog::Versions(std::string_view table) {
  auto stmt = db_.Prepare(R"sql(
      SELECT v.table_name, v.version, v.change, v.detail, v.file_sequence, f.path, f.source,
             (SELECT count(*) FROM files g WHERE g.table_name = v.table_name AND g.schema_version = v.version),
             (SELECT min(landed_unix) FROM files g WHERE g.table_name = v.table_name AND g.schema_version = v.version),
             (SELECT max(landed_unix) FROM files g WHERE g.table_name = v.table_name AND g.schema_version = v.version)
      FROM schema_versions v JOIN files f ON f.sequence = v.file_sequence
      WHERE ?1 = '' OR v.table_name = ?1
      ORDER BY v.table_name, v.version)sql");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, table);
  std::vector<SchemaVersion> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    SchemaVersion v;
    v.table = stmt->ColumnText(0);
    v.version = static_cast<int>(stmt->ColumnInt(1));
    const auto change = ChangeKindFromName(stmt->ColumnText(2));
    if (!change) return Status::Corruption("catalog " + db_.path() + ": unknown change " + stmt->ColumnText(2));
    v.change = *change;
    v.detail = stmt->ColumnText(3);
    v.file_sequence = static_cast<uint64_t>(stmt->ColumnInt(4));
    v.file = stmt->ColumnText(5);
    v.source = stmt->ColumnText(6);
    v.files = static_cast<uint64_t>(stmt->ColumnInt(7));
    v.first_seen_unix = stmt->ColumnInt(8);
    v.last_seen_unix = stmt->ColumnInt(9);
    out.push_back(std::move(v));
  }
  // Sorted by table name above; put them in contract order.
  std::vector<SchemaVersion> ordered;
  for (contract::TableId t : contract::kAllTables) {
    for (SchemaVersion& v : out) {
      if (v.table == contract::TableName(t)) ordered.push_back(std::move(v));
    }
  }
  for (SchemaVersion& v : ordered) {
    auto columns = LoadColumns(v.table, v.version);
    if (!columns.ok()) return columns.status();
    v.columns = std::move(*columns);
  }
  return ordered;
}

Result<std::vector<TableInfo>> Catalog::Tables() {
  auto stmt = db_.Prepare(R"sql(
      SELECT f.table_name, count(*), coalesce(sum(f.rows), 0), sum(f.bytes), min(f.landed_unix), max(f.landed_unix),
             (SELECT max(version) FROM schema_versions v WHERE v.table_name = f.table_name AND v.change <> 'breaking'),
             (SELECT count(*) FROM schema_versions v WHERE v.table_name = f.table_name)
      FROM files f WHERE f.table_name = ?)sql");
  if (!stmt.ok()) return stmt.status();
  auto breaking = BreakingChanges();
  if (!breaking.ok()) return breaking.status();
  std::vector<TableInfo> out;
  for (contract::TableId t : contract::kAllTables) {
    const std::string name(contract::TableName(t));
    stmt->Reset();
    stmt->BindText(1, name);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row || stmt->ColumnInt(1) == 0) continue;
    TableInfo info;
    info.name = name;
    info.files = static_cast<uint64_t>(stmt->ColumnInt(1));
    info.rows = static_cast<uint64_t>(stmt->ColumnInt(2));
    info.bytes = static_cast<uint64_t>(stmt->ColumnInt(3));
    info.first_seen_unix = stmt->ColumnInt(4);
    info.last_seen_unix = stmt->ColumnInt(5);
    info.current_version = static_cast<int>(stmt->ColumnInt(6));  // NULL reads as 0
    info.versions = static_cast<int>(stmt->ColumnInt(7));
    uint64_t last_file = 0;
    for (const BreakingChange& b : *breaking) {
      if (b.table == name && b.file_sequence != last_file) {
        ++info.breaking_files;
        last_file = b.file_sequence;
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<TableDescription> Catalog::Describe(std::string_view table) {
  if (!contract::TableFromName(table)) {
    return Status::NotFound("no table '" + std::string(table) +
                            "' (the tables are accounts, skus, invoices, invoice_line_items)");
  }
  TableDescription d;
  d.info.name = std::string(table);
  auto tables = Tables();
  if (!tables.ok()) return tables.status();
  for (const TableInfo& t : *tables) {
    if (t.name == table) d.info = t;
  }
  auto versions = Versions(table);
  if (!versions.ok()) return versions.status();
  d.versions = std::move(*versions);
  for (const SchemaVersion& v : d.versions) {
    if (v.version == d.info.current_version) d.columns = v.columns;
  }
  return d;
}

}  // namespace ledgerlake::catalog
