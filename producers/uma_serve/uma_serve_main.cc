// uma-serve: the simulated inference server of docs/reference/inference-server.md as a producer and load
// generator. One scheduler tick per work unit (--rate ticks per second); every tick's histogram
// observations and counter/gauge snapshot go into the telemetry buffer.
#include <vector>

#include <spdlog/spdlog.h>

#include "producers/producer_program.h"
#include "producers/uma_serve/uma_scheduler.h"

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "uma-serve",
      "uma-serve: simulated inference-server telemetry (docs/reference/inference-server.md) for the Esper bus");
  auto& command_line = program.command_line();
  producers::uma::UmaServeOptions sim;
  command_line.option("--seed", sim.seed, "Seed of the simulated request mix");
  command_line.option("--arrivals-per-tick", sim.arrivals_per_tick, "Mean new requests per scheduler tick")
      .non_negative();
  command_line.option("--interactive-fraction", sim.interactive_fraction, "Share of interactive requests")
      .in_range(0.0, 1.0);
  command_line.option("--prompt-tokens-mean", sim.prompt_tokens_mean, "Mean prompt tokens per request").positive();
  command_line.option("--output-tokens-mean", sim.output_tokens_mean, "Mean generated tokens per request").positive();
  command_line.option("--prefix-share", sim.prefix_share, "Chance a prompt prefix is cached").in_range(0.0, 1.0);
  command_line.option("--slo-ttft-ms", sim.slo_ttft_ms, "Time-To-First-Token SLO (ms)").positive();
  command_line.option("--slo-tbt-ms", sim.slo_tbt_ms, "Inter-token latency SLO (ms)").positive();
  command_line.option("--max-batch-tokens", sim.max_batch_tokens, "Upper bound of the batch budget").positive();
  command_line.option("--target-decode-ms", sim.target_decode_ms, "Decode latency the adaptive budget aims at")
      .positive();

  return program.run(argc, argv, [&] {
    if (sim.min_batch_tokens > sim.max_batch_tokens) sim.min_batch_tokens = sim.max_batch_tokens;
    auto producer = program.start();
    producers::uma::UmaScheduler scheduler(sim);
    producer.say_ready();

    std::vector<proto::MetricPoint> points;
    producer.run_paced([&] {
      points.clear();
      scheduler.tick(points);
      for (auto& p : points) producer.runtime().buffer().record(std::move(p));
      return true;
    });
    producer.stop();
    const auto& c = scheduler.counters();
    spdlog::info("uma-serve stopping: {} batch calls, {} tokens, {} sessions completed, {} dropped",
                 c.batch_calls_total, c.tokens_generated_total, c.sessions_completed,
                 producer.runtime().stats().dropped_total);
    return 0;
  });
}
