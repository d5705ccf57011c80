#include "serve/alerts.h"

#include <httplib.h>

#include "catalog/run_record.h"
#include "util/date.h"

namespace ledgerlake::serve {


Alerter::Alerter(std::string webhook, std::string lake, Metrics& metrics, Log log)
    : webhook_(std::move(webhook)), lake_(std::move(lake)), metrics_(metrics), log_(std::move(log)) {
  sender_ = std::thread([this] { Loop(); });
}

Alerter::~Alerter() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  sender_.join();
}

void Alerter::Fire(const std::string& key, const std::string& name, const std::string& severity,
                   const std::string& message) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (open_.count(key)) return;
    open_[key] = name;
  }
  Send({{"alert", name}, {"status", "firing"}, {"severity", severity}, {"message", message}});
}

void Alerter::Resolve(const std::string& key, const std::string& message) {
  std::string name;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = open_.find(key);
    if (it == open_.end()) return;
    name = it->second;
    open_.erase(it);
  }
  Send({{"alert", name}, {"status", "resolved"}, {"severity", "info"}, {"message", message}});
}

void Alerter::Send(nlohmann::json alert) {
  alert["lake"] = lake_;
  alert["time"] = FormatUtcMillis(catalog::NowUnixMs());
  metrics_.ObserveAlert(alert["alert"].get<std::string>(), alert["status"].get<std::string>());
  log_(alert["status"] == "firing" ? "error" : "info", "alert", alert);
  if (webhook_.empty()) return;
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back(std::move(alert));
  }
  cv_.notify_all();
}

bool Alerter::stop_now() {
  std::lock_guard<std::mutex> g(mu_);
  return stop_;
}

void Alerter::Loop() {
  // "http://host:port/path": the client takes the scheme, host and port; the rest is the path.
  const size_t host_start = webhook_.find("://");
  const size_t path_start = host_start == std::string::npos ? std::string::npos : webhook_.find('/', host_start + 3);
  const std::string origin = path_start == std::string::npos ? webhook_ : webhook_.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : webhook_.substr(path_start);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is sent
    nlohmann::json alert = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    httplib::Client client(origin);
    client.set_connection_timeout(stop_now() ? 1 : 2, 0);
    client.set_read_timeout(5, 0);
    client.set_write_timeout(5, 0);
    const httplib::Result r = client.Post(path.c_str(), alert.dump(), "application/json");
    if (!r || r->status / 100 != 2) {
      metrics_.ObserveAlertFailure();
      log_("warn", "alert not delivered",
           {{"webhook", webhook_}, {"alert", alert["alert"]},
            {"error", r ? "HTTP " + std::to_string(r->status) : httplib::to_string(r.error())}});
    }
    lock.lock();
  }
}

}  // namespace ledgerlake::serve
