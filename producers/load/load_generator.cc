#include "producers/load/load_generator.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "proto/metric_point_encoding.h"

namespace esper::producers::load {

namespace {

using LoadClock = std::chrono::steady_clock;

// Points recorded between two looks at the clock and, every millisecond, at the stop signals.
constexpr std::uint64_t kPointsPerClockCheck = 64;

}  // namespace

std::string series_name(std::uint32_t k) { return "load.series." + std::to_string(k); }

std::uint64_t generate_load(const LoadGeneratorOptions& options, TelemetryBuffer& buffer,
                            signals::ShutdownSignals& signals) {
  std::vector<std::string> names;
  for (std::uint32_t k = 0; k < std::max<std::uint32_t>(1, options.series); ++k) names.push_back(series_name(k));

  const auto start = LoadClock::now();
  const auto end = options.duration_s > 0
                       ? start + std::chrono::duration_cast<LoadClock::duration>(
                                     std::chrono::duration<double>(options.duration_s))
                       : LoadClock::time_point::max();
  auto next_signal_check = start;
  std::uint64_t recorded = 0;
  std::size_t series = 0;
  while (true) {
    const auto now = LoadClock::now();
    if (now >= end) break;
    if (now >= next_signal_check) {
      if (auto signo = signals.take(); signo && signals::is_stop_signal(*signo)) break;
      next_signal_check = now + std::chrono::milliseconds(1);
    }
    // How many points are due by now; at rate 0, a burst between two clock checks.
    std::uint64_t due = recorded + kPointsPerClockCheck;
    if (options.points_per_second > 0) {
      const double elapsed = std::chrono::duration<double>(now - start).count();
      due = std::min(due, static_cast<std::uint64_t>(elapsed * options.points_per_second) + 1);
      if (due <= recorded) {
        // Ahead of the rate: wait on the signals for the next point's time, at least a millisecond
        // (what fell due meanwhile goes out in one burst) and at most 100 ms.
        const double next_s = static_cast<double>(recorded) / options.points_per_second;
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(next_s) - (now - start));
        if (auto signo = signals.wait(static_cast<int>(std::clamp<std::int64_t>(wait.count(), 1, 100)));
            signo && signals::is_stop_signal(*signo)) {
          break;
        }
        continue;
      }
    }
    for (; recorded < due; ++recorded) {
      buffer.record(proto::MetricPointView{.name = names[series],
                                           .value = static_cast<double>(recorded),
                                           .unit = "count",
                                           .kind = proto::METRIC_KIND_GAUGE});
      series = series + 1 == names.size() ? 0 : series + 1;
    }
  }
  return recorded;
}

}  // namespace esper::producers::load
