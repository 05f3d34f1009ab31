// Nissa's ingest path on one core: decode (the envelope codec) + aggregate (MetricAggregator), in
// metric points per second; and resident memory per 100k series. Prints its figures; not a test.
//
//   nissa_ingest_bench            full run
//   nissa_ingest_bench --smoke    a short run, for CI to know it still works
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench/nissa/synthetic_envelopes.h"
#include "nissa/store/aggregates_checkpoint.h"
#include "nissa/store/metric_aggregator.h"
#include "proto/envelope_codec.h"
#include "proto/envelope_slot.h"

using namespace esper;
using esper::bench::make_envelopes;
using esper::bench::rss_mib;

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const int envelopes = smoke ? 200 : 20'000;
  const int points_per_packet = 100;
  const int passes = smoke ? 1 : 5;

  // 1. Throughput: decode + aggregate, 1,000 series, 100 points per envelope.
  const auto messages = make_envelopes(envelopes, points_per_packet, 1000);
  nissa::MetricAggregator aggregator;
  std::uint64_t points = 0;
  const auto start = std::chrono::steady_clock::now();
  proto::EnvelopeSlot slot;  // As Nissa's ingest loop: each envelope decoded into the last one's storage.
  for (int pass = 0; pass < passes; ++pass) {
    for (const auto& m : messages) {
      {
        proto::Decoded d = proto::decode(m.topic, m.envelope, {}, &slot);
        if (!d.ok()) {
          std::fprintf(stderr, "decode failed: %s\n", d.detail().c_str());
          return 1;
        }
        points += aggregator.ingest(d.envelope());
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("nissa ingest (decode + aggregate, one core): %.2f M points/s (%llu points, %d per envelope, %zu series, %.2f s)\n",
              static_cast<double>(points) / seconds / 1e6, static_cast<unsigned long long>(points),
              points_per_packet, aggregator.series_count(), seconds);

  // 2. Memory: 100k series (12.5k seeds x 8 metrics), 10 points each.
  const int series = smoke ? 10'000 : 100'000;
  const double before = rss_mib();
  {
    nissa::MetricAggregator big(nissa::AggregatorOptions{.stats = {}, .rollups = {}, .max_series_per_metric = 1'000'000});
    const auto batch = make_envelopes(series * 10 / points_per_packet, points_per_packet, series);
    const double with_envelopes = rss_mib();
    for (const auto& m : batch) big.ingest(proto::decode(m.topic, m.envelope).envelope());
    const double after = rss_mib();
    std::printf("nissa memory: %zu series -> %.1f MiB RSS for the aggregator (%.0f bytes/series; %.1f MiB per 100k series)\n",
                big.series_count(), after - with_envelopes,
                (after - with_envelopes) * (1 << 20) / static_cast<double>(big.series_count()),
                (after - with_envelopes) * 100'000 / static_cast<double>(big.series_count()));
    (void)before;
    // 3. The aggregates checkpoint: serialized under Nissa's state lock, so ingest (and the HTTP
    // readers) wait this long at every checkpoint_interval.
    // Captured 1,000 series per lock hold, as Nissa does: the longest hold is what ingest waits.
    using Ms = std::chrono::duration<double, std::milli>;
    const auto capture_start = std::chrono::steady_clock::now();
    nissa::AggregatesSnapshot snapshot;
    double longest_hold_ms = 0;
    for (std::size_t done = 0; done < big.series_count();) {
      const auto hold_start = std::chrono::steady_clock::now();
      const std::size_t end = std::min(big.series_count(), done + 1000);
      snapshot.capture(big, done, end);
      done = end;
      longest_hold_ms = std::max(longest_hold_ms, Ms(std::chrono::steady_clock::now() - hold_start).count());
    }
    const auto serialize_start = std::chrono::steady_clock::now();
    const std::string bytes = snapshot.serialize();
    const auto end = std::chrono::steady_clock::now();
    std::printf("nissa checkpoint: %zu series captured in %.1f ms, at most %.2f ms per lock hold "
                "(1,000 series), serialized in %.1f ms unlocked, %.1f MiB\n",
                big.series_count(), Ms(serialize_start - capture_start).count(), longest_hold_ms,
                Ms(end - serialize_start).count(), static_cast<double>(bytes.size()) / (1 << 20));
  }
  return 0;
}
