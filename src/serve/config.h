// The service's configuration: <lake>/ledgerlake.yaml unless `serve --config` names another file; without one
// the service runs on the defaults below. Every key is optional; an unknown key or a value of the wrong kind is
// an error naming the file, line and key (the service then exits 2 before binding its port). docs/serve.md
// holds the reference with an example; it is the one place the format is written down.
//
//   listen: 127.0.0.1:8080          # HOST:PORT (`serve --listen` wins)
//   roles:                          # role: [views it may read] ("*" = every view); admin is built in
//     finance: [invoice_features, account_invoice_features]
//   query:
//     timeout_seconds: 30           # a query running longer is cancelled
//     memory_limit: 1GB             # DuckDB's memory limit, per role's database
//     max_rows: 10000               # rows returned at most ("truncated": true past it)
//     max_concurrent: 4             # queries running at once; more wait for a slot (up to timeout_seconds)
//   ingest:
//     max_bytes: 1GB                # largest body POST /api/ingest accepts (413 past it)
//   schedule:                       # UTC cron expressions (util/cron.h)
//     run: "0 6 * * *"              # a run as of the tick's day
//     crawl: "0 * * * *"            # a re-crawl of the raw zone
//   retry:                          # a scheduled run that fails is tried again
//     max_attempts: 3               # attempts in all, the first included
//     base_delay_seconds: 30        # the first retry waits about this long; each next one twice as long
//     max_delay_seconds: 600        # ... but never longer than this (the waits have random jitter)
//   alerts:
//     webhook: http://host:port/path  # JSON POSTs (alerts also go to the log on stderr)
//     reject_rate_above: 0.05       # a run that rejects more than this share of the rows it read
//     fresh_within_hours: {warn: 26, error: 50}  # no successful run, or no new file, for that long
//     pending_days: 7               # rows waiting for a parent that landed more than this long ago
//   checks:                         # data-quality thresholds between runs (job/quality.h)
//     max_row_drop: 0.05
//     max_late_rate_change: 0.1
//     max_null_rate_change: 0.1
//     max_mean_change: 0.5
//   retention:
//     keep_days: 90                 # after each run of the service: vacuum (job/manage.h)
//   watch:                          # drop folders: files landed once they stop changing, then a run
//     - path: /srv/drop
//       settle_seconds: 5
//       table: invoices             # optional: else by file name, else by header
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "job/quality.h"
#include "query/grants.h"
#include "util/cron.h"
#include "util/status.h"

namespace ledgerlake::serve {

struct QueryLimits {
  double timeout_seconds = 30;
  std::string memory_limit = "1GB";
  size_t max_rows = 10000;
  int max_concurrent = 4;
};

struct ScheduleConfig {
  std::optional<CronSchedule> run;
  std::optional<CronSchedule> crawl;
};

struct RetryConfig {
  int max_attempts = 3;
  double base_delay_seconds = 30;
  double max_delay_seconds = 600;
};

struct AlertsConfig {
  std::string webhook;  // "" = the log only
  std::optional<double> reject_rate_above;
  std::optional<double> fresh_warn_hours;
  std::optional<double> fresh_error_hours;
  std::optional<double> pending_days;
};

struct WatchConfig {
  std::string path;
  double settle_seconds = 5;
  std::string table;  // "" = by file name, else by header
};

struct ServeConfig {
  std::string source;  // the file it was read from; "" for the defaults
  std::string host = "127.0.0.1";
  int port = 8080;
  std::map<std::string, query::Grants> roles;  // admin included (every view)
  QueryLimits query;
  uint64_t ingest_max_bytes = uint64_t{1} << 30;
  ScheduleConfig schedule;
  RetryConfig retry;
  AlertsConfig alerts;
  std::vector<WatchConfig> watch;
  job::CheckThresholds checks;
  std::optional<int> retention_keep_days;
};

// The defaults (roles: admin only).
ServeConfig DefaultConfig();
// Reads `path`. NotFound when it does not exist; InvalidArgument "<path>: line N: <what>" when it is not valid.
Result<ServeConfig> LoadConfig(const std::string& path);
// "HOST:PORT" into `config`; InvalidArgument when it is not one.
Status SetListen(const std::string& listen, ServeConfig& config);
// "512MB", "1GB", "1.5GiB", "1000000" as bytes; InvalidArgument when it is not a size.
Result<uint64_t> ParseByteSize(const std::string& text);

}  // namespace ledgerlake::serve
