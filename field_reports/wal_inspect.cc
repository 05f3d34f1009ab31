#include "field_reports/wal_inspect.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <sstream>
#include <unordered_set>

#include <google/protobuf/util/json_util.h>

#include "wal/corruption_acknowledgments.h"
#include "field_reports/outbox_log.h"
#include "field_reports/outbox_records.h"
#include "field_reports/requeue_request.h"
#include "field_reports/wal_record_decoding.h"
#include "wal/wal_progress_display.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_reader.h"
#include "nissa/store/journal_records.h"

namespace esper::field_reports {
namespace {

// A WAL directory always holds at least one segment (its writer creates the first on open), so a
// directory without one is a mistake worth naming: most often the state directory above the WAL.
bool check_dir(const std::filesystem::path& dir, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    err << "esper-wal: " << dir.string() << " does not exist\n";
    return false;
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    err << "esper-wal: " << dir.string() << " is not a directory\n";
    return false;
  }
  if (!wal::list_segments(dir).empty()) return true;
  err << "esper-wal: " << dir.string() << " is not a WAL: it holds no segment files";
  for (const char* below : {"wal", "field_reports"}) {
    if (!wal::list_segments(dir / below).empty()) {
      err << " (did you mean " << (dir / below).string() << "?)";
      break;
    }
  }
  err << '\n';
  return false;
}

// Progress of a whole-WAL read, on `err`.
wal::WalProgressDisplay progress_display(const std::string& what, std::ostream& err, const ProgressOutput& progress) {
  return wal::WalProgressDisplay(
      what, progress.terminal ? &err : nullptr, [&err](const std::string& line) { err << "esper-wal: " << line << '\n'; },
      progress.log_every);
}

// Reads the WAL, showing progress unless `progress` is null; false (and a message) on I/O error.
bool read_all(const std::filesystem::path& dir, const std::string& what, const std::function<void(const wal::WalRecord&)>& f,
              wal::WalReadSummary& summary, std::ostream& err, const ProgressOutput* progress) {
  wal::Status s;
  if (progress) {
    wal::WalProgressDisplay display = progress_display(what + " " + dir.string(), err, *progress);
    s = wal::read_wal(dir, f, &summary, display.read_options());
  } else {
    s = wal::read_wal(dir, f, &summary);
  }
  if (!s.ok()) err << "esper-wal: " << s.message() << '\n';
  return s.ok();
}

// Replays the outbox state; false (and a message) on I/O error.
bool load_log(const std::filesystem::path& dir, OutboxLog& log, wal::WalReadSummary& summary, std::ostream& err,
              const ProgressOutput* progress) {
  return read_all(dir, "reading", [&](const wal::WalRecord& r) { log.apply(r); }, summary, err, progress);
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

std::string to_json(const google::protobuf::Message& message) {
  std::string body;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &body, options);
  return body;
}

void dump_record(const wal::WalRecord& r, bool json, std::ostream& out) {
  const DecodedRecord d = decode_record(r);
  if (json) {
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
    return;
  }
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

// What Nissa's WAL holds, counted from decoded records.
struct NissaJournalCounts {
  std::uint64_t records = 0;  // Of Nissa's types.
  std::uint64_t field_reports = 0;
  std::unordered_set<std::string> report_ids;
  std::unordered_set<std::string> report_sources;
  std::uint64_t events = 0;
  std::uint64_t schema_violations = 0;
  std::uint64_t alerts = 0;
  std::uint64_t alerts_cleared = 0;
  std::uint64_t unparseable = 0;

  void add(const wal::WalRecord& r, const DecodedRecord& d) {
    if (!nissa::is_journal_record(r.type)) return;
    ++records;
    if (!d.parsed) {
      ++unparseable;
      return;
    }
    switch (r.type) {
      case nissa::kRecordFieldReport:
        ++field_reports;
        report_ids.insert(d.envelope->field_report().report_id());
        report_sources.insert(d.envelope->source());
        break;
      case nissa::kRecordEvent:
        if (d.envelope->event().description() == nissa::kSchemaViolationEvent) {
          ++schema_violations;
        } else {
          ++events;
        }
        break;
      case nissa::kRecordAlert: ++alerts; break;
      case nissa::kRecordAlertsCleared: ++alerts_cleared; break;
      default: break;
    }
  }
};

// Corrupt ranges (torn tails of the last segment are not), split by acknowledgment.
struct CorruptionCounts {
  std::vector<const wal::WalProblem*> unacknowledged, acknowledged;
  const wal::WalProblem* tail = nullptr;

  CorruptionCounts(const std::filesystem::path& dir, const wal::WalReadSummary& summary) {
    const auto acks = wal::CorruptionAcknowledgments::load(dir);
    for (const wal::WalProblem& problem : summary.problems) {
      if (problem.is_tail()) {
        tail = &problem;
      } else {
        (acks.covers(problem) ? acknowledged : unacknowledged).push_back(&problem);
      }
    }
  }
  std::size_t total() const { return unacknowledged.size() + acknowledged.size(); }
};

// " (quarantined in DIR/quarantine/...)" when the owner made a copy.
std::string quarantine_note(const std::filesystem::path& dir, const wal::WalProblem& problem) {
  std::error_code ec;
  const auto path = wal::quarantine_path(dir, problem);
  return std::filesystem::exists(path, ec) ? " (copy in " + path.string() + ")" : std::string();
}

}  // namespace

int wal_stat(const std::filesystem::path& dir, std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  NissaJournalCounts nissa;
  std::array<std::uint64_t, 256> by_type{};
  wal::WalReadSummary summary;
  const bool ok = read_all(dir, "reading", [&](const wal::WalRecord& r) {
    ++by_type[r.type];
    if (nissa::is_journal_record(r.type)) {
      nissa.add(r, decode_record(r));
    } else {
      log.apply(r);
    }
  }, summary, err, &progress);
  if (!ok) return kExitError;
  const auto segments = wal::list_segments(dir);
  out << "segments: " << segments.size();
  if (!segments.empty()) out << " (" << segments.front().number << ".." << segments.back().number << ")";
  out << "\nbytes: " << summary.bytes << "\nrecords: " << summary.records << '\n';
  for (int type = 0; type < 256; ++type) {
    if (const auto n = by_type[static_cast<std::size_t>(type)]) {
      out << "  " << record_type_name(static_cast<std::uint8_t>(type)) << ": " << n << '\n';
    }
  }
  // Nissa's WAL holds Nissa's records; an outbox's never does.
  const bool is_nissa = nissa.records > summary.records - nissa.records;
  if (is_nissa) {
    out << "owner: nissa\n"
        << "field reports stored: " << nissa.field_reports << " (" << nissa.report_ids.size() << " distinct ids from "
        << nissa.report_sources.size() << " sources)\n"
        << "events: " << nissa.events << "\nschema violations: " << nissa.schema_violations
        << "\nalerts: " << nissa.alerts << "\nalerts-cleared marks: " << nissa.alerts_cleared << '\n';
    if (nissa.unparseable > 0) out << "unparseable records: " << nissa.unparseable << '\n';
  } else {
    out << "reports: pending " << log.pending() << ", settled " << log.settled_count() << ", dropped "
        << log.dropped_count() << '\n';
    if (log.unparseable() > 0) out << "unparseable records: " << log.unparseable() << '\n';
    out << "requeue requests waiting: " << read_requeue_requests(dir).size() << '\n';
  }
  const CorruptionCounts corruption(dir, summary);
  if (corruption.total() > 0) {
    out << "corrupt records: " << corruption.total() << " ranges (" << corruption.acknowledged.size()
        << " acknowledged, " << corruption.unacknowledged.size() << " not; see `esper-wal verify`)\n";
  }
  for (const auto& problem : summary.problems) out << "problem: " << describe(problem) << '\n';
  return kExitOk;
}

int wal_dump(const std::filesystem::path& dir, bool json, std::ostream& out, std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  wal::WalReadSummary summary;
  const wal::Status s = wal::read_wal(dir, [&](const wal::WalRecord& r) { dump_record(r, json, out); }, &summary);
  if (!s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  for (const auto& problem : summary.problems) err << describe(problem) << '\n';
  return kExitOk;
}

int wal_verify(const std::filesystem::path& dir, std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_dir(dir, err)) return kExitError;
  wal::WalReadSummary summary;
  if (!read_all(dir, "verifying", nullptr, summary, err, &progress)) return kExitError;
  const CorruptionCounts corruption(dir, summary);
  for (const auto& problem : summary.problems) {
    if (problem.is_tail()) {
      out << "note: " << describe(problem) << '\n';
    } else if (std::find(corruption.acknowledged.begin(), corruption.acknowledged.end(), &problem) !=
               corruption.acknowledged.end()) {
      out << "acknowledged: " << describe(problem) << quarantine_note(dir, problem) << '\n';
    } else {
      out << "CORRUPT " << describe(problem) << quarantine_note(dir, problem) << '\n';
    }
  }
  const std::size_t bad = corruption.unacknowledged.size();
  out << (bad ? "FAILED" : "OK") << ": " << summary.segments << " segments, " << summary.records
      << " records checked, " << bad << " problems";
  if (!corruption.acknowledged.empty()) out << " (" << corruption.acknowledged.size() << " acknowledged)";
  if (summary.records == 0 && bad == 0) out << " (an empty WAL: no record has been written yet)";
  out << '\n';
  if (bad) {
    out << "every record outside these ranges is intact; once they have been looked at, record it with "
        << "`esper-wal acknowledge " << dir.string();
    for (const wal::WalProblem* p : corruption.unacknowledged) out << ' ' << p->segment << ':' << p->offset;
    out << "` (or --all)\n";
  }
  return bad ? kExitProblems : kExitOk;
}

int wal_acknowledge(const std::filesystem::path& dir, const std::vector<std::string>& ranges, bool all,
                    std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_dir(dir, err)) return kExitError;
  if (all == !ranges.empty()) {
    err << "esper-wal acknowledge: give --all or SEGMENT:OFFSET ranges (as verify prints them)\n";
    return kExitError;
  }
  wal::WalReadSummary summary;
  if (!read_all(dir, "reading", nullptr, summary, err, &progress)) return kExitError;
  const CorruptionCounts corruption(dir, summary);
  std::vector<wal::WalProblem> chosen;
  if (all) {
    for (const wal::WalProblem* p : corruption.unacknowledged) chosen.push_back(*p);
  } else {
    for (const std::string& range : ranges) {
      std::uint64_t segment = 0, offset = 0;
      char colon = 0;
      std::istringstream in(range);
      if (!(in >> segment >> colon >> offset) || colon != ':' || !in.eof()) {
        err << "esper-wal acknowledge: '" << range << "' is not SEGMENT:OFFSET\n";
        return kExitError;
      }
      const auto match = std::find_if(summary.problems.begin(), summary.problems.end(), [&](const wal::WalProblem& p) {
        return !p.is_tail() && p.segment == segment && p.offset == offset;
      });
      if (match == summary.problems.end()) {
        err << "esper-wal acknowledge: no corrupt range at segment " << segment << " offset " << offset
            << " (`esper-wal verify` lists them)\n";
        return kExitError;
      }
      chosen.push_back(*match);
    }
  }
  if (chosen.empty()) {
    out << "nothing to acknowledge: " << corruption.acknowledged.size() << " corrupt ranges, all acknowledged\n";
    return kExitOk;
  }
  auto acks = wal::CorruptionAcknowledgments::load(dir);
  if (const wal::Status s = acks.add(dir, chosen); !s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  for (const wal::WalProblem& p : chosen) out << "acknowledged " << describe(p) << '\n';
  out << "recorded in " << wal::acknowledgments_path(dir).string() << "; the damaged bytes stay where they are\n";
  return kExitOk;
}

int wal_requeue(const std::filesystem::path& dir, const std::string& report_id, std::ostream& out,
                std::ostream& err) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  wal::WalReadSummary summary;
  if (!load_log(dir, log, summary, err, nullptr)) return kExitError;
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
  if (const wal::Status s = write_requeue_request(dir, ids, &request); !s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  out << "request written to " << request.string()
      << "; the owning service picks it up on its next publish cycle or start\n";
  return kExitOk;
}

int wal_compact(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
                const ProgressOutput& progress) {
  if (!check_dir(dir, err)) return kExitError;
  OutboxLog log;
  wal::WalReadSummary summary;
  std::uint64_t nissa_records = 0;
  const bool ok = read_all(dir, "reading", [&](const wal::WalRecord& r) {
    if (nissa::is_journal_record(r.type)) {
      ++nissa_records;
    } else {
      log.apply(r);
    }
  }, summary, err, &progress);
  if (!ok) return kExitError;
  if (nissa_records > 0) {
    // Nissa's records settle nothing in the outbox's sense: every segment would look deletable.
    err << "esper-wal compact: " << dir.string() << " is Nissa's WAL; Nissa deletes its own segments by age "
        << "(persistence.retention), compact is for outbox WALs\n";
    return kExitError;
  }
  const auto segments = wal::list_segments(dir);
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
    const auto path = dir / wal::segment_file_name(number);
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
