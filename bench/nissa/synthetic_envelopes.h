// Telemetry envelopes for Nissa's benchmarks: `count` encoded envelopes of `points_per_packet`
// points spread round-robin over `series` series (8 metric names, gauge, counter and histogram, by
// seed), as kasmina-like producers send them; with `steps`, every point carries its envelope's
// index as its step, as a training loop's would.
#ifndef ESPER_BENCH_NISSA_SYNTHETIC_ENVELOPES_H_
#define ESPER_BENCH_NISSA_SYNTHETIC_ENVELOPES_H_

#include <vector>

#include "proto/envelope_codec.h"

namespace esper::bench {

std::vector<proto::WireMessage> make_envelopes(int count, int points_per_packet, int series, bool steps = false);

// This process's resident memory, in MiB.
double rss_mib();

}  // namespace esper::bench

#endif  // ESPER_BENCH_NISSA_SYNTHETIC_ENVELOPES_H_
