#include "serve/config.h"

#include <yaml-cpp/yaml.h>

#include "contract/schema.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>
#include <vector>

namespace ledgerlake::serve {

namespace {

// A config error at `node`: "<file>: line N: <what>".
Status Bad(const std::string& file, const YAML::Node& node, const std::string& what) {
  const YAML::Mark mark = node.Mark();
  const std::string where = mark.line >= 0 ? ": line " + std::to_string(mark.line + 1) : "";
  return Status::InvalidArgument(file + where + ": " + what);
}

// Every key of mapping `node` must be one of `known`.
Status OnlyKeys(const std::string& file, const YAML::Node& node, const std::string& what,
                const std::set<std::string>& known) {
  if (!node.IsMap()) return Bad(file, node, what + " must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return Bad(file, kv.first, "unknown key '" + key + "' in " + what + " (known: " + list + ")");
    }
  }
  return Status::OK();
}

template <typename T>
Result<T> Scalar(const std::string& file, const YAML::Node& node, const std::string& key, const char* kind) {
  if (!node.IsScalar()) return Bad(file, node, key + " must be " + kind);
  T value{};
  if (!YAML::convert<T>::decode(node, value)) return Bad(file, node, key + " must be " + kind);
  return value;
}

}  // namespace

Result<uint64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  double number = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + i, number);
  if (i == 0 || parsed.ptr != text.data() + i || number < 0) {
    return Status::InvalidArgument("'" + text + "' is not a size (e.g. 512MB, 1GB)");
  }
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KB") scale = 1e3;
  if (unit == "MB") scale = 1e6;
  if (unit == "GB") scale = 1e9;
  if (unit == "TB") scale = 1e12;
  if (unit == "KIB") scale = 1024.0;
  if (unit == "MIB") scale = 1024.0 * 1024;
  if (unit == "GIB") scale = 1024.0 * 1024 * 1024;
  if (scale == 0) return Status::InvalidArgument("'" + text + "' is not a size (units: B, KB, MB, GB, TB, KiB, MiB, GiB)");
  return static_cast<uint64_t>(std::llround(number * scale));
}

Status SetListen(const std::string& listen, ServeConfig& config) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port).ptr != listen.data() + listen.size() ||
      port < 0 || port > 65535) {
    return Status::InvalidArgument("listen: '" + listen + "' is not HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)");
  }
  config.host = listen.substr(0, colon);
  config.port = port;
  return Status::OK();
}

ServeConfig DefaultConfig() {
  ServeConfig config;
  config.roles.emplace("admin", query::Grants::All());
  return config;
}

Result<ServeConfig> LoadConfig(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound(path + ": no such file");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  ServeConfig config = DefaultConfig();
  config.source = path;
  if (root.IsNull()) return config;  // an empty file: the defaults
  try {
    LL_RETURN_IF_ERROR(
        OnlyKeys(path, root, "the config", {"listen", "roles", "query", "ingest", "schedule", "retry", "alerts", "watch", "checks", "retention"}));
    if (const YAML::Node listen = root["listen"]) {
      auto text = Scalar<std::string>(path, listen, "listen", "HOST:PORT");
      if (!text.ok()) return text.status();
      if (Status st = SetListen(*text, config); !st.ok()) return Bad(path, listen, st.message());
    }
    if (const YAML::Node roles = root["roles"]) {
      if (!roles.IsMap()) return Bad(path, roles, "roles must map each role to the list of views it may read");
      for (const auto& kv : roles) {
        const std::string role = kv.first.as<std::string>();
        if (role == "admin") return Bad(path, kv.first, "admin is built in (every view, every endpoint): pick another name");
        if (!kv.second.IsSequence()) return Bad(path, kv.second, "role " + role + ": a list of views, e.g. [invoice_features]");
        std::vector<std::string> views;
        for (const YAML::Node& v : kv.second) {
          auto name = Scalar<std::string>(path, v, "role " + role, "a list of view names");
          if (!name.ok()) return name.status();
          views.push_back(*name);
        }
        auto grants = query::Grants::Of(views);
        if (!grants.ok()) return Bad(path, kv.second, "role " + role + ": " + grants.status().message());
        config.roles.insert_or_assign(role, std::move(*grants));
      }
    }
    if (const YAML::Node q = root["query"]) {
      LL_RETURN_IF_ERROR(OnlyKeys(path, q, "query", {"timeout_seconds", "memory_limit", "max_rows", "max_concurrent"}));
      if (q["timeout_seconds"]) {
        auto v = Scalar<double>(path, q["timeout_seconds"], "query.timeout_seconds", "a number of seconds");
        if (!v.ok()) return v.status();
        if (!(*v > 0)) return Bad(path, q["timeout_seconds"], "query.timeout_seconds must be above 0");
        config.query.timeout_seconds = *v;
      }
      if (q["memory_limit"]) {
        auto v = Scalar<std::string>(path, q["memory_limit"], "query.memory_limit", "a size such as 1GB");
        if (!v.ok()) return v.status();
        if (Status st = ParseByteSize(*v).status(); !st.ok()) return Bad(path, q["memory_limit"], "query.memory_limit: " + st.message());
        config.query.memory_limit = *v;
      }
      if (q["max_rows"]) {
        auto v = Scalar<int64_t>(path, q["max_rows"], "query.max_rows", "a whole number");
        if (!v.ok()) return v.status();
        if (*v < 1) return Bad(path, q["max_rows"], "query.max_rows must be at least 1");
        config.query.max_rows = static_cast<size_t>(*v);
      }
      if (q["max_concurrent"]) {
        auto v = Scalar<int>(path, q["max_concurrent"], "query.max_concurrent", "a whole number");
        if (!v.ok()) return v.status();
        if (*v < 1) return Bad(path, q["max_concurrent"], "query.max_concurrent must be at least 1");
        config.query.max_concurrent = *v;
      }
    }
    if (const YAML::Node in = root["ingest"]) {
      LL_RETURN_IF_ERROR(OnlyKeys(path, in, "ingest", {"max_bytes"}));
      if (in["max_bytes"]) {
        auto v = Scalar<std::string>(path, in["max_bytes"], "ingest.max_bytes", "a size such as 1GB");
        if (!v.ok()) return v.status();
        auto bytes = ParseByteSize(*v);
        if (!bytes.ok()) return Bad(path, in["max_bytes"], "ingest.max_bytes: " + bytes.status().message());
        config.ingest_max_bytes = *bytes;
      }
    }
    if (const YAML::Node sched = root["schedule"]) {
      LL_RETURN_IF_ERROR(OnlyKeys(path, sched, "schedule", {"run", "crawl"}));
      for (const char* job : {"run", "crawl"}) {
        if (!sched[job]) continue;
        auto text = Scalar<std::string>(path, sched[job], std::string("schedule.") + job, "a cron expression in quotes");
        if (!text.ok()) return text.status();
        auto cron = CronSchedule::Parse(*text);
        if (!cron.ok()) return Bad(path, sched[job], std::string("schedule.") + job + ": " + cron.status().message());
        (std::string(job) == "run" ? config.schedule.run : config.schedule.crawl) = std::move(*cron);
      }
    }
    if (const YAML::Node retry = root["retry"]) {
      LL_RETURN_IF_ERROR(OnlyKeys(path, retry, "retry", {"max_attempts", "base_delay_seconds", "max_delay_seconds"}));
      if (retry["max_attempts"]) {
        auto v = Scalar<int>(path, retry["max_attempts"], "retry.max_attempts", "a whole number");
        if (!v.ok()) return v.status();
        if (*v < 1) return Bad(path, retry["max_attempts"], "retry.max_attempts must be at least 1");
        config.retry.max_attempts = *v;
      }
      for (const char* key : {"base_delay_seconds", "max_delay_seconds"}) {
        if (!retry[key]) continue;
        auto v = Scalar<double>(path, retry[key], std::string("retry.") + key, "a number of seconds");
        if (!v.ok()) return v.status();
        if (!(*v >= 0)) return Bad(path, retry[key], std::string("retry.") + key + " must not be negative");
        (std::string(key) == "base_delay_seconds" ? config.retry.base_delay_seconds : config.retry.max_delay_seconds) = *v;
      }
    }
    if (const YAML::Node alerts = root["alerts"]) {
      LL_RETURN_IF_ERROR(
          OnlyKeys(path, alerts, "alerts", {"webhook", "reject_rate_above", "fresh_within_hours", "pending_days"}));
      auto number = [&](const YAML::Node& node, const std::string& key, std::optional<double>& out) -> Status {
        auto v = Scalar<double>(path, node, key, "a number");
        if (!v.ok()) return v.status();
        if (!(*v >= 0)) return Bad(path, node, key + " must not be negative");
        out = *v;
        return Status::OK();
      };
      if (alerts["reject_rate_above"]) {
        LL_RETURN_IF_ERROR(number(alerts["reject_rate_above"], "alerts.reject_rate_above", config.alerts.reject_rate_above));
      }
      if (alerts["pending_days"]) {
        LL_RETURN_IF_ERROR(number(alerts["pending_days"], "alerts.pending_days", config.alerts.pending_days));
      }
      if (const YAML::Node fresh = alerts["fresh_within_hours"]) {
        LL_RETURN_IF_ERROR(OnlyKeys(path, fresh, "alerts.fresh_within_hours", {"warn", "error"}));
        if (fresh["warn"]) LL_RETURN_IF_ERROR(number(fresh["warn"], "fresh_within_hours.warn", config.alerts.fresh_warn_hours));
        if (fresh["error"]) {
          LL_RETURN_IF_ERROR(number(fresh["error"], "fresh_within_hours.error", config.alerts.fresh_error_hours));
        }
      }
      if (alerts["webhook"]) {
        auto v = Scalar<std::string>(path, alerts["webhook"], "alerts.webhook", "a URL");
        if (!v.ok()) return v.status();
        if (!v->starts_with("http://") && !v->starts_with("https://")) {
          return Bad(path, alerts["webhook"], "alerts.webhook must be an http:// or https:// URL");
        }
        config.alerts.webhook = *v;
      }
    }
    if (const YAML::Node retention = root["retention"]) {
      LL_RETURN_IF_ERROR(OnlyKeys(path, retention, "retention", {"keep_days"}));
      if (retention["keep_days"]) {
        auto v = Scalar<int>(path, retention["keep_days"], "retention.keep_days", "a whole number of days");
        if (!v.ok()) return v.status();
        if (*v < 1) return Bad(path, retention["keep_days"], "retention.keep_days must be at least 1");
        config.retention_keep_days = *v;
      }
    }
    if (const YAML::Node checks = root["checks"]) {
      const std::vector<std::pair<const char*, double*>> keys = {
          {"max_row_drop", &config.checks.max_row_drop},
          {"max_late_rate_change", &config.checks.max_late_rate_change},
          {"max_null_rate_change", &config.checks.max_null_rate_change},
          {"max_mean_change", &config.checks.max_mean_change}};
      LL_RETURN_IF_ERROR(OnlyKeys(path, checks, "checks",
                                  {"max_row_drop", "max_late_rate_change", "max_null_rate_change", "max_mean_change"}));
      for (const auto& [key, target] : keys) {
        if (!checks[key]) continue;
        auto v = Scalar<double>(path, checks[key], std::string("checks.") + key, "a number");
        if (!v.ok()) return v.status();
        if (!(*v >= 0)) return Bad(path, checks[key], std::string("checks.") + key + " must not be negative");
        *target = *v;
      }
    }
    if (const YAML::Node watch = root["watch"]) {
      if (!watch.IsSequence()) return Bad(path, watch, "watch must be a list of {path, settle_seconds, table}");
      for (const YAML::Node& w : watch) {
        LL_RETURN_IF_ERROR(OnlyKeys(path, w, "a watch entry", {"path", "settle_seconds", "table"}));
        WatchConfig entry;
        if (!w["path"]) return Bad(path, w, "a watch entry needs a path");
        auto dir = Scalar<std::string>(path, w["path"], "watch path", "a directory");
        if (!dir.ok()) return dir.status();
        entry.path = std::filesystem::absolute(*dir).lexically_normal().string();
        if (w["settle_seconds"]) {
          auto v = Scalar<double>(path, w["settle_seconds"], "settle_seconds", "a number of seconds");
          if (!v.ok()) return v.status();
          if (!(*v >= 0)) return Bad(path, w["settle_seconds"], "settle_seconds must not be negative");
          entry.settle_seconds = *v;
        }
        if (w["table"]) {
          auto t = Scalar<std::string>(path, w["table"], "table", "a table name");
          if (!t.ok()) return t.status();
          if (!contract::TableFromName(*t)) {
            return Bad(path, w["table"], "table must be accounts, skus, invoices or invoice_line_items");
          }
          entry.table = *t;
        }
        config.watch.push_back(std::move(entry));
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return config;
}

}  // namespace ledgerlake::serve
