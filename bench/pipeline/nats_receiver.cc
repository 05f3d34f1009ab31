// nats_receiver: the receiving end of bench/pipeline/broker_compare for NATS core. Subscribes to the
// bench subject on the nats-server at URL, counts messages (never decodes them) and returns credit
// to the sender (nats_flow.h). Prints the same lines as pipeline_receiver: "ready", "window start"
// after --warmup messages, "window end" after --count more, then the rate. Messages are taken by an
// asynchronous subscription's callback (libnats's own delivery thread): with a synchronous one,
// libnats 3.4.1's reader thread crashed now and then under this load.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/pipeline/nats_flow.h"

namespace {

using namespace esper::pipeline_bench;
using Clock = std::chrono::steady_clock;

struct Counter {
  natsConnection* connection = nullptr;
  std::uint64_t warmup = 0;
  std::uint64_t total = 0;
  std::mutex mu;
  std::condition_variable changed;
  std::uint64_t messages = 0;  // Written by the callback only; read under `mu`.
  std::uint64_t reported = 0;
  Clock::time_point start;
  Clock::time_point end;
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  natsMsg_Destroy(msg);
  auto* c = static_cast<Counter*>(closure);
  std::uint64_t messages = 0;
  {
    std::lock_guard lock(c->mu);
    messages = ++c->messages;
    if (messages == c->warmup) {
      std::printf("window start\n");
      std::fflush(stdout);
      c->start = Clock::now();
    }
    if (messages == c->total) c->end = Clock::now();
  }
  if (messages - c->reported >= kCreditWindow / 4) {
    const std::string consumed = std::to_string(messages);
    check(natsConnection_PublishString(c->connection, kCreditSubject, consumed.c_str()), "credit");
    c->reported = messages;
  }
  c->changed.notify_one();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nats_receiver: counts messages on the bench subject of a nats-server"};
  std::string url;
  std::uint64_t warmup = 200000;
  std::uint64_t count = 1000000;
  int idle_timeout_ms = 10000;
  app.add_option("url", url, "nats://127.0.0.1:PORT")->required();
  app.add_option("--warmup", warmup, "Messages received before the window starts");
  app.add_option("--count", count, "Messages counted in the window");
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "Give up when nothing arrives for this long");
  CLI11_PARSE(app, argc, argv);

  Counter counter;
  counter.warmup = warmup;
  counter.total = warmup + count;
  check(natsConnection_ConnectTo(&counter.connection, url.c_str()), "connect");
  natsSubscription* subscription = nullptr;
  check(natsConnection_Subscribe(&subscription, counter.connection, kBenchSubject, on_message, &counter),
        "subscribe");
  check(natsConnection_Flush(counter.connection), "flush");  // The server has the subscription.
  std::printf("ready\n");
  std::fflush(stdout);

  {
    std::unique_lock lock(counter.mu);
    std::uint64_t seen = 0;
    while (counter.messages < counter.total) {
      seen = counter.messages;
      if (!counter.changed.wait_for(lock, std::chrono::milliseconds(idle_timeout_ms),
                                    [&] { return counter.messages != seen; })) {
        std::fprintf(stderr, "nats_receiver: nothing for %d ms after %llu messages\n", idle_timeout_ms,
                     static_cast<unsigned long long>(seen));
        return 1;
      }
    }
  }
  // Unsubscribed first: no callback runs once the counts are read.
  natsSubscription_Unsubscribe(subscription);
  const double seconds = std::chrono::duration<double>(counter.end - counter.start).count();
  std::printf("window end\n");
  std::printf("received %llu messages in %.3f s: %.0f msgs/s\n", static_cast<unsigned long long>(count), seconds,
              static_cast<double>(count) / seconds);
  std::fflush(stdout);
  natsSubscription_Destroy(subscription);
  natsConnection_Destroy(counter.connection);
  return 0;
}
