// The outbox's publish cycle: sends the reports that are due, at most max_in_flight awaiting an ack
// at once; a report whose ack did not come within its backoff, or that the publisher refused, has
// failed an attempt and is retried after initial_backoff * 2^failures (capped at max_backoff), or
// dropped once it has failed more than retry_cap times (outbox.h says which events each emits).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "field_reports/outbox.h"

namespace esper::field_reports {

void Outbox::publish_cycle() {
  take_requeue_requests();
  const auto cycle_start = now();
  CycleEffects effects;
  std::vector<proto::FieldReport> due;
  {
    std::lock_guard lock(mu_);
    due = take_due_locked(cycle_start, effects);
  }
  const std::vector<PublishResult> results = publish_due(due);
  {
    std::lock_guard lock(mu_);
    settle_attempts_locked(due, results, cycle_start, effects);
  }
  for (const auto& id : effects.to_drop) write_drop(id);
  emit(effects.events);
  run_retention();
}

std::vector<proto::FieldReport> Outbox::take_due_locked(OutboxClock::time_point cycle_start, CycleEffects& effects) {
  std::vector<proto::FieldReport> due;
  counters_.published_last_cycle = 0;
  counters_.retries_last_cycle = 0;
  // Reports sent and still inside their ack timeout. At most max_in_flight may be: when acks are
  // slow (Nissa or Oona overloaded) the outbox then sends less instead of adding retries to the
  // queue that makes acks slow, which would never settle.
  std::size_t in_flight = 0;
  for (const auto& entry : pending_) in_flight += entry.second.awaiting_ack && entry.second.due > cycle_start;
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (p.due > cycle_start) {
      ++it;
      continue;
    }
    if (p.awaiting_ack) {  // No ack in time.
      if (!fail_attempt_locked(p, effects.events)) {
        effects.to_drop.push_back(p.report.report_id());
        pending_index_.erase(p.report.report_id());
        it = pending_.erase(it);
        continue;
      }
      p.awaiting_ack = false;  // To be sent again, when the window has room.
    }
    if (in_flight + due.size() >= options_.max_in_flight) {  // Waits, untried, for a later cycle.
      ++it;
      continue;
    }
    p.report.set_retry_count(p.failures);
    due.push_back(p.report);
    ++it;
  }
  return due;
}

std::vector<PublishResult> Outbox::publish_due(const std::vector<proto::FieldReport>& due) {
  std::vector<PublishResult> results;
  results.reserve(due.size());
  for (const auto& report : due) {
    results.push_back(publisher_.publish(report));
    // The bus pushed back (full, or Oona gone): the rest of this cycle's reports wait for the next
    // cycle untried, with no failed attempt counted, instead of each blocking for the publisher's
    // bound while acks queue up unread behind us.
    if (results.back() == PublishResult::kRefused) break;
  }
  return results;
}

void Outbox::settle_attempts_locked(const std::vector<proto::FieldReport>& due,
                                    const std::vector<PublishResult>& results, OutboxClock::time_point cycle_start,
                                    CycleEffects& effects) {
  for (std::size_t i = 0; i < due.size(); ++i) {
    const std::string& id = due[i].report_id();
    if (i >= results.size()) {  // Not tried this cycle: due again at the next one.
      if (auto idx = pending_index_.find(id); idx != pending_index_.end()) pending_.at(idx->second).awaiting_ack = false;
      continue;
    }
    const bool accepted = results[i] == PublishResult::kAccepted;
    if (accepted) {
      ++counters_.published_last_cycle;
      ++counters_.published_cumulative;
    }
    auto idx = pending_index_.find(id);
    if (idx == pending_index_.end()) {
      if (!accepted) {  // Settled while we published; a refusal no longer matters.
        ++counters_.retries_last_cycle;
        ++counters_.retries_cumulative;
      }
      continue;
    }
    Pending& p = pending_.at(idx->second);
    if (accepted) {
      p.awaiting_ack = true;
      p.due = cycle_start + backoff(p.failures);
    } else if (fail_attempt_locked(p, effects.events)) {
      p.awaiting_ack = false;
      p.due = cycle_start + backoff(p.failures);
    } else {
      effects.to_drop.push_back(id);
      pending_.erase(idx->second);
      pending_index_.erase(idx);
    }
  }
  counters_.pending_total = pending_.size();
}

OutboxClock::duration Outbox::backoff(std::uint32_t failures) const {
  auto delay = std::chrono::duration_cast<OutboxClock::duration>(options_.initial_backoff);
  const auto cap = std::chrono::duration_cast<OutboxClock::duration>(options_.max_backoff);
  for (std::uint32_t i = 0; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

bool Outbox::fail_attempt_locked(Pending& p, std::vector<proto::TelemetryEvent>& events) {
  ++p.failures;
  ++counters_.retries_last_cycle;
  ++counters_.retries_cumulative;
  const std::string& id = p.report.report_id();
  const std::string count = std::to_string(p.failures);
  if (p.failures > options_.retry_cap) {
    events.push_back(make_event("field_report_drop", proto::SEVERITY_WARNING,
                                {{"report_id", id}, {"retry_count", count}}));
    ++counters_.dropped_total;
    return false;
  }
  events.push_back(make_event("field_report_retry", proto::SEVERITY_WARNING,
                              {{"report_id", id}, {"retry_count", count}}));
  return true;
}

void Outbox::write_drop(const std::string& id) {
  // Without the record a restart retries the report again: harmless (Nissa deduplicates).
  if (!write_id_record(OutboxRecord::kReportDropped, id, "record drop of")) return;
  std::lock_guard lock(mu_);
  log_.dropped(id);
  retention_due_ = true;  // Its segment may now be relocated.
}

}  // namespace esper::field_reports
