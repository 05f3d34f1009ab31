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
// Broker and proxy run in-process on their own threads (bench_brokers.h); producer and subscriber
// are the real bus client (BusPublisher / BusSubscriber, which encode and decode every envelope;
// bench_clients.h). The runs are fan_out.h's and emergency_latency.h's; this file runs them in turn
// and prints the report.
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <CLI/CLI.hpp>
#include <sodium.h>

#include "bench/oona/bench_brokers.h"
#include "bench/oona/bench_clients.h"
#include "bench/oona/emergency_latency.h"
#include "bench/oona/fan_out.h"
#include "oona/envelope_signer.h"

namespace esper::oona_bench {
namespace {

struct Options {
  int envelopes = 200000;
  int points = 10;
  int emergencies = 2000;
};

struct FanOut {
  const char* what;
  int subscribers;
  bool stuck;
  Delivery oona, proxy;
};

// Everything one run of the bench measured.
struct Results {
  Delivery proxy_rate, oona_rate;
  std::vector<FanOut> fan_outs{{"1 subscriber", 1, false, {}, {}}, {"4 subscribers", 4, false, {}, {}},
                               {"16 subscribers", 16, false, {}, {}}, {"1 subscriber + 1 stuck", 1, true, {}, {}}};
  int fan_out_envelopes = 0;
  Latency saturated, idle, shared, stuck;
  bool oona_realtime = false;
};

Results run(const Options& o, const std::filesystem::path& dir) {
  Results r;
  r.fan_out_envelopes = std::max(1000, o.envelopes / 4);
  {
    BareProxy proxy(dir);
    r.proxy_rate = throughput(proxy.endpoints(), false, o.envelopes, o.points);
    for (auto& f : r.fan_outs) {
      f.proxy = fan_out(proxy.endpoints(), false, r.fan_out_envelopes, o.points, f.subscribers, f.stuck);
    }
  }
  {
    InProcessOona broker(dir);
    r.oona_realtime = broker.emergency_realtime();
    r.oona_rate = throughput(broker.endpoints(), true, o.envelopes, o.points);
    for (auto& f : r.fan_outs) {
      f.oona = fan_out(broker.endpoints(), true, r.fan_out_envelopes, o.points, f.subscribers, f.stuck);
    }
    r.idle = emergency_latency(broker.endpoints(), o.emergencies, o.points, Reader::kDedicated, false);
    r.saturated = emergency_latency(broker.endpoints(), o.emergencies, o.points, Reader::kDedicated);
    r.stuck = emergency_latency(broker.endpoints(), o.emergencies, o.points, Reader::kDedicated, true, true);
    r.shared = emergency_latency(broker.endpoints(), o.emergencies, o.points, Reader::kShared);
  }
  return r;
}

void report(const Options& o, const Results& r) {
  std::printf("oona:       %10.0f envelopes/s  %12.0f metric points/s  (%.0f%% delivered)\n", r.oona_rate.rate,
              r.oona_rate.rate * o.points, 100 * r.oona_rate.delivered);
  std::printf("zmq_proxy:  %10.0f envelopes/s  %12.0f metric points/s  (%.0f%% delivered)\n", r.proxy_rate.rate,
              r.proxy_rate.rate * o.points, 100 * r.proxy_rate.delivered);
  std::printf("ratio oona/zmq_proxy: %.2f (target >= 0.6)\n", r.oona_rate.rate / r.proxy_rate.rate);
  std::printf("fan-out, %d envelopes, envelopes/s received by the slowest reading subscriber, and the share "
              "of what was published that reached it:\n",
              r.fan_out_envelopes);
  for (const auto& f : r.fan_outs) {
    std::printf("  %-24s oona %8.0f (%3.0f%%)   bare XPUB %8.0f (%3.0f%%)\n", f.what, f.oona.rate,
                100 * f.oona.delivered, f.proxy.rate, 100 * f.proxy.delivered);
  }
  std::printf("emergency send-to-receive latency, %d emergencies 1 ms apart (target p99 < 1000 us "
              "with the normal lane saturated; Oona's emergency lane %s):\n",
              o.emergencies, r.oona_realtime ? "real-time" : "NOT real-time: see its warning above");
  print_latency("  normal lane saturated", r.saturated);
  print_latency("  normal lane idle     ", r.idle);
  print_latency("  normal lane saturated, a stuck emergency subscriber beside", r.stuck);
  print_latency("  normal lane saturated, one reader thread for both lanes (reference)", r.shared);
}

}  // namespace
}  // namespace esper::oona_bench

int main(int argc, char** argv) {
  using namespace esper;
  using namespace esper::oona_bench;
  CLI::App app{"oona_bench: Oona throughput vs a bare zmq_proxy, and emergency latency"};
  Options o;
  bool smoke = false;
  app.add_option("--envelopes", o.envelopes, "Envelopes per throughput run");
  app.add_option("--points", o.points, "Metric points per envelope");
  app.add_option("--emergencies", o.emergencies, "Emergency envelopes timed in each latency run");
  app.add_flag("--smoke", smoke, "A very short run, to check the benchmark still works");
  bool sign = false;
  app.add_flag("--signed", sign, "Sign and verify every envelope (Oona, producers, subscribers), with a random key");
  CLI11_PARSE(app, argc, argv);
  if (sign) {
    signing_key.resize(oona::EnvelopeSigner::kKeyBytes);
    randombytes_buf(signing_key.data(), signing_key.size());
  }
  if (smoke) {
    o.envelopes = 2000;
    o.emergencies = 50;
  }
  char dir_template[] = "/tmp/oona-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);

  std::printf("workload: %d envelopes of %d metric points, 1 producer, 1 subscriber, ipc://\n",
              o.envelopes, o.points);
  const Results r = run(o, dir);
  report(o, r);
  std::filesystem::remove_all(dir);
  const bool complete = r.saturated.samples == static_cast<std::size_t>(o.emergencies) &&
                        r.idle.samples == static_cast<std::size_t>(o.emergencies) &&
                        r.shared.samples == static_cast<std::size_t>(o.emergencies);
  return complete ? 0 : 1;
}
