// Throughput and fan-out: one producer publishes as fast as the broker takes it while reading
// subscribers (and, optionally, one stuck subscriber) receive; measured for the slowest reader.
#ifndef ESPER_BENCH_OONA_FAN_OUT_H_
#define ESPER_BENCH_OONA_FAN_OUT_H_

#include "oona/bus_endpoints.h"

namespace esper::oona_bench {

// What the slowest reading subscriber got: envelopes/s from the first publish to its last receive,
// and the share of what was published that reached it (Oona sheds for a subscriber that falls more
// than its queue behind; a bare XPUB never sheds, it stalls everyone instead).
struct Delivery {
  double rate = 0;
  double delivered = 0;  // 0..1
};

// One producer publishes `count` envelopes; `subscribers` subscribers each receive them, and, if
// `stuck`, one more subscribes to everything and never reads. A subscriber stops waiting once
// nothing has arrived for 2 s.
Delivery fan_out(const oona::BusEndpoints& endpoints, bool through_oona, int count, int points, int subscribers,
                 bool stuck);

// One producer publishes `count` envelopes; one subscriber receives them. Returns envelopes/s.
Delivery throughput(const oona::BusEndpoints& endpoints, bool through_oona, int count, int points);

}  // namespace esper::oona_bench

#endif  // ESPER_BENCH_OONA_FAN_OUT_H_
