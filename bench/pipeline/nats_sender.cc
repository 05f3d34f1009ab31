// nats_sender: the load generator of bench/pipeline/broker_compare for NATS core. Publishes the same
// pre-encoded envelope as pipeline_sender (bench_payload.h) on the bench subject of the nats-server
// at URL, as fast as the receiver's credit allows (nats_flow.h), until --count messages (0: until
// SIGTERM/SIGINT); prints how many it sent.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench/pipeline/bench_payload.h"
#include "bench/pipeline/nats_flow.h"

namespace {

using namespace esper::pipeline_bench;

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

// What the receiver has said it consumed.
struct Credit {
  std::mutex mu;
  std::condition_variable changed;
  std::uint64_t consumed = 0;
};

void on_credit(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* credit = static_cast<Credit*>(closure);
  const std::uint64_t consumed = std::strtoull(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)).c_str(), nullptr, 10);
  natsMsg_Destroy(msg);
  {
    std::lock_guard lock(credit->mu);
    if (consumed > credit->consumed) credit->consumed = consumed;
  }
  credit->changed.notify_one();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nats_sender: pre-encoded Esper envelopes to nats-server, as fast as the receiver's credit allows"};
  std::string url;
  std::size_t bytes = 200;
  std::uint64_t count = 0;
  app.add_option("url", url, "nats://127.0.0.1:PORT")->required();
  app.add_option("--bytes", bytes, "Serialized envelope size");
  app.add_option("--count", count, "Messages to send (0: until SIGTERM)");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);

  const esper::proto::WireMessage message = bench_message(bytes);
  natsConnection* connection = nullptr;
  check(natsConnection_ConnectTo(&connection, url.c_str()), "connect");
  Credit credit;
  natsSubscription* credits = nullptr;
  check(natsConnection_Subscribe(&credits, connection, kCreditSubject, on_credit, &credit), "subscribe");
  check(natsConnection_Flush(connection), "flush");

  std::uint64_t sent = 0;
  while (stop_requested == 0 && (count == 0 || sent < count)) {
    {
      std::unique_lock lock(credit.mu);
      if (sent - credit.consumed >= kCreditWindow) {
        // Bounded, so a stop request is seen even when no credit comes.
        credit.changed.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
    }
    check(natsConnection_Publish(connection, kBenchSubject, message.envelope.data(),
                                 static_cast<int>(message.envelope.size())),
          "publish");
    ++sent;
  }
  std::printf("sent %llu messages of %zu bytes\n", static_cast<unsigned long long>(sent), message.envelope.size());
  natsSubscription_Destroy(credits);
  natsConnection_Destroy(connection);
  return 0;
}
