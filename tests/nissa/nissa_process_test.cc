// Nissa as a real process between a real Oona and a real Prometheus: what a test producer sends is
// what the query API returns and what Prometheus scrapes; field reports are acknowledged once, and
// their index and the aggregates survive restarts, kill -9 included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "wal/wal_reader.h"
#include "nissa/store/aggregates_checkpoint.h"
#include "nissa/core/observer.h"
#include "oona/envelope_signer.h"
#include "proto/metric_point.h"
#include "tests/support/key_file.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using oona::testing::OonaProcess;
using esper::testing::wait_until;

// Count of the series `metric` from `source` in Nissa's API, or -1.
double series_field(NissaProcess& nissa, const std::string& query, const std::string& field) {
  const json j = nissa.get_json("/api/v1/series?" + query);
  if (!j.is_object() || j["series"].empty()) return -1;
  return j["series"][0][field].is_number() ? j["series"][0][field].get<double>() : -1;
}

class NissaProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    state_ = dir_ / "state";
    start_nissa();
  }
  void start_nissa(const std::string& persistence = "persistence: {checkpoint_interval: 100ms}\n") {
    nissa_ = std::make_unique<NissaProcess>(oona_.dir().path(), state_, persistence);
    ASSERT_TRUE(nissa_->ready()) << "nissa did not print its ready line";
  }

  OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::filesystem::path state_;
  std::unique_ptr<NissaProcess> nissa_;
};

TEST_F(NissaProcessTest, PrometheusScrapesWhatTheProducerSent) {
  oona::BusPublisher producer(oona::testing::publisher_options(oona_.endpoints(), "test-producer"));
  // Until the subscription has reached Oona, early envelopes are not delivered: resend the first
  // point until Nissa has it, then send the measured stream.
  ASSERT_TRUE(wait_until([&] {
    producer.publish(packet({proto::make_point("warmup", 1, "count")}));
    return series_field(*nissa_, "metric=warmup", "count") > 0;
  }, 20s)) << "nissa never saw the warm-up point";

  double sum_ttft = 0;
  for (int i = 1; i <= 200; ++i) {
    sum_ttft += i;
    ASSERT_TRUE(producer.publish(packet({
        proto::make_point("loss", 1.0 / i, "loss", proto::METRIC_KIND_GAUGE, {{"run", "r1"}}),
        proto::make_point("tokens_generated_total", i * 10.0, "count", proto::METRIC_KIND_COUNTER),
        proto::make_point("ttft_ms", i, "ms", proto::METRIC_KIND_HISTOGRAM),
        proto::make_point("kasmina.seed.alpha", 0.25, "ratio", proto::METRIC_KIND_GAUGE, {{"seed_id", "s1"}}),
    })));
  }
  ASSERT_TRUE(wait_until([&] { return series_field(*nissa_, "metric=ttft_ms", "count") == 200; }, 20s))
      << "nissa has " << series_field(*nissa_, "metric=ttft_ms", "count") << " of 200 ttft points";
  EXPECT_DOUBLE_EQ(series_field(*nissa_, "metric=loss&attr.run=r1", "last"), 1.0 / 200);
  EXPECT_DOUBLE_EQ(series_field(*nissa_, "metric=tokens_generated_total", "last"), 2000);
  EXPECT_DOUBLE_EQ(series_field(*nissa_, "metric=ttft_ms", "sum"), sum_ttft);
  EXPECT_NEAR(series_field(*nissa_, "metric=ttft_ms", "p95"), 190, 190 * 0.01 + 1);

  const json rollup = nissa_->get_json("/api/v1/rollups?metric=ttft_ms&window=1h");
  ASSERT_EQ(rollup["groups"].size(), 1u) << rollup.dump();
  EXPECT_EQ(rollup["groups"][0]["count"], 200);
  EXPECT_DOUBLE_EQ(rollup["groups"][0]["mean"].get<double>(), sum_ttft / 200);

  // promtool lints the live exposition.
  const auto metrics_file = dir_ / "metrics.txt";
  std::ofstream(metrics_file) << nissa_->get_text("/metrics");
  const std::string lint = "promtool check metrics < '" + metrics_file.string() + "'";
  EXPECT_EQ(std::system(lint.c_str()), 0) << "promtool check metrics failed on /metrics";

  // A real Prometheus scrapes Nissa.
  const int prom_port = free_port();
  const auto prom_config = dir_ / "prometheus.yml";
  const std::string target = nissa_->url().substr(std::string("http://").size());
  std::ofstream(prom_config) << "global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n"
                             << "scrape_configs:\n  - job_name: nissa\n    static_configs:\n"
                             << "      - targets: ['" << target << "']\n";
  esper::testing::ChildProcess prometheus(
      {"/usr/bin/prometheus", "--config.file=" + prom_config.string(),
       "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
      {.env = {}, .cwd = dir_.path(), .capture_stdout = false});
  httplib::Client prom("127.0.0.1", prom_port);
  prom.set_read_timeout(5, 0);
  auto query = [&](const std::string& promql) -> std::optional<double> {
    auto res = prom.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!res || res->status != 200) return std::nullopt;
    const json j = json::parse(res->body, nullptr, false);
    if (!j.is_object() || j["data"]["result"].empty()) return std::nullopt;
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
  };
  std::optional<double> loss;
  ASSERT_TRUE(wait_until([&] { return (loss = query("esper_loss{source=\"test-producer\",run=\"r1\"}")).has_value(); },
                         60s, 100ms))
      << "Prometheus never returned esper_loss scraped from nissa";
  EXPECT_DOUBLE_EQ(*loss, 1.0 / 200);
  EXPECT_EQ(query("esper_tokens_generated_total{source=\"test-producer\"}"), 2000);
  EXPECT_EQ(query("esper_ttft_seconds_count{source=\"test-producer\"}"), 200);
  EXPECT_NEAR(query("esper_ttft_seconds_sum{source=\"test-producer\"}").value_or(-1), sum_ttft / 1000, 1e-9);
  EXPECT_EQ(query("esper_kasmina_seed_alpha_ratio{seed_id=\"s1\"}"), 0.25);
  EXPECT_EQ(query("up{job=\"nissa\"}"), 1);
}

// The rollup merge property through the real processes: points stamped across 90 one-minute
// buckets, queried over a one-hour window, give the count, sum, mean and stddev computed directly
// from the values sent, and a p95 within the sketch's 1% relative error.
TEST_F(NissaProcessTest, HourWindowOverNinetyMinuteBucketsMatchesDirectComputation) {
  oona::BusPublisher producer(oona::testing::publisher_options(oona_.endpoints(), "stream-gateway"));
  ASSERT_TRUE(wait_until([&] {
    producer.publish(packet({proto::make_point("warmup", 1, "count")}));
    return series_field(*nissa_, "metric=warmup", "count") > 0;
  }, 20s));
  constexpr std::int64_t kMinute = 60'000;
  const std::int64_t now_ms = static_cast<std::int64_t>(proto::now_unix_ns() / 1'000'000);
  const std::int64_t start = (now_ms / kMinute - 100) * kMinute;  // 100 minutes ago, bucket-aligned.
  std::vector<double> in_hour;
  int sent = 0;
  for (int minute = 0; minute < 90; ++minute) {
    proto::Envelope e = packet({});
    for (int i = 0; i < 20; ++i) {
      const double fps = 20 + ((minute * 37 + i * 11) % 23) * 0.5;
      auto p = proto::make_point("output_fps", fps, "fps", proto::METRIC_KIND_HISTOGRAM, {{"gpu_id", "0"}});
      p.set_timestamp_unix_ns(static_cast<std::uint64_t>(start + minute * kMinute + i * 1000) * 1'000'000);
      *e.mutable_telemetry()->add_metrics() = p;
      if (minute >= 20 && minute < 80) in_hour.push_back(fps);
      ++sent;
    }
    ASSERT_TRUE(producer.publish(e));
  }
  ASSERT_TRUE(wait_until([&] { return series_field(*nissa_, "metric=output_fps", "count") == sent; }, 20s));
  const std::int64_t from = start + 20 * kMinute, to = start + 80 * kMinute;
  const json r = nissa_->get_json("/api/v1/rollups?metric=output_fps&from=" + std::to_string(from) +
                                  "&to=" + std::to_string(to));
  ASSERT_EQ(r["groups"].size(), 1u) << r.dump();
  const json& g = r["groups"][0];
  double sum = 0;
  for (double v : in_hour) sum += v;
  const double n = static_cast<double>(in_hour.size());
  double ss = 0;
  for (double v : in_hour) ss += (v - sum / n) * (v - sum / n);
  EXPECT_EQ(g["count"], in_hour.size());
  EXPECT_NEAR(g["sum"].get<double>(), sum, 1e-9 * sum);
  EXPECT_NEAR(g["mean"].get<double>(), sum / n, 1e-9);
  EXPECT_NEAR(g["stddev"].get<double>(), std::sqrt(ss / n), 1e-6);
  std::sort(in_hour.begin(), in_hour.end());
  const double p95 = in_hour[static_cast<std::size_t>(0.95 * (n - 1))];
  EXPECT_NEAR(g["p95"].get<double>(), p95, p95 * 0.01);
}

TEST_F(NissaProcessTest, FieldReportsAckedOnceAndIndexSurvivesRestarts) {
  oona::BusPublisher tamiyo(oona::testing::publisher_options(oona_.endpoints(), "tamiyo"));
  auto sub_options = oona::testing::subscriber_options(oona_.endpoints());
  sub_options.prefixes = {"reliable.ack."};
  oona::BusSubscriber acks(sub_options);

  auto first = send_until_acked(tamiyo, acks, "tamiyo-r1");
  ASSERT_TRUE(first.has_value()) << "no ack for tamiyo-r1";
  EXPECT_GT(first->durable_at_unix_ns(), 0u);
  // The outbox may have sent it more than once before the ack; only one is stored.
  auto again = send_until_acked(tamiyo, acks, "tamiyo-r1");
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(nissa_->get_json("/api/v1/field_reports")["total"], 1);

  // A clean restart, then a kill -9: the id index comes back from the WAL each time.
  EXPECT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0");
  start_nissa();
  auto after_restart = send_until_acked(tamiyo, acks, "tamiyo-r1");
  ASSERT_TRUE(after_restart.has_value());
  EXPECT_TRUE(after_restart->duplicate()) << "a retry after restart was stored again";
  ASSERT_TRUE(send_until_acked(tamiyo, acks, "tamiyo-r2").has_value());
  nissa_->process().kill9();
  start_nissa();
  auto after_kill = send_until_acked(tamiyo, acks, "tamiyo-r2");
  ASSERT_TRUE(after_kill.has_value());
  EXPECT_TRUE(after_kill->duplicate()) << "an acked report was lost by kill -9";
  const json reports = nissa_->get_json("/api/v1/field_reports");
  EXPECT_EQ(reports["total"], 2);
  EXPECT_EQ(reports["field_reports"][0]["report"]["report_id"], "tamiyo-r1");
  EXPECT_EQ(reports["field_reports"][0]["source"], "tamiyo");

  // esper-wal decodes Nissa's records (serialized envelopes), also while Nissa is writing.
  esper::testing::ChildProcess dump({esper::testing::built_binary("field_reports/esper-wal").string(), "dump",
                                     "--json", (state_ / "wal").string()});
  const auto line = dump.wait_for_line("\"report_id\":\"tamiyo-r2\"", 10s);
  ASSERT_TRUE(line.has_value()) << "esper-wal dump --json did not decode Nissa's report record";
  const json record = json::parse(*line, nullptr, false);
  EXPECT_EQ(record["type"], "nissa_field_report");
  EXPECT_EQ(record["envelope"]["source"], "tamiyo");
  EXPECT_EQ(record["envelope"]["field_report"]["command_id"], "cmd-1");
}

TEST_F(NissaProcessTest, AggregatesAndWarningEventsSurviveKill9UpToTheLastCheckpoint) {
  oona::BusPublisher producer(oona::testing::publisher_options(oona_.endpoints(), "tolaria"));
  ASSERT_TRUE(wait_until([&] {
    producer.publish(packet({proto::make_point("loss", 0.5, "loss")}));
    return series_field(*nissa_, "metric=loss", "count") > 0;
  }, 20s));
  proto::Envelope warning;
  warning.set_severity(proto::SEVERITY_WARNING);
  warning.mutable_event()->set_description("field_report_retry");
  warning.mutable_event()->set_level(proto::SEVERITY_WARNING);
  ASSERT_TRUE(producer.publish(warning));
  ASSERT_TRUE(wait_until([&] { return nissa_->get_json("/api/v1/events?min_severity=warning")["events"].size() == 1; }, 20s));
  const double count = series_field(*nissa_, "metric=loss", "count");

  // Wait for a checkpoint holding this count, then kill -9.
  ASSERT_TRUE(wait_until([&] {
    std::ifstream in(state_ / "aggregates.ckpt", std::ios::binary);
    if (!in) return false;
    std::stringstream bytes;
    bytes << in.rdbuf();
    MetricAggregator restored;
    try {
      restore_aggregates(restored, bytes.str());
    } catch (const std::exception&) {
      return false;
    }
    const Series* s = restored.find(SeriesKey{"tolaria", "loss", {}});
    return s != nullptr && static_cast<double>(s->stats.count()) == count;
  }, 20s)) << "no checkpoint with the loss series was written";
  nissa_->process().kill9();
  start_nissa();
  EXPECT_EQ(series_field(*nissa_, "metric=loss", "count"), count);
  const json events = nissa_->get_json("/api/v1/events?min_severity=warning");
  ASSERT_EQ(events["events"].size(), 1u) << events.dump();
  EXPECT_EQ(events["events"][0]["description"], "field_report_retry");
}

// Nissa with a signing key behind an Oona without one (a key given to one side only): what arrives
// unsigned is refused and counted under its reason in Nissa's metrics (the bus client logs it too:
// BusSubscriberBatch checks that), and a signed producer's points still arrive.
TEST(NissaSigning, UnsignedEnvelopesAreRefusedAndCountedByReason) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready()) << "oona did not start";
  esper::testing::TempDir dir;
  NissaProcess nissa(oona.dir().path(), dir / "state", "signing: {key_hex: " + esper::testing::kSigningKeyHex + "}\n");
  ASSERT_TRUE(nissa.ready()) << "nissa did not print its ready line";
  oona::BusPublisher unsigned_producer(oona::testing::publisher_options(oona.endpoints(), "unsigned-producer"));
  auto signed_options = oona::testing::publisher_options(oona.endpoints(), "signed-producer");
  signed_options.signing_key = oona::parse_hex_key(esper::testing::kSigningKeyHex);
  oona::BusPublisher signed_producer(signed_options);

  const std::string counter = "esper_nissa_rejected_total{source=\"nissa\",reason=\"unsigned\"} ";
  auto unsigned_rejected = [&] {
    const std::string text = nissa.get_text("/metrics");
    const auto at = text.find(counter);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + counter.size()));
  };
  ASSERT_TRUE(wait_until([&] {
    unsigned_producer.publish(packet({proto::make_point("unsigned.metric", 1, "count")}));
    signed_producer.publish(packet({proto::make_point("signed.metric", 1, "count")}));
    return series_field(nissa, "metric=signed.metric", "count") > 0 && unsigned_rejected() > 0;
  }, 20s)) << "signed points: " << series_field(nissa, "metric=signed.metric", "count")
           << ", unsigned rejected: " << unsigned_rejected();
  EXPECT_EQ(series_field(nissa, "metric=unsigned.metric", "count"), -1) << "an unsigned point was aggregated";
}

TEST_F(NissaProcessTest, HealthReadinessAndBadQueries) {
  int status = 0;
  EXPECT_EQ(nissa_->get_json("/healthz", &status)["status"], "ok");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(nissa_->get_json("/readyz", &status)["ready"], true);
  const json bad = nissa_->get_json("/api/v1/rollups?metric=x&window=soon", &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(bad["parameter"], "window");
  nissa_->get_json("/nope", &status);
  EXPECT_EQ(status, 404);
}

}  // namespace
}  // namespace esper::nissa::testing

namespace esper::nissa::testing {
namespace {

// kill -9 Nissa in the middle of 10k field reports sent through the real outbox: after restart
// every report is stored exactly once and every one is acknowledged.
TEST_F(NissaProcessTest, Kill9MidStreamOfTenThousandReportsLosesNoneAndStoresNoneTwice) {
  constexpr int kReports = 10'000;
  esper::testing::ChildProcess sender({esper::testing::built_binary("tests/nissa/report_sender").string(),
                                       "--runtime-dir", oona_.dir().path().string(), "--wal-dir",
                                       (dir_ / "outbox").string(), "--count", std::to_string(kReports),
                                       "--rate", "4000"});
  ASSERT_TRUE(sender.wait_for_line("appended 3000", 60s)) << "the sender did not get going";
  nissa_->process().kill9();
  start_nissa();
  ASSERT_TRUE(sender.wait_for_line("all settled", 180s))
      << "not every report was acknowledged after the restart";
  const auto status = sender.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(esper::testing::describe_status(*status), "exit 0");

  const json reports = nissa_->get_json("/api/v1/field_reports?limit=1");
  EXPECT_EQ(reports["total"], kReports);
  // The WAL itself holds each report once: stop Nissa and count the records.
  EXPECT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0");
  std::set<std::string> ids;
  std::size_t records = 0;
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(state_ / "wal", [&](const wal::WalRecord& r) {
    if (r.type != kRecordFieldReport) return;
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size())));
    ids.insert(e.field_report().report_id());
    ++records;
  }, &summary).ok());
  EXPECT_EQ(records, static_cast<std::size_t>(kReports)) << "a report was stored twice (or lost)";
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kReports));
  // esper-wal reads Nissa's WAL too, naming its records.
  esper::testing::ChildProcess stat({esper::testing::built_binary("field_reports/esper-wal").string(), "stat",
                                     (state_ / "wal").string()});
  EXPECT_TRUE(stat.wait_for_line("nissa_field_report: " + std::to_string(kReports), 10s))
      << "esper-wal stat did not count Nissa's field-report records";
}

// Retention: WAL segments whose last write is older than the retention period are deleted (never
// the one being written) and their reports forgotten; a restart replays the same remainder.
TEST_F(NissaProcessTest, RetentionDeletesExpiredWalSegmentsAndForgetsTheirReports) {
  EXPECT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0");
  const std::string persistence =
      "persistence: {checkpoint_interval: 100ms, wal_segment_size: 2KiB, retention: 1h}\n";
  start_nissa(persistence);
  oona::BusPublisher tamiyo(oona::testing::publisher_options(oona_.endpoints(), "tamiyo"));
  auto sub_options = oona::testing::subscriber_options(oona_.endpoints());
  sub_options.prefixes = {"reliable.ack."};
  oona::BusSubscriber acks(sub_options);
  constexpr int kReports = 100;
  for (int i = 0; i < kReports; ++i) {
    ASSERT_TRUE(send_until_acked(tamiyo, acks, "old-" + std::to_string(i)).has_value()) << i;
  }

  // Which segment holds which report, as the WAL says.
  std::map<std::uint64_t, std::vector<std::string>> ids_by_segment;
  wal::WalReadSummary summary;
  ASSERT_TRUE(wal::read_wal(state_ / "wal", [&](const wal::WalRecord& r) {
    if (r.type != kRecordFieldReport) return;
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size())));
    ids_by_segment[r.position.segment].push_back(e.field_report().report_id());
  }, &summary).ok());
  const auto segments = wal::list_segments(state_ / "wal");
  ASSERT_GE(segments.size(), 3u) << "100 reports should span several 2 KiB segments";
  const std::uint64_t current = segments.back().number;
  ASSERT_FALSE(ids_by_segment[current].empty());
  const std::size_t kept = ids_by_segment[current].size();

  // Age every segment past the retention period, the one being written included.
  for (const auto& segment : segments) {
    std::filesystem::last_write_time(segment.path, std::filesystem::file_time_type::clock::now() - 2h);
  }
  ASSERT_TRUE(wait_until([&] { return nissa_->get_json("/api/v1/field_reports?limit=1")["total"] == kept; }, 10s))
      << "expected " << kept << " reports left, have "
      << nissa_->get_json("/api/v1/field_reports?limit=1")["total"];
  const auto left = wal::list_segments(state_ / "wal");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].number, current) << "the segment being written was deleted";

  // The same remainder after a restart; a report of the current segment is still known.
  EXPECT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0");
  start_nissa(persistence);
  EXPECT_EQ(nissa_->get_json("/api/v1/field_reports?limit=1")["total"], kept);
  auto known = send_until_acked(tamiyo, acks, ids_by_segment[current].back());
  ASSERT_TRUE(known.has_value());
  EXPECT_TRUE(known->duplicate()) << "a report of the kept segment was forgotten";
}

}  // namespace
}  // namespace esper::nissa::testing
