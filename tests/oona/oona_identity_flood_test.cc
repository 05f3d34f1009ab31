// A flood of CRITICAL envelopes under many invented source names, with a real oona: the total
// emergency bucket demotes it (counted) though no single name exceeds its own rate; the source
// labels of Oona's counters stay bounded (the excess under source="other"); and Oona's memory does
// not grow with the number of names (VmRSS after a second flood of new names about as after the
// first).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/oona_process.h"
#include "tests/support/process_memory.h"

namespace esper::oona::testing {
namespace {

constexpr int kNamesPerFlood = 60000;

using esper::testing::rss_kib;

// Sends one CRITICAL event from each of `count` source names starting at `first`, as fast as the
// socket takes them (a raw PUSH: no per-name publisher).
void flood(zmq::socket_t& push, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    proto::Envelope e = proto::make_envelope("n" + std::to_string(i), "flood:1", 1, proto::SEVERITY_CRITICAL);
    e.mutable_event()->set_description("flood");
    e.mutable_event()->set_level(proto::SEVERITY_CRITICAL);
    const proto::WireMessage m = proto::encode(e);
    ASSERT_TRUE(push.send(zmq::buffer(m.topic), zmq::send_flags::sndmore));
    ASSERT_TRUE(push.send(zmq::buffer(m.envelope), zmq::send_flags::none));
  }
}

double sum_of(const OonaStats& stats, const std::string& name) {
  double total = 0;
  for (const auto& [key, value] : stats) {
    if (key.rfind(name + "{", 0) == 0 || key == name) total += value;
  }
  return total;
}

std::size_t count_of(const OonaStats& stats, const std::string& name) {
  std::size_t n = 0;
  for (const auto& [key, value] : stats) n += key.rfind(name + "{", 0) == 0;
  return n;
}

TEST(OonaIdentityFlood, ManyInventedNamesAreDemotedAndOonasMemoryStaysBounded) {
  // Per source: far above one envelope each. In total: 200 at once, 100/s after.
  OonaProcess oona("emergency:\n  rate_per_source: 1000\n  burst: 2000\n  total_rate: 100\n  total_burst: 200\n");
  ASSERT_TRUE(oona.ready());
  zmq::context_t context(1);
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::sndtimeo, 10000);
  push.set(zmq::sockopt::linger, 1000);
  push.connect(oona.endpoints().emergency_ingress);
  StatsWatcher stats(oona.endpoints());

  long rss_after[2] = {0, 0};
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 2; ++round) {
    flood(push, round * kNamesPerFlood, kNamesPerFlood);
    const double sent = static_cast<double>((round + 1) * kNamesPerFlood);
    auto [ok, last] = stats.wait_for(
        [&](const OonaStats& s) { return stat(s, "oona.received_total{lane=emergency}") >= sent; }, 120s);
    ASSERT_TRUE(ok) << "oona did not receive flood " << round + 1 << "\n" << describe(last);
    // Every one of them demoted or routed, and what was routed fits the total bucket.
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto [settled, now] = stats.wait_for(
        [&](const OonaStats& s) {
          return sum_of(s, "oona.demoted_total") + stat(s, "oona.routed_total{lane=emergency}") >= sent;
        },
        60s);
    ASSERT_TRUE(settled) << describe(now);
    const double routed = stat(now, "oona.routed_total{lane=emergency}");
    EXPECT_LE(routed, 200 + 100 * (elapsed + 1) + 1) << "more emergencies than the total bucket allows";
    EXPECT_GE(sum_of(now, "oona.demoted_total"), sent - routed);
    EXPECT_LE(count_of(now, "oona.demoted_total"), 1001u) << "source labels unbounded";
    EXPECT_GT(stat(now, "oona.demoted_total{source=other}"), 0) << "the excess names are not under source=other";
    rss_after[round] = rss_kib(oona.process().pid());
  }
  ASSERT_GT(rss_after[0], 0);
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool kSanitized = true;
#elif defined(__has_feature)
  constexpr bool kSanitized = __has_feature(address_sanitizer);
#else
  constexpr bool kSanitized = false;
#endif
  if (kSanitized) {
    // ASan's quarantine keeps freed memory out of reuse, so RSS grows with every allocation.
    GTEST_SKIP() << "the memory bound is checked in an unsanitized build only (VmRSS " << rss_after[0] << " -> "
                 << rss_after[1] << " KiB)";
  }
  std::cout << "oona VmRSS after " << kNamesPerFlood << " names: " << rss_after[0] << " KiB, after "
            << 2 * kNamesPerFlood << ": " << rss_after[1] << " KiB\n";
  // Per-name state would add tens of MiB for the second flood's names (about 100 bytes each for the
  // bucket, as much for each counter); bounded state adds nothing but allocator noise.
  EXPECT_LT(rss_after[1] - rss_after[0], 3 * 1024) << "oona's memory grew with the number of source names";
}

}  // namespace
}  // namespace esper::oona::testing
