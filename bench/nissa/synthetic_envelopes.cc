#include "bench/nissa/synthetic_envelopes.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace esper::bench {

double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// Envelopes of `points_per_packet` points spread over `series` series (8 metric names x seeds).
std::vector<proto::WireMessage> make_envelopes(int count, int points_per_packet, int series, bool steps) {
  const char* names[] = {"kasmina.seed.alpha", "kasmina.seed.stage", "kasmina.seed.last_kernel_latency_ms",
                         "loss", "gradient_norm", "samples_per_s", "ttft_ms", "tokens_generated_total"};
  std::vector<proto::WireMessage> out;
  std::uint64_t n = 0;
  for (int e = 0; e < count; ++e) {
    auto env = proto::make_envelope("kasmina", "bench:1", static_cast<std::uint64_t>(e + 1), proto::SEVERITY_INFO);
    auto* packet = env.mutable_telemetry();
    packet->set_timestamp_unix_ns(1'700'000'000'000'000'000ULL + static_cast<std::uint64_t>(e) * 1'000'000);
    for (int i = 0; i < points_per_packet; ++i, ++n) {
      auto* p = packet->add_metrics();
      const int s = static_cast<int>(n % static_cast<std::uint64_t>(series));
      const int name = s % 8;
      p->set_name(names[name]);
      p->set_value(static_cast<double>(n % 1000) * 0.001);
      p->set_unit(name == 6 ? "ms" : "ratio");
      p->set_kind(name == 6   ? proto::METRIC_KIND_HISTOGRAM
                  : name == 7 ? proto::METRIC_KIND_COUNTER
                              : proto::METRIC_KIND_GAUGE);
      (*p->mutable_attributes())["seed_id"] = "seed-" + std::to_string(s / 8);
      if (steps) p->set_step(static_cast<std::uint64_t>(e));
    }
    out.push_back(proto::encode(env));
  }
  return out;
}

}  // namespace esper::bench
