// Tamiyo's main loop: a decision every 1/--rate seconds, its telemetry into the buffer and, every
// `report_every` decisions until `reports` are issued, a field report into the outbox; with an
// outbox, the acks taken and a publish cycle every `cycle`, with "field reports settled N" on
// stdout when N changed (scripts and tests wait for it). It ends after --duration, on SIGTERM or
// SIGINT, or once `max_decisions` are made and every report is settled or dropped.
#ifndef ESPER_PRODUCERS_TAMIYO_DECISION_LOOP_H_
#define ESPER_PRODUCERS_TAMIYO_DECISION_LOOP_H_

#include <chrono>
#include <cstdint>

#include "producers/producer_program.h"
#include "producers/tamiyo/report_outbox.h"
#include "producers/tamiyo/tamiyo_service.h"

namespace esper::tamiyo {

struct DecisionLoopOptions {
  double rate = 10.0;                  // Decisions per second; 0: as fast as possible.
  double duration_s = 0.0;             // 0: until stopped.
  std::uint64_t max_decisions = 0;     // 0: no limit.
  std::uint64_t reports = 0;           // Field reports to issue.
  std::uint64_t report_every = 5;      // Decisions between field reports.
  std::uint32_t report_epochs = 3;     // Their target_epochs.
  std::chrono::milliseconds cycle{100};  // Outbox publish-cycle period.
};

// `outbox` may be null: no field reports. Returns when the run is over.
void run_decisions(TamiyoService& service, producers::Producer& producer, ReportOutbox* outbox,
                   const DecisionLoopOptions& options);

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_DECISION_LOOP_H_
