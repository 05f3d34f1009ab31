// A producer for Weatherlight's process tests, built on the real service runtime. It records
// "test.sequence" points numbered 0, 1, 2, ... at --rate per second until SIGTERM, then drains and
// writes what it did to --report-file (recorded, flushes answered, timer flushes, dropped), so the
// test can check that every point arrived once. With --mute it only says HELLO and never answers a
// FLUSH, to make Weatherlight count missed flushes.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "esper/control.pb.h"
#include "logging/log_setup.h"
#include "producers/producer_flags.h"
#include "producers/service_runtime.h"
#include "proto/metric_point.h"
#include "signals/shutdown_signals.h"

namespace {

int run_mute(esper::signals::ShutdownSignals& signals) {
  const char* endpoint = std::getenv("ESPER_CONTROL_ENDPOINT");
  const char* name = std::getenv("ESPER_SERVICE_NAME");
  if (!endpoint || !name) return 2;
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  esper::proto::Control hello;
  hello.mutable_hello()->set_service(name);
  hello.mutable_hello()->set_pid(static_cast<std::uint32_t>(::getpid()));
  dealer.send(zmq::buffer(hello.SerializeAsString()));
  while (!signals.take()) {
    zmq::message_t ignored;
    (void)dealer.recv(ignored, zmq::recv_flags::dontwait);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flush_test_producer"};
  esper::producers::ProducerFlags flags;
  esper::producers::add_producer_flags(app, flags);
  std::string report_file;
  std::size_t capacity = 100'000;
  bool mute = false;
  app.add_option("--report-file", report_file);
  app.add_option("--capacity", capacity);
  app.add_flag("--mute", mute);
  CLI11_PARSE(app, argc, argv);
  esper::logging::setup_logging("flush_test_producer", flags.log_level);
  spdlog::info("flush test producer started{}", mute ? " (mute)" : "");

  esper::signals::ShutdownSignals signals;
  if (mute) return run_mute(signals);

  auto options = esper::producers::runtime_options_from_flags(flags, "flush-test");
  options.buffer.capacity = capacity;
  esper::producers::ServiceRuntime runtime(options);

  // Records in 10 ms slices so the rate holds without a syscall per point.
  const auto slice = std::chrono::milliseconds(10);
  const auto per_slice = static_cast<std::uint64_t>(std::max(1.0, flags.rate / 100.0));
  std::uint64_t recorded = 0;
  auto next = std::chrono::steady_clock::now();
  while (!signals.take()) {
    for (std::uint64_t i = 0; i < per_slice; ++i) {
      runtime.buffer().record(esper::proto::make_point("test.sequence", static_cast<double>(recorded++), "count"));
    }
    next += slice;
    std::this_thread::sleep_until(next);
  }
  runtime.stop();
  const auto stats = runtime.stats();
  const std::string tmp = report_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << "recorded " << recorded << "\n"
        << "flushes_answered " << stats.flushes_answered << "\n"
        << "timer_flushes " << stats.timer_flushes << "\n"
        << "dropped " << stats.dropped_total << "\n";
  }
  std::filesystem::rename(tmp, report_file);
  return 0;
}
