// An exporter against a real HTTP server in the test that answers as the test scripts it: order,
// retries, drops, shedding, expiry and stopping while the remote hangs.
#include "nissa/export/exporter.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <deque>
#include <latch>
#include <mutex>
#include <thread>

#include "tests/nissa/export/fast_exporter_options.h"
#include "tests/support/wait_until.h"

namespace esper::nissa {
namespace {

using namespace std::chrono_literals;
using esper::testing::wait_until;

// One batch per offer(), its body the first series' name, so the receiver can tell batches apart.
class NameEncoder final : public ExportEncoder {
 public:
  void encode(std::span<const SeriesSample> series, std::int64_t, std::vector<ExportBatch>& out) override {
    out.push_back(ExportBatch{series.front().key.name, series.size(), std::chrono::steady_clock::now()});
  }
  std::vector<std::string> headers() const override { return {"Content-Type: text/plain", "X-Test: yes"}; }
};

// An HTTP receiver on a free loopback port: answers each POST with the next scripted status (200
// once the script is spent) and records the bodies it answered 2xx.
class Receiver {
 public:
  Receiver() {
    server_.Post("/write", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::unique_lock lock(mu_);
        release_.wait_for(lock, 30s, [&] { return !hang_; });
      }
      std::lock_guard lock(mu_);
      ++requests_;
      header_ = req.get_header_value("X-Test");
      int status = 200;
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      if (status / 100 == 2) accepted_.push_back(req.body);
      res.status = status;
      res.set_content("scripted " + std::to_string(status), "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    wait_until([&] { return server_.is_running(); }, 5s);
  }
  ~Receiver() {
    set_hang(false);
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/write"; }
  void script(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), statuses);
  }
  void set_hang(bool hang) {
    {
      std::lock_guard lock(mu_);
      hang_ = hang;
    }
    release_.notify_all();
  }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string header() {
    std::lock_guard lock(mu_);
    return header_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable release_;
  std::deque<int> script_;
  std::vector<std::string> accepted_;
  int requests_ = 0;
  std::string header_;
  bool hang_ = false;  // Under mu_.
};

ExporterOptions options_for(const std::string& url) { return testing::fast_exporter_options("test", url); }

void offer(Exporter& e, const std::string& name, std::size_t series = 1) {
  std::vector<SeriesSample> samples(series);
  samples[0].key.name = name;
  e.offer(samples, 1);
}

// A port nothing listens on (bound, then closed).
std::string dead_url() {
  httplib::Server s;
  const int port = s.bind_to_any_port("127.0.0.1");
  s.stop();
  return "http://127.0.0.1:" + std::to_string(port) + "/write";
}

TEST(ExporterTest, SendsBatchesInOrderWithTheEncodersHeaders) {
  Receiver receiver;
  Exporter exporter(options_for(receiver.url()), std::make_unique<NameEncoder>());
  for (const char* name : {"a", "b", "c"}) offer(exporter, name, 2);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 6; }, 10s))
      << "sent " << exporter.stats().samples_sent << " of 6 samples";
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(receiver.header(), "yes");
  EXPECT_EQ(exporter.stats().requests_sent, 3u);
}

TEST(ExporterTest, AServerErrorOrTooManyRequestsIsRetriedBeforeTheNextBatch) {
  Receiver receiver;
  receiver.script({503, 429, 500});
  Exporter exporter(options_for(receiver.url()), std::make_unique<NameEncoder>());
  offer(exporter, "first");
  offer(exporter, "second");
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 2; }, 10s));
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(exporter.stats().retries, 3u);
  EXPECT_EQ(receiver.requests(), 5);
}

TEST(ExporterTest, AClientErrorDropsTheBatchCountsItAndGoesOn) {
  Receiver receiver;
  receiver.script({400});
  Exporter exporter(options_for(receiver.url()), std::make_unique<NameEncoder>());
  offer(exporter, "refused", 3);
  offer(exporter, "next", 1);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 1; }, 10s));
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{"next"}));
  EXPECT_EQ(exporter.stats().dropped.at("rejected"), 3u);
  EXPECT_EQ(exporter.stats().retries, 0u);
}

TEST(ExporterTest, ARemoteThatIsDownCostsOnlyTheBoundedBufferAndShedsTheOldest) {
  ExporterOptions o = options_for(dead_url());
  o.buffer_bytes = 10'000;
  Exporter exporter(o, std::make_unique<NameEncoder>());
  const std::string big(1000, 'x');
  for (int i = 0; i < 50; ++i) offer(exporter, big + std::to_string(i));  // ~50 KB offered.
  const ExporterStats s = exporter.stats();
  EXPECT_LE(s.buffered_bytes, 10'000u);
  EXPECT_GE(s.dropped.at("buffer_full"), 38u);  // At most 10 queued, 1 in flight, 1 more in transit.
  EXPECT_EQ(s.samples_sent, 0u);
  EXPECT_TRUE(wait_until([&] { return exporter.stats().retries > 0; }, 10s)) << "no retry counted";
}

TEST(ExporterTest, TheNewestBatchesSurviveAnOutage) {
  Receiver receiver;
  receiver.script({503, 503, 503, 503, 503});
  ExporterOptions o = options_for(receiver.url());
  o.buffer_bytes = 3000;
  Exporter exporter(o, std::make_unique<NameEncoder>());
  const std::string big(1000, 'x');
  for (int i = 0; i < 10; ++i) offer(exporter, big + std::to_string(i));
  // Every batch is accounted for: delivered or shed, none lost silently.
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent + exporter.stats().dropped.at("buffer_full") == 10; }, 10s))
      << "sent " << exporter.stats().samples_sent << ", shed " << exporter.stats().dropped.at("buffer_full") << " of 10";
  EXPECT_GT(exporter.stats().dropped.at("buffer_full"), 0u);
  EXPECT_EQ(receiver.accepted().back(), big + "9") << "the newest batch was not delivered last";
}

TEST(ExporterTest, ABatchOlderThanItsMaximumAgeIsDroppedAndCounted) {
  ExporterOptions o = options_for(dead_url());
  o.max_batch_age = 200ms;
  Exporter exporter(o, std::make_unique<NameEncoder>());
  offer(exporter, "old", 4);
  EXPECT_TRUE(wait_until([&] { return exporter.stats().dropped.at("expired") == 4; }, 10s))
      << "expired: " << exporter.stats().dropped.at("expired");
}

TEST(ExporterTest, StopReturnsPromptlyWhileTheRemoteHangs) {
  Receiver receiver;
  receiver.set_hang(true);
  ExporterOptions o = options_for(receiver.url());
  o.timeout = 60s;
  auto exporter = std::make_unique<Exporter>(o, std::make_unique<NameEncoder>());
  offer(*exporter, "stuck");
  ASSERT_TRUE(wait_until([&] { return receiver.requests() == 0 && exporter->stats().buffered_bytes == 0; }, 5s));
  // The request is in flight at the hanging receiver: offers still return, stop aborts it.
  offer(*exporter, "queued");
  const auto started = std::chrono::steady_clock::now();
  exporter->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "stop() waited on the hanging remote";
}

}  // namespace
}  // namespace esper::nissa
