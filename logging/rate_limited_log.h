// Logging for bad input that may arrive at line rate: the first occurrence of each key is logged at
// once, then at most one line per interval that says how many were suppressed. Counting is the
// caller's job (counters are exact); this only keeps the log readable.
#ifndef ESPER_LOGGING_RATE_LIMITED_LOG_H_
#define ESPER_LOGGING_RATE_LIMITED_LOG_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace esper::logging {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  // Logs `message` under `key` unless that key logged less than an interval ago. Returns whether a
  // line was written. Thread-safe.
  bool log(spdlog::level::level_enum level, std::string_view key, std::string_view message,
           Clock::time_point now = Clock::now());

 private:
  struct KeyState {
    Clock::time_point last;
    std::uint64_t suppressed = 0;
  };
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::unordered_map<std::string, KeyState> keys_;
};

}  // namespace esper::logging

#endif  // ESPER_LOGGING_RATE_LIMITED_LOG_H_
