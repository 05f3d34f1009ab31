// The outbox's record types in the WAL. State is rebuilt by replaying them in order:
//   kReportAppended  payload: a serialized esper.proto.FieldReport (report_id set)
//   kReportSettled   payload: report id. Nissa acknowledged it; never sent again.
//   kReportDropped   payload: report id. Retry cap reached; kept in the WAL, not retried.
//   kReportRequeued  payload: report id. A dropped report made pending again (esper-wal requeue).
// They are numbered apart from Nissa's (nissa/store/journal_records.h), so that a record's type says
// whose WAL it is in; esper-wal (wal_record_decoding.h) is the one place that knows both.
#ifndef ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_
#define ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_

#include <cstdint>
#include <string_view>

namespace esper::field_reports {

enum class OutboxRecord : std::uint8_t {
  kReportAppended = 1,
  kReportSettled = 2,
  kReportDropped = 3,
  kReportRequeued = 4,
};

inline std::uint8_t to_byte(OutboxRecord type) { return static_cast<std::uint8_t>(type); }

// "report", "settled", "dropped", "requeued"; empty for a type that is not the outbox's.
inline std::string_view outbox_record_name(std::uint8_t type) {
  switch (static_cast<OutboxRecord>(type)) {
    case OutboxRecord::kReportAppended: return "report";
    case OutboxRecord::kReportSettled: return "settled";
    case OutboxRecord::kReportDropped: return "dropped";
    case OutboxRecord::kReportRequeued: return "requeued";
  }
  return {};
}

inline bool is_outbox_record(std::uint8_t type) { return !outbox_record_name(type).empty(); }

// The records whose payload is a report id: settle, drop and requeue.
inline bool is_report_id_record(std::uint8_t type) {
  return type == to_byte(OutboxRecord::kReportSettled) || type == to_byte(OutboxRecord::kReportDropped) ||
         type == to_byte(OutboxRecord::kReportRequeued);
}

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_
