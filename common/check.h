// LNSIM_CHECK: programmer errors, on in every build (Envoy, TigerBeetle style). A failed check
// prints file:line, the condition and any streamed context, then aborts. Never use it for input
// that can be wrong at run time: that is a Status.
#pragma once

#include <sstream>
#include <string>

namespace lnsim::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure& self() { return *this; }
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets the macro be an expression of type void in both branches.
struct CheckVoidify {
  void operator&(CheckFailure&) {}
};

}  // namespace lnsim::internal

#define LNSIM_CHECK(condition)                      \
  (condition) ? (void)0                             \
              : ::lnsim::internal::CheckVoidify() & \
                    ::lnsim::internal::CheckFailure(__FILE__, __LINE__, #condition).self()
