#include "field_reports/wal_inspect.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <google/protobuf/util/json_util.h>

#include "esper/envelope.pb.h"
#include "field_reports/outbox_log.h"
#include "field_reports/outbox_records.h"
#include "field_reports/requeue_request.h"
#include "field_reports/wal_reader.h"

namespace esper::field_reports {
namespace {

bool check_dir(const std::filesystem::path& dir, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    err << "esper-wal: " << dir.string() << " is not a WAL directory\n";
    return false;
  }
  return true;
}

// Replays the outbox state; false (and a message) on I/O error.
bool load_log(const std::filesystem::path& dir, OutboxLog& log, WalReadSummary& summary, std::ostream& err) {
  const Status s = read_wal(dir, [&](const WalRecord& r) { log.apply(r); }, &summary);
  if (!s.ok()) err << "esper-wal: " << s.message() << '\n';
  return s.ok();
}

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

bool is_id_record(std::uint8_t type) {
  return type == to_byte(OutboxRecord::kReportSettled) || type == to_byte(OutboxRecord::kReportDropped) ||
         type == to_byte(OutboxRecord::kReportRequeued);
}

bool is_nissa_record(std::uint8_t type) {
  return type == kNissaFieldReportRecord || type == kNissaEventRecord || type == kNissaAlertRecord ||
         type == kNissaAlertsClearedRecord;
}

void dump_record(const WalRecord& r, bool json, std::ostream& out) {
  const std::string_view type = record_type_name(r.type);
  leyline::FieldReport report;
  const bool is_report = r.type == to_byte(OutboxRecord::kReportAppended) &&
                         report.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size()));
  leyline::Envelope envelope;  // Nissa's records are serialized envelopes.
  const bool is_envelope = is_nissa_record(r.type) &&
                           envelope.ParseFromArray(r.payload.data(), static_cast<int>(r.payload.size()));
  if (json) {
    out << "{\"segment\":" << r.position.segment << ",\"offset\":" << r.position.offset << ",\"type\":\""
        << type << "\",\"type_code\":" << int{r.type} << ",\"length\":" << r.payload.size();
    if (is_report) {
      std::string body;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(report, &body, options);
      out << ",\"report\":" << body;
    } else if (is_id_record(r.type)) {
      out << ",\"report_id\":\"" << json_escape(r.payload) << "\"";
    } else if (is_envelope) {
      std::string body;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(envelope, &body, options);
      out << ",\"envelope\":" << body;
    }
    out << "}\n";
    return;
  }
  out << "segment " << r.position.segment << " offset " << r.position.offset << " " << type << " ("
      << r.payload.size() << " bytes)";
  if (is_report) {
    out << " id=" << report.report_id() << " command=" << report.command_id()
        << " outcome=" << leyline::FieldReportOutcome_Name(report.outcome())
        << " target_epochs=" << report.target_epochs();
  } else if (is_id_record(r.type)) {
    out << " id=" << r.payload;
  } else if (is_envelope && envelope.has_field_report()) {
    out << " source=" << envelope.source() << " id=" << envelope.field_report().report_id();
  } else if (is_envelope && envelope.has_event()) {
    out << " source=" << envelope.source() << " event=" << envelope.event().description()
        << " severity=" << leyline::Severity_Name(envelope.event().level());
  }
  out << '\n';
}

}  // namespace

int wal_stat(const std::filesystem::path& dir, std::ostream& out, std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  WalReadSummary summary;
  if (!load_log(dir, log, summary, err)) return kExitError;
  const auto segments = list_segments(dir);
  out << "segments: " << segments.size();
  if (!segments.empty()) out << " (" << segments.front().number << ".." << segments.back().number << ")";
  out << "\nbytes: " << summary.bytes << "\nrecords: " << summary.records << '\n';
  for (int type = 0; type < 256; ++type) {
    if (const auto n = log.records_by_type()[static_cast<std::size_t>(type)]) {
      out << "  " << record_type_name(static_cast<std::uint8_t>(type)) << ": " << n << '\n';
    }
  }
  out << "reports: pending " << log.pending() << ", settled " << log.settled_count() << ", dropped "
      << log.dropped_count() << '\n';
  if (log.unparseable() > 0) out << "unparseable records: " << log.unparseable() << '\n';
  out << "requeue requests waiting: " << read_requeue_requests(dir).size() << '\n';
  for (const auto& problem : summary.problems) out << "problem: " << describe(problem) << '\n';
  return kExitOk;
}

int wal_dump(const std::filesystem::path& dir, bool json, std::ostream& out, std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  WalReadSummary summary;
  const Status s = read_wal(dir, [&](const WalRecord& r) { dump_record(r, json, out); }, &summary);
  if (!s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  for (const auto& problem : summary.problems) err << describe(problem) << '\n';
  return kExitOk;
}

int wal_verify(const std::filesystem::path& dir, std::ostream& out, std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  WalReadSummary summary;
  const Status s = read_wal(dir, nullptr, &summary);
  if (!s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  int bad = 0;
  for (const auto& problem : summary.problems) {
    if (problem.is_tail()) {
      out << "note: " << describe(problem) << '\n';
    } else {
      out << "CORRUPT " << describe(problem) << '\n';
      ++bad;
    }
  }
  out << (bad ? "FAILED" : "OK") << ": " << summary.segments << " segments, " << summary.records
      << " records checked, " << bad << " problems\n";
  return bad ? kExitProblems : kExitOk;
}

int wal_requeue(const std::filesystem::path& dir, const std::string& report_id, std::ostream& out,
                std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  WalReadSummary summary;
  if (!load_log(dir, log, summary, err)) return kExitError;
  std::vector<std::string> ids;
  if (report_id.empty()) {
    if (log.dropped_count() == 0) {
      out << "no dropped reports to requeue\n";
      return kExitOk;
    }
    ids.push_back(kRequeueAllDropped);
    out << "requeueing " << log.dropped_count() << " dropped reports\n";
  } else {
    const ReportEntry* entry = log.find(report_id);
    if (!entry) {
      err << "esper-wal: no report " << report_id << " in " << dir.string() << '\n';
      return kExitError;
    }
    if (entry->settled) {
      err << "esper-wal: report " << report_id << " is already settled (acknowledged)\n";
      return kExitError;
    }
    if (!entry->dropped) out << "report " << report_id << " is already pending; requesting anyway\n";
    ids.push_back(report_id);
  }
  std::filesystem::path request;
  if (const Status s = write_requeue_request(dir, ids, &request); !s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  out << "request written to " << request.string()
      << "; the owning service picks it up on its next publish cycle or start\n";
  return kExitOk;
}

int wal_compact(const std::filesystem::path& dir, std::ostream& out, std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  WalReadSummary summary;
  if (!load_log(dir, log, summary, err)) return kExitError;
  const auto segments = list_segments(dir);
  if (segments.empty()) {
    out << "no segments\n";
    return kExitOk;
  }
  std::vector<std::uint64_t> numbers;
  for (const auto& s : segments) numbers.push_back(s.number);
  // The last segment may be in use by a live writer: never touched.
  const auto deletable = log.deletable_segments(numbers, segments.back().number);
  std::uint64_t bytes = 0;
  for (const auto number : deletable) {
    const auto path = dir / segment_file_name(number);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      err << "esper-wal: delete " << path.string() << ": " << std::strerror(errno) << '\n';
      return kExitError;
    }
    bytes += ec ? 0 : size;
  }
  if (!deletable.empty()) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      err << "esper-wal: fsync " << dir.string() << ": " << std::strerror(errno) << '\n';
      if (fd >= 0) ::close(fd);
      return kExitError;
    }
    ::close(fd);
  }
  out << "deleted " << deletable.size() << " settled segments (" << bytes << " bytes); "
      << segments.size() - deletable.size() << " kept\n";
  return kExitOk;
}

}  // namespace esper::field_reports
