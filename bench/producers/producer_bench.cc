// What a producer pays for telemetry and what a flush costs:
//   BM_Record         record() of one metric point into the buffer (the caller's hot path), with 1
//                     and 2 recording threads;
//   BM_RecordView     the same through record(MetricPointView), which builds no MetricPoint;
//   BM_DrainToBus     drain() of a full buffer through the real bus publisher (points/s);
//   BM_FlushRoundTrip Weatherlight's FLUSH to the FLUSHED reply through a real control socket and
//                     the service runtime, with 1,000 points recorded before each flush.
// Oona is stood in for by PULL sockets bound by the benchmark, which read and discard.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <benchmark/benchmark.h>
#include <zmq.hpp>

#include "esper/control.pb.h"
#include "oona/bus_endpoints.h"
#include "producers/bus_envelope_sink.h"
#include "producers/service_runtime.h"
#include "producers/telemetry_buffer.h"
#include "proto/metric_point.h"

namespace {

using namespace esper;

class NullSink : public producers::EnvelopeSink {
 public:
  bool publish(proto::Envelope) override { return true; }
  bool publish_telemetry(std::string_view, proto::Severity) override { return true; }
};

// Binds Oona's two ingress endpoints under a temp dir and discards what arrives.
class FakeOonaIngress {
 public:
  FakeOonaIngress()
      : dir_(std::filesystem::temp_directory_path() / ("esper-bench-" + std::to_string(::getpid()))),
        endpoints_((std::filesystem::create_directories(dir_), oona::endpoints_under(dir_))) {
    thread_ = std::thread([this] {
      zmq::socket_t normal(context_, zmq::socket_type::pull), emergency(context_, zmq::socket_type::pull);
      normal.bind(endpoints_.normal_ingress);
      emergency.bind(endpoints_.emergency_ingress);
      bound_ = true;
      zmq::pollitem_t items[] = {{normal.handle(), 0, ZMQ_POLLIN, 0}, {emergency.handle(), 0, ZMQ_POLLIN, 0}};
      while (!stop_) {
        zmq::poll(items, 2, std::chrono::milliseconds(20));
        zmq::message_t m;
        while (normal.recv(m, zmq::recv_flags::dontwait)) received_++;
        while (emergency.recv(m, zmq::recv_flags::dontwait)) received_++;
      }
    });
    while (!bound_) std::this_thread::yield();
  }
  ~FakeOonaIngress() {
    stop_ = true;
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  const oona::BusEndpoints& endpoints() const { return endpoints_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  oona::BusEndpoints endpoints_;
  zmq::context_t context_{1};
  std::atomic<bool> bound_{false}, stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

void BM_Record(benchmark::State& state) {
  static NullSink sink;
  static producers::TelemetryBuffer* buffer = nullptr;
  if (state.thread_index() == 0) buffer = new producers::TelemetryBuffer({.source = "bench", .capacity = 100'000}, sink);
  const auto point = proto::make_point("tolaria.loss", 0.5, "loss");
  for (auto _ : state) buffer->record(point);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["dropped"] = static_cast<double>(buffer->dropped_total());
    delete buffer;
  }
}
BENCHMARK(BM_Record)->Threads(1)->Threads(2)->UseRealTime();

void BM_RecordView(benchmark::State& state) {
  static NullSink sink;
  static producers::TelemetryBuffer* buffer = nullptr;
  if (state.thread_index() == 0) buffer = new producers::TelemetryBuffer({.source = "bench", .capacity = 100'000}, sink);
  for (auto _ : state) buffer->record(proto::MetricPointView{.name = "tolaria.loss", .value = 0.5, .unit = "loss"});
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["dropped"] = static_cast<double>(buffer->dropped_total());
    delete buffer;
  }
}
BENCHMARK(BM_RecordView)->Threads(1)->Threads(2)->UseRealTime();

void BM_DrainToBus(benchmark::State& state) {
  FakeOonaIngress oona;
  oona::BusPublisherOptions bus_options;
  bus_options.endpoints = oona.endpoints();
  bus_options.source = "bench";
  oona::BusPublisher bus(bus_options);
  producers::BusEnvelopeSink sink(bus);
  producers::TelemetryBuffer buffer({.source = "bench", .capacity = 100'000}, sink);
  const auto point = proto::make_point("tolaria.loss", 0.5, "loss", proto::METRIC_KIND_GAUGE, {{"seed_id", "s1"}});
  std::uint64_t points = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 10'000; ++i) buffer.record(point);
    state.ResumeTiming();
    points += buffer.drain().points;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(points));
}
BENCHMARK(BM_DrainToBus)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FlushRoundTrip(benchmark::State& state) {
  FakeOonaIngress oona;
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  const std::string control = "ipc://" + (oona.dir() / "control.sock").string();
  router.bind(control);
  producers::ServiceRuntimeOptions options;
  options.service = "bench";
  options.bus.endpoints = oona.endpoints();
  options.control_endpoint = control;
  options.control_silence = std::chrono::hours(1);
  producers::ServiceRuntime runtime(options);
  zmq::message_t identity, body;
  (void)router.recv(identity);  // HELLO
  (void)router.recv(body);
  const auto point = proto::make_point("tolaria.loss", 0.5, "loss");
  std::uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 1000; ++i) runtime.buffer().record(point);
    proto::Control flush;
    flush.mutable_flush()->set_seq(++seq);
    const std::string bytes = flush.SerializeAsString();
    state.ResumeTiming();
    router.send(zmq::buffer(identity.to_string()), zmq::send_flags::sndmore);
    router.send(zmq::buffer(bytes));
    zmq::message_t from, reply;
    (void)router.recv(from);
    (void)router.recv(reply);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_FlushRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
