// Nissa's exporters: what one core spends encoding a collection, in series per second of CPU time
// on the encoding thread, for Prometheus remote-write and OTLP/HTTP (protobuf and JSON); then the
// same collection end to end through an Exporter into a receiver on loopback that answers 200 and
// decodes nothing (wall time, the receiver sharing the machine). Prints its figures; not a test.
//
// A series is one SeriesSample, what Nissa collects per series each interval: remote-write sends
// it as 1 sample (6 for a histogram: 4 quantiles, _sum, _count), OTLP as 1 data point.
//
// MLflow sends every stepped point rather than a snapshot: its figures are points per second, the
// log-batch JSON encoding on one core, and points through an MlflowExporter into a loopback
// receiver (runs/create and runs/log-batch answered at once).
//
//   nissa_export_bench            full run, 100k series
//   nissa_export_bench --smoke    a short run, for CI to know it still works
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "nissa/export/exporter.h"
#include "nissa/export/mlflow/mlflow_exporter.h"
#include "nissa/export/mlflow/mlflow_requests.h"
#include "nissa/export/otlp_encoder.h"
#include "nissa/export/remote_write_encoder.h"

namespace {

using namespace esper;
using namespace esper::nissa;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// `count` series from 10 producers, 8 metric names, a seed_id attribute (and a gpu one on half):
// one name in 8 a histogram with its quantiles, one a counter, the rest gauges.
std::vector<SeriesSample> make_series(int count) {
  const char* names[] = {"kasmina.seed.alpha", "kasmina.seed.stage", "kasmina.seed.last_kernel_latency_ms",
                         "loss", "gradient_norm", "samples_per_s", "ttft_ms", "tokens_generated_total"};
  std::vector<SeriesSample> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    SeriesSample s;
    const int name = i % 8;
    s.key.source = "producer-" + std::to_string(i % 10);
    s.key.name = names[name];
    s.key.attributes.emplace_back("seed_id", "seed-" + std::to_string(i / 80));
    if (i % 2 == 0) s.key.attributes.emplace_back("zgpu", std::to_string(i % 4));
    s.kind = name == 6 ? proto::METRIC_KIND_HISTOGRAM : name == 7 ? proto::METRIC_KIND_COUNTER : proto::METRIC_KIND_GAUGE;
    s.unit = name == 6 || name == 2 ? "ms" : "ratio";
    s.last = i * 0.001;
    s.count = 1000 + static_cast<std::uint64_t>(i);
    s.sum = i * 3.5;
    s.last_time_ms = 1'700'000'000'000;
    if (name == 6) {
      s.has_quantiles = true;
      s.quantiles = {1.5, 4.5, 6.0, 9.25};
    }
    out.push_back(std::move(s));
  }
  return out;
}

struct Protocol {
  const char* label;
  std::string path;
  std::function<std::unique_ptr<ExportEncoder>()> make;
};

void encode_on_one_core(const Protocol& p, const std::vector<SeriesSample>& series, bool smoke) {
  auto encoder = p.make();
  std::vector<ExportBatch> out;
  encoder->encode(series, 1'700'000'015'000, out);  // Warm-up.
  std::size_t bytes = 0, points = 0;
  for (const auto& b : out) {
    bytes += b.body.size();
    points += b.samples;
  }
  int passes = 0;
  const double started = thread_cpu_seconds();
  double cpu = 0;
  do {
    out.clear();
    encoder->encode(series, 1'700'000'015'000 + passes, out);
    ++passes;
    cpu = thread_cpu_seconds() - started;
  } while (!smoke && cpu < 2.0);
  const double per_s = static_cast<double>(series.size()) * passes / cpu;
  std::printf("export encode %-16s %6.2f M series/s per core (%zu series -> %zu %s in %zu requests, %.0f bytes/series, "
              "%d passes, %.2f s CPU)\n",
              p.label, per_s / 1e6, series.size(), points, points == series.size() ? "points" : "samples", out.size(),
              static_cast<double>(bytes) / static_cast<double>(series.size()), passes, cpu);
}

void end_to_end(const Protocol& p, const std::vector<SeriesSample>& series, int collections) {
  httplib::Server server;
  server.Post(p.path, [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  ExporterOptions o;
  o.name = "bench";
  o.url = "http://127.0.0.1:" + std::to_string(port) + p.path;
  o.buffer_bytes = std::size_t{4} << 30;  // Nothing shed: the figure is throughput.
  // Every collection counts the same number of protocol samples: wait for them all.
  std::uint64_t per_collection = 0;
  {
    std::vector<ExportBatch> probe;
    p.make()->encode(series, 0, probe);
    for (const auto& b : probe) per_collection += b.samples;
  }
  const std::uint64_t expected = per_collection * static_cast<std::uint64_t>(collections);
  {
    Exporter exporter(o, p.make());
    const auto started = std::chrono::steady_clock::now();
    for (int c = 0; c < collections; ++c) exporter.offer(series, 1'700'000'015'000 + c);
    while (exporter.stats().samples_sent < expected) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("export end-to-end %-14s %6.2f M series/s wall (%d collections of %zu series into a loopback receiver, "
                "%.2f s)\n",
                p.label, static_cast<double>(series.size()) * collections / wall / 1e6, collections, series.size(), wall);
  }
  server.stop();
  listener.join();
}

// `count` stepped points of 10 runs, 8 keys each.
std::vector<MlflowMetric> make_mlflow_metrics(int count) {
  std::vector<MlflowMetric> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({"producer-" + std::to_string(i % 10), "trainer/loss/seed_id_seed-" + std::to_string(i % 8),
                   i * 0.001, 1'700'000'000'000 + i, i / 80});
  }
  return out;
}

void mlflow_encode_on_one_core(const std::vector<MlflowMetric>& metrics, bool smoke) {
  std::size_t bodies = 0, bytes = 0;
  int passes = 0;
  const double started = thread_cpu_seconds();
  double cpu = 0;
  do {
    for (const auto& b : log_batch_bodies("0123456789abcdef0123456789abcdef", metrics, kMlflowMaxMetricsPerRequest)) {
      ++bodies;
      bytes += b.json.size();
    }
    ++passes;
    cpu = thread_cpu_seconds() - started;
  } while (!smoke && cpu < 2.0);
  std::printf("export encode %-16s %6.2f M points/s per core (%zu points -> %zu log-batch requests, %.0f bytes/point, "
              "%d passes, %.2f s CPU)\n",
              "mlflow-json", static_cast<double>(metrics.size()) * passes / cpu / 1e6, metrics.size(),
              bodies / static_cast<std::size_t>(passes), static_cast<double>(bytes) / static_cast<double>(metrics.size() * passes),
              passes, cpu);
}

void mlflow_end_to_end(int points) {
  httplib::Server server;
  server.Post("/api/2.0/mlflow/runs/create", [](const httplib::Request&, httplib::Response& res) {
    static std::atomic<int> runs{0};
    res.set_content("{\"run\":{\"info\":{\"run_id\":\"run" + std::to_string(++runs) + "\"}}}", "application/json");
  });
  server.Post("/api/2.0/mlflow/runs/log-batch", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();
  {
    MlflowOptions o;
    o.url = "http://127.0.0.1:" + std::to_string(port);
    o.buffer_points = static_cast<std::size_t>(points);  // Nothing shed: the figure is throughput.
    MlflowExporter exporter(o);
    std::vector<std::uint64_t> tags(80, 0);  // 10 sources x 8 series, as the aggregator keeps them.
    proto::MetricPoint p;
    p.set_name("loss");
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < points; ++i) {
      const int series = i % 80;
      (*p.mutable_attributes())["seed_id"] = "seed-" + std::to_string(series % 8);
      p.set_value(i * 0.001);
      p.set_step(static_cast<std::uint64_t>(i / 80));
      exporter.offer("producer-" + std::to_string(series / 8), p, 1'700'000'000'000 + i, tags[static_cast<std::size_t>(series)]);
    }
    while (exporter.stats().samples_sent < static_cast<std::uint64_t>(points)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("export end-to-end %-14s %6.2f M points/s wall (%d points of 80 series, 10 runs, into a loopback receiver, "
                "%.2f s)\n",
                "mlflow", points / wall / 1e6, points, wall);
  }
  server.stop();
  listener.join();
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const auto series = make_series(smoke ? 2'000 : 100'000);
  const std::vector<Protocol> protocols{
      {"remote-write", "/api/v1/write", [] { return std::make_unique<RemoteWriteEncoder>(RemoteWriteOptions{}); }},
      {"otlp-protobuf", "/v1/metrics",
       [] {
         OtlpOptions o;
         o.encoding = OtlpEncoding::kProtobuf;
         return std::make_unique<OtlpEncoder>(o, 1'700'000'000'000);
       }},
      {"otlp-json", "/v1/metrics",
       [] {
         OtlpOptions o;
         o.encoding = OtlpEncoding::kJson;
         return std::make_unique<OtlpEncoder>(o, 1'700'000'000'000);
       }},
  };
  for (const auto& p : protocols) encode_on_one_core(p, series, smoke);
  mlflow_encode_on_one_core(make_mlflow_metrics(smoke ? 2'000 : 100'000), smoke);
  for (const auto& p : protocols) end_to_end(p, series, smoke ? 1 : 5);
  mlflow_end_to_end(smoke ? 2'000 : 500'000);
  return 0;
}
