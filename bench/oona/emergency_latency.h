// Emergency send-to-receive latency through Oona: emergencies 1 ms apart, timed from publish() to
// their arrival in the reading thread, while another producer floods the normal lane (or not), and
// optionally beside a stuck emergency subscriber.
#ifndef ESPER_BENCH_OONA_EMERGENCY_LATENCY_H_
#define ESPER_BENCH_OONA_EMERGENCY_LATENCY_H_

#include <cstddef>
#include <string>

#include "oona/bus_endpoints.h"

namespace esper::oona_bench {

struct Latency {
  double p50_us = 0, p99_us = 0, max_us = 0;
  std::size_t samples = 0, normal_received = 0;
  std::string reader;  // How the thread that read the emergencies was scheduled.
};

// How the subscriber reads the two lanes.
enum class Reader {
  // The emergency lane on a thread of its own in the emergency scheduling class, the normal lane
  // on the main thread: how a consumer that must react to emergencies at once is built.
  kDedicated,
  // Both lanes from one thread of the default class, emergency first (BusSubscriber::receive):
  // the emergency waits whenever that thread waits for a CPU.
  kShared,
};

// A producer floods the normal lane (unless `flood_on` is false) for as long as `emergencies` are
// sent 1 ms apart by another producer of the default scheduling class (its publisher's emergency
// I/O thread asks for real-time, as every BusPublisher does); the subscriber reads everything and
// times each emergency from publish() to its arrival in the reading thread.
// With `stuck_emergency`, one more subscriber says HELLO on the emergency egress and never reads
// (a stopped process): the emergencies timed must not wait behind it.
Latency emergency_latency(const oona::BusEndpoints& endpoints, int emergencies, int points,
                          Reader reader, bool flood_on = true, bool stuck_emergency = false);

void print_latency(const char* what, const Latency& l);

}  // namespace esper::oona_bench

#endif  // ESPER_BENCH_OONA_EMERGENCY_LATENCY_H_
