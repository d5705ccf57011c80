// The service's metrics (the seed's CloudWatch), in Prometheus' text format at GET /metrics, kept with Debian's
// prometheus-cpp (its registry and text serializer; the service's own HTTP server exposes them). Counts and
// durations only, never a value of the data. Runs count whoever started them: the service observes every run
// record the catalog gains (ObserveRun), also those of `ledgerlake run` on the command line.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "catalog/run_record.h"

namespace ledgerlake::serve {

class Metrics {
 public:
  Metrics();

  // A run record, once: its outcome, duration, row fates and, from `rejects` (table, reason -> rows; empty
  // when its rejects partition could not be read), its rejects.
  void ObserveRun(const catalog::RunRecord& run, const std::map<std::pair<std::string, std::string>, uint64_t>& rejects);
  // The datasets' rows as the current views show them, and the pending rows.
  // A run whose process died before it recorded an end (catalog::RunStart): counted as status="aborted".
  void ObserveAbortedRun(const std::string& trigger);
  void SetDatasetRows(const std::string& dataset, double rows);
  void SetPendingRows(double rows);
  void ObserveRequest(const std::string& route, int code, double seconds);
  void ObserveQuery(double seconds);
  // The scheduler and the alerts (serve/scheduler.h, serve/alerts.h).
  void ObserveTick(const std::string& job, double tick_unix_seconds, double lag_seconds);
  void ObserveSkippedTick(const std::string& job);
  void ObserveRetry();
  void ObserveAlert(const std::string& alert, const std::string& status);
  void ObserveAlertFailure();
  void SetWatchedFilesWaiting(double files);
  void ObserveFailedCheck(const std::string& check);

  // Everything, in Prometheus' text exposition format (version 0.0.4).
  std::string Text() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Family<prometheus::Histogram>& run_seconds_;
  prometheus::Family<prometheus::Counter>& rows_;
  prometheus::Family<prometheus::Counter>& rejects_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Gauge>& dataset_rows_;
  prometheus::Family<prometheus::Gauge>& pending_rows_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Histogram>& query_seconds_;
  prometheus::Family<prometheus::Gauge>& last_tick_;
  prometheus::Family<prometheus::Gauge>& tick_lag_;
  prometheus::Family<prometheus::Counter>& skipped_ticks_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& alerts_;
  prometheus::Family<prometheus::Counter>& alert_failures_;
  prometheus::Family<prometheus::Gauge>& watched_waiting_;
  prometheus::Family<prometheus::Counter>& failed_checks_;
};

}  // namespace ledgerlake::serve
