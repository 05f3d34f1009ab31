// A corrupt record in the outbox's WAL costs only that record: on open every other report comes back
// in its state (pending or settled), the damaged bytes are copied to quarantine/ once (not again on
// the next open), <prefix>.wal_corrupt_records_total counts the range, and appends go on.
#include <gtest/gtest.h>

#include <algorithm>

#include "field_reports/outbox.h"
#include "field_reports/outbox_records.h"
#include "wal/wal_quarantine.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/temp_dir.h"

namespace esper::field_reports {
namespace {

class AcceptingPublisher : public ReportPublisher {
 public:
  PublishResult publish(const proto::FieldReport&) override { return PublishResult::kAccepted; }
};

struct OutboxUnderTest {
  esper::testing::TempDir tmp;
  AcceptingPublisher publisher;
  OutboxOptions options;
  std::unique_ptr<Outbox> outbox;

  explicit OutboxUnderTest(std::uint64_t segment_size) {
    options.wal_dir = tmp / "wal";
    options.segment_size = segment_size;
    options.durability = wal::Durability::kFsync;
  }
  void open() {
    outbox.reset();
    wal::Status status;
    outbox = Outbox::open(options, publisher, nullptr, &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  double metric(const std::string& name) const {
    for (const auto& p : outbox->metric_points()) {
      if (p.name() == name) return p.value();
    }
    return -1;
  }
  std::vector<std::string> pending() const {
    auto ids = outbox->pending_ids();
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

// Where the kReportAppended record of `id` is.
wal::RecordPosition append_record_of(const std::filesystem::path& dir, const std::string& id) {
  wal::RecordPosition found;
  wal::WalReadSummary summary;
  wal::read_wal(dir, [&](const wal::WalRecord& r) {
    proto::FieldReport report;
    if (r.type == to_byte(OutboxRecord::kReportAppended) &&
        report.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size())) && report.report_id() == id) {
      found = r.position;
    }
  }, &summary);
  return found;
}

void flip_payload_byte(const std::filesystem::path& dir, const wal::RecordPosition& at) {
  const auto path = dir / wal::segment_file_name(at.segment);
  std::string bytes = testing::file_bytes(path);
  bytes.at(at.offset + wal::kRecordHeaderSize + 3) ^= 0x20;
  testing::write_bytes(path, bytes);
}

std::size_t quarantined_files(const std::filesystem::path& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(wal::quarantine_dir(dir), ec)) ++n;
  return n;
}

class FieldReportsOutboxCorruption : public ::testing::TestWithParam<bool> {};  // In the last segment?

TEST_P(FieldReportsOutboxCorruption, ADamagedRecordCostsOnlyItselfAndIsQuarantinedOnceAndCounted) {
  const bool in_last_segment = GetParam();
  OutboxUnderTest t(in_last_segment ? wal::kDefaultSegmentSize : 512);
  t.open();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    std::string id;
    proto::FieldReport report;
    report.set_command_id("cmd-" + std::to_string(i));
    ASSERT_TRUE(t.outbox->append(report, &id).ok());
    ids.push_back(id);
  }
  t.outbox->publish_cycle();
  for (int i : {0, 1, 2, 9}) {
    proto::FieldReportAck ack;
    ack.set_report_id(ids[static_cast<std::size_t>(i)]);
    t.outbox->on_ack(ack);
  }
  const std::string victim = ids[in_last_segment ? 5 : 3];
  t.outbox.reset();

  const wal::RecordPosition at = append_record_of(t.options.wal_dir, victim);
  ASSERT_NE(at.segment, 0u);
  const auto segments = wal::list_segments(t.options.wal_dir);
  ASSERT_EQ(at.segment == segments.back().number, in_last_segment) << "the damage is not where the case wants it";
  flip_payload_byte(t.options.wal_dir, at);

  t.open();
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 2 && i != 9 && ids[i] != victim) expected.push_back(ids[i]);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(t.pending(), expected) << "only the damaged report may be lost; settled ones stay settled";
  EXPECT_EQ(t.metric("tamiyo.field_reports.wal_corrupt_records_total"), 1);
  ASSERT_EQ(quarantined_files(t.options.wal_dir), 1u);
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(t.options.wal_dir, nullptr, &summary).ok());
  ASSERT_EQ(summary.problems.size(), 1u);
  const auto quarantined = wal::quarantine_path(t.options.wal_dir, summary.problems[0]);
  ASSERT_TRUE(std::filesystem::exists(quarantined));
  EXPECT_EQ(std::filesystem::file_size(quarantined), summary.problems[0].length);
  EXPECT_EQ(summary.problems[0].offset, at.offset);

  // Appends go on; the next open finds the same range, copies nothing new, counts it again.
  std::string later;
  ASSERT_TRUE(t.outbox->append(proto::FieldReport(), &later).ok());
  t.open();
  expected.push_back(later);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(t.pending(), expected);
  EXPECT_EQ(quarantined_files(t.options.wal_dir), 1u);
  EXPECT_EQ(t.metric("tamiyo.field_reports.wal_corrupt_records_total"), 1);
}

INSTANTIATE_TEST_SUITE_P(Where, FieldReportsOutboxCorruption, ::testing::Values(true, false),
                         [](const auto& param_info) { return param_info.param ? "LastSegment" : "OlderSegment"; });

}  // namespace
}  // namespace esper::field_reports
