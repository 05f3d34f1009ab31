// The outbox's record types in the WAL. State is rebuilt by replaying them in order:
//   kReportAppended  payload: a serialized esper.leyline.FieldReport (report_id set)
//   kReportSettled   payload: report id. Nissa acknowledged it; never sent again.
//   kReportDropped   payload: report id. Retry cap reached; kept in the WAL, not retried.
//   kReportRequeued  payload: report id. A dropped report made pending again (esper-wal requeue).
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

// Record types other Esper WALs write, numbered apart from the outbox's so that esper-wal names
// every record of any Esper WAL and never mistakes one for an outbox record. Nissa's WAL
// (nissa/observer.h): a serialized esper.leyline.Envelope with a field_report or an event body (an
// alert's event for kNissaAlertRecord; an empty envelope for kNissaAlertsClearedRecord).
inline constexpr std::uint8_t kNissaFieldReportRecord = 16;
inline constexpr std::uint8_t kNissaEventRecord = 17;
inline constexpr std::uint8_t kNissaAlertRecord = 18;
inline constexpr std::uint8_t kNissaAlertsClearedRecord = 19;

inline std::string_view record_type_name(std::uint8_t type) {
  if (type == kNissaFieldReportRecord) return "nissa_field_report";
  if (type == kNissaEventRecord) return "nissa_event";
  if (type == kNissaAlertRecord) return "nissa_alert";
  if (type == kNissaAlertsClearedRecord) return "nissa_alerts_cleared";
  switch (static_cast<OutboxRecord>(type)) {
    case OutboxRecord::kReportAppended: return "report";
    case OutboxRecord::kReportSettled: return "settled";
    case OutboxRecord::kReportDropped: return "dropped";
    case OutboxRecord::kReportRequeued: return "requeued";
  }
  return "unknown";
}

inline std::uint8_t to_byte(OutboxRecord type) { return static_cast<std::uint8_t>(type); }

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_
