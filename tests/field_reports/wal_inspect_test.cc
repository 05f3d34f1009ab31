// esper-wal's subcommands as functions: stat counts, dump (text and JSON), verify's exit code and
// offsets (torn tail vs real corruption), requeue requests, compact deleting only settled segments.
#include <gtest/gtest.h>

#include <sstream>

#include "esper/envelope.pb.h"

#include "field_reports/outbox.h"
#include "field_reports/outbox_records.h"
#include "field_reports/requeue_request.h"
#include "field_reports/wal_inspect.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_writer.h"
#include "nissa/store/journal_records.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/temp_dir.h"

namespace esper::field_reports {
namespace {

using testing::file_bytes;
using testing::write_bytes;

struct CliRun {
  int code;
  std::string out, err;
};

template <typename F>
CliRun run(F&& f) {
  std::ostringstream out, err;
  const int code = f(out, err);
  return CliRun{code, out.str(), err.str()};
}

// Every one of `parts` appears in `text`.
void expect_contains(const std::string& text, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(text.find(part), std::string::npos) << "no \"" << part << "\" in:\n" << text;
  }
}

// A WAL with three reports: one settled, one dropped, one pending.
struct OutboxWal {
  esper::testing::TempDir tmp;
  std::filesystem::path dir = tmp / "wal";
  std::string settled, dropped, pending;

  explicit OutboxWal(std::uint64_t segment_size = wal::kDefaultSegmentSize) {
    wal::WalWriterOptions options;
    options.dir = dir;
    options.segment_size = segment_size;
    auto writer = testing::open_test_writer(options);
    auto add = [&](const std::string& id) {
      proto::FieldReport report;
      report.set_report_id(id);
      report.set_command_id("cmd-" + id);
      report.set_outcome(proto::FIELD_REPORT_OUTCOME_SUCCESS);
      EXPECT_TRUE(writer->append_durable(to_byte(OutboxRecord::kReportAppended), report.SerializeAsString()).ok());
      return id;
    };
    settled = add("r-settled");
    dropped = add("r-dropped");
    pending = add("r-pending");
    EXPECT_TRUE(writer->append_durable(to_byte(OutboxRecord::kReportSettled), settled).ok());
    EXPECT_TRUE(writer->append_durable(to_byte(OutboxRecord::kReportDropped), dropped).ok());
  }
};

TEST(FieldReportsEsperWal, StatCountsRecordsByTypeAndReportStates) {
  OutboxWal wal;
  const CliRun r = run([&](auto& out, auto& err) { return wal_stat(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  expect_contains(r.out, {"segments: 1", "records: 5", "report: 3", "settled: 1",
                         "reports: pending 1, settled 1, dropped 1"});
}

TEST(FieldReportsEsperWal, DumpPrintsReadableAndJsonLines) {
  OutboxWal wal;
  CliRun r = run([&](auto& out, auto& err) { return wal_dump(wal.dir, false, out, err); });
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("segment 1 offset 16 report"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("id=r-settled command=cmd-r-settled outcome=FIELD_REPORT_OUTCOME_SUCCESS"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dropped (9 bytes) id=r-dropped"), std::string::npos) << r.out;
  r = run([&](auto& out, auto& err) { return wal_dump(wal.dir, true, out, err); });
  EXPECT_EQ(r.code, kExitOk);
  std::istringstream lines(r.out);
  std::string first;
  std::getline(lines, first);
  EXPECT_TRUE(first.starts_with("{\"segment\":1,\"offset\":16,\"type\":\"report\"")) << first;
  EXPECT_NE(first.find("\"report_id\":\"r-settled\""), std::string::npos) << first;
  EXPECT_NE(r.out.find("{\"segment\":1,"), std::string::npos);
  EXPECT_NE(r.out.find("\"type\":\"settled\",\"type_code\":2,\"length\":9,\"report_id\":\"r-settled\"}"),
            std::string::npos) << r.out;
}

TEST(FieldReportsEsperWal, VerifyIsCleanOnAGoodWalAndTreatsATornTailAsTailInProgress) {
  OutboxWal wal;
  CliRun r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.out;
  const auto segment = wal::list_segments(wal.dir).at(0).path;
  const std::string bytes = file_bytes(segment);
  write_bytes(segment, bytes.substr(0, bytes.size() - 3));  // A writer mid-append.
  r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("tail in progress"), std::string::npos) << r.out;
}

TEST(FieldReportsEsperWal, VerifyReportsAFlippedBitWithSegmentAndOffsetAndFails) {
  OutboxWal wal;
  auto [segment, bytes, positions] = testing::first_segment(wal.dir);
  const std::uint64_t target = positions[1].offset;
  bytes[target + wal::kRecordHeaderSize + 2] ^= 0x04;  // Inside the second record's payload.
  write_bytes(segment, bytes);
  const CliRun r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitProblems);
  EXPECT_NE(r.out.find("CORRUPT segment 1 offset " + std::to_string(target)), std::string::npos) << r.out;
}

TEST(FieldReportsEsperWal, RequeueWritesARequestForADroppedReportOrAllDropped) {
  OutboxWal wal;
  CliRun r = run([&](auto& out, auto& err) { return wal_requeue(wal.dir, wal.dropped, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  auto requests = read_requeue_requests(wal.dir);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].ids, std::vector<std::string>{wal.dropped});

  r = run([&](auto& out, auto& err) { return wal_requeue(wal.dir, "", out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  requests = read_requeue_requests(wal.dir);
  ASSERT_EQ(requests.size(), 2u);

  r = run([&](auto& out, auto& err) { return wal_requeue(wal.dir, wal.settled, out, err); });
  EXPECT_EQ(r.code, kExitError);
  EXPECT_NE(r.err.find("already settled"), std::string::npos);
  r = run([&](auto& out, auto& err) { return wal_requeue(wal.dir, "nope", out, err); });
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(read_requeue_requests(wal.dir).size(), 2u) << "a refused requeue must not write a request";
}

TEST(FieldReportsEsperWal, CompactDeletesOnlyFullySettledLeadingSegmentsNeverTheLast) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "wal";
  {
    wal::WalWriterOptions options;
    options.dir = dir;
    options.segment_size = 256;
    auto writer = testing::open_test_writer(options);
    for (int i = 0; i < 6; ++i) {
      proto::FieldReport report;
      report.set_report_id("r" + std::to_string(i));
      report.set_command_id(std::string(100, 'c'));
      ASSERT_TRUE(writer->append_durable(to_byte(OutboxRecord::kReportAppended), report.SerializeAsString()).ok());
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(writer->append_durable(to_byte(OutboxRecord::kReportSettled), "r" + std::to_string(i)).ok());
    }
  }
  const auto before = wal::list_segments(dir).size();
  ASSERT_GE(before, 6u);  // One report per 256-byte segment.
  const CliRun r = run([&](auto& out, auto& err) { return wal_compact(dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("deleted 3 settled segments"), std::string::npos) << r.out;
  EXPECT_EQ(wal::list_segments(dir).size(), before - 3);
  EXPECT_EQ(wal::list_segments(dir).front().number, 4u);
  OutboxLog log;
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(dir, [&](const wal::WalRecord& rec) { log.apply(rec); }, &summary).ok());
  EXPECT_EQ(log.pending(), 3u) << "the unsettled reports survive compaction";
}

// A WAL as Nissa writes it: serialized envelopes under Nissa's record types.
struct NissaWal {
  esper::testing::TempDir tmp;
  std::filesystem::path dir = tmp / "wal";

  NissaWal() {
    wal::WalWriterOptions options;
    options.dir = dir;
    auto writer = testing::open_test_writer(options);
    auto put = [&](std::uint8_t type, const proto::Envelope& e) {
      EXPECT_TRUE(writer->append_durable(type, e.SerializeAsString()).ok());
    };
    for (int i = 0; i < 5; ++i) {
      proto::Envelope e;
      e.set_source(i < 3 ? "tamiyo" : "kasmina");
      e.mutable_field_report()->set_report_id("r" + std::to_string(i));
      put(nissa::kRecordFieldReport, e);
    }
    proto::Envelope event;
    event.set_source("tolaria");
    event.mutable_event()->set_description("field_report_retry");
    put(nissa::kRecordEvent, event);
    put(nissa::kRecordEvent, event);
    proto::Envelope violation;
    violation.set_source("nissa");
    violation.mutable_event()->set_description(std::string(nissa::kSchemaViolationEvent));
    put(nissa::kRecordEvent, violation);
    proto::Envelope alert;
    alert.set_source("nissa");
    alert.mutable_event()->set_description("loss_spike");
    put(nissa::kRecordAlert, alert);
    put(nissa::kRecordAlertsCleared, proto::Envelope());
    // A record of a known type whose payload is not an envelope.
    EXPECT_TRUE(writer->append_durable(nissa::kRecordFieldReport, std::string("\xff\xff\xff", 3)).ok());
  }
};

TEST(FieldReportsEsperWal, StatOnNissasWalCountsItsRecordsNotOutboxReports) {
  NissaWal wal;
  const CliRun r = run([&](auto& out, auto& err) { return wal_stat(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  expect_contains(r.out, {"owner: nissa", "nissa_field_report: 6",
                         "field reports stored: 5 (5 distinct ids from 2 sources)", "events: 2\n",
                         "schema violations: 1\n", "alerts: 1\n", "alerts-cleared marks: 1\n",
                         "unparseable records: 1\n"});
  EXPECT_EQ(r.out.find("reports: pending"), std::string::npos) << "outbox figures on Nissa's WAL: " << r.out;
  EXPECT_EQ(r.out.find("corrupt"), std::string::npos) << r.out;
}

TEST(FieldReportsEsperWal, StatOnNissasWalCountsCorruptRangesAcknowledgedOrNot) {
  NissaWal wal;
  auto [segment, bytes, positions] = testing::first_segment(wal.dir);
  bytes[positions[1].offset + wal::kRecordHeaderSize + 1] ^= 0x02;
  bytes[positions[6].offset + 3] ^= 0x02;
  write_bytes(segment, bytes);
  const std::string range = "1:" + std::to_string(positions[1].offset);
  CliRun r = run([&](auto& out, auto& err) { return wal_acknowledge(wal.dir, {range}, false, out, err); });
  ASSERT_EQ(r.code, kExitOk) << r.err;
  r = run([&](auto& out, auto& err) { return wal_stat(wal.dir, out, err); });
  EXPECT_NE(r.out.find("field reports stored: 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("corrupt records: 2 ranges (1 acknowledged, 1 not"), std::string::npos) << r.out;
}

TEST(FieldReportsEsperWal, CompactRefusesNissasWal) {
  NissaWal wal;
  const CliRun r = run([&](auto& out, auto& err) { return wal_compact(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitError);
  EXPECT_NE(r.err.find("is Nissa's WAL"), std::string::npos) << r.err;
  EXPECT_EQ(wal::list_segments(wal.dir).size(), 1u);
}

TEST(FieldReportsEsperWal, VerifyFailsOnEachCorruptRangeUntilAcknowledged) {
  OutboxWal wal;
  auto [segment, bytes, positions] = testing::first_segment(wal.dir);
  bytes[positions[0].offset + wal::kRecordHeaderSize + 2] ^= 0x04;
  bytes[positions[3].offset + 9] ^= 0x04;  // A header: the range reaches the next good record.
  write_bytes(segment, bytes);
  const std::string first = "segment 1 offset " + std::to_string(positions[0].offset) + " length " +
                            std::to_string(positions[1].offset - positions[0].offset);
  const std::string second = "segment 1 offset " + std::to_string(positions[3].offset) + " length " +
                             std::to_string(positions[4].offset - positions[3].offset);

  CliRun r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitProblems) << r.out;
  expect_contains(r.out, {"CORRUPT " + first, "CORRUPT " + second, "3 records checked, 2 problems"});

  // The owner's quarantine copy is named in the listing.
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(wal.dir, nullptr, &summary).ok());
  bool copied = false;
  ASSERT_TRUE(wal::quarantine_range(wal.dir, summary.problems.at(0), &copied).ok());
  EXPECT_TRUE(copied);

  const std::string first_token = "1:" + std::to_string(positions[0].offset);
  r = run([&](auto& out, auto& err) { return wal_acknowledge(wal.dir, {first_token}, false, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitProblems) << r.out;
  expect_contains(r.out, {"acknowledged: " + first, wal::quarantine_path(wal.dir, summary.problems[0]).string(),
                         "CORRUPT " + second, "1 problems (1 acknowledged)"});

  r = run([&](auto& out, auto& err) { return wal_acknowledge(wal.dir, {"1:5"}, false, out, err); });
  EXPECT_EQ(r.code, kExitError) << "a range verify does not list cannot be acknowledged";
  r = run([&](auto& out, auto& err) { return wal_acknowledge(wal.dir, {}, true, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.err;
  r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_NE(r.out.find("OK: 1 segments, 3 records checked, 0 problems (2 acknowledged)"), std::string::npos) << r.out;
  EXPECT_EQ(file_bytes(segment), bytes) << "acknowledging must not touch the damaged bytes";

  // More damage to an acknowledged range makes it a new range that fails verify again.
  bytes[positions[1].offset + wal::kRecordHeaderSize + 1] ^= 0x04;
  write_bytes(segment, bytes);
  r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err); });
  EXPECT_EQ(r.code, kExitProblems) << r.out;
}

TEST(FieldReportsEsperWal, VerifyAndCompactShowProgressOnStderr) {
  OutboxWal wal(256);
  ProgressOutput progress;
  progress.log_every = std::chrono::milliseconds(0);  // Every update the reader sends.
  CliRun r = run([&](auto& out, auto& err) { return wal_verify(wal.dir, out, err, progress); });
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.err.find("esper-wal: verifying " + wal.dir.string() + ": 100% ("), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("100%"), std::string::npos) << "progress belongs on stderr: " << r.out;
  progress.terminal = true;
  r = run([&](auto& out, auto& err) { return wal_compact(wal.dir, out, err, progress); });
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(r.err.starts_with("\r")) << r.err;
  EXPECT_TRUE(r.err.ends_with("\n")) << r.err;
  EXPECT_NE(r.err.find("100%"), std::string::npos) << r.err;
}

TEST(FieldReportsEsperWal, AMissingDirectorySaysItDoesNotExist) {
  const CliRun r = run([&](auto& out, auto& err) { return wal_stat("/nonexistent/esper-wal", out, err); });
  EXPECT_EQ(r.code, kExitError);
  EXPECT_NE(r.err.find("/nonexistent/esper-wal does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace esper::field_reports
