#include "bench/oona/fan_out.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bench/oona/bench_clients.h"

namespace esper::oona_bench {
namespace {

using namespace std::chrono_literals;
using FanOutClock = std::chrono::steady_clock;

// The stuck subscriber: through Oona it says HELLO and grants no more credit; through the proxy it
// is a SUB whose pipe fills. Either way it never reads.
class StuckSubscriber {
 public:
  StuckSubscriber(const oona::BusEndpoints& endpoints, bool through_oona, bool stuck)
      : socket_(context_, zmq::socket_type::dealer), sub_(context_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    sub_.set(zmq::sockopt::linger, 0);
    if (stuck && through_oona) {
      socket_.connect(endpoints.normal_egress);
      for (const char* frame : {"esper-hello/1", "stuck", "100", "0"}) {
        socket_.send(zmq::buffer(std::string_view(frame)), zmq::send_flags::sndmore);
      }
      socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } else if (stuck) {
      sub_.set(zmq::sockopt::subscribe, "");
      sub_.connect(endpoints.normal_egress);
    }
    if (stuck) {
      std::this_thread::sleep_for(200ms);  // Not synchronisation: a head start for its subscription.
    }
  }
  void close() {
    sub_.close();  // Lets a proxy blocked on the stuck pipe go on.
    socket_.close();
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  zmq::socket_t sub_;
};

// Receives until `count` envelopes from "bench" came or nothing came for 2 s.
Delivery read_all(BenchReader& reader, int count, FanOutClock::time_point start) {
  int received = 0;
  auto last = start;
  while (received < count) {
    auto source = reader.receive(2s);
    if (!source) break;  // Nothing more is coming: shed, or stalled.
    if (*source == "bench") {
      ++received;
      last = FanOutClock::now();
    }
  }
  const double seconds = std::chrono::duration<double>(last - start).count();
  return {seconds > 0 ? received / seconds : 0, static_cast<double>(received) / count};
}

}  // namespace

Delivery fan_out(const oona::BusEndpoints& endpoints, bool through_oona, int count, int points, int subscribers,
                 bool stuck) {
  std::vector<std::unique_ptr<BenchReader>> readers;
  for (int i = 0; i < subscribers; ++i) {
    readers.push_back(std::make_unique<BenchReader>(endpoints, through_oona, "bench-" + std::to_string(i)));
    connect(endpoints, *readers.back());
  }
  StuckSubscriber stuck_one(endpoints, through_oona, stuck);
  const proto::Envelope envelope = workload_envelope(points);
  std::atomic<bool> stop{false};
  const auto start = FanOutClock::now();
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
    threads.emplace_back([&, r] { deliveries[r] = read_all(*readers[r], count, start); });
  }
  for (auto& t : threads) t.join();
  stop = true;
  stuck_one.close();
  producer.join();
  Delivery slowest = deliveries.front();
  for (const auto& d : deliveries) {
    slowest.rate = std::min(slowest.rate, d.rate);
    slowest.delivered = std::min(slowest.delivered, d.delivered);
  }
  return slowest;
}

Delivery throughput(const oona::BusEndpoints& endpoints, bool through_oona, int count, int points) {
  return fan_out(endpoints, through_oona, count, points, 1, false);
}

}  // namespace esper::oona_bench
