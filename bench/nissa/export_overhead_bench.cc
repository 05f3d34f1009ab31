// What Nissa's exporters cost its ingest when their remotes are down: the ingest loop (decode +
// aggregate, under the state lock, as Nissa runs it, every point handed to the export stage's
// MLflow tap) beside the export stage (collection a slice at a time under the same lock, encoding,
// buffering, retrying) with every exporter on (remote-write, OTLP, MLflow), whose remotes refuse
// every connection. Every point has a step, so every one is MLflow's to send: the worst case.
// Phases with exporters off and on alternate; the medians are compared. Also prints how far the
// exporters' memory grew: their buffers bound it.
//
//   export_overhead_bench            100k series, 3 rounds of 5 s phases
//   export_overhead_bench --smoke    a short run, for CI to know it still works
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "bench/nissa/synthetic_envelopes.h"
#include "nissa/export/export_stage.h"
#include "nissa/store/envelope_walk.h"
#include "nissa/store/metric_aggregator.h"
#include "proto/envelope_slot.h"

namespace {

using namespace esper;
using Clock = std::chrono::steady_clock;

// A loopback URL where nothing listens: every export attempt is refused.
std::string refused_url() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/write";
}

struct Nissa {
  std::mutex mu;  // Observer's state lock.
  nissa::MetricAggregator aggregator{nissa::AggregatorOptions{.stats = {}, .rollups = {}, .max_series_per_metric = 1'000'000}};
};

double thread_cpu_s() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Ingests `messages` round and round for `seconds`, locking per envelope, each point also offered
// to `stage` when there is one, as Nissa's observer does; returns points/s, and in *cpu_rate points
// per second of the ingest thread's own CPU time (what a busy machine does not blur).
double ingest_for(Nissa& n, const std::vector<proto::WireMessage>& messages, double seconds,
                  nissa::ExportStage* stage = nullptr, double* cpu_rate = nullptr) {
  proto::EnvelopeSlot slot;
  std::uint64_t points = 0;
  const double cpu_start = thread_cpu_s();
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::size_t i = 0;
  while (Clock::now() < end) {
    for (int k = 0; k < 64; ++k, ++i) {
      const auto& m = messages[i % messages.size()];
      proto::Decoded d = proto::decode(m.topic, m.envelope, {}, &slot);
      const proto::Envelope& envelope = d.envelope();
      std::lock_guard lock(n.mu);
      nissa::walk_envelope(
          envelope,
          [&](const proto::MetricPoint& p, std::int64_t time_ms) {
            nissa::Series* series = nullptr;
            if (n.aggregator.add(envelope.source(), p, time_ms, &series) == nissa::MetricAggregator::AddResult::kAdded) {
              ++points;
            }
            if (stage != nullptr && series != nullptr) stage->point(envelope.source(), p, time_ms, series->export_tag);
          },
          [](const proto::TelemetryEvent&, std::int64_t) {});
    }
  }
  if (cpu_rate != nullptr) *cpu_rate = static_cast<double>(points) / (thread_cpu_s() - cpu_start);
  return static_cast<double>(points) / std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const int series = smoke ? 10'000 : 100'000;
  const int rounds = smoke ? 1 : 3;
  const double phase_s = smoke ? 1.0 : 5.0;

  Nissa n;
  const auto messages = esper::bench::make_envelopes(series / 100 * 2, 100, series, /*steps=*/true);
  ingest_for(n, messages, smoke ? 0.5 : 2.0);  // Every series exists before anything is timed.

  nissa::ExportConfig config;
  config.interval = std::chrono::seconds(1);  // 15 times as often as the default: the worst case.
  config.remote_write = nissa::RemoteWriteExport{};
  config.remote_write->exporter.name = "remote_write";
  config.remote_write->exporter.url = refused_url();
  config.remote_write->exporter.buffer_bytes = 16u << 20;
  config.remote_write->encoding.external_labels = {{"host", "bench"}};
  config.otlp = nissa::OtlpExport{};
  config.otlp->exporter.name = "otlp";
  config.otlp->exporter.url = refused_url();
  config.otlp->exporter.buffer_bytes = 16u << 20;
  config.mlflow = nissa::MlflowOptions{};
  config.mlflow->url = refused_url();
  auto reader = [&](std::size_t begin, std::size_t max, std::vector<nissa::SeriesSample>& out) {
    std::lock_guard lock(n.mu);
    return nissa::sample_series_range(n.aggregator, begin, max, out);
  };

  std::vector<double> off, on, off_cpu, on_cpu, rss_off, rss_on;
  std::vector<nissa::ExporterStats> stats;
  for (int r = 0; r < rounds; ++r) {
    off.push_back(ingest_for(n, messages, phase_s, nullptr, &off_cpu.emplace_back()));
    rss_off.push_back(esper::bench::rss_mib());
    nissa::ExportStage stage(config, reader);
    on.push_back(ingest_for(n, messages, phase_s, &stage, &on_cpu.emplace_back()));
    rss_on.push_back(esper::bench::rss_mib());
    stats = stage.stats();
  }
  const double off_m = median(off), on_m = median(on);
  std::printf("nissa ingest with exporters off:                      %.2f M points/s (median of %d %.0f s phases, %d series)\n",
              off_m / 1e6, rounds, phase_s, series);
  std::printf("nissa ingest, remote-write, OTLP, MLflow on, down:    %.2f M points/s (%.1f%% of off; collection every 1 s)\n",
              on_m / 1e6, 100 * on_m / off_m);
  std::printf("  per second of the ingest thread's CPU: off %.2f M, on %.2f M points (%.1f%%)\n", median(off_cpu) / 1e6,
              median(on_cpu) / 1e6, 100 * median(on_cpu) / median(off_cpu));
  for (const auto& s : stats) {
    std::uint64_t dropped = 0;
    for (const auto& [reason, count] : s.dropped) dropped += count;
    std::printf("  %s: %llu samples dropped (%llu shed, buffer full), %llu retries, %.1f MiB buffered\n", s.name.c_str(),
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(s.dropped.at("buffer_full")),
                static_cast<unsigned long long>(s.retries), static_cast<double>(s.buffered_bytes) / (1 << 20));
  }
  std::printf("  resident memory at the end of each phase, off/on (MiB):");
  for (std::size_t r = 0; r < rss_on.size(); ++r) std::printf(" %.0f/%.0f", rss_off[r], rss_on[r]);
  std::printf("\n");
  return 0;
}
