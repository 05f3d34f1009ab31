// The bus client's side of BATCH (oona/bus_subscriber.h), against a ROUTER this test drives in
// Oona's place: every envelope of a good batch is handed out in order; a batch whose records are
// cut or whose count lies costs only its own bad part, is counted as `unparseable`, and its credit
// still comes back, so what follows is delivered.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oona/bus_subscriber.h"
#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"
#include "proto/envelope_codec.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::oona {
namespace {

using namespace std::chrono_literals;

proto::WireMessage envelope(std::uint64_t sequence) {
  proto::Envelope e = proto::make_envelope("fake-oona", "test", sequence, proto::SEVERITY_INFO);
  e.mutable_telemetry()->set_packet_id("p" + std::to_string(sequence));
  return proto::encode(e);
}

// Plays Oona's egress: binds a ROUTER, learns the subscriber's identity from its HELLO.
class FakeEgress {
 public:
  explicit FakeEgress(const std::string& endpoint) : socket_(context_, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(endpoint);
  }

  // The latest HELLO within `timeout` (later ones replace earlier ones), or nullopt.
  std::optional<egress::Hello> hello(std::chrono::milliseconds timeout) {
    std::optional<egress::Hello> latest;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::vector<zmq::pollitem_t> items{{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (zmq::poll(items, latest ? 0ms : std::max(left, 0ms)) == 0) return latest;
      std::vector<zmq::message_t> frames(1);
      (void)socket_.recv(frames[0]);
      while (frames.back().more()) {
        frames.emplace_back();
        (void)socket_.recv(frames.back());
      }
      identity_ = frames[0].to_string();
      std::vector<std::string_view> views;
      for (std::size_t i = 1; i < frames.size(); ++i) views.emplace_back(frames[i].data<char>(), frames[i].size());
      latest = egress::parse_hello(views);
    }
  }

  void send(const std::vector<std::string>& frames) {
    socket_.send(zmq::buffer(identity_), zmq::send_flags::sndmore);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string identity_;
};

std::string record(const proto::WireMessage& m) {
  egress::BatchBuilder b;
  b.append(m.topic, m.envelope);
  auto [count, bytes] = b.take_frames();
  return bytes.to_string();
}

TEST(BusSubscriberBatch, GoodRecordsArriveAndABrokenBatchCostsOnlyItselfAndItsCreditComesBack) {
  esper::testing::TempDir dir;
  const std::string endpoint = dir.ipc("egress.sock");
  FakeEgress oona(endpoint);
  // What the subscriber logs about the rejects.
  auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  const auto previous_logger = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("batch-test", log));
  struct RestoreLogger {
    std::shared_ptr<spdlog::logger> previous;
    ~RestoreLogger() { spdlog::set_default_logger(previous); }
  } restore{previous_logger};
  BusSubscriberOptions options;
  options.endpoints.normal_egress = endpoint;
  options.emergency = false;
  options.credit_window = 1000;  // Credit goes back every 250, or when the socket runs dry.
  BusSubscriber subscriber(options);
  const auto first = oona.hello(10s);
  ASSERT_TRUE(first) << "no HELLO";
  EXPECT_EQ(first->batch_bytes, 256u << 10) << "the bus client asks for batches";
  EXPECT_EQ(first->consumed, 0u);

  // A good batch of three.
  oona.send({"", "batch", "3", record(envelope(1)) + record(envelope(2)) + record(envelope(3))});
  // Cut after its first record: the first is delivered, the other two are lost and counted once.
  const std::string whole = record(envelope(4)) + record(envelope(5));
  oona.send({"", "batch", "3", whole.substr(0, whole.size() - 7)});
  // A count no records could back; a batch without its records; a notice of no known kind.
  oona.send({"", "batch", "999999", "ab"});
  oona.send({"", "batch", "2"});
  oona.send({"", "what-is-this", "1"});
  // A record that is not an envelope, in a batch whose other record is fine.
  oona.send({"", "batch", "2", record(proto::WireMessage{"normal.telemetry.info.fake-oona", "\xff\xff"}) +
                                   record(envelope(6))});
  // And a plain envelope after all that.
  const auto seven = envelope(7);
  oona.send({seven.topic, seven.envelope});

  std::vector<std::uint64_t> sequences;
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        if (auto m = subscriber.receive(50ms)) sequences.push_back(m->envelope.sequence());
        return sequences.size() == 6;
      },
      10s))
      << "received " << sequences.size() << " of 6";
  EXPECT_EQ(sequences, (std::vector<std::uint64_t>{1, 2, 3, 4, 6, 7}));
  // The cut batch, the lying count, the batch without records; the bad record is the codec's.
  EXPECT_EQ(subscriber.rejected(RejectReason::kUnparseable), 4u);
  EXPECT_EQ(subscriber.rejected_total(), 4u);
  // Said in the log, once: the other three fall within the rate limit's interval.
  const auto lines = log->last_formatted();
  const auto refusals = std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("refused a message from Oona on the normal egress (unparseable)") != std::string::npos;
  });
  EXPECT_EQ(refusals, 1) << "log lines: " << lines.size();

  // Every envelope Oona counted against the credit comes back: 3 + 3 + 2 + 1. The lying count and
  // the batch without records carry no credit a real Oona would have counted.
  std::optional<egress::Hello> latest;
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        (void)subscriber.receive(10ms);  // Lets it say HELLO once drained.
        if (auto h = oona.hello(10ms)) latest = h;
        return latest && latest->consumed == 9;
      },
      10s))
      << "credit returned: " << (latest ? latest->consumed : 0) << ", expected 9";
}

}  // namespace
}  // namespace esper::oona
