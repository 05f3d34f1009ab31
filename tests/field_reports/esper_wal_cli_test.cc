// The real esper-wal binary: read-only commands on a WAL that a live process is appending to never
// report corruption (the moving tail is "tail in progress") and never block the writer; verify's
// exit code follows real corruption; requeue's request is picked up by the outbox.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include "field_reports/outbox.h"
#include "field_reports/outbox_records.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper::field_reports {
namespace {

using namespace std::chrono_literals;

using ToolResult = esper::testing::Completed;

// Runs the tool to its end; stdout (and stderr too when `with_stderr`) in `out`. Its stderr is a
// pipe, never a terminal, so progress comes as plain lines.
ToolResult esper_wal(std::vector<std::string> args, bool with_stderr = false) {
  args.insert(args.begin(), esper::testing::built_binary("field_reports/esper-wal").string());
  ToolResult result = esper::testing::run_to_completion(std::move(args), with_stderr, 30s);
  EXPECT_TRUE(result.status) << "esper-wal did not exit";
  return result;
}

TEST(FieldReportsEsperWalCli, ReadOnlyCommandsOnALiveWalSeeNoCorruptionAndDoNotBlockTheWriter) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  esper::testing::ChildProcess writer(
      {esper::testing::built_binary("tests/wal/wal_crash_writer").string(), dir.string()});
  ASSERT_TRUE(writer.read_line(10s)) << "writer printed nothing";
  for (int i = 0; i < 10; ++i) {
    const ToolResult verify = esper_wal({"verify", dir.string()});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    EXPECT_EQ(verify.out.find("CORRUPT"), std::string::npos) << verify.out;
  }
  const ToolResult stat = esper_wal({"stat", dir.string()});
  EXPECT_EQ(stat.exit_code, 0) << stat.out;
  EXPECT_NE(stat.out.find("segments:"), std::string::npos) << stat.out;
  // The writer kept going the whole time.
  std::size_t more = 0;
  while (more < 100 && writer.read_line(10s)) ++more;
  EXPECT_EQ(more, 100u);
  EXPECT_TRUE(writer.running());
}

TEST(FieldReportsEsperWalCli, VerifyExitsNonZeroWithSegmentAndOffsetOfCorruption) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  testing::write_test_wal(dir, 5, [](int i) { return std::string(50, static_cast<char>('a' + i)); });
  EXPECT_EQ(esper_wal({"verify", dir.string()}).exit_code, 0);
  const auto segment = wal::list_segments(dir).at(0).path;
  std::string bytes = testing::file_bytes(segment);
  const std::size_t third = wal::kSegmentHeaderSize + 2 * (wal::kRecordHeaderSize + 50);
  bytes[third + 20] ^= 0x01;
  testing::write_bytes(segment, bytes);
  const ToolResult verify = esper_wal({"verify", dir.string()});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find("segment 1 offset " + std::to_string(third)), std::string::npos) << verify.out;
  const ToolResult dump = esper_wal({"dump", "--json", dir.string()});
  EXPECT_EQ(dump.exit_code, 0);
  EXPECT_NE(dump.out.find("\"offset\":16"), std::string::npos) << dump.out;
}

TEST(FieldReportsEsperWalCli, VerifyOfAMultiSegmentWalPrintsProgressLinesEndingAtOneHundredPercent) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  testing::write_test_wal(dir, 3000, [](int i) { return std::string(60, static_cast<char>('a' + i % 26)); },
                          wal::Durability::kNone, 16 * 1024);
  ASSERT_GT(wal::list_segments(dir).size(), 5u);
  const ToolResult verify = esper_wal({"verify", dir.string()}, /*with_stderr=*/true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("esper-wal: verifying " + dir.string() + ": 100% ("), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("3000 records"), std::string::npos) << verify.out;
  EXPECT_EQ(verify.out.find('\r'), std::string::npos) << "no terminal, so no redrawn line: " << verify.out;
  EXPECT_NE(verify.out.find("OK: "), std::string::npos) << verify.out;
}

TEST(FieldReportsEsperWalCli, TellsAMissingPathANonWalAndAnEmptyWalApartWithTheirExitCodes) {
  esper::testing::TempDir tmp;
  const ToolResult missing = esper_wal({"verify", (tmp / "nope").string()}, /*with_stderr=*/true);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;

  const ToolResult empty_dir = esper_wal({"verify", tmp.path().string()}, /*with_stderr=*/true);
  EXPECT_EQ(empty_dir.exit_code, 2) << "an empty directory is not a WAL, and verify must not call it OK";
  EXPECT_NE(empty_dir.out.find("is not a WAL"), std::string::npos) << empty_dir.out;

  // Nissa's state directory holds its WAL in wal/: the tool points there.
  const auto state = tmp / "state";
  testing::write_test_wal(state / "wal", 0, nullptr);  // A WAL with no record yet.
  const ToolResult above = esper_wal({"stat", state.string()}, /*with_stderr=*/true);
  EXPECT_EQ(above.exit_code, 2);
  EXPECT_NE(above.out.find("did you mean " + (state / "wal").string()), std::string::npos) << above.out;

  const ToolResult fresh = esper_wal({"verify", (state / "wal").string()});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out;
  EXPECT_NE(fresh.out.find("empty WAL"), std::string::npos) << fresh.out;

  const ToolResult usage = esper_wal({"verify", "--no-such-flag", tmp.path().string()}, /*with_stderr=*/true);
  EXPECT_EQ(usage.exit_code, 2) << "usage errors exit 2, as --help says, not CLI11's 106\n" << usage.out;
}

TEST(FieldReportsEsperWalCli, HelpDocumentsAcknowledge) {
  const ToolResult help = esper_wal({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("acknowledge"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("quarantine"), std::string::npos) << help.out;
}

class RefusingPublisher : public ReportPublisher {
 public:
  PublishResult publish(const proto::FieldReport& report) override {
    ids.push_back(report.report_id());
    return refuse ? PublishResult::kRefused : PublishResult::kAccepted;
  }
  bool refuse = true;
  std::vector<std::string> ids;
};

TEST(FieldReportsEsperWalCli, RequeueFromTheToolBringsADroppedReportBackIntoALiveOutbox) {
  esper::testing::TempDir tmp;
  RefusingPublisher publisher;
  OutboxOptions options;
  options.wal_dir = tmp / "wal";
  options.retry_cap = 0;
  wal::Status status;
  auto outbox = Outbox::open(options, publisher, nullptr, &status);
  ASSERT_TRUE(status.ok()) << status.message();
  std::string id;
  ASSERT_TRUE(outbox->append(proto::FieldReport(), &id).ok());
  outbox->publish_cycle();
  ASSERT_EQ(outbox->counters().dropped_total, 1u);

  const ToolResult stat = esper_wal({"stat", options.wal_dir.string()});
  EXPECT_NE(stat.out.find("dropped 1"), std::string::npos) << stat.out;
  const ToolResult requeue = esper_wal({"requeue", options.wal_dir.string(), "--id", id});
  ASSERT_EQ(requeue.exit_code, 0) << requeue.out;
  publisher.refuse = false;
  outbox->publish_cycle();
  ASSERT_EQ(publisher.ids.size(), 2u);
  EXPECT_EQ(publisher.ids.back(), id);
  EXPECT_EQ(outbox->pending_ids(), std::vector<std::string>{id});
}

}  // namespace
}  // namespace esper::field_reports
