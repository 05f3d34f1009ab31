// oona_bench: what Oona costs compared with a bare ZeroMQ forwarder, and how fast the emergency
// lane is while the normal lane is saturated. Prints:
//   1. envelopes/s and metric points/s, one producer -> broker -> one subscriber, through Oona;
//   2. the same workload through a bare zmq_proxy (PULL -> PUB with XPUB_NODROP, lossless like
//      Oona) over the same transport (ipc:// in a temp dir), and the ratio Oona / proxy;
//   2b. fan-out: the same with 1, 4 and 16 subscribers (envelopes/s each subscriber receives), and
//      with one reading subscriber beside one stuck one (it subscribes to everything and never
//      reads), through Oona and through the bare XPUB, where the stuck one stalls everyone;
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
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <sodium.h>
#include <zmq.hpp>

#include "oona/broker.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "oona/egress_protocol.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_signer.h"
#include "proto/envelope_codec.h"

namespace {

using namespace esper;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// With --signed: the HMAC key of Oona and of every bench publisher and subscriber (what signing and
// verifying, replay check included, cost). Empty: signing off.
std::string signing_key;

proto::Envelope workload_envelope(int points) {
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_INFO);
  auto* packet = e.mutable_telemetry();
  packet->set_packet_id("bench");
  packet->set_source_subsystem("bench");
  for (int i = 0; i < points; ++i) {
    auto* p = packet->add_metrics();
    p->set_name("bench.metric_" + std::to_string(i));
    p->set_value(i * 1.5);
    p->set_unit("ms");
    p->set_kind(proto::METRIC_KIND_GAUGE);
    (*p->mutable_attributes())["seed_id"] = "s3";
  }
  return e;
}

oona::BusPublisherOptions publisher_options(const oona::BusEndpoints& endpoints, const char* source) {
  oona::BusPublisherOptions options;
  options.endpoints = endpoints;
  options.source = source;
  options.send_timeout = 5s;
  options.signing_key = signing_key;
  return options;
}

// Sends probes on `lane` until the subscriber sees one there (its subscription is in place), then
// reads what else was there.
void connect(const oona::BusEndpoints& endpoints, oona::BusSubscriber& subscriber,
             proto::Lane lane = proto::Lane::kNormal) {
  oona::BusPublisher probe(publisher_options(endpoints, "probe"));
  proto::Envelope e;
  if (lane == proto::Lane::kEmergency) {
    e.set_severity(proto::SEVERITY_HIGH);
    e.mutable_event();
  } else {
    e.set_severity(proto::SEVERITY_DEBUG);
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

// A reading subscriber of either broker: the bus client for Oona, a SUB socket (decoding every
// envelope through the same codec) for the bare XPUB, which speaks no HELLO.
class BenchReader {
 public:
  BenchReader(const oona::BusEndpoints& endpoints, bool through_oona, const std::string& name) {
    if (through_oona) {
      oona::BusSubscriberOptions options;
      options.endpoints = endpoints;
      options.emergency = false;
      options.name = name;
      options.signing_key = signing_key;
      subscriber_ = std::make_unique<oona::BusSubscriber>(options);
    } else {
      sub_ = zmq::socket_t(context_, zmq::socket_type::sub);
      sub_.set(zmq::sockopt::linger, 0);
      sub_.set(zmq::sockopt::subscribe, "");
      sub_.connect(endpoints.normal_egress);
    }
  }
  // The source of the next envelope, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    if (subscriber_) {
      auto m = subscriber_->receive(timeout);
      if (!m) return std::nullopt;
      return m->envelope.source();
    }
    std::vector<zmq::pollitem_t> items{{sub_.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, timeout) == 0) return std::nullopt;
    zmq::message_t topic, payload;
    (void)sub_.recv(topic);
    (void)sub_.recv(payload);
    auto decoded = proto::decode(topic.to_string_view(), payload.to_string_view());
    return decoded.ok() ? std::optional<std::string>(decoded.envelope().source()) : std::string();
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t sub_;
  std::unique_ptr<oona::BusSubscriber> subscriber_;
};

// Sends probes until `reader` sees one (its subscription is in place), then reads what else was there.
void connect(const oona::BusEndpoints& endpoints, BenchReader& reader) {
  oona::BusPublisher probe(publisher_options(endpoints, "probe"));
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_DEBUG);
  e.mutable_telemetry();
  while (true) {
    probe.publish(e);
    auto source = reader.receive(20ms);
    if (source && *source == "probe") break;
  }
  while (reader.receive(50ms)) {
  }
}

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
               bool stuck) {
  std::vector<std::unique_ptr<BenchReader>> readers;
  for (int i = 0; i < subscribers; ++i) {
    readers.push_back(std::make_unique<BenchReader>(endpoints, through_oona, "bench-" + std::to_string(i)));
    connect(endpoints, *readers.back());
  }
  // The stuck one: through Oona it says HELLO and grants no more credit; through the proxy it is
  // a SUB whose pipe fills. Either way it never reads.
  zmq::context_t context;
  zmq::socket_t stuck_socket(context, zmq::socket_type::dealer);
  zmq::socket_t stuck_sub(context, zmq::socket_type::sub);
  stuck_socket.set(zmq::sockopt::linger, 0);
  stuck_sub.set(zmq::sockopt::linger, 0);
  if (stuck && through_oona) {
    stuck_socket.connect(endpoints.normal_egress);
    for (const char* frame : {"esper-hello/1", "stuck", "100", "0"}) {
      stuck_socket.send(zmq::buffer(std::string_view(frame)), zmq::send_flags::sndmore);
    }
    stuck_socket.send(zmq::str_buffer(""), zmq::send_flags::none);
  } else if (stuck) {
    stuck_sub.set(zmq::sockopt::subscribe, "");
    stuck_sub.connect(endpoints.normal_egress);
  }
  if (stuck) {
    std::this_thread::sleep_for(200ms);  // Not synchronisation: a head start for its subscription.
  }
  const proto::Envelope envelope = workload_envelope(points);
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::thread producer([&] {
    oona::BusPublisherOptions options = publisher_options(endpoints, "bench");
    options.send_timeout = 100ms;
    oona::BusPublisher publisher(options);
    for (int i = 0; i < count && !stop.load(); ++i) {
      while (!publisher.publish(envelope) && !stop.load()) {
      }
    }
  });
  std::vector<std::thread> threads;
  std::vector<Delivery> deliveries(readers.size());
  for (std::size_t r = 0; r < readers.size(); ++r) {
    threads.emplace_back([&, r] {
      int received = 0;
      auto last = start;
      while (received < count) {
        auto source = readers[r]->receive(2s);
        if (!source) break;  // Nothing more is coming: shed, or stalled.
        if (*source == "bench") {
          ++received;
          last = Clock::now();
        }
      }
      const double seconds = std::chrono::duration<double>(last - start).count();
      deliveries[r] = {seconds > 0 ? received / seconds : 0, static_cast<double>(received) / count};
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  stuck_sub.close();  // Lets a proxy blocked on the stuck pipe go on.
  stuck_socket.close();
  producer.join();
  Delivery slowest = deliveries.front();
  for (const auto& d : deliveries) {
    slowest.rate = std::min(slowest.rate, d.rate);
    slowest.delivered = std::min(slowest.delivered, d.delivered);
  }
  return slowest;
}

// One producer publishes `count` envelopes; one subscriber receives them. Returns envelopes/s.
Delivery throughput(const oona::BusEndpoints& endpoints, bool through_oona, int count, int points) {
  return fan_out(endpoints, through_oona, count, points, 1, false);
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
    config.signing_key = signing_key;
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

double latency_us(const proto::Envelope& envelope) {
  return static_cast<double>(proto::now_unix_ns() - envelope.sent_unix_ns()) / 1000.0;
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
// With `stuck_emergency`, one more subscriber says HELLO on the emergency egress and never reads
// (a stopped process): the emergencies timed must not wait behind it.
Latency emergency_latency(const oona::BusEndpoints& endpoints, int emergencies, int points,
                          Reader reader, bool flood_on = true, bool stuck_emergency = false) {
  zmq::context_t stuck_context;
  zmq::socket_t stuck(stuck_context, zmq::socket_type::dealer);
  stuck.set(zmq::sockopt::linger, 0);
  if (stuck_emergency) {
    stuck.connect(endpoints.emergency_egress);
    const auto hello = oona::egress::hello_frames({"stuck-emergency", 100, 0, {""}});
    for (std::size_t i = 0; i < hello.size(); ++i) {
      stuck.send(zmq::buffer(hello[i]), i + 1 < hello.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  oona::BusSubscriberOptions sub_options;
  sub_options.endpoints = endpoints;
  sub_options.emergency = reader == Reader::kShared;
  sub_options.signing_key = signing_key;
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
      options.signing_key = signing_key;
      oona::BusSubscriber emergency(options);
      connect(endpoints, emergency, proto::Lane::kEmergency);
      emergency_ready.set_value();
      while (static_cast<int>(latencies_us.size()) < emergencies) {
        auto m = emergency.receive_from(proto::Lane::kEmergency, 5s);
        if (!m) break;
        if (m->envelope.source() == "alarm") latencies_us.push_back(latency_us(m->envelope));
      }
      done = true;
    });
    emergency_ready.get_future().wait();
  } else {
    result.reader = "the default-class thread that also reads the normal lane";
    connect(endpoints, subscriber, proto::Lane::kEmergency);
  }

  const proto::Envelope flood = workload_envelope(points);
  std::thread flooder([&] {
    oona::BusPublisher publisher(publisher_options(endpoints, "flood"));
    while (flood_on && !done.load(std::memory_order_relaxed)) publisher.publish(flood);
  });
  std::thread alarm([&] {
    oona::BusPublisher publisher(publisher_options(endpoints, "alarm"));
    proto::Envelope e;
    e.set_severity(proto::SEVERITY_CRITICAL);
    e.mutable_event()->set_description("bench");
    std::this_thread::sleep_for(200ms);  // Let the flood saturate the normal lane first.
    for (int i = 0; i < emergencies && !done.load(std::memory_order_relaxed); ++i) {
      publisher.publish(e);
      std::this_thread::sleep_for(1ms);
    }
  });

  if (reader == Reader::kDedicated) {
    while (!done.load(std::memory_order_relaxed)) {
      auto m = subscriber.receive_from(proto::Lane::kNormal, 100ms);
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
  bool sign = false;
  app.add_flag("--signed", sign, "Sign and verify every envelope (Oona, producers, subscribers), with a random key");
  CLI11_PARSE(app, argc, argv);
  if (sign) {
    signing_key.resize(oona::EnvelopeSigner::kKeyBytes);
    randombytes_buf(signing_key.data(), signing_key.size());
  }
  if (smoke) {
    envelopes = 2000;
    emergencies = 50;
  }
  char dir_template[] = "/tmp/oona-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);

  std::printf("workload: %d envelopes of %d metric points, 1 producer, 1 subscriber, ipc://\n",
              envelopes, points);
  Delivery proxy_rate;
  struct FanOut {
    const char* what;
    int subscribers;
    bool stuck;
    Delivery oona, proxy;
  };
  std::vector<FanOut> fan_outs{{"1 subscriber", 1, false, {}, {}}, {"4 subscribers", 4, false, {}, {}},
                               {"16 subscribers", 16, false, {}, {}}, {"1 subscriber + 1 stuck", 1, true, {}, {}}};
  const int fan_out_envelopes = std::max(1000, envelopes / 4);
  {
    BareProxy proxy(dir);
    proxy_rate = throughput(proxy.endpoints(), false, envelopes, points);
    for (auto& f : fan_outs) f.proxy = fan_out(proxy.endpoints(), false, fan_out_envelopes, points, f.subscribers, f.stuck);
  }
  Delivery oona_rate;
  Latency saturated, idle, shared, stuck;
  bool oona_realtime = false;
  {
    InProcessOona broker(dir);
    oona_realtime = broker.emergency_realtime();
    oona_rate = throughput(broker.endpoints(), true, envelopes, points);
    for (auto& f : fan_outs) f.oona = fan_out(broker.endpoints(), true, fan_out_envelopes, points, f.subscribers, f.stuck);
    idle = emergency_latency(broker.endpoints(), emergencies, points, Reader::kDedicated, false);
    saturated = emergency_latency(broker.endpoints(), emergencies, points, Reader::kDedicated);
    stuck = emergency_latency(broker.endpoints(), emergencies, points, Reader::kDedicated, true, true);
    shared = emergency_latency(broker.endpoints(), emergencies, points, Reader::kShared);
  }
  std::printf("oona:       %10.0f envelopes/s  %12.0f metric points/s  (%.0f%% delivered)\n", oona_rate.rate,
              oona_rate.rate * points, 100 * oona_rate.delivered);
  std::printf("zmq_proxy:  %10.0f envelopes/s  %12.0f metric points/s  (%.0f%% delivered)\n", proxy_rate.rate,
              proxy_rate.rate * points, 100 * proxy_rate.delivered);
  std::printf("ratio oona/zmq_proxy: %.2f (target >= 0.6)\n", oona_rate.rate / proxy_rate.rate);
  std::printf("fan-out, %d envelopes, envelopes/s received by the slowest reading subscriber, and the share "
              "of what was published that reached it:\n",
              fan_out_envelopes);
  for (const auto& f : fan_outs) {
    std::printf("  %-24s oona %8.0f (%3.0f%%)   bare XPUB %8.0f (%3.0f%%)\n", f.what, f.oona.rate,
                100 * f.oona.delivered, f.proxy.rate, 100 * f.proxy.delivered);
  }
  std::printf("emergency send-to-receive latency, %d emergencies 1 ms apart (target p99 < 1000 us "
              "with the normal lane saturated; Oona's emergency lane %s):\n",
              emergencies, oona_realtime ? "real-time" : "NOT real-time: see its warning above");
  print_latency("  normal lane saturated", saturated);
  print_latency("  normal lane idle     ", idle);
  print_latency("  normal lane saturated, a stuck emergency subscriber beside", stuck);
  print_latency("  normal lane saturated, one reader thread for both lanes (reference)", shared);
  std::filesystem::remove_all(dir);
  const bool complete = saturated.samples == static_cast<std::size_t>(emergencies) &&
                        idle.samples == static_cast<std::size_t>(emergencies) &&
                        shared.samples == static_cast<std::size_t>(emergencies);
  return complete ? 0 : 1;
}
