// Alerts: tells the lake's owners, once per incident, when something needs them (the seed's CloudWatch alarms).
// An incident has a key ("run", "file:<path>", ...); Fire opens it and sends one alert, later Fires of the open
// incident send nothing; Resolve closes it and sends one "resolved". Each alert goes to the log (stderr) and,
// when a webhook is configured, as a JSON POST from a sender thread of its own, so a webhook that is slow or down
// never holds a run back: a failed POST (2 s to connect, 5 s to answer) is logged and counted
// (ledgerlake_alert_failures_total), not retried.
//
//   {"alert": "run_failed", "status": "firing" | "resolved", "severity": "error" | "warning",
//    "message": "...", "lake": "/data/lake", "time": "2025-01-01T06:00:03.120Z"}
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "serve/metrics.h"

namespace ledgerlake::serve {

class Alerter {
 public:
  using Log = std::function<void(const std::string& level, const std::string& event, nlohmann::json fields)>;
  // `webhook`: "" (the log only) or an http(s) URL.
  Alerter(std::string webhook, std::string lake, Metrics& metrics, Log log);
  ~Alerter();  // sends what is queued (connecting for at most 1 s each), then stops
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // Opens incident `key` as alert `name` and sends it, unless it is open already.
  void Fire(const std::string& key, const std::string& name, const std::string& severity, const std::string& message);
  // Closes incident `key` and sends "resolved", when it is open.
  void Resolve(const std::string& key, const std::string& message);

 private:
  void Send(nlohmann::json alert);
  void Loop();
  bool stop_now();

  std::string webhook_;
  std::string lake_;
  Metrics& metrics_;
  Log log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> open_;  // incident key -> alert name
  std::deque<nlohmann::json> queue_;
  bool stop_ = false;
  std::thread sender_;
};

}  // namespace ledgerlake::serve
