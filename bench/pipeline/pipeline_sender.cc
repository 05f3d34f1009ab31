// pipeline_sender: the load generator of bench/pipeline/broker_compare. Connects a PUSH socket (as
// a bus producer does) to ENDPOINT and sends the same pre-encoded two-frame bus message (topic,
// envelope; bench_payload.h) as fast as the socket takes it: PUSH blocks at its high-water mark,
// so the sender runs at the pace of whatever is downstream. Stops after --count messages (0: until
// SIGTERM/SIGINT) and prints how many it sent.
#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "bench/pipeline/bench_payload.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pipeline_sender: pre-encoded Esper envelopes into a PUSH socket, as fast as it takes them"};
  std::string endpoint;
  std::size_t bytes = 200;
  std::uint64_t count = 0;
  app.add_option("endpoint", endpoint, "Where to connect, e.g. ipc:///tmp/x/oona-normal-in.sock")->required();
  app.add_option("--bytes", bytes, "Serialized envelope size");
  app.add_option("--count", count, "Messages to send (0: until SIGTERM)");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);

  const esper::proto::WireMessage message = esper::pipeline_bench::bench_message(bytes);
  zmq::context_t context(1);
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(endpoint);
  std::uint64_t sent = 0;
  while (stop_requested == 0 && (count == 0 || sent < count)) {
    // Blocks at the high-water mark; a signal interrupts it (EINTR: the loop looks at the flag).
    try {
      // The frames point at the one encoded message (no free function: it outlives the socket's use).
      zmq::message_t topic(const_cast<char*>(message.topic.data()), message.topic.size(), nullptr);
      zmq::message_t envelope(const_cast<char*>(message.envelope.data()), message.envelope.size(), nullptr);
      if (!push.send(topic, zmq::send_flags::sndmore)) continue;
      // Once the first part is taken the rest is too (the high-water mark counts whole messages).
      while (!push.send(envelope, zmq::send_flags::none)) {
      }
      ++sent;
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
  }
  std::printf("sent %llu messages of %zu + %zu bytes\n", static_cast<unsigned long long>(sent),
              message.topic.size(), message.envelope.size());
  return 0;
}
