// oona_bench: what Oona costs compared with a bare ZeroMQ forwarder, and how fast the emergency
// lane is while the normal lane is saturated. Prints:
//   1. envelopes/s and metric points/s, one producer -> broker -> one subscriber, through Oona;
//   2. the same workload through a bare zmq_proxy (PULL -> PUB with XPUB_NODROP, lossless like
//      Oona) over the same transport (ipc:// in a temp dir), and the ratio Oona / proxy;
//   3. emergency send-to-receive latency p50/p99 through Oona while a producer floods the normal
//      lane faster than the subscriber reads; with an idle normal lane; and, for reference, with a
//      subscriber that reads both lanes from one default-priority thread.
// Broker and proxy run in-process on their own threads; producer and subscriber are the real bus
// client (BusPublisher / BusSubscriber, which encode and decode every envelope).
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "oona/broker.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "oona/emergency_scheduling.h"
#include "proto/envelope_codec.h"

namespace {

using namespace esper;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

leyline::Envelope workload_envelope(int points) {
  leyline::Envelope e;
  e.set_severity(leyline::SEVERITY_INFO);
  auto* packet = e.mutable_telemetry();
  packet->set_packet_id("bench");
  packet->set_source_subsystem("bench");
  for (int i = 0; i < points; ++i) {
    auto* p = packet->add_metrics();
    p->set_name("bench.metric_" + std::to_string(i));
    p->set_value(i * 1.5);
    p->set_unit("ms");
    p->set_kind(leyline::METRIC_KIND_GAUGE);
    (*p->mutable_attributes())["seed_id"] = "s3";
  }
  return e;
}

oona::BusPublisherOptions publisher_options(const oona::BusEndpoints& endpoints, const char* source) {
  oona::BusPublisherOptions options;
  options.endpoints = endpoints;
  options.source = source;
  options.send_timeout = 5s;
  return options;
}

// Sends probes on `lane` until the subscriber sees one there (its subscription is in place), then
// reads what else was there.
void connect(const oona::BusEndpoints& endpoints, oona::BusSubscriber& subscriber,
             wire::Lane lane = wire::Lane::kNormal) {
  oona::BusPublisher probe(publisher_options(endpoints, "probe"));
  leyline::Envelope e;
  if (lane == wire::Lane::kEmergency) {
    e.set_severity(leyline::SEVERITY_HIGH);
    e.mutable_event();
  } else {
    e.set_severity(leyline::SEVERITY_DEBUG);
    e.mutable_telemetry();
  }
  while (true) {
    probe.publish(e);
    auto m = subscriber.receive_from(lane, 20ms);
    if (m && m->envelope.source() == "probe") break;
  }
  while (subscriber.receive_from(lane, 50ms)) {
  }
}

// One producer publishes `count` envelopes; one subscriber receives them. Returns envelopes/s.
double throughput(const oona::BusEndpoints& endpoints, int count, int points) {
  oona::BusSubscriberOptions sub_options;
  sub_options.endpoints = endpoints;
  sub_options.emergency = false;
  oona::BusSubscriber subscriber(sub_options);
  connect(endpoints, subscriber);
  const leyline::Envelope envelope = workload_envelope(points);
  const auto start = Clock::now();
  std::thread producer([&] {
    oona::BusPublisher publisher(publisher_options(endpoints, "bench"));
    for (int i = 0; i < count; ++i) {
      if (!publisher.publish(envelope)) std::fprintf(stderr, "publish timed out\n");
    }
  });
  int received = 0;
  while (received < count) {
    auto m = subscriber.receive(5s);
    if (!m) {
      std::fprintf(stderr, "stalled at %d of %d\n", received, count);
      break;
    }
    if (m->envelope.source() == "bench") ++received;
  }
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  producer.join();
  return received / elapsed.count();
}

// A bare forwarder: PULL -> PUB (lossless, XPUB_NODROP), run by zmq_proxy_steerable.
class BareProxy {
 public:
  explicit BareProxy(const std::filesystem::path& dir)
      : frontend_(context_, zmq::socket_type::pull), backend_(context_, zmq::socket_type::pub),
        control_(context_, zmq::socket_type::pair) {
    endpoints_ = oona::endpoints_under(dir / "proxy");
    std::filesystem::create_directories(dir / "proxy");
    backend_.set(zmq::sockopt::xpub_nodrop, 1);
    backend_.set(zmq::sockopt::sndhwm, 10000);
    frontend_.bind(endpoints_.normal_ingress);
    backend_.bind(endpoints_.normal_egress);
    control_.bind("inproc://proxy-control");
    thread_ = std::thread([this] {
      zmq::socket_t control(context_, zmq::socket_type::pair);
      control.connect("inproc://proxy-control");
      zmq::proxy_steerable(frontend_, backend_, zmq::socket_ref(), control);
    });
  }
  ~BareProxy() {
    control_.send(zmq::str_buffer("TERMINATE"));
    thread_.join();
  }
  const oona::BusEndpoints& endpoints() const { return endpoints_; }

 private:
  zmq::context_t context_;
  zmq::socket_t frontend_, backend_, control_;
  oona::BusEndpoints endpoints_;
  std::thread thread_;
};

// Oona in-process, stopped through an eventfd.
class InProcessOona {
 public:
  explicit InProcessOona(const std::filesystem::path& dir) : stop_fd_(eventfd(0, EFD_NONBLOCK)) {
    oona::BrokerConfig config;
    config.runtime_dir = dir / "oona";
    config.endpoints = oona::endpoints_under(config.runtime_dir);
    broker_ = std::make_unique<oona::Broker>(config);
    thread_ = std::thread([this] { broker_->run(stop_fd_, [] { return true; }); });
  }
  ~InProcessOona() {
    const std::uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
    close(stop_fd_);
  }
  const oona::BusEndpoints& endpoints() const { return broker_->config().endpoints; }
  bool emergency_realtime() const { return broker_->emergency_scheduling().realtime(); }

 private:
  int stop_fd_;
  std::unique_ptr<oona::Broker> broker_;
  std::thread thread_;
};

struct Latency {
  double p50_us = 0, p99_us = 0, max_us = 0;
  std::size_t samples = 0, normal_received = 0;
  std::string reader;  // How the thread that read the emergencies was scheduled.
};

void summarize(std::vector<double> latencies_us, Latency& result) {
  std::sort(latencies_us.begin(), latencies_us.end());
  result.samples = latencies_us.size();
  if (latencies_us.empty()) return;
  result.p50_us = latencies_us[latencies_us.size() / 2];
  result.p99_us = latencies_us[std::min(latencies_us.size() - 1, latencies_us.size() * 99 / 100)];
  result.max_us = latencies_us.back();
}

double latency_us(const leyline::Envelope& envelope) {
  return static_cast<double>(wire::now_unix_ns() - envelope.sent_unix_ns()) / 1000.0;
}

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
Latency emergency_latency(const oona::BusEndpoints& endpoints, int emergencies, int points,
                          Reader reader, bool flood_on = true) {
  oona::BusSubscriberOptions sub_options;
  sub_options.endpoints = endpoints;
  sub_options.emergency = reader == Reader::kShared;
  oona::BusSubscriber subscriber(sub_options);
  connect(endpoints, subscriber);

  Latency result;
  std::vector<double> latencies_us;
  std::atomic<bool> done{false};
  std::promise<void> emergency_ready;
  std::thread emergency_reader;
  if (reader == Reader::kDedicated) {
    emergency_reader = std::thread([&] {
      result.reader = oona::enter_emergency_scheduling({}).describe();
      oona::BusSubscriberOptions options;
      options.endpoints = endpoints;
      options.normal = false;
      oona::BusSubscriber emergency(options);
      connect(endpoints, emergency, wire::Lane::kEmergency);
      emergency_ready.set_value();
      while (static_cast<int>(latencies_us.size()) < emergencies) {
        auto m = emergency.receive_from(wire::Lane::kEmergency, 5s);
        if (!m) break;
        if (m->envelope.source() == "alarm") latencies_us.push_back(latency_us(m->envelope));
      }
      done = true;
    });
    emergency_ready.get_future().wait();
  } else {
    result.reader = "the default-class thread that also reads the normal lane";
    connect(endpoints, subscriber, wire::Lane::kEmergency);
  }

  const leyline::Envelope flood = workload_envelope(points);
  std::thread flooder([&] {
    oona::BusPublisher publisher(publisher_options(endpoints, "flood"));
    while (flood_on && !done.load(std::memory_order_relaxed)) publisher.publish(flood);
  });
  std::thread alarm([&] {
    oona::BusPublisher publisher(publisher_options(endpoints, "alarm"));
    leyline::Envelope e;
    e.set_severity(leyline::SEVERITY_CRITICAL);
    e.mutable_event()->set_description("bench");
    std::this_thread::sleep_for(200ms);  // Let the flood saturate the normal lane first.
    for (int i = 0; i < emergencies && !done.load(std::memory_order_relaxed); ++i) {
      publisher.publish(e);
      std::this_thread::sleep_for(1ms);
    }
  });

  if (reader == Reader::kDedicated) {
    while (!done.load(std::memory_order_relaxed)) {
      auto m = subscriber.receive_from(wire::Lane::kNormal, 100ms);
      if (m && m->envelope.source() == "flood") ++result.normal_received;
    }
    emergency_reader.join();
  } else {
    while (static_cast<int>(latencies_us.size()) < emergencies) {
      auto m = subscriber.receive(5s);
      if (!m) break;
      if (m->envelope.source() == "alarm") {
        latencies_us.push_back(latency_us(m->envelope));
      } else if (m->envelope.source() == "flood") {
        ++result.normal_received;
      }
    }
    done = true;
  }
  alarm.join();
  flooder.join();
  summarize(std::move(latencies_us), result);
  return result;
}

void print_latency(const char* what, const Latency& l) {
  std::printf("%s: p50 %.0f us, p99 %.0f us, max %.0f us (%zu samples, %zu normal envelopes received "
              "meanwhile; emergency reader: %s)\n",
              what, l.p50_us, l.p99_us, l.max_us, l.samples, l.normal_received,
              l.reader.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oona_bench: Oona throughput vs a bare zmq_proxy, and emergency latency"};
  int envelopes = 200000;
  int points = 10;
  int emergencies = 2000;
  bool smoke = false;
  app.add_option("--envelopes", envelopes, "Envelopes per throughput run");
  app.add_option("--points", points, "Metric points per envelope");
  app.add_option("--emergencies", emergencies, "Emergency envelopes timed in each latency run");
  app.add_flag("--smoke", smoke, "A very short run, to check the benchmark still works");
  CLI11_PARSE(app, argc, argv);
  if (smoke) {
    envelopes = 2000;
    emergencies = 50;
  }
  char dir_template[] = "/tmp/oona-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);

  std::printf("workload: %d envelopes of %d metric points, 1 producer, 1 subscriber, ipc://\n",
              envelopes, points);
  double proxy_rate = 0;
  {
    BareProxy proxy(dir);
    proxy_rate = throughput(proxy.endpoints(), envelopes, points);
  }
  double oona_rate = 0;
  Latency saturated, idle, shared;
  bool oona_realtime = false;
  {
    InProcessOona broker(dir);
    oona_realtime = broker.emergency_realtime();
    oona_rate = throughput(broker.endpoints(), envelopes, points);
    idle = emergency_latency(broker.endpoints(), emergencies, points, Reader::kDedicated, false);
    saturated = emergency_latency(broker.endpoints(), emergencies, points, Reader::kDedicated);
    shared = emergency_latency(broker.endpoints(), emergencies, points, Reader::kShared);
  }
  std::printf("oona:       %10.0f envelopes/s  %12.0f metric points/s\n", oona_rate, oona_rate * points);
  std::printf("zmq_proxy:  %10.0f envelopes/s  %12.0f metric points/s\n", proxy_rate, proxy_rate * points);
  std::printf("ratio oona/zmq_proxy: %.2f (target >= 0.6)\n", oona_rate / proxy_rate);
  std::printf("emergency send-to-receive latency, %d emergencies 1 ms apart (target p99 < 1000 us "
              "with the normal lane saturated; Oona's emergency lane %s):\n",
              emergencies, oona_realtime ? "real-time" : "NOT real-time: see its warning above");
  print_latency("  normal lane saturated", saturated);
  print_latency("  normal lane idle     ", idle);
  print_latency("  normal lane saturated, one reader thread for both lanes (reference)", shared);
  std::filesystem::remove_all(dir);
  const bool complete = saturated.samples == static_cast<std::size_t>(emergencies) &&
                        idle.samples == static_cast<std::size_t>(emergencies) &&
                        shared.samples == static_cast<std::size_t>(emergencies);
  return complete ? 0 : 1;
}
