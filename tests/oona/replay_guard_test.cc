// ReplayGuard: a copy of an envelope already seen on its stream is refused; late arrivals within the
// window, other streams and a restarted producer (same instance, counting from 1, sending later)
// are not; the number of streams remembered is bounded.
#include "oona/replay_guard.h"

#include <gtest/gtest.h>

namespace esper::oona {
namespace {

proto::Envelope envelope(std::uint64_t seq, std::uint64_t sent, const std::string& source = "tolaria",
                           const std::string& instance = "host:1") {
  proto::Envelope e;
  e.set_source(source);
  e.set_instance(instance);
  e.set_sequence(seq);
  e.set_sent_unix_ns(sent);
  e.set_severity(proto::SEVERITY_INFO);
  e.mutable_telemetry();
  return e;
}

TEST(ReplayGuard, TheFirstCopyIsAdmittedAndEveryLaterCopyRefused) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.admit(envelope(1, 100)));
  EXPECT_FALSE(guard.admit(envelope(1, 100)));
  EXPECT_TRUE(guard.admit(envelope(2, 200)));
  EXPECT_FALSE(guard.admit(envelope(1, 100)));
  EXPECT_FALSE(guard.admit(envelope(2, 200)));
}

TEST(ReplayGuard, LateArrivalsWithinTheWindowAreAdmittedOnce) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.admit(envelope(1, 100)));
  EXPECT_TRUE(guard.admit(envelope(5, 500)));
  EXPECT_TRUE(guard.admit(envelope(3, 300)));  // Overtaken, not a replay.
  EXPECT_FALSE(guard.admit(envelope(3, 300)));
  EXPECT_TRUE(guard.admit(envelope(2, 200)));
}

TEST(ReplayGuard, ANumberBelowTheWindowIsRefused) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.admit(envelope(10, 1000)));
  EXPECT_TRUE(guard.admit(envelope(10 + ReplayGuard::kWindow, 5000)));
  EXPECT_FALSE(guard.admit(envelope(9, 900)));  // Never seen, but too old to tell: refused.
  // The window slid: numbers it uncovered are new.
  EXPECT_TRUE(guard.admit(envelope(11 + ReplayGuard::kWindow, 5001)));
  EXPECT_TRUE(guard.admit(envelope(12, 1200)));
}

TEST(ReplayGuard, StreamsAreSourceInstanceAndLane) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.admit(envelope(1, 100, "tolaria", "host:1")));
  EXPECT_TRUE(guard.admit(envelope(1, 100, "kasmina", "host:1")));
  EXPECT_TRUE(guard.admit(envelope(1, 100, "tolaria", "host:2")));
  proto::Envelope emergency = envelope(1, 100);
  emergency.set_severity(proto::SEVERITY_CRITICAL);
  emergency.mutable_event();
  EXPECT_TRUE(guard.admit(emergency));
  // A demoted emergency belongs to the emergency stream still.
  emergency.set_demoted(true);
  EXPECT_FALSE(guard.admit(emergency));
}

TEST(ReplayGuard, ARestartedProducerIsNotAReplayButItsOldEnvelopesAre) {
  ReplayGuard guard;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) EXPECT_TRUE(guard.admit(envelope(seq, seq * 100)));
  // Same instance name, counting from 1 again, sending later than anything before.
  for (std::uint64_t seq = 1; seq <= 3; ++seq) EXPECT_TRUE(guard.admit(envelope(seq, 1000 + seq))) << seq;
  EXPECT_FALSE(guard.admit(envelope(2, 1002)));  // A copy from the new run.
  EXPECT_FALSE(guard.admit(envelope(4, 400)));   // From the old run: above the new run's numbers, sent before it.
  EXPECT_FALSE(guard.admit(envelope(5, 500)));
  EXPECT_TRUE(guard.admit(envelope(4, 1004)));
}

TEST(ReplayGuard, TheLeastRecentlyUsedStreamIsForgottenAtTheBound) {
  ReplayGuard guard(3);
  EXPECT_TRUE(guard.admit(envelope(1, 100, "a")));
  EXPECT_TRUE(guard.admit(envelope(1, 100, "b")));
  EXPECT_TRUE(guard.admit(envelope(1, 100, "c")));
  EXPECT_FALSE(guard.admit(envelope(1, 100, "a")));  // Touches a: b is now the oldest.
  EXPECT_TRUE(guard.admit(envelope(1, 100, "d")));
  EXPECT_EQ(guard.streams(), 3u);
  EXPECT_FALSE(guard.admit(envelope(1, 100, "a")));
  EXPECT_TRUE(guard.admit(envelope(1, 100, "b")));  // Forgotten: starts afresh.
  for (int i = 0; i < 1000; ++i) guard.admit(envelope(1, 100, "flood" + std::to_string(i)));
  EXPECT_EQ(guard.streams(), 3u);
}

}  // namespace
}  // namespace esper::oona
