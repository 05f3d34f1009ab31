// What esper-wal knows of the records of every Esper WAL. It is the one place that asks both
// registries of record types, the outbox's (outbox_records.h) and Nissa's
// (nissa/store/journal_records.h), which are numbered apart so that a record's type says whose WAL
// it is in. `dump` prints a decoded record, `stat` counts it.
#ifndef ESPER_FIELD_REPORTS_WAL_RECORD_DECODING_H_
#define ESPER_FIELD_REPORTS_WAL_RECORD_DECODING_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "esper/envelope.pb.h"
#include "esper/field_report.pb.h"
#include "wal/wal_reader.h"

namespace esper::field_reports {

// The name of a record type in any Esper WAL: the outbox's or Nissa's, else "unknown".
std::string_view record_type_name(std::uint8_t type);

// One record as esper-wal understands it, whichever WAL it comes from.
struct DecodedRecord {
  std::string_view type_name;
  bool known_type = false;
  bool parsed = false;  // A known type whose payload parses (and has the body the type promises).
  std::optional<proto::FieldReport> report;  // The outbox's kReportAppended.
  std::string_view report_id;                // The outbox's settle, drop and requeue records.
  std::optional<proto::Envelope> envelope;   // Nissa's records.
};

DecodedRecord decode_record(const wal::WalRecord& record);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_RECORD_DECODING_H_
