// Status: errors as values, in the LevelDB manner. Every fallible call in ledgerlake returns a Status (or a
// Result<T>) and every caller checks it; nothing fails silently. A Status carries one human-readable line.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ledgerlake {

class Status {
 public:
  // kUnusableCache: a derived file (a run's state, a line log) is missing, damaged or of another format; it is a
  // cache of the raw zone, so the caller rebuilds from there instead of failing.
  // kPermissionDenied: the caller may not do this (a sandboxed query reaching outside what it was granted, a
  // token without the role for it).
  enum class Code {
    kOk, kInvalidArgument, kIOError, kCorruption, kNotFound, kUsage, kBusy, kUnusableCache, kPermissionDenied
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Usage(std::string msg) { return Status(Code::kUsage, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status UnusableCache(std::string msg) { return Status(Code::kUnusableCache, std::move(msg)); }
  static Status PermissionDenied(std::string msg) { return Status(Code::kPermissionDenied, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  std::string ToString() const { return ok() ? "OK" : msg_; }

 private:
  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

// Result<T>: a value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ledgerlake

#define LL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::ledgerlake::Status _st = (expr);       \
    if (!_st.ok()) return _st;               \
  } while (0)
