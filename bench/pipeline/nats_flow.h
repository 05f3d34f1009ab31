// What the NATS load generator and receiver of bench/pipeline/broker_compare share. NATS core has no
// back-pressure of its own (a subscriber that falls behind is cut off as a slow consumer), so the
// receiver returns credit the way Oona's subscribers do: it publishes how many messages it has
// consumed on kCreditSubject every kCreditWindow / 4, and the sender keeps at most kCreditWindow
// messages beyond that in flight. The ZeroMQ paths get the same from their high-water marks.
#ifndef ESPER_BENCH_PIPELINE_NATS_FLOW_H_
#define ESPER_BENCH_PIPELINE_NATS_FLOW_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nats/nats.h>

namespace esper::pipeline_bench {

inline constexpr const char* kBenchSubject = "normal.telemetry.info.bench";  // The bench topic.
inline constexpr const char* kCreditSubject = "bench.credit";
inline constexpr std::uint64_t kCreditWindow = 20000;

// Exits with `what` and NATS's text unless `status` is NATS_OK: a bench has nothing to recover.
inline void check(natsStatus status, const char* what) {
  if (status == NATS_OK) return;
  std::fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(status));
  std::exit(1);
}

}  // namespace esper::pipeline_bench

#endif  // ESPER_BENCH_PIPELINE_NATS_FLOW_H_
