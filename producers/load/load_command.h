// esper-load, the load generator: synthetic metric points at a given rate through the real producer
// client (ServiceRuntime and its TelemetryBuffer) to Oona, from one or more producer processes
// (load_fleet.h), then a report of what was recorded, sent and dropped (load_report.h). It runs
// standalone or under Weatherlight like every producer: with --producers N > 1, the first producer
// speaks the flush protocol under the service's name and the others drain on their own.
#ifndef ESPER_PRODUCERS_LOAD_LOAD_COMMAND_H_
#define ESPER_PRODUCERS_LOAD_LOAD_COMMAND_H_

#include <cstdint>

#include "cli/command_line.h"
#include "producers/producer_flags.h"

namespace esper::producers::load {

struct LoadFlags {
  double points_per_second = 0;          // In total, split evenly between producers; 0: as fast as possible.
  std::uint32_t series = 100;            // Distinct metric names per producer.
  std::uint64_t points_per_envelope = 500;  // Points per telemetry packet, and the drain batch.
  int producers = 1;                     // Producer processes.
  double duration_s = 5;                 // 0: until SIGTERM/SIGINT.
  bool json = false;                     // The report as one JSON line.
};

// Declares esper-load's flags and the bus flags every producer has (add_bus_flags), and
// --buffer-capacity.
void add_load_flags(cli::CommandLine& command_line, ProducerFlags& flags, LoadFlags& load);

// Runs the load and prints the ready line and the report on stdout. Returns the exit code; throws
// config::ConfigError for a config that does not load (before any producer starts).
int run_load(const ProducerFlags& flags, const LoadFlags& load);

}  // namespace esper::producers::load

#endif  // ESPER_PRODUCERS_LOAD_LOAD_COMMAND_H_
