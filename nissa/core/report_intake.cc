#include "nissa/core/report_intake.h"

#include <spdlog/spdlog.h>

#include "proto/envelope_codec.h"

namespace esper::nissa {

ReportIntake::ReportIntake(Journal& journal, FieldReportStore& store, std::mutex& store_mu)
    : journal_(journal), store_(store), store_mu_(store_mu) {}

void ReportIntake::offer(const proto::Envelope& envelope) {
  const std::string& id = envelope.field_report().report_id();
  if (id.empty()) {
    problems_.log(spdlog::level::warn, "report_without_id",
                  "field report without report_id from " + envelope.source() + "; ignored");
    return;
  }
  if (const StoredFieldReport* stored = store_.find(id)) {
    ++counters_.duplicate;
    ReportAck duplicate;
    duplicate.ack.set_report_id(id);
    duplicate.ack.set_duplicate(true);
    duplicate.ack.set_durable_at_unix_ns(stored->durable_at_unix_ns);  // When the first copy became durable.
    duplicate_acks_.push_back(std::move(duplicate));
    return;
  }
  if (!batch_ids_.insert(id).second) {
    ++counters_.duplicate;  // The same report twice in one batch: one ack will do.
    return;
  }
  pending_.push_back(envelope);
}

std::vector<ReportAck> ReportIntake::commit() {
  std::vector<ReportAck> acks = std::move(duplicate_acks_);
  duplicate_acks_.clear();
  batch_ids_.clear();
  std::vector<proto::Envelope> pending = std::move(pending_);
  pending_.clear();

  // Queue the new reports; then one fsync covers them and every event this batch appended.
  std::vector<std::pair<const proto::Envelope*, std::uint64_t>> queued;  // With their WAL segment.
  for (const auto& envelope : pending) {
    std::uint64_t segment = 0;
    if (journal_.append_field_report(envelope, &segment)) queued.emplace_back(&envelope, segment);
  }
  if (const wal::Status durable = journal_.commit(); !durable.ok()) {
    problems_.log(spdlog::level::err, "wal_flush",
                  "WAL fsync failed, " + std::to_string(queued.size()) +
                      " field reports not acknowledged (their issuers will retry): " + durable.message());
    return acks;
  }
  const std::uint64_t durable_at = proto::now_unix_ns();
  {
    std::lock_guard lock(store_mu_);
    for (const auto& [envelope, segment] : queued) {
      if (store_.insert(StoredFieldReport{envelope->source(), durable_at, envelope->field_report(), segment})) {
        ++counters_.stored;
      }
    }
  }
  for (const auto& [envelope, segment] : queued) {
    ReportAck ack;
    ack.ack.set_report_id(envelope->field_report().report_id());
    ack.ack.set_durable_at_unix_ns(durable_at);
    ack.sent_unix_ns = envelope->sent_unix_ns();
    acks.push_back(std::move(ack));
  }
  return acks;
}

}  // namespace esper::nissa
