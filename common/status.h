// Status and StatusOr: how every expected failure (I/O, HTTP, NATS, bad scenario, bad LINSTOR
// reply, bad flags) travels in lnsim. Programmer errors are LNSIM_CHECK (common/check.h) instead.
// Modelled on absl::Status: a code plus a message that names the file, field or URL at fault.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace lnsim {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: scenario, flag, request body
  kNotFound,            // named object does not exist
  kAlreadyExists,       // create of an existing name
  kFailedPrecondition,  // state forbids the operation (e.g. resize while not UpToDate)
  kResourceExhausted,   // not enough nodes / space
  kUnavailable,         // peer down, connection refused; retryable
  kDeadlineExceeded,    // timeout
  kDataLoss,            // malformed data from a peer (truncated JSON, bad message)
  kInternal,            // infrastructure failure we cannot classify
  kCancelled,           // shutdown requested
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: node 'x' not found" (or "OK").
  std::string ToString() const;
  // Returns a copy whose message is "prefix: message".
  Status WithPrefix(std::string_view prefix) const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

// StatusOr<T>: a T or a non-OK Status. Accessing the value of an error is a programmer error.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : value_(value) {}             // NOLINT(implicit)
  StatusOr(T&& value) : value_(std::move(value)) {}       // NOLINT(implicit)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(implicit)
    LNSIM_CHECK(!status_.ok()) << "StatusOr built from an OK status without a value";
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    LNSIM_CHECK(ok()) << "value() of an error: " << status_.ToString();
    return *value_;
  }
  T& value() & {
    LNSIM_CHECK(ok()) << "value() of an error: " << status_.ToString();
    return *value_;
  }
  T&& value() && {
    LNSIM_CHECK(ok()) << "value() of an error: " << status_.ToString();
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lnsim

// Returns early from the enclosing function when expr is not OK.
#define LNSIM_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::lnsim::Status lnsim_status_ = (expr);        \
    if (!lnsim_status_.ok()) return lnsim_status_; \
  } while (0)

#define LNSIM_CONCAT_INNER_(a, b) a##b
#define LNSIM_CONCAT_(a, b) LNSIM_CONCAT_INNER_(a, b)
// LNSIM_ASSIGN_OR_RETURN(auto x, MaybeX()); declares x or returns the error.
#define LNSIM_ASSIGN_OR_RETURN(lhs, expr) \
  LNSIM_ASSIGN_OR_RETURN_IMPL_(LNSIM_CONCAT_(lnsim_statusor_, __LINE__), lhs, expr)
#define LNSIM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
