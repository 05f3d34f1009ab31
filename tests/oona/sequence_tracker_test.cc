#include "oona/sequence_tracker.h"

#include <gtest/gtest.h>

namespace esper::oona {
namespace {

proto::Envelope with_seq(std::uint64_t seq, proto::Severity severity = proto::SEVERITY_INFO,
                           const std::string& source = "s") {
  proto::Envelope e;
  e.set_source(source);
  e.set_instance("i");
  e.set_sequence(seq);
  e.set_severity(severity);
  e.mutable_event();
  return e;
}

TEST(SequenceTracker, CountsGapsAndTakesBackLateArrivals) {
  SequenceTracker t;
  for (std::uint64_t s : {1, 2, 3, 6, 7}) t.observe(with_seq(s));
  EXPECT_EQ(t.gaps(), 2u);
  t.observe(with_seq(4));
  EXPECT_EQ(t.gaps(), 1u);
  EXPECT_EQ(t.late(), 1u);
  t.observe(with_seq(4));
  EXPECT_EQ(t.duplicates(), 1u);
  t.observe(with_seq(1));
  EXPECT_EQ(t.restarts(), 1u);
  t.observe(with_seq(2));
  EXPECT_EQ(t.gaps(), 1u);
}

TEST(SequenceTracker, ReliableEnvelopesAreTheirOwnStream) {
  // Oona serves acks and field reports before a telemetry backlog: the publisher numbers them
  // apart, so overtaking is not loss.
  SequenceTracker t;
  auto ack = [](std::uint64_t seq) {
    proto::Envelope e;
    e.set_source("s");
    e.set_instance("i");
    e.set_sequence(seq);
    e.mutable_field_report_ack();
    return e;
  };
  t.observe(ack(1));
  t.observe(ack(2));
  for (std::uint64_t s : {1, 2, 3}) t.observe(with_seq(s));
  t.observe(ack(3));
  EXPECT_EQ(t.gaps(), 0u);
  t.observe(ack(5));
  EXPECT_EQ(t.gaps("s"), 1u) << "a lost ack is still a gap";
}

TEST(SequenceTracker, ALateFirstEnvelopeIsNotARestart) {
  SequenceTracker t;
  for (std::uint64_t s : {3, 4, 1, 2, 5}) t.observe(with_seq(s));
  EXPECT_EQ(t.gaps(), 0u);
  EXPECT_EQ(t.restarts(), 0u);
  EXPECT_EQ(t.late(), 2u);
}

TEST(SequenceTracker, EmergencyAndNormalStreamsAreCountedApart) {
  SequenceTracker t;
  t.observe(with_seq(1, proto::SEVERITY_CRITICAL));  // Emergency stream overtakes...
  t.observe(with_seq(1));                              // ...the normal stream: no gap.
  t.observe(with_seq(2));
  auto demoted = with_seq(2, proto::SEVERITY_HIGH);
  demoted.set_demoted(true);  // Still the emergency stream.
  t.observe(demoted);
  t.observe(with_seq(1, proto::SEVERITY_INFO, "other"));
  t.observe(with_seq(3, proto::SEVERITY_HIGH));  // Emergency 3 after normal 2: no gap either.
  t.observe(with_seq(3));
  EXPECT_EQ(t.gaps(), 0u);
  EXPECT_EQ(t.late() + t.duplicates(), 0u);
}

}  // namespace
}  // namespace esper::oona
