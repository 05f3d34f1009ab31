// The outbox's record types in the WAL. State is rebuilt by replaying them in order:
//   kReportAppended  payload: a serialized esper.proto.FieldReport (report_id set)
//   kReportSettled   payload: report id. Nissa acknowledged it; never sent again.
//   kReportDropped   payload: report id. Retry cap reached; kept in the WAL, not retried.
//   kReportRequeued  payload: report id. A dropped report made pending again (esper-wal requeue).
#ifndef ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_
#define ESPER_FIELD_REPORTS_OUTBOX_RECORDS_H_

#include <cstdint>
#include <string_view>

#include "nissa/store/journal_records.h"

namespace esper::field_reports {

enum class OutboxRecord : std::uint8_t {
  kReportAppended = 1,
  kReportSettled = 2,
  kReportDropped = 3,
  kReportRequeued = 4,
};

// The name of a record type in any Esper WAL: the outbox's, or Nissa's (nissa/store/journal_records.h,
// numbered apart so that esper-wal never mistakes one for the other).
inline std::string_view record_type_name(std::uint8_t type) {
  if (const std::string_view nissa = nissa::journal_record_name(type); !nissa.empty()) return nissa;
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
