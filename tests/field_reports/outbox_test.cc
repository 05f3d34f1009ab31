// The outbox with a fake publisher and a fake clock: retries and drops at the cap with the seed's
// counters and events, refusals not counted as published, acks settling, restart replay, requeue,
// retention, and WAL failures refusing the report.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "field_reports/outbox.h"
#include "field_reports/outbox_records.h"
#include "field_reports/requeue_request.h"
#include "tests/support/fault_file_ops.h"
#include "tests/support/temp_dir.h"

namespace esper::field_reports {
namespace {

using namespace std::chrono_literals;

class FakePublisher : public ReportPublisher {
 public:
  PublishResult publish(const proto::FieldReport& report) override {
    published.push_back(report);
    if (on_publish) on_publish(report);
    return refuse ? PublishResult::kRefused : PublishResult::kAccepted;
  }
  bool refuse = false;
  std::vector<proto::FieldReport> published;
  std::function<void(const proto::FieldReport&)> on_publish;
};

struct Harness {
  esper::testing::TempDir tmp;
  FakePublisher publisher;
  std::vector<proto::TelemetryEvent> events;
  OutboxClock::time_point clock = OutboxClock::time_point{} + 1h;
  OutboxOptions options;
  std::unique_ptr<Outbox> outbox;

  Harness() {
    options.wal_dir = tmp / "wal";
    options.source = "tamiyo";
    options.retry_cap = 2;
    options.initial_backoff = 100ms;
    options.max_backoff = 1s;
    options.clock = [this] { return clock; };
  }
  void open() {
    outbox.reset();
    wal::Status status;
    outbox = Outbox::open(options, publisher, [this](const proto::TelemetryEvent& e) { events.push_back(e); },
                          &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  std::string append(const std::string& command = "cmd-1") {
    proto::FieldReport report;
    report.set_command_id(command);
    report.set_target_epochs(7);
    std::string id;
    const wal::Status s = outbox->append(report, &id);
    EXPECT_TRUE(s.ok()) << s.message();
    return id;
  }
  void ack(const std::string& id) {
    proto::FieldReportAck ack;
    ack.set_report_id(id);
    outbox->on_ack(ack);
  }
  // Runs a publish cycle that must send exactly one report: `id`, of `command`.
  void expect_cycle_sends_only(const std::string& id, const std::string& command) {
    publisher.published.clear();
    outbox->publish_cycle();
    ASSERT_EQ(publisher.published.size(), 1u);
    EXPECT_EQ(publisher.published[0].report_id(), id);
    EXPECT_EQ(publisher.published[0].command_id(), command);
  }
  std::vector<const proto::TelemetryEvent*> events_named(const std::string& name) const {
    std::vector<const proto::TelemetryEvent*> out;
    for (const auto& e : events) {
      if (e.description() == name) out.push_back(&e);
    }
    return out;
  }
};

TEST(FieldReportsOutbox, AppendWritesDurablyAssignsAUniqueIdAndEmitsSynthesised) {
  Harness h;
  h.open();
  const std::string id = h.append("cmd-42");
  EXPECT_TRUE(id.starts_with("tamiyo-")) << id;
  EXPECT_EQ(id.size(), std::string("tamiyo-").size() + 32);
  const auto synthesised = h.events_named("field_report_synthesised");
  ASSERT_EQ(synthesised.size(), 1u);
  EXPECT_EQ(synthesised[0]->level(), proto::SEVERITY_INFO);
  EXPECT_EQ(synthesised[0]->attributes().at("report_id"), id);
  EXPECT_EQ(synthesised[0]->attributes().at("command_id"), "cmd-42");
  EXPECT_EQ(synthesised[0]->attributes().at("target_epochs"), "7");
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{id});

  h.outbox->publish_cycle();
  ASSERT_EQ(h.publisher.published.size(), 1u);
  EXPECT_EQ(h.publisher.published[0].report_id(), id);
  EXPECT_EQ(h.outbox->counters().published_last_cycle, 1u);
  EXPECT_EQ(h.outbox->counters().pending_total, 1u);
}

TEST(FieldReportsOutbox, IdsAreNeverReusedAcrossRestartsAndAGivenIdMustBeNew) {
  Harness h;
  std::set<std::string> ids;
  for (int run = 0; run < 3; ++run) {
    h.open();
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(ids.insert(h.append()).second);
  }
  proto::FieldReport again;
  again.set_report_id(*ids.begin());
  EXPECT_EQ(h.outbox->append(again).code(), EEXIST);
}

TEST(FieldReportsOutbox, UnackedReportsAreRetriedWithBackoffThenDroppedAtTheCap) {
  Harness h;  // retry_cap 2: three attempts, two retries, then a drop.
  h.open();
  const std::string id = h.append();
  h.outbox->publish_cycle();  // Attempt 1.
  EXPECT_EQ(h.publisher.published.size(), 1u);
  h.clock += 99ms;
  h.outbox->publish_cycle();  // Not due yet: the ack may still come.
  EXPECT_EQ(h.publisher.published.size(), 1u);
  EXPECT_EQ(h.outbox->counters().published_last_cycle, 0u);

  h.clock += 1ms;
  h.outbox->publish_cycle();  // No ack after 100 ms: retry 1.
  ASSERT_EQ(h.publisher.published.size(), 2u);
  EXPECT_EQ(h.publisher.published[1].retry_count(), 1u);
  auto c = h.outbox->counters();
  EXPECT_EQ(c.retries_last_cycle, 1u);
  EXPECT_EQ(c.published_last_cycle, 1u);
  EXPECT_EQ(c.pending_total, 1u);

  h.clock += 199ms;
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 2u) << "backoff doubles to 200 ms";
  h.clock += 1ms;
  h.outbox->publish_cycle();  // Retry 2.
  ASSERT_EQ(h.publisher.published.size(), 3u);
  EXPECT_EQ(h.publisher.published[2].retry_count(), 2u);

  h.clock += 400ms;
  h.outbox->publish_cycle();  // Third failure: over the cap, dropped.
  EXPECT_EQ(h.publisher.published.size(), 3u);
  c = h.outbox->counters();
  EXPECT_EQ(c.dropped_total, 1u);
  EXPECT_EQ(c.pending_total, 0u);
  EXPECT_EQ(c.retries_last_cycle, 1u);
  EXPECT_EQ(c.retries_cumulative, 3u);
  EXPECT_EQ(c.published_cumulative, 3u);
  const auto retries = h.events_named("field_report_retry");
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_EQ(retries[0]->level(), proto::SEVERITY_WARNING);
  EXPECT_EQ(retries[0]->attributes().at("report_id"), id);
  EXPECT_EQ(retries[0]->attributes().at("retry_count"), "1");
  EXPECT_EQ(retries[1]->attributes().at("retry_count"), "2");
  const auto drops = h.events_named("field_report_drop");
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0]->level(), proto::SEVERITY_WARNING);
  EXPECT_EQ(drops[0]->attributes().at("report_id"), id);
  EXPECT_EQ(drops[0]->attributes().at("retry_count"), "3");

  h.clock += 1h;
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 3u) << "a dropped report is never retried";

  // Restart: the WAL kept the report, but it stays dropped (the prototype's bug was to retry it).
  h.open();
  EXPECT_TRUE(h.outbox->pending_ids().empty());
}

TEST(FieldReportsOutbox, RefusedPublishIsNotCountedAsPublished) {
  Harness h;
  h.open();
  h.append();
  h.publisher.refuse = true;
  h.outbox->publish_cycle();
  auto c = h.outbox->counters();
  EXPECT_EQ(c.published_last_cycle, 0u);
  EXPECT_EQ(c.published_cumulative, 0u);
  EXPECT_EQ(c.retries_last_cycle, 1u);
  EXPECT_EQ(h.events_named("field_report_retry").size(), 1u);
  h.publisher.refuse = false;
  h.clock += 200ms;
  h.outbox->publish_cycle();
  EXPECT_EQ(h.outbox->counters().published_last_cycle, 1u);
}

TEST(FieldReportsOutbox, ARefusalEndsTheCycleAndTheRestWaitWithoutAFailedAttempt) {
  Harness h;
  h.open();
  for (int i = 0; i < 5; ++i) h.append("r" + std::to_string(i));
  h.publisher.refuse = true;
  h.outbox->publish_cycle();
  // One refusal means the bus is full or gone: the other four are not pushed at it this cycle.
  EXPECT_EQ(h.publisher.published.size(), 1u);
  EXPECT_EQ(h.events_named("field_report_retry").size(), 1u) << "only the refused report failed an attempt";
  EXPECT_EQ(h.outbox->pending_ids().size(), 5u);
  h.publisher.refuse = false;
  h.clock += 200ms;
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 6u) << "all five are sent once the bus takes them again";
  for (std::size_t i = 1; i < 6; ++i) {
    EXPECT_EQ(h.publisher.published[i].retry_count(), h.publisher.published[i].report_id() ==
                                                              h.publisher.published[0].report_id() ? 1u : 0u);
  }
}

TEST(FieldReportsOutbox, AtMostMaxInFlightReportsAwaitAnAck) {
  Harness h;
  h.options.max_in_flight = 3;
  h.open();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(h.append("r" + std::to_string(i)));
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 3u) << "the window holds three";
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 3u) << "nothing more until an ack or a timeout";
  h.ack(ids[0]);
  h.ack(ids[1]);
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 5u) << "two acks make room for two";
  // Acks never come: after the timeout the three in flight are retried, still three at a time.
  h.clock += 1h;
  h.outbox->publish_cycle();
  EXPECT_EQ(h.publisher.published.size(), 8u);
  EXPECT_EQ(h.events_named("field_report_retry").size(), 3u) << "only the timed-out ones count a retry";
}

TEST(FieldReportsOutbox, AckSettlesTheReportForGoodEvenAcrossRestart) {
  Harness h;
  h.open();
  const std::string a = h.append("a");
  const std::string b = h.append("b");
  // Nissa acks `a` while it is being published (from inside publish()).
  h.publisher.on_publish = [&](const proto::FieldReport& r) {
    if (r.report_id() == a) h.ack(a);
  };
  h.outbox->publish_cycle();
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{b});
  EXPECT_EQ(h.outbox->counters().published_last_cycle, 2u);
  h.ack(a);  // Duplicate ack: harmless.
  h.ack("tamiyo-unknown");
  EXPECT_EQ(h.outbox->counters().unknown_acks, 1u);
  EXPECT_EQ(h.outbox->counters().settled_cumulative, 1u);

  h.open();  // Restart: b was never acked, so it is pending again; a is not.
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{b});
  h.expect_cycle_sends_only(b, "b");
}

TEST(FieldReportsOutbox, RequeueBringsDroppedReportsBackLiveAndOnRestart) {
  Harness h;
  h.options.retry_cap = 0;  // One attempt, then dropped.
  h.open();
  const std::string a = h.append("a");
  const std::string b = h.append("b");
  h.publisher.refuse = true;
  h.outbox->publish_cycle();  // a is refused; b is not tried in the same cycle (backpressure).
  EXPECT_EQ(h.outbox->counters().dropped_total, 1u);
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{b});
  h.outbox->publish_cycle();
  EXPECT_EQ(h.outbox->counters().dropped_total, 2u);
  EXPECT_TRUE(h.outbox->pending_ids().empty());
  h.publisher.refuse = false;

  // Live: one id, picked up on the next cycle.
  ASSERT_TRUE(write_requeue_request(h.options.wal_dir, {a}).ok());
  h.outbox->publish_cycle();
  EXPECT_EQ(h.outbox->counters().requeued_cumulative, 1u);
  ASSERT_FALSE(h.publisher.published.empty());
  EXPECT_EQ(h.publisher.published.back().report_id(), a);
  EXPECT_EQ(h.publisher.published.back().retry_count(), 0u) << "a requeued report starts afresh";
  EXPECT_TRUE(read_requeue_requests(h.options.wal_dir).empty()) << "request file not removed";
  h.ack(a);

  // While stopped: all dropped, picked up on start.
  h.outbox.reset();
  ASSERT_TRUE(write_requeue_request(h.options.wal_dir, {kRequeueAllDropped}).ok());
  h.open();
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{b});
  h.open();  // The requeue is in the WAL: b stays pending across another restart.
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{b});
}

TEST(FieldReportsOutbox, SettledSegmentsAreDeletedAndADroppedReportIsRelocatedNotLost) {
  Harness h;
  h.options.segment_size = 512;
  h.options.retry_cap = 0;
  h.open();
  const std::string dropped = h.append("will-drop");
  h.publisher.refuse = true;
  h.outbox->publish_cycle();
  h.publisher.refuse = false;
  ASSERT_EQ(h.outbox->counters().dropped_total, 1u);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(h.append());
  h.outbox->publish_cycle();
  for (const auto& id : ids) h.ack(id);
  h.outbox->publish_cycle();
  EXPECT_GT(h.outbox->deleted_segments(), 3u) << "settled segments must go, even behind a dropped report";
  const auto segments = wal::list_segments(h.options.wal_dir);
  ASSERT_FALSE(segments.empty());
  EXPECT_GT(segments.front().number, 1u) << "segment 1 should have been freed by relocating the drop";

  h.open();  // Nothing settled comes back; the dropped report is still dropped, and still there.
  EXPECT_TRUE(h.outbox->pending_ids().empty());
  ASSERT_TRUE(write_requeue_request(h.options.wal_dir, {dropped}).ok());
  h.expect_cycle_sends_only(dropped, "will-drop");
}

TEST(FieldReportsOutbox, ReplayOfARelocationInterruptedBeforeDeletionKeepsOneDroppedReport) {
  esper::testing::TempDir tmp;
  OutboxLog log;
  proto::FieldReport report;
  report.set_report_id("r1");
  report.set_command_id("c");
  const std::string bytes = report.SerializeAsString();
  auto apply = [&](OutboxRecord type, const std::string& payload, std::uint64_t segment) {
    log.apply(wal::WalRecord{to_byte(type), payload, wal::RecordPosition{segment, 16}});
  };
  apply(OutboxRecord::kReportAppended, bytes, 1);
  apply(OutboxRecord::kReportDropped, "r1", 1);
  apply(OutboxRecord::kReportAppended, bytes, 3);  // Relocated; segment 1 not yet deleted.
  apply(OutboxRecord::kReportDropped, "r1", 3);
  EXPECT_EQ(log.dropped_count(), 1u);
  EXPECT_EQ(log.pending(), 0u);
  EXPECT_EQ(log.find("r1")->segment, 3u);
  EXPECT_EQ(log.deletable_segments({1, 2, 3}, 3), (std::vector<std::uint64_t>{1, 2}));
}

TEST(FieldReportsOutbox, AppendFailsCleanlyWhenTheWalCannotMakeTheReportDurable) {
  Harness h;
  testing::FaultFileOps ops;
  h.options.file_ops = &ops;
  h.open();
  const std::string kept = h.append();
  ops.write_error = ENOSPC;
  proto::FieldReport report;
  const wal::Status s = h.outbox->append(report);
  EXPECT_EQ(s.code(), ENOSPC) << s.message();
  EXPECT_EQ(h.outbox->pending_ids(), std::vector<std::string>{kept});
  EXPECT_EQ(h.events_named("field_report_synthesised").size(), 1u);
  ops.write_error = 0;
  const std::string later = h.append();
  h.open();
  EXPECT_EQ(h.outbox->pending_ids(), (std::vector<std::string>{kept, later}));
}

// The seed's four names, plus the WAL's corrupt-record count (outbox.h).
TEST(FieldReportsOutbox, MetricPointsUseTheSeedNames) {
  Harness h;
  h.open();
  h.append();
  h.outbox->publish_cycle();
  std::map<std::string, double> values;
  for (const auto& p : h.outbox->metric_points()) {
    EXPECT_EQ(p.unit(), "count");
    values[p.name()] = p.value();
  }
  EXPECT_EQ(values, (std::map<std::string, double>{{"tamiyo.field_reports.dropped_total", 0},
                                                   {"tamiyo.field_reports.pending_total", 1},
                                                   {"tamiyo.field_reports.published_total", 1},
                                                   {"tamiyo.field_reports.retries_total", 0},
                                                   {"tamiyo.field_reports.wal_corrupt_records_total", 0}}));
}

}  // namespace
}  // namespace esper::field_reports
