// nats_receiver: the receiving end of bench/pipeline/broker_compare for NATS core. Subscribes to the
// bench subject on the nats-server at URL, counts messages (never decodes them) and returns credit
// to the sender (nats_flow.h). Prints the same lines as pipeline_receiver: "ready", "window start"
// after --warmup messages, "window end" after --count more, then the rate.
#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/pipeline/nats_flow.h"

int main(int argc, char** argv) {
  using namespace esper::pipeline_bench;
  using Clock = std::chrono::steady_clock;
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

  natsConnection* connection = nullptr;
  check(natsConnection_ConnectTo(&connection, url.c_str()), "connect");
  natsSubscription* subscription = nullptr;
  check(natsConnection_SubscribeSync(&subscription, connection, kBenchSubject), "subscribe");
  check(natsSubscription_SetPendingLimits(subscription, -1, -1), "pending limits");
  check(natsConnection_Flush(connection), "flush");  // The server has the subscription.
  std::printf("ready\n");
  std::fflush(stdout);

  const std::uint64_t total = warmup + count;
  Clock::time_point start;
  std::uint64_t reported = 0;
  for (std::uint64_t messages = 0; messages < total;) {
    natsMsg* msg = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&msg, subscription, idle_timeout_ms);
    if (status == NATS_TIMEOUT) {
      std::fprintf(stderr, "nats_receiver: nothing for %d ms after %llu messages\n", idle_timeout_ms,
                   static_cast<unsigned long long>(messages));
      return 1;
    }
    check(status, "next message");
    natsMsg_Destroy(msg);
    if (++messages == warmup) {
      std::printf("window start\n");
      std::fflush(stdout);
      start = Clock::now();
    }
    if (messages - reported >= kCreditWindow / 4) {
      const std::string consumed = std::to_string(messages);
      check(natsConnection_PublishString(connection, kCreditSubject, consumed.c_str()), "credit");
      reported = messages;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("window end\n");
  std::printf("received %llu messages in %.3f s: %.0f msgs/s\n", static_cast<unsigned long long>(count), seconds,
              static_cast<double>(count) / seconds);
  natsSubscription_Destroy(subscription);
  natsConnection_Destroy(connection);
  return 0;
}
