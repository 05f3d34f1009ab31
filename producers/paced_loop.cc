#include "producers/paced_loop.h"

#include <algorithm>

namespace esper::producers {

std::chrono::nanoseconds pacing_interval(double rate) {
  if (rate <= 0) return std::chrono::nanoseconds::zero();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate));
}

std::uint64_t run_paced(double rate, double duration_s, signals::ShutdownSignals& signals,
                        const std::function<bool()>& step) {
  using PacingClock = std::chrono::steady_clock;
  const auto interval = pacing_interval(rate);
  const auto start = PacingClock::now();
  auto next = start;
  std::uint64_t steps = 0;
  while (true) {
    if (duration_s > 0 && PacingClock::now() - start >= std::chrono::duration<double>(duration_s)) break;
    // Wait for the next step's time on the signalfd, so a stop is seen at once.
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - PacingClock::now());
    if (auto signo = signals.wait(static_cast<int>(std::max<std::int64_t>(0, wait.count())));
        signo && signals::is_stop_signal(*signo)) {
      break;
    }
    if (PacingClock::now() < next) continue;
    next += interval;
    if (next < PacingClock::now() - interval) next = PacingClock::now();  // Fell behind: no burst.
    ++steps;
    if (!step()) break;
  }
  return steps;
}

}  // namespace esper::producers
