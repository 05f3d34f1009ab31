#include "producers/tamiyo/decision_loop.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "producers/paced_loop.h"

namespace esper::tamiyo {

void run_decisions(TamiyoService& service, producers::Producer& producer, ReportOutbox* outbox,
                   const DecisionLoopOptions& options) {
  using DecisionClock = std::chrono::steady_clock;
  auto& buffer = producer.runtime().buffer();
  const auto interval = producers::pacing_interval(options.rate);
  const auto start = DecisionClock::now();
  auto next_decision = start;
  auto next_cycle = start + options.cycle;
  std::uint64_t issued = 0, settled_printed = 0;
  while (true) {
    const auto now = DecisionClock::now();
    if (options.duration_s > 0 && now - start >= std::chrono::duration<double>(options.duration_s)) break;
    const auto wake = outbox ? std::min(next_decision, next_cycle) : next_decision;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now);
    if (auto signo = producer.signals().wait(static_cast<int>(std::max<std::int64_t>(0, wait.count())));
        signo && signals::is_stop_signal(*signo)) {
      break;
    }

    if (outbox) outbox->take_acks();
    if (outbox && DecisionClock::now() >= next_cycle) {
      const auto settled = outbox->publish_cycle();
      next_cycle = DecisionClock::now() + options.cycle;
      // Progress on stdout (scripts and tests wait for it), at most once per publish cycle.
      if (settled != settled_printed) {
        settled_printed = settled;
        std::printf("field reports settled %llu\n", static_cast<unsigned long long>(settled));
        std::fflush(stdout);
      }
    }

    if (options.max_decisions > 0 && service.decisions() >= options.max_decisions) {
      if (!outbox || outbox->all_settled()) break;  // Done, with every report settled or dropped.
      next_decision = DecisionClock::time_point::max();
      continue;
    }
    if (DecisionClock::now() < next_decision) continue;
    next_decision += interval;
    // Fell behind: no burst.
    if (next_decision < DecisionClock::now() - interval) next_decision = DecisionClock::now();

    auto decision = service.decide();
    for (auto& p : decision.points) buffer.record(std::move(p));
    if (decision.degraded) buffer.record(std::move(*decision.degraded));
    if (outbox && issued < options.reports && decision.index % options.report_every == 0) {
      std::string id;
      if (auto s = outbox->append(service.field_report(decision, options.report_epochs), &id); !s.ok()) {
        spdlog::error("tamiyo: field report for {} not written: {}", decision.command.command_id(), s.message());
      } else {
        ++issued;
        // Per report only at debug: as a load generator tamiyo issues thousands per second.
        spdlog::debug("tamiyo: field report {} issued for {}", id, decision.command.command_id());
      }
    }
  }
}

}  // namespace esper::tamiyo
