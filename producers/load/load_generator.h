// The recording side of esper-load: synthetic metric points at a given rate into a producer's
// telemetry buffer, as a real producer's record() calls would, until the duration is over or a
// stop signal comes.
//
// The points are gauges named load.series.<k> (k = 0 .. series-1, round robin), unit "count", whose
// value is the producer's running count of points, so a reader can tell loss and duplicates apart.
#ifndef ESPER_PRODUCERS_LOAD_LOAD_GENERATOR_H_
#define ESPER_PRODUCERS_LOAD_LOAD_GENERATOR_H_

#include <cstdint>
#include <string>

#include "producers/telemetry_buffer.h"
#include "signals/shutdown_signals.h"

namespace esper::producers::load {

struct LoadGeneratorOptions {
  double points_per_second = 0;  // 0: as fast as record() goes.
  std::uint32_t series = 100;    // Distinct metric names.
  double duration_s = 5;         // 0: until SIGTERM/SIGINT.
};

// The name of series `k`.
std::string series_name(std::uint32_t k);

// Records into `buffer` at the options' rate. The rate is kept on average from the start: a late
// wake-up records the points that fell due meanwhile. Returns how many points it recorded.
std::uint64_t generate_load(const LoadGeneratorOptions& options, TelemetryBuffer& buffer,
                            signals::ShutdownSignals& signals);

}  // namespace esper::producers::load

#endif  // ESPER_PRODUCERS_LOAD_LOAD_GENERATOR_H_
