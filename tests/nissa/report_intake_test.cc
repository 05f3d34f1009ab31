// Report intake against a real journal on a file layer that fails on demand: acks only once the
// batch is durable, duplicates acknowledged but never stored twice, nothing acknowledged or indexed
// when the fsync fails, and the retries stored once it succeeds again.
#include "nissa/core/report_intake.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <mutex>
#include <set>

#include "nissa/store/journal.h"
#include "tests/support/fault_file_ops.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

proto::Envelope report(const std::string& id, std::uint64_t sent_unix_ns = 1'000) {
  proto::Envelope e;
  e.set_source("tamiyo");
  e.set_sent_unix_ns(sent_unix_ns);
  e.mutable_field_report()->set_report_id(id);
  return e;
}

std::set<std::string> ids(const std::vector<ReportAck>& acks, bool duplicate) {
  std::set<std::string> out;
  for (const auto& a : acks) {
    if (a.ack.duplicate() == duplicate) out.insert(a.ack.report_id());
  }
  return out;
}

class ReportIntakeTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  testing::FaultFileOps ops_;
  std::mutex mu_;
  FieldReportStore store_;
  std::unique_ptr<Journal> journal_ = std::make_unique<Journal>(JournalOptions{dir_.path() / "wal", 1 << 20, &ops_});
  ReportIntake intake_{*journal_, store_, mu_};

  std::vector<ReportAck> batch(const std::vector<proto::Envelope>& envelopes) {
    {
      std::lock_guard lock(mu_);
      for (const auto& e : envelopes) intake_.offer(e);
    }
    return intake_.commit();
  }
};

TEST_F(ReportIntakeTest, NewReportsAreStoredThenAcknowledgedWithTheirDurableTime) {
  const auto acks = batch({report("r-1", 111), report("r-2", 222)});
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(ids(acks, false), (std::set<std::string>{"r-1", "r-2"}));
  for (const auto& a : acks) {
    const StoredFieldReport* stored = store_.find(a.ack.report_id());
    ASSERT_NE(stored, nullptr) << a.ack.report_id();
    EXPECT_EQ(a.ack.durable_at_unix_ns(), stored->durable_at_unix_ns);
    EXPECT_GT(a.ack.durable_at_unix_ns(), 0u);
  }
  EXPECT_EQ(acks[0].sent_unix_ns, 111u);  // For the ack latency.
  EXPECT_EQ(intake_.counters().stored, 2u);
}

TEST_F(ReportIntakeTest, ARetryIsAcknowledgedAsADuplicateWithTheFirstDurableTimeAndNotStoredAgain) {
  const auto first = batch({report("r-1")});
  ASSERT_EQ(first.size(), 1u);
  const auto again = batch({report("r-1")});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].ack.duplicate());
  EXPECT_EQ(again[0].ack.durable_at_unix_ns(), first[0].ack.durable_at_unix_ns());
  EXPECT_EQ(again[0].sent_unix_ns, 0u);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(intake_.counters().stored, 1u);
  EXPECT_EQ(intake_.counters().duplicate, 1u);
}

TEST_F(ReportIntakeTest, TwoCopiesInOneBatchGetOneAck) {
  const auto acks = batch({report("r-1"), report("r-1")});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_FALSE(acks[0].ack.duplicate());
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(intake_.counters().duplicate, 1u);
}

TEST_F(ReportIntakeTest, AReportWithoutAnIdIsIgnored) {
  EXPECT_TRUE(batch({report("")}).empty());
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ReportIntakeTest, AFailedFsyncAcknowledgesAndIndexesNothingAndTheRetriesSucceedAfterwards) {
  ops_.sync_error = EIO;
  EXPECT_TRUE(batch({report("r-1"), report("r-2")}).empty());
  EXPECT_GE(ops_.sync_failures.load(), 1);
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(intake_.counters().stored, 0u);
  EXPECT_GE(journal_->errors(), 1u);

  ops_.sync_error = 0;  // Space came back; the issuers' outboxes retry.
  const auto acks = batch({report("r-1"), report("r-2")});
  EXPECT_EQ(ids(acks, false), (std::set<std::string>{"r-1", "r-2"}));
  EXPECT_EQ(store_.size(), 2u);
}

TEST_F(ReportIntakeTest, AFullDiskAcknowledgesNothingAndTheRetriesSucceedAfterwards) {
  ops_.write_error = ENOSPC;
  EXPECT_TRUE(batch({report("r-1")}).empty());
  EXPECT_EQ(store_.size(), 0u);
  ops_.write_error = 0;
  EXPECT_EQ(ids(batch({report("r-1")}), false), (std::set<std::string>{"r-1"}));
}

TEST_F(ReportIntakeTest, WhatWasAcknowledgedIsInTheJournalAfterARestart) {
  ASSERT_EQ(batch({report("r-1"), report("r-2")}).size(), 2u);
  journal_.reset();
  Journal reopened(JournalOptions{dir_.path() / "wal"});
  std::set<std::string> replayed;
  JournalReplayHandlers handlers;
  handlers.field_report = [&](const proto::Envelope& e, std::uint64_t) { replayed.insert(e.field_report().report_id()); };
  const JournalReplaySummary summary = reopened.replay(handlers);
  EXPECT_EQ(replayed, (std::set<std::string>{"r-1", "r-2"}));
  EXPECT_EQ(summary.corrupt_ranges, 0u);
}

}  // namespace
}  // namespace esper::nissa
