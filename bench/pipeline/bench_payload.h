// The message every pipeline load generator sends: one real Esper envelope (telemetry, INFO, source
// "bench", unsigned) of about the asked size, encoded once through the codec, so that Oona accepts
// it and a full decoder has real metric points to parse. Senders repeat it as is.
#ifndef ESPER_BENCH_PIPELINE_BENCH_PAYLOAD_H_
#define ESPER_BENCH_PIPELINE_BENCH_PAYLOAD_H_

#include <cstddef>

#include "proto/envelope_codec.h"

namespace esper::pipeline_bench {

// Metric points are added until the envelope is within a few bytes of `bytes`, and the packet id
// pads it to exactly `bytes` where the points leave room (at least ~80 bytes asked).
proto::WireMessage bench_message(std::size_t bytes);

}  // namespace esper::pipeline_bench

#endif  // ESPER_BENCH_PIPELINE_BENCH_PAYLOAD_H_
