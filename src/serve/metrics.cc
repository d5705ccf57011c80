#include "serve/metrics.h"

#include <prometheus/text_serializer.h>

namespace ledgerlake::serve {

namespace {

const prometheus::Histogram::BucketBoundaries kRunBuckets = {0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
const prometheus::Histogram::BucketBoundaries kRequestBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                 0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      runs_(prometheus::BuildCounter()
                .Name("ledgerlake_runs_total")
                .Help("Runs recorded in the catalog, by how they ended and what started them")
                .Register(*registry_)),
      run_seconds_(prometheus::BuildHistogram()
                       .Name("ledgerlake_run_duration_seconds")
                       .Help("Wall time of runs")
                       .Register(*registry_)),
      rows_(prometheus::BuildCounter()
                .Name("ledgerlake_rows_total")
                .Help("Rows the runs read from the raw zone, by table and fate (read, accepted, rejected, duplicate, "
                      "pending)")
                .Register(*registry_)),
      rejects_(prometheus::BuildCounter()
                   .Name("ledgerlake_rejects_total")
                   .Help("Rows the runs rejected, by table and reason")
                   .Register(*registry_)),
      last_success_(prometheus::BuildGauge()
                        .Name("ledgerlake_last_success_timestamp_seconds")
                        .Help("When the newest successful run ended (Unix time)")
                        .Register(*registry_)),
      dataset_rows_(prometheus::BuildGauge()
                        .Name("ledgerlake_dataset_rows")
                        .Help("Rows of each dataset as the current views show them")
                        .Register(*registry_)),
      pending_rows_(prometheus::BuildGauge()
                        .Name("ledgerlake_pending_rows")
                        .Help("Rows waiting for a parent row (the pending dataset)")
                        .Register(*registry_)),
      requests_(prometheus::BuildCounter()
                    .Name("ledgerlake_http_requests_total")
                    .Help("HTTP requests, by route and status code")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("ledgerlake_http_request_duration_seconds")
                           .Help("Time to answer HTTP requests, by route")
                           .Register(*registry_)),
      query_seconds_(prometheus::BuildHistogram()
                         .Name("ledgerlake_query_duration_seconds")
                         .Help("Time to run and return /api/query queries")
                         .Register(*registry_)),
      last_tick_(prometheus::BuildGauge()
                     .Name("ledgerlake_schedule_last_tick_timestamp_seconds")
                     .Help("When each scheduled job last ticked (Unix time of the tick)")
                     .Register(*registry_)),
      tick_lag_(prometheus::BuildGauge()
                    .Name("ledgerlake_schedule_lag_seconds")
                    .Help("How late each scheduled job's last tick started after its scheduled time")
                    .Register(*registry_)),
      skipped_ticks_(prometheus::BuildCounter()
                         .Name("ledgerlake_schedule_skipped_ticks_total")
                         .Help("Ticks skipped because a run or another writer held the lake")
                         .Register(*registry_)),
      retries_(prometheus::BuildCounter()
                   .Name("ledgerlake_run_retries_total")
                   .Help("Retries of failed scheduled runs")
                   .Register(*registry_)),
      alerts_(prometheus::BuildCounter()
                  .Name("ledgerlake_alerts_total")
                  .Help("Alerts raised and resolved, by alert and status")
                  .Register(*registry_)),
      alert_failures_(prometheus::BuildCounter()
                          .Name("ledgerlake_alert_failures_total")
                          .Help("Alerts the webhook did not accept (down, or not 2xx)")
                          .Register(*registry_)),
      watched_waiting_(prometheus::BuildGauge()
                           .Name("ledgerlake_watched_files_waiting")
                           .Help("Files in watched directories not landed yet (still changing, or waiting for the lake)")
                           .Register(*registry_)),
      failed_checks_(prometheus::BuildCounter()
                         .Name("ledgerlake_checks_failed_total")
                         .Help("Data-quality checks that failed, by check")
                         .Register(*registry_)) {
  watched_waiting_.Add({});
  last_success_.Add({});
  pending_rows_.Add({});
  retries_.Add({});
  alert_failures_.Add({});
}

void Metrics::ObserveTick(const std::string& job, double tick_unix_seconds, double lag_seconds) {
  last_tick_.Add({{"job", job}}).Set(tick_unix_seconds);
  tick_lag_.Add({{"job", job}}).Set(lag_seconds);
}

void Metrics::ObserveSkippedTick(const std::string& job) { skipped_ticks_.Add({{"job", job}}).Increment(); }

void Metrics::ObserveRetry() { retries_.Add({}).Increment(); }

void Metrics::ObserveAlert(const std::string& alert, const std::string& status) {
  alerts_.Add({{"alert", alert}, {"status", status}}).Increment();
}

void Metrics::ObserveAlertFailure() { alert_failures_.Add({}).Increment(); }

void Metrics::SetWatchedFilesWaiting(double files) { watched_waiting_.Add({}).Set(files); }

void Metrics::ObserveFailedCheck(const std::string& check) { failed_checks_.Add({{"check", check}}).Increment(); }

void Metrics::ObserveAbortedRun(const std::string& trigger) {
  runs_.Add({{"status", "aborted"}, {"trigger", trigger}}).Increment();
}

void Metrics::ObserveRun(const catalog::RunRecord& run,
                         const std::map<std::pair<std::string, std::string>, uint64_t>& rejects) {
  runs_.Add({{"status", run.ok ? "succeeded" : "failed"}, {"trigger", run.trigger}}).Increment();
  run_seconds_.Add({}, kRunBuckets).Observe(run.seconds);
  for (const catalog::TableFates& t : run.tables) {
    const std::pair<const char*, uint64_t> fates[] = {{"read", t.fates.read},
                                                      {"accepted", t.fates.accepted},
                                                      {"rejected", t.fates.rejected},
                                                      {"duplicate", t.fates.duplicate},
                                                      {"pending", t.fates.pending}};
    for (const auto& [fate, n] : fates) {
      rows_.Add({{"table", t.table}, {"fate", fate}}).Increment(static_cast<double>(n));
    }
  }
  for (const auto& [key, n] : rejects) {
    rejects_.Add({{"table", key.first}, {"reason", key.second}}).Increment(static_cast<double>(n));
  }
  if (run.ok) {
    prometheus::Gauge& last = last_success_.Add({});
    last.Set(std::max(last.Value(), static_cast<double>(run.ended_unix_ms) / 1000.0));
  }
}

void Metrics::SetDatasetRows(const std::string& dataset, double rows) { dataset_rows_.Add({{"dataset", dataset}}).Set(rows); }

void Metrics::SetPendingRows(double rows) { pending_rows_.Add({}).Set(rows); }

void Metrics::ObserveRequest(const std::string& route, int code, double seconds) {
  requests_.Add({{"route", route}, {"code", std::to_string(code)}}).Increment();
  request_seconds_.Add({{"route", route}}, kRequestBuckets).Observe(seconds);
}

void Metrics::ObserveQuery(double seconds) { query_seconds_.Add({}, kRequestBuckets).Observe(seconds); }

std::string Metrics::Text() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace ledgerlake::serve
