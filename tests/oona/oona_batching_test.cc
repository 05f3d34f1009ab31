// Integration tests against the real `oona` binary: BATCHes on the egress (oona/egress_batch.h).
// A client that asks for them gets several envelopes per message, whole, in order, never more than
// its credit allows nor larger than it said; a client that does not ask gets every envelope on its
// own; and the bus client's credit still flows when a batch carries many envelopes.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"
#include "proto/envelope_codec.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"

namespace esper::oona::testing {
namespace {

constexpr const char* kTopic = "normal.telemetry.info.burst";

// A raw egress client: a DEALER that says HELLO itself and returns credit only when told to.
class RawClient {
 public:
  struct Message {
    bool batch = false;               // A BATCH, rather than one envelope on its own.
    std::size_t records_bytes = 0;    // A BATCH's records frame.
    std::vector<proto::Envelope> envelopes;
  };

  RawClient(const std::string& endpoint, std::string name, std::uint32_t window, std::uint32_t batch_bytes)
      : socket_(context_, zmq::socket_type::dealer), name_(std::move(name)), window_(window),
        batch_bytes_(batch_bytes) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
    return_credit();
  }

  // HELLO with every envelope received so far as consumed.
  void return_credit() {
    returned_ = received_;
    const auto frames = egress::hello_frames(egress::Hello{
        .name = name_, .credit_window = window_, .consumed = received_, .prefixes = {kTopic}, .batch_bytes = batch_bytes_});
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // Envelopes received and not yet returned as credit.
  std::uint64_t in_flight() const { return received_ - returned_; }

  // The next message within `timeout`; a DROPPED notice fails the test (nothing may be shed here).
  std::optional<Message> receive(std::chrono::milliseconds timeout) {
    std::vector<zmq::pollitem_t> items{{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames(1);
    (void)socket_.recv(frames[0]);
    while (frames.back().more()) {
      frames.emplace_back();
      (void)socket_.recv(frames.back());
    }
    std::vector<std::string_view> views;
    for (const auto& f : frames) views.emplace_back(f.data<char>(), f.size());
    Message m;
    if (!egress::is_notice(views[0])) {
      m.envelopes.push_back(decoded(views[0], views[1]));
      ++received_;
      return m;
    }
    EXPECT_FALSE(egress::parse_dropped(views)) << name_ << ": Oona shed envelopes";
    const auto batch = egress::parse_batch(views);
    EXPECT_TRUE(batch) << name_ << ": a notice that is not a BATCH";
    if (!batch) return m;
    m.batch = true;
    m.records_bytes = batch->records.size();
    std::string_view rest = batch->records;
    std::string_view topic;
    std::string_view envelope;
    while (egress::next_batch_record(rest, topic, envelope)) m.envelopes.push_back(decoded(topic, envelope));
    EXPECT_TRUE(rest.empty()) << name_ << ": a BATCH with bytes after its last record";
    EXPECT_EQ(m.envelopes.size(), batch->count) << name_ << ": a BATCH whose count is not its records'";
    received_ += m.envelopes.size();
    return m;
  }

 private:
  static proto::Envelope decoded(std::string_view topic, std::string_view envelope) {
    proto::Decoded d = proto::decode(topic, envelope);
    EXPECT_TRUE(d.ok()) << "an envelope that does not decode: " << (d.ok() ? "" : d.detail());
    return d.ok() ? d.envelope() : proto::Envelope();
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string name_;
  std::uint32_t window_;
  std::uint32_t batch_bytes_;
  std::uint64_t received_ = 0;
  std::uint64_t returned_ = 0;
};

// Reads what `client` gets, from sequence `next` to `last` (its publisher's last), returning the
// credit only when the whole window is in flight, and then only after checking that Oona sent
// nothing past it. Every envelope must come, in order. Returns the messages, for the caller to look
// at how they came.
std::vector<RawClient::Message> drain_by_credit(RawClient& client, std::uint64_t window, std::uint64_t next,
                                                std::uint64_t last) {
  std::vector<RawClient::Message> messages;
  while (next != last + 1) {
    auto m = client.receive(10s);
    if (!m) {
      ADD_FAILURE() << "nothing within 10 s; expected sequence " << next << " next, up to " << last;
      return messages;
    }
    for (const auto& e : m->envelopes) {
      EXPECT_EQ(e.sequence(), next) << "out of order or missing";
      next = e.sequence() + 1;
    }
    messages.push_back(std::move(*m));
    EXPECT_LE(client.in_flight(), window) << "Oona sent past the credit window";
    if (client.in_flight() >= window && next != last + 1) {
      // Without credit Oona must send nothing more: a bounded look, since absence has no event.
      EXPECT_FALSE(client.receive(200ms)) << "Oona sent beyond the credit before sequence " << next;
      client.return_credit();
    }
  }
  return messages;
}

TEST(OonaBatching, AClientThatAsksGetsBatchesWithinItsCreditAndSizeAndOneThatDoesNotGetsNone) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  constexpr std::uint32_t kWindow = 50;
  constexpr std::uint32_t kBatchBytes = 4096;
  RawClient batching(oona.endpoints().normal_egress, "batching", kWindow, kBatchBytes);
  RawClient plain(oona.endpoints().normal_egress, "plain", kWindow, 0);
  BusPublisher publisher(publisher_options(oona.endpoints(), "burst"));
  std::uint64_t published = 0;  // The publisher numbers its normal stream 1, 2, ...
  const auto publish = [&](std::size_t padding) {
    ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO, padding)));
    ++published;
  };

  // Oona knows both clients once the latest probe reached it for each (ZeroMQ's slow joiner); the
  // probes already received count against their windows like the rest.
  std::uint64_t seen_by_batching = 0;
  std::uint64_t seen_by_plain = 0;
  ASSERT_TRUE(esper::testing::wait_until(
      [&] {
        publish(0);
        if (auto m = batching.receive(20ms)) seen_by_batching = m->envelopes.back().sequence();
        if (auto m = plain.receive(20ms)) seen_by_plain = m->envelopes.back().sequence();
        return seen_by_batching > 0 && seen_by_plain > 0;
      },
      20s))
      << "a client never got a probe";
  batching.return_credit();
  plain.return_credit();

  for (int i = 0; i < 500; ++i) publish(100);
  for (RawClient* client : {&batching, &plain}) {
    const std::uint64_t next = (client == &batching ? seen_by_batching : seen_by_plain) + 1;
    const auto messages = drain_by_credit(*client, kWindow, next, published);
    std::size_t batches = 0;
    std::size_t largest = 0;
    for (const auto& message : messages) {
      if (!message.batch) continue;
      ++batches;
      largest = std::max(largest, message.envelopes.size());
      EXPECT_LE(message.records_bytes, kBatchBytes) << "a BATCH larger than asked for";
    }
    if (client == &batching) {
      EXPECT_GT(batches, 0u) << "the batching client got every envelope on its own";
      EXPECT_GT(largest, 1u);
    } else {
      EXPECT_EQ(batches, 0u) << "a HELLO/1 client got a BATCH";
    }
  }
}

TEST(OonaBatching, ABusSubscriberWithATinyCreditWindowGetsEveryEnvelopeInOrder) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  BusSubscriberOptions options = subscriber_options(oona.endpoints());
  options.credit_window = 8;  // Credit returned every 2 envelopes: many batches, each within it.
  options.emergency = false;
  // Probes have a source of their own: those sent before Oona knew the subscriber would otherwise
  // look like a gap in the burst's stream.
  options.prefixes = {kTopic, "normal.telemetry.debug.probe"};
  BusSubscriber subscriber(options);
  ASSERT_TRUE(connect(oona.endpoints(), subscriber, /*normal=*/true, /*emergency=*/false));
  BusPublisher publisher(publisher_options(oona.endpoints(), "burst"));

  constexpr int kBurst = 20000;
  for (int i = 0; i < kBurst; ++i) ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO, 50)));
  int received = 0;
  std::uint64_t last = 0;
  while (received < kBurst) {
    auto m = subscriber.receive(10s);
    ASSERT_TRUE(m) << "stalled after " << received << " of " << kBurst << " envelopes";
    if (m->envelope.source() != "burst") continue;  // A late probe.
    ASSERT_EQ(m->envelope.sequence(), last + 1) << "out of order after " << received;
    last = m->envelope.sequence();
    ++received;
  }
  EXPECT_EQ(subscriber.rejected_total(), 0u);
  EXPECT_EQ(subscriber.missed(), 0u);
  EXPECT_EQ(subscriber.sequences().gaps("burst"), 0u);
}

}  // namespace
}  // namespace esper::oona::testing

namespace esper::oona::testing {
namespace {

// Oona's own telemetry is routed on its flush tick, not after an ingress pass: it must not wait in
// a pending batch until something else wakes Oona (on an idle bus, the next tick or heartbeat).
TEST(OonaBatching, OonasOwnTelemetryGoesOutOnItsTickOnAnIdleBus) {
  OonaProcess oona;  // flush_interval: 100ms
  ASSERT_TRUE(oona.ready());
  BusSubscriberOptions options = subscriber_options(oona.endpoints());
  options.emergency = false;
  options.prefixes = {"normal.telemetry.info.oona"};
  BusSubscriber subscriber(options);
  ASSERT_TRUE(subscriber.receive(10s)) << "no telemetry from oona";
  // From Oona's stamp to arrival, the median of ten: held, most would wait a whole tick (some are
  // let out sooner by whatever else wakes Oona).
  std::vector<std::chrono::nanoseconds> latencies;
  for (int i = 0; i < 10; ++i) {
    auto m = subscriber.receive(10s);
    ASSERT_TRUE(m) << "tick " << i;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    latencies.push_back(now - std::chrono::nanoseconds(m->envelope.sent_unix_ns()));
  }
  std::sort(latencies.begin(), latencies.end());
  EXPECT_LT(latencies[5], 50ms) << "Oona's telemetry took a median "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(latencies[5]).count()
                                << " ms to arrive";
}

}  // namespace
}  // namespace esper::oona::testing
