// The record types of Nissa's WAL, in a header with no heavy includes so that esper-wal
// (field_reports/wal_record_decoding.cc) can name and decode Nissa's records without linking
// Nissa. They are numbered apart from the outbox's (field_reports/outbox_records.h), so a record's
// type says whose WAL it is in.
//
// Every payload is a serialized esper.proto.Envelope, so replay sees exactly what arrived:
//   kRecordFieldReport    an envelope with a field_report body
//   kRecordEvent          an envelope with an event body: a producer's event, or one of Nissa's
//                         own schema violations (description kSchemaViolationEvent)
//   kRecordAlert          an alert Nissa raised, as its event (nissa/analytics/alert.h alert_event)
//   kRecordAlertsCleared  an empty envelope: a reload reset the alert history
#ifndef ESPER_NISSA_STORE_JOURNAL_RECORDS_H_
#define ESPER_NISSA_STORE_JOURNAL_RECORDS_H_

#include <cstdint>
#include <string_view>

namespace esper::nissa {

inline constexpr std::uint8_t kRecordFieldReport = 16;
inline constexpr std::uint8_t kRecordEvent = 17;
inline constexpr std::uint8_t kRecordAlert = 18;
inline constexpr std::uint8_t kRecordAlertsCleared = 19;

// The description of the event Nissa persists for a schema violation.
inline constexpr std::string_view kSchemaViolationEvent = "schema_violation";

inline bool is_journal_record(std::uint8_t type) {
  return type >= kRecordFieldReport && type <= kRecordAlertsCleared;
}

// "nissa_field_report", ...; empty for a type that is not Nissa's.
inline std::string_view journal_record_name(std::uint8_t type) {
  switch (type) {
    case kRecordFieldReport: return "nissa_field_report";
    case kRecordEvent: return "nissa_event";
    case kRecordAlert: return "nissa_alert";
    case kRecordAlertsCleared: return "nissa_alerts_cleared";
    default: return {};
  }
}

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_JOURNAL_RECORDS_H_
