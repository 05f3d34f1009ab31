// esper-load's producers: one runs in this process; more each run in a child process, forked
// before any thread or socket exists. Separate processes because that is what a deployment has and
// what a benchmark must reproduce: each producer with its own ZeroMQ context and I/O thread, its
// own allocator and its own share of the scheduler, none contending on another's locks.
//
// A child says it is ready, then sends its LoadCounts, on a pipe to the parent. The parent passes
// SIGTERM/SIGINT on to its children (they stop, drain, and report as on a timeout) and sums what
// they report.
#ifndef ESPER_PRODUCERS_LOAD_LOAD_FLEET_H_
#define ESPER_PRODUCERS_LOAD_LOAD_FLEET_H_

#include <functional>

#include "producers/load/load_report.h"

namespace esper::producers::load {

// Runs producer `index` (0 .. producers-1); calls `ready` once it records, returns its counts.
using ProducerBody = std::function<LoadCounts(int index, const std::function<void()>& ready)>;

// Runs `producers` bodies and returns their summed counts; calls `all_ready` once every one is
// ready. Throws std::runtime_error if a child failed (the others are stopped first).
LoadCounts run_fleet(int producers, const ProducerBody& body, const std::function<void()>& all_ready);

}  // namespace esper::producers::load

#endif  // ESPER_PRODUCERS_LOAD_LOAD_FLEET_H_
