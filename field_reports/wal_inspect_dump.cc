// `esper-wal dump`: every record of the WAL, one line each, as text or as JSON (one object a line),
// decoded as wal_record_decoding.h says; the problems the reader found go to stderr.
#include <cstdio>
#include <string>
#include <string_view>

#include <google/protobuf/util/json_util.h>

#include "field_reports/outbox_records.h"
#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_reading.h"
#include "field_reports/wal_record_decoding.h"

namespace esper::field_reports {
namespace {

std::string json_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string to_json(const google::protobuf::Message& message) {
  std::string body;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &body, options);
  return body;
}

void dump_record_json(const wal::WalRecord& r, const DecodedRecord& d, std::ostream& out) {
  out << "{\"segment\":" << r.position.segment << ",\"offset\":" << r.position.offset << ",\"type\":\""
      << d.type_name << "\",\"type_code\":" << int{r.type} << ",\"length\":" << r.payload.size();
  if (d.report) {
    out << ",\"report\":" << to_json(*d.report);
  } else if (is_report_id_record(r.type)) {
    out << ",\"report_id\":\"" << json_escape(d.report_id) << "\"";
  } else if (d.envelope) {
    out << ",\"envelope\":" << to_json(*d.envelope);
  }
  out << "}\n";
}

void dump_record_text(const wal::WalRecord& r, const DecodedRecord& d, std::ostream& out) {
  out << "segment " << r.position.segment << " offset " << r.position.offset << " " << d.type_name << " ("
      << r.payload.size() << " bytes)";
  if (d.report) {
    out << " id=" << d.report->report_id() << " command=" << d.report->command_id()
        << " outcome=" << proto::FieldReportOutcome_Name(d.report->outcome())
        << " target_epochs=" << d.report->target_epochs();
  } else if (is_report_id_record(r.type)) {
    out << " id=" << d.report_id;
  } else if (d.envelope && d.envelope->has_field_report()) {
    out << " source=" << d.envelope->source() << " id=" << d.envelope->field_report().report_id();
  } else if (d.envelope && d.envelope->has_event()) {
    out << " source=" << d.envelope->source() << " event=" << d.envelope->event().description()
        << " severity=" << proto::Severity_Name(d.envelope->event().level());
  }
  out << '\n';
}

}  // namespace

int wal_dump(const std::filesystem::path& dir, bool json, std::ostream& out, std::ostream& err) {
  if (!check_wal_dir(dir, err)) return kExitError;
  wal::WalReadSummary summary;
  const auto dump = [&](const wal::WalRecord& r) {
    const DecodedRecord d = decode_record(r);
    if (json) {
      dump_record_json(r, d, out);
    } else {
      dump_record_text(r, d, out);
    }
  };
  if (!read_whole_wal(dir, "", dump, summary, err, nullptr)) return kExitError;
  for (const auto& problem : summary.problems) err << describe(problem) << '\n';
  return kExitOk;
}

}  // namespace esper::field_reports
