// The main loop every load-generating producer shares: one unit of work (a training step, a
// scheduler tick, a session tick) every 1/rate seconds until the run is over.
#ifndef ESPER_PRODUCERS_PACED_LOOP_H_
#define ESPER_PRODUCERS_PACED_LOOP_H_

#include <chrono>
#include <cstdint>
#include <functional>

#include "signals/shutdown_signals.h"

namespace esper::producers {

// The interval between steps at `rate` steps per second (zero for rate <= 0).
std::chrono::nanoseconds pacing_interval(double rate);

// Calls `step` every 1/rate seconds (back to back for rate <= 0) until `duration_s` seconds have
// passed (0: no limit), SIGTERM or SIGINT arrives on `signals`, or `step` returns false. A step that
// ran late does not make the loop burst to catch up. Returns how many steps ran.
std::uint64_t run_paced(double rate, double duration_s, signals::ShutdownSignals& signals,
                        const std::function<bool()>& step);

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_PACED_LOOP_H_
