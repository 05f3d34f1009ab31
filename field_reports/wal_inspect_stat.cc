// `esper-wal stat`: segments, bytes and records by type, then what the records mean to the WAL's
// owner. The tool tells whose WAL it reads by the record types: records of Nissa's types make it
// Nissa's, and stat then counts stored field reports, events, schema violations, alerts and
// alerts-cleared marks; otherwise it is an outbox's, and stat counts reports pending, settled and
// dropped, and the requeue requests waiting. Last come the corrupt ranges and every problem found.
#include <array>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "field_reports/outbox_log.h"
#include "field_reports/requeue_request.h"
#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_corruption.h"
#include "field_reports/wal_inspect_reading.h"
#include "field_reports/wal_record_decoding.h"
#include "nissa/store/journal_records.h"

namespace esper::field_reports {
namespace {

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

// Everything stat prints, gathered in one pass over the WAL.
struct WalStat {
  OutboxLog outbox;
  NissaJournalCounts nissa;
  std::array<std::uint64_t, 256> by_type{};
  wal::WalReadSummary summary;

  void add(const wal::WalRecord& r) {
    ++by_type[r.type];
    if (nissa::is_journal_record(r.type)) {
      nissa.add(r, decode_record(r));
    } else {
      outbox.apply(r);
    }
  }
  // Nissa's WAL holds Nissa's records; an outbox's never does.
  bool is_nissas() const { return nissa.records > summary.records - nissa.records; }
};

void print_records(const std::filesystem::path& dir, const WalStat& stat, std::ostream& out) {
  const auto segments = wal::list_segments(dir);
  out << "segments: " << segments.size();
  if (!segments.empty()) out << " (" << segments.front().number << ".." << segments.back().number << ")";
  out << "\nbytes: " << stat.summary.bytes << "\nrecords: " << stat.summary.records << '\n';
  for (int type = 0; type < 256; ++type) {
    if (const auto n = stat.by_type[static_cast<std::size_t>(type)]) {
      out << "  " << record_type_name(static_cast<std::uint8_t>(type)) << ": " << n << '\n';
    }
  }
}

void print_nissa_journal(const NissaJournalCounts& nissa, std::ostream& out) {
  out << "owner: nissa\n"
      << "field reports stored: " << nissa.field_reports << " (" << nissa.report_ids.size() << " distinct ids from "
      << nissa.report_sources.size() << " sources)\n"
      << "events: " << nissa.events << "\nschema violations: " << nissa.schema_violations
      << "\nalerts: " << nissa.alerts << "\nalerts-cleared marks: " << nissa.alerts_cleared << '\n';
  if (nissa.unparseable > 0) out << "unparseable records: " << nissa.unparseable << '\n';
}

void print_outbox(const std::filesystem::path& dir, const OutboxLog& log, std::ostream& out) {
  out << "reports: pending " << log.pending() << ", settled " << log.settled_count() << ", dropped "
      << log.dropped_count() << '\n';
  if (log.unparseable() > 0) out << "unparseable records: " << log.unparseable() << '\n';
  out << "requeue requests waiting: " << read_requeue_requests(dir).size() << '\n';
}

void print_problems(const std::filesystem::path& dir, const wal::WalReadSummary& summary, std::ostream& out) {
  const CorruptRanges corruption(dir, summary);
  if (corruption.total() > 0) {
    out << "corrupt records: " << corruption.total() << " ranges (" << corruption.acknowledged.size()
        << " acknowledged, " << corruption.unacknowledged.size() << " not; see `esper-wal verify`)\n";
  }
  for (const auto& problem : summary.problems) out << "problem: " << describe(problem) << '\n';
}

}  // namespace

int wal_stat(const std::filesystem::path& dir, std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_wal_dir(dir, err)) return kExitError;
  WalStat stat;
  if (!read_whole_wal(dir, "reading", [&](const wal::WalRecord& r) { stat.add(r); }, stat.summary, err, &progress)) {
    return kExitError;
  }
  print_records(dir, stat, out);
  if (stat.is_nissas()) {
    print_nissa_journal(stat.nissa, out);
  } else {
    print_outbox(dir, stat.outbox, out);
  }
  print_problems(dir, stat.summary, out);
  return kExitOk;
}

}  // namespace esper::field_reports
