// pipeline_receiver: the receiving end of bench/pipeline/broker_compare. Reads two-frame bus
// messages as fast as they come, from
//   pull ENDPOINT   a PULL socket bound at ENDPOINT (the sender connects straight to it: no broker);
//   sub ENDPOINT    a SUB socket connected to a bare zmq_proxy's PUB, subscribed to the bench topic;
//   oona ENDPOINT   a DEALER connected to Oona's normal egress, speaking the egress protocol
//                   (oona/egress_protocol.h): HELLO with a credit window, returned every quarter
//                   window, subscribed to the bench topic only; taking BATCHes of up to
//                   --batch-bytes as the bus client does (0: every envelope on its own).
// It never decodes (that is the consumers' cost, not the broker's): it counts messages, the
// envelopes of a BATCH one by one, walking its records as the bus client does. After
// --warmup messages it prints "window start", counts --count more, prints "window end" and then
// "received N messages in S s: R msgs/s (K shed by Oona)", and exits 0; 1 if the messages stop coming for --idle-timeout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"

namespace {

using Clock = std::chrono::steady_clock;

// The topic every sender of the bench sends under (bench_payload.h): telemetry, INFO, "bench".
constexpr const char* kBenchTopic = "normal.telemetry.info.bench";

// Says HELLO on a DEALER to Oona: `consumed` so far, so Oona may send `window` beyond it.
void hello(zmq::socket_t& dealer, std::uint32_t window, std::uint64_t consumed, std::uint32_t batch_bytes) {
  const auto frames = esper::oona::egress::hello_frames(esper::oona::egress::Hello{.name = "pipeline_receiver",
                                                                                 .credit_window = window,
                                                                                 .consumed = consumed,
                                                                                 .prefixes = {kBenchTopic},
                                                                                 .batch_bytes = batch_bytes});
  for (std::size_t i = 0; i < frames.size(); ++i) {
    (void)dealer.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pipeline_receiver: counts bus messages from a PULL, SUB or Oona egress socket"};
  std::string mode;
  std::string endpoint;
  std::uint64_t warmup = 200000;
  std::uint64_t count = 1000000;
  std::uint32_t window = 2500;  // Oona caps a credit window at a quarter of its egress_hwm (10000).
  int idle_timeout_ms = 10000;
  std::uint32_t batch_bytes = esper::oona::egress::kDefaultBatchBytes;
  app.add_option("mode", mode, "pull, sub or oona")->required()->check(CLI::IsMember({"pull", "sub", "oona"}));
  app.add_option("endpoint", endpoint, "Bind (pull) or connect (sub, oona) here")->required();
  app.add_option("--warmup", warmup, "Messages received before the window starts");
  app.add_option("--count", count, "Messages counted in the window");
  app.add_option("--credit-window", window, "Credit window asked of Oona");
  app.add_option("--batch-bytes", batch_bytes, "Largest BATCH asked of Oona (0: none)");
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "Give up when nothing arrives for this long");
  CLI11_PARSE(app, argc, argv);

  zmq::context_t context(1);
  zmq::socket_t socket(context, mode == "pull" ? zmq::socket_type::pull
                                : mode == "sub" ? zmq::socket_type::sub
                                                : zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, idle_timeout_ms);
  if (mode == "pull") {
    socket.bind(endpoint);
  } else {
    if (mode == "sub") socket.set(zmq::sockopt::subscribe, kBenchTopic);
    socket.connect(endpoint);
  }
  std::uint64_t consumed = 0;
  std::uint64_t reported = 0;
  if (mode == "oona") hello(socket, window, 0, batch_bytes);
  std::printf("ready\n");
  std::fflush(stdout);

  std::vector<zmq::message_t> frames;
  Clock::time_point start;
  const std::uint64_t total = warmup + count;
  std::uint64_t messages = 0;
  std::uint64_t shed = 0;  // As Oona's DROPPED notices said.
  const auto count_envelope = [&] {
    ++consumed;
    if (++messages == warmup) {
      std::printf("window start\n");
      std::fflush(stdout);
      start = Clock::now();
    }
    if (mode == "oona" && consumed - reported >= window / 4) {
      hello(socket, window, consumed, batch_bytes);
      reported = consumed;
    }
  };
  while (messages < total) {
    frames.clear();
    frames.emplace_back();
    if (!socket.recv(frames.back(), zmq::recv_flags::dontwait)) {
      // Ran dry: return all credit now, as the bus client does (Oona may have capped the window
      // below what was asked), then wait.
      if (mode == "oona" && consumed > reported) {
        hello(socket, window, consumed, batch_bytes);
        reported = consumed;
      }
      if (!socket.recv(frames.back())) {
        std::fprintf(stderr, "pipeline_receiver: nothing for %d ms after %llu messages\n", idle_timeout_ms,
                     static_cast<unsigned long long>(messages));
        return 1;
      }
    }
    while (frames.back().more()) {
      frames.emplace_back();
      (void)socket.recv(frames.back());
    }
    if (frames[0].size() != 0) {  // An envelope: topic, envelope.
      count_envelope();
      continue;
    }
    // Oona's notices start with an empty frame: "", "dropped", count or "", "batch", count, records.
    std::vector<std::string_view> views;
    for (const auto& f : frames) views.emplace_back(f.data<char>(), f.size());
    if (const auto dropped = esper::oona::egress::parse_dropped(views)) {
      shed += *dropped;  // Not envelopes: no credit was spent on them.
      continue;
    }
    const auto batch = esper::oona::egress::parse_batch(views);
    if (!batch) {
      std::fprintf(stderr, "pipeline_receiver: a notice that is neither DROPPED nor BATCH\n");
      return 1;
    }
    std::string_view records = batch->records;
    std::string_view topic;
    std::string_view envelope;
    std::uint64_t n = 0;
    while (esper::oona::egress::next_batch_record(records, topic, envelope) && n < batch->count) {
      ++n;
      count_envelope();
    }
    if (n != batch->count || !records.empty()) {
      std::fprintf(stderr, "pipeline_receiver: a BATCH of %llu envelopes held %llu\n",
                   static_cast<unsigned long long>(batch->count), static_cast<unsigned long long>(n));
      return 1;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("window end\n");
  std::printf("received %llu messages in %.3f s: %.0f msgs/s (%llu shed by Oona)\n",
              static_cast<unsigned long long>(count), seconds, static_cast<double>(count) / seconds,
              static_cast<unsigned long long>(shed));
  return 0;
}
