#include "field_reports/wal_record_decoding.h"

#include "field_reports/outbox_records.h"
#include "nissa/store/journal_records.h"

namespace esper::field_reports {
namespace {

void decode_journal_record(const wal::WalRecord& r, DecodedRecord& d) {
  d.known_type = true;
  d.envelope.emplace();
  const bool envelope_ok = d.envelope->ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size()));
  if (!envelope_ok) d.envelope.reset();
  switch (r.type) {
    case nissa::kRecordFieldReport: d.parsed = envelope_ok && d.envelope->has_field_report(); break;
    case nissa::kRecordEvent:
    case nissa::kRecordAlert: d.parsed = envelope_ok && d.envelope->has_event(); break;
    default: d.parsed = envelope_ok; break;
  }
}

void decode_outbox_record(const wal::WalRecord& r, DecodedRecord& d) {
  if (r.type == to_byte(OutboxRecord::kReportAppended)) {
    d.known_type = true;
    d.report.emplace();
    d.parsed = d.report->ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size())) &&
               !d.report->report_id().empty();
    if (!d.parsed) d.report.reset();
  } else if (is_report_id_record(r.type)) {
    d.known_type = true;
    d.parsed = !r.payload.empty();
    d.report_id = r.payload;
  }
}

}  // namespace

std::string_view record_type_name(std::uint8_t type) {
  if (const std::string_view nissa = nissa::journal_record_name(type); !nissa.empty()) return nissa;
  if (const std::string_view outbox = outbox_record_name(type); !outbox.empty()) return outbox;
  return "unknown";
}

DecodedRecord decode_record(const wal::WalRecord& r) {
  DecodedRecord d;
  d.type_name = record_type_name(r.type);
  if (nissa::is_journal_record(r.type)) {
    decode_journal_record(r, d);
  } else {
    decode_outbox_record(r, d);
  }
  return d;
}

}  // namespace esper::field_reports
