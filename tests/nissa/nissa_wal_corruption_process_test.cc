// A real Nissa whose WAL gets damaged while it is down: a byte flipped in the middle of its newest
// segment, then one in an older segment. After each restart every other acknowledged report is
// still served, the damaged bytes are in wal/quarantine/, nissa.wal_corrupt_records_total says how
// many ranges there are, and `esper-wal verify` fails naming them until `esper-wal acknowledge`.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <set>

#include "wal/wal_format.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_reader.h"
#include "nissa/store/journal_records.h"
#include "tests/nissa/unix_socket_client.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"
#include "tests/support/wal_test_util.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using wal::RecordPosition;

using ToolResult = esper::testing::Completed;

ToolResult esper_wal(std::vector<std::string> args) {
  args.insert(args.begin(), esper::testing::built_binary("field_reports/esper-wal").string());
  ToolResult result = esper::testing::run_to_completion(std::move(args), /*with_stderr=*/false, 30s);
  EXPECT_TRUE(result.status) << "esper-wal did not exit";
  return result;
}

class NissaWalCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    state_ = dir_ / "state";
    wal_ = state_ / "wal";
    socket_ = dir_ / "nissa.sock";
    start_nissa();
  }

  void start_nissa() {
    // 2 KiB segments, so that a few dozen reports span several of them.
    nissa_ = std::make_unique<NissaProcess>(
        oona_.dir().path(), state_,
        "persistence: {checkpoint_interval: 100ms, wal_segment_size: 2KiB}\n"
        "unix_socket: {path: " + socket_.string() + "}\n");
    ASSERT_TRUE(nissa_->ready()) << "nissa did not print its ready line";
  }
  void stop_nissa() { ASSERT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0"); }

  // Where each report's record is in the WAL.
  std::map<std::string, RecordPosition> report_positions() {
    std::map<std::string, RecordPosition> positions;
    wal::WalReadSummary summary;
    EXPECT_TRUE(wal::read_wal(wal_, [&](const wal::WalRecord& r) {
      proto::Envelope e;
      if (r.type == kRecordFieldReport && e.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size()))) {
        positions[e.field_report().report_id()] = r.position;
      }
    }, &summary).ok());
    return positions;
  }
  // The report in the middle of `segment`, with records after it in that segment.
  std::string middle_report_of(std::uint64_t segment) {
    std::vector<std::pair<std::uint64_t, std::string>> in_segment;
    for (const auto& [id, position] : report_positions()) {
      if (position.segment == segment) in_segment.emplace_back(position.offset, id);
    }
    std::sort(in_segment.begin(), in_segment.end());
    EXPECT_GE(in_segment.size(), 3u) << "segment " << segment;
    return in_segment.at(in_segment.size() / 2).second;
  }
  void flip_byte_in_record_of(const std::string& id) {
    const RecordPosition at = report_positions().at(id);
    const auto path = wal_ / wal::segment_file_name(at.segment);
    std::string bytes = esper::testing::file_bytes(path);
    bytes.at(at.offset + wal::kRecordHeaderSize + 10) ^= 0x08;
    esper::testing::write_bytes(path, bytes);
  }

  std::set<std::string> stored_ids() {
    std::set<std::string> ids;
    const json j = nissa_->get_json("/api/v1/field_reports?limit=100000");
    for (const auto& r : j["field_reports"]) ids.insert(r["report"]["report_id"].get<std::string>());
    return ids;
  }
  double corrupt_records_json() {
    const auto reply = unix_request(socket_, "metrics\n");
    const json j = json::parse(reply.body, nullptr, false);
    return j.is_object() && j.contains("wal_corrupt_records_total") ? j["wal_corrupt_records_total"].get<double>() : -1;
  }
  // As published on the bus (and so aggregated and exposed to Prometheus) every telemetry interval.
  double corrupt_records_on_the_bus() {
    const json j = nissa_->get_json("/api/v1/series?metric=nissa.wal_corrupt_records_total&source=nissa");
    if (!j.is_object() || j["series"].empty()) return -1;
    return j["series"][0]["last"].get<double>();
  }
  std::size_t quarantined_files() {
    std::error_code ec;
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(wal::quarantine_dir(wal_), ec)) ++n;
    return n;
  }
  // Checks that Nissa serves exactly `expected` and counts `ranges` corrupt ranges everywhere.
  void expect_state(const std::set<std::string>& expected, double ranges) {
    ASSERT_EQ(stored_ids(), expected);
    EXPECT_EQ(corrupt_records_json(), ranges);
    ASSERT_TRUE(wait_until([&] { return corrupt_records_on_the_bus() == ranges; }, 10s))
        << "nissa.wal_corrupt_records_total on the bus is " << corrupt_records_on_the_bus() << ", not " << ranges;
    const std::string metrics = nissa_->get_text("/metrics");
    EXPECT_NE(metrics.find("esper_nissa_wal_corrupt_records_total{source=\"nissa\"} " + std::to_string(int(ranges))),
              std::string::npos)
        << metrics.substr(0, 4000);
    EXPECT_EQ(quarantined_files(), static_cast<std::size_t>(ranges));
  }

  oona::testing::OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::filesystem::path state_, wal_, socket_;
  std::unique_ptr<NissaProcess> nissa_;
};

TEST_F(NissaWalCorruptionTest, AFlippedByteCostsOnlyItsReportInTheNewestAndInAnOlderSegment) {
  oona::BusPublisher tamiyo(oona::testing::publisher_options(oona_.endpoints(), "tamiyo"));
  auto sub_options = oona::testing::subscriber_options(oona_.endpoints());
  sub_options.prefixes = {"reliable.ack."};
  oona::BusSubscriber acks(sub_options);
  std::set<std::string> acked;
  auto newest_holds = [&]() {
    const auto segments = wal::list_segments(wal_);
    std::size_t n = 0;
    for (const auto& [id, position] : report_positions()) n += position.segment == segments.back().number;
    return n;
  };
  // Enough reports for three segments or more, and at least five in the newest one.
  while (acked.size() < 40 || wal::list_segments(wal_).size() < 3 || newest_holds() < 5) {
    const std::string id = "tamiyo-" + std::to_string(acked.size());
    ASSERT_TRUE(send_until_acked(tamiyo, acks, id).has_value()) << "no ack for " << id;
    acked.insert(id);
    ASSERT_LT(acked.size(), 200u) << "the newest segment never filled up";
  }
  const auto segments = wal::list_segments(wal_);
  ASSERT_GE(segments.size(), 3u);
  stop_nissa();

  // A flip in the middle of the newest segment: before, Nissa truncated the segment there.
  const std::string newest_victim = middle_report_of(segments.back().number);
  flip_byte_in_record_of(newest_victim);
  start_nissa();
  std::set<std::string> expected = acked;
  expected.erase(newest_victim);
  expect_state(expected, 1);
  ToolResult verify = esper_wal({"verify", wal_.string()});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(wal_, nullptr, &summary).ok());
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_EQ(summary.problems[0].segment, segments.back().number);
  EXPECT_NE(verify.out.find("CORRUPT " + wal::describe(summary.problems[0])), std::string::npos) << verify.out;
  EXPECT_TRUE(std::filesystem::exists(wal::quarantine_path(wal_, summary.problems[0])));

  // Nissa goes on storing and acknowledging behind the damage.
  auto fresh = send_until_acked(tamiyo, acks, "tamiyo-after");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->duplicate());
  acked.insert("tamiyo-after");
  expected.insert("tamiyo-after");
  stop_nissa();

  // A flip in an older segment: before, the rest of that segment was skipped.
  const std::string older_victim = middle_report_of(segments.front().number);
  flip_byte_in_record_of(older_victim);
  start_nissa();
  expected.erase(older_victim);
  expect_state(expected, 2);
  verify = esper_wal({"verify", wal_.string()});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  ASSERT_TRUE(wal::read_wal(wal_, nullptr, &summary).ok());
  ASSERT_EQ(summary.problems.size(), 2u);
  for (const auto& problem : summary.problems) {
    EXPECT_NE(verify.out.find("CORRUPT " + wal::describe(problem)), std::string::npos) << verify.out;
  }
  // esper-wal stat reads it as Nissa's WAL.
  const ToolResult stat = esper_wal({"stat", wal_.string()});
  EXPECT_NE(stat.out.find("owner: nissa"), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("field reports stored: " + std::to_string(expected.size())), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("corrupt records: 2 ranges (0 acknowledged, 2 not"), std::string::npos) << stat.out;
  EXPECT_EQ(stat.out.find("unparseable"), std::string::npos) << stat.out;

  const ToolResult acknowledge = esper_wal({"acknowledge", wal_.string(), "--all"});
  EXPECT_EQ(acknowledge.exit_code, 0) << acknowledge.out;
  verify = esper_wal({"verify", wal_.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("(2 acknowledged)"), std::string::npos) << verify.out;

  // Another restart copies nothing again and still counts what the WAL holds.
  stop_nissa();
  start_nissa();
  expect_state(expected, 2);
}

}  // namespace
}  // namespace esper::nissa::testing
