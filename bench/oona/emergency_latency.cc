#include "bench/oona/emergency_latency.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bench/oona/bench_clients.h"
#include "oona/egress_protocol.h"
#include "oona/emergency_scheduling.h"

namespace esper::oona_bench {
namespace {

using namespace std::chrono_literals;

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

// Says HELLO on the emergency egress with `stuck` and never reads (a stopped process).
void hello_and_never_read(zmq::socket_t& stuck, const oona::BusEndpoints& endpoints) {
  stuck.connect(endpoints.emergency_egress);
  const auto hello = oona::egress::hello_frames({"stuck-emergency", 100, 0, {""}});
  for (std::size_t i = 0; i < hello.size(); ++i) {
    stuck.send(zmq::buffer(hello[i]), i + 1 < hello.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

// Reader::kDedicated's emergency thread: enters the emergency scheduling class, connects, says so
// through `ready`, then times the "alarm" emergencies until there are `emergencies` of them or none
// came for 5 s.
void read_emergencies_alone(const oona::BusEndpoints& endpoints, int emergencies, std::string& scheduling,
                            std::vector<double>& latencies_us, std::promise<void>& ready) {
  scheduling = oona::enter_emergency_scheduling({}).describe();
  oona::BusSubscriberOptions options;
  options.endpoints = endpoints;
  options.normal = false;
  options.signing_key = signing_key;
  oona::BusSubscriber emergency(options);
  connect(endpoints, emergency, proto::Lane::kEmergency);
  ready.set_value();
  while (static_cast<int>(latencies_us.size()) < emergencies) {
    auto m = emergency.receive_from(proto::Lane::kEmergency, 5s);
    if (!m) break;
    if (m->envelope.source() == "alarm") latencies_us.push_back(latency_us(m->envelope));
  }
}

// Reader::kShared: both lanes from this thread, emergency first.
void read_both_lanes(oona::BusSubscriber& subscriber, int emergencies, std::vector<double>& latencies_us,
                     Latency& result) {
  while (static_cast<int>(latencies_us.size()) < emergencies) {
    auto m = subscriber.receive(5s);
    if (!m) break;
    if (m->envelope.source() == "alarm") {
      latencies_us.push_back(latency_us(m->envelope));
    } else if (m->envelope.source() == "flood") {
      ++result.normal_received;
    }
  }
}

// The load: "flood" publishes to the normal lane as fast as it can (unless `flood_on` is false)
// until `done`; "alarm" sends `emergencies` CRITICAL events 1 ms apart once the flood has had a head
// start.
class Load {
 public:
  Load(const oona::BusEndpoints& endpoints, int points, int emergencies, bool flood_on, std::atomic<bool>& done)
      : flood_(workload_envelope(points)) {
    flooder_ = std::thread([&endpoints, flood_on, &done, this] {
      oona::BusPublisher publisher(publisher_options(endpoints, "flood"));
      while (flood_on && !done.load(std::memory_order_relaxed)) publisher.publish(flood_);
    });
    alarm_ = std::thread([&endpoints, emergencies, &done] {
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
  }
  void join() {
    alarm_.join();
    flooder_.join();
  }

 private:
  const proto::Envelope flood_;
  std::thread flooder_, alarm_;
};

}  // namespace

Latency emergency_latency(const oona::BusEndpoints& endpoints, int emergencies, int points,
                          Reader reader, bool flood_on, bool stuck_emergency) {
  zmq::context_t stuck_context;
  zmq::socket_t stuck(stuck_context, zmq::socket_type::dealer);
  stuck.set(zmq::sockopt::linger, 0);
  if (stuck_emergency) hello_and_never_read(stuck, endpoints);
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
      read_emergencies_alone(endpoints, emergencies, result.reader, latencies_us, emergency_ready);
      done = true;
    });
    emergency_ready.get_future().wait();
  } else {
    result.reader = "the default-class thread that also reads the normal lane";
    connect(endpoints, subscriber, proto::Lane::kEmergency);
  }

  Load load(endpoints, points, emergencies, flood_on, done);
  if (reader == Reader::kDedicated) {
    while (!done.load(std::memory_order_relaxed)) {
      auto m = subscriber.receive_from(proto::Lane::kNormal, 100ms);
      if (m && m->envelope.source() == "flood") ++result.normal_received;
    }
    emergency_reader.join();
  } else {
    read_both_lanes(subscriber, emergencies, latencies_us, result);
    done = true;
  }
  load.join();
  summarize(std::move(latencies_us), result);
  return result;
}

void print_latency(const char* what, const Latency& l) {
  std::printf("%s: p50 %.0f us, p99 %.0f us, max %.0f us (%zu samples, %zu normal envelopes received "
              "meanwhile; emergency reader: %s)\n",
              what, l.p50_us, l.p99_us, l.max_us, l.samples, l.normal_received,
              l.reader.c_str());
}

}  // namespace esper::oona_bench
