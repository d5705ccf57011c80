#include "query/sandbox.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "catalog/verify.h"
#include "lake/datasets.h"
#include "lake/source_tables.h"

namespace ledgerlake::query {

namespace {

// The committed partitions, as the query views take them.
Result<std::vector<lake::ViewPartition>> CommittedPartitions(const lake::Lake& lake, catalog::Catalog& cat) {
  auto partitions = cat.Partitions();
  if (!partitions.ok()) return partitions.status();
  std::vector<lake::ViewPartition> out;
  for (const catalog::PartitionRecord& p : *partitions) {
    lake::ViewPartition v{p.dataset, p.day, p.complete, {}};
    for (const catalog::PartitionFile& f : p.files) {
      v.files.push_back(lake::ViewFile{lake.root() + "/" + p.path + "/" + f.name, f.bytes});
    }
    out.push_back(std::move(v));
  }
  return out;
}

// The directories DuckDB may read for `grants`: the granted datasets' partition directories (the invoice views
// also read deleted_invoices, whose rows say which of their invoices a later partition removed).
std::vector<std::string> AllowedDirectories(const lake::Lake& lake, const Grants& grants) {
  if (grants.all()) return {lake.processed_dir() + "/"};
  std::vector<std::string> dirs;
  bool invoices = false;
  for (const lake::DatasetSpec& ds : lake::kDatasets) {
    if (ds.name == "deleted_invoices" || !grants.Allows(ds.name)) continue;
    dirs.push_back(lake.dataset_dir(ds.name) + "/");
    invoices = invoices || ds.name == "invoice_features" || ds.name == "account_invoice_features";
  }
  if (invoices || grants.Allows("deleted_invoices")) dirs.push_back(lake.dataset_dir("deleted_invoices") + "/");
  return dirs;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool HasProcessedFiles(const lake::Lake& lake) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(lake.processed_dir(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".parquet") return true;
  }
  return false;
}

bool MayWriteCatalog(const lake::Lake& lake) {
  const std::string path = catalog::Catalog::PathOf(lake);
  if (::access(lake.root().c_str(), W_OK) != 0) return false;
  return ::access(path.c_str(), F_OK) != 0 || ::access(path.c_str(), W_OK) == 0;
}

Result<lake::ViewInputs> ViewInputsOf(const lake::Lake& lake, catalog::Catalog& cat) {
  lake::ViewInputs inputs;
  auto partitions = CommittedPartitions(lake, cat);
  if (!partitions.ok()) return partitions.status();
  inputs.partitions = std::move(*partitions);
  auto runs = cat.CommittedRuns();
  if (!runs.ok()) return runs.status();
  for (catalog::CommittedRun& r : *runs) inputs.runs.push_back({r.day, std::move(r.consumed)});
  return inputs;
}

Result<lake::ViewInputs> ViewInputsToRead(const lake::Lake& lake) {
  // A user who may write the lake brings an older catalog up to date first (a one-time upgrade of its schema).
  const bool exists = std::filesystem::exists(catalog::Catalog::PathOf(lake));
  auto cat = exists && MayWriteCatalog(lake) ? catalog::Catalog::Open(lake) : catalog::Catalog::OpenForReading(lake);
  if (cat.ok()) return ViewInputsOf(lake, *cat);
  if (cat.status().code() != Status::Code::kNotFound) return cat.status();
  if (HasProcessedFiles(lake)) {
    return Status::NotFound("the catalog " + catalog::Catalog::PathOf(lake) +
                            " is missing, but the lake holds partitions: which files are committed is lost with it. "
                            "`ledgerlake run --full-refresh` rebuilds the datasets from the raw zone (earlier days' "
                            "partitions are dropped)");
  }
  return lake::ViewInputs();
}

Result<std::unique_ptr<Sandbox>> Sandbox::Open(const lake::Lake& lake, const lake::ViewInputs& inputs,
                                               const Grants& grants, std::optional<DayNumber> as_of,
                                               const SandboxLimits& limits) {
  duck::DatabaseOptions options;
  options.memory_limit = limits.memory_limit;
  options.threads = limits.threads;
  options.settings = {{"autoinstall_known_extensions", "false"}, {"autoload_known_extensions", "false"}};
  auto db = duck::Database::Open(options);
  if (!db.ok()) return db.status();
  lake::SourceAccess access;
  access.source = [grants](std::string_view table) { return grants.Allows(table); };
  access.raw = [grants](std::string_view table) { return grants.Allows("raw_" + std::string(table)); };
  bool any_source = false;
  for (contract::TableId t : contract::kAllTables) {
    any_source = any_source || access.source(contract::TableName(t)) || access.raw(contract::TableName(t));
  }
  if (any_source) LL_RETURN_IF_ERROR(lake::RegisterSourceTables(*db, lake, access));
  auto setup = duck::Connection::Open(*db);
  if (!setup.ok()) return setup.status();
  std::string dirs;
  for (const std::string& d : AllowedDirectories(lake, grants)) dirs += (dirs.empty() ? "" : ", ") + duck::SqlStringLiteral(d);
  LL_RETURN_IF_ERROR(setup->Execute("SET allowed_directories = [" + dirs + "]; SET enable_external_access = false"));
  LL_RETURN_IF_ERROR(lake::CreateViews(lake, *setup, inputs, as_of,
                                       [&grants](std::string_view view) { return grants.Allows(view); }));
  LL_RETURN_IF_ERROR(setup->Execute("SET lock_configuration = true"));
  return std::unique_ptr<Sandbox>(new Sandbox(std::move(*db), grants));
}

Result<duck::Connection> Sandbox::Connect() { return duck::Connection::Open(db_); }

Status Sandbox::Check(duck::Connection& conn, std::string_view sql) {
  auto count = conn.CountStatements(sql);
  if (!count.ok()) return count.status();
  if (!grants_.all() && *count != 1) {
    return Status::InvalidArgument("one SQL statement per query, not " + std::to_string(*count));
  }
  for (size_t i = 0; i < *count; ++i) {
    auto info = conn.Describe(sql, i);
    if (!info.ok()) return Refusal(info.status());
    if (!info->read_only) {
      return Status::PermissionDenied(info->type +
                                      " statements are refused: a query only reads the lake's views (SELECT, "
                                      "EXPLAIN, DESCRIBE, SHOW, SUMMARIZE)");
    }
  }
  return Status::OK();
}

Status Sandbox::Refusal(const Status& failure) const {
  // A view that is not granted does not exist here, so DuckDB's binder says "Catalog Error: Table with name X
  // does not exist!", however the query names it (subquery, CTE, query_table(...)). That is a refusal, not a
  // typo: say so. (tests/query/sandbox_test.cc pins DuckDB's wording.)
  const std::string message = Lower(failure.message());
  if (grants_.all() || !message.starts_with("catalog error:")) return failure;
  for (const std::string& view : lake::LakeViewNames()) {
    for (const std::string& name : {view, view + "_history"}) {
      if (grants_.Allows(name) || !Grants::IsLakeView(name)) continue;
      if (message.find("with name " + name + " does not exist") == std::string::npos) continue;
      std::string granted;
      for (const std::string& v : grants_.Views()) granted += (granted.empty() ? "" : ", ") + v;
      return Status::PermissionDenied("not granted: " + name + " (this role may read " +
                                      (granted.empty() ? std::string("no view") : granted) + ")");
    }
  }
  return failure;
}

Result<QuerySession> OpenQuerySession(const lake::Lake& lake, const Grants& grants, std::optional<DayNumber> as_of,
                                      const SandboxLimits& limits) {
  lake::ReadLease lease = lake::ReadLease::Acquire(lake);  // before the catalog is read
  auto inputs = ViewInputsToRead(lake);
  if (!inputs.ok()) return inputs.status();
  auto sandbox = Sandbox::Open(lake, *inputs, grants, as_of, limits);
  if (!sandbox.ok()) return sandbox.status();
  auto conn = (*sandbox)->Connect();
  if (!conn.ok()) return conn.status();
  return QuerySession{std::move(lease), std::move(*sandbox), std::move(*conn), std::move(inputs->partitions)};
}

Status NameDamagedFiles(const lake::Lake& lake, const Status& failure) {
  const std::string& m = failure.message();
  const bool file_trouble = failure.code() == Status::Code::kIOError || m.find("arquet") != std::string::npos ||
                            m.find("magic bytes") != std::string::npos || m.find("TProtocol") != std::string::npos ||
                            m.find("ecompress") != std::string::npos;
  if (!file_trouble) return failure;
  auto cat = catalog::Catalog::OpenForReading(lake);
  if (!cat.ok()) return failure;
  auto checked = catalog::VerifyLake(lake, *cat, catalog::VerifyDepth::kChecksums, catalog::VerifyScope{false, true});
  if (!checked.ok() || checked->damaged.empty()) return failure;
  std::string damaged = catalog::DamageLine(checked->damaged.front());
  if (checked->damaged.size() > 1) damaged += " (and " + std::to_string(checked->damaged.size() - 1) + " more)";
  const std::string first_line = m.substr(0, m.find('\n'));
  const std::string message =
      first_line + "; damaged: " + damaged + "; `ledgerlake verify --repair` rewrites damaged partitions from the raw zone";
  return failure.code() == Status::Code::kIOError ? Status::IOError(message) : Status::InvalidArgument(message);
}

}  // namespace ledgerlake::query
