// The field reports Nissa has made durable, indexed by report id. The index is what makes a retry
// harmless: a report whose id is already here is acknowledged again but never stored or counted
// twice. It is rebuilt from the WAL at start-up, so deduplication survives restarts.
//
// Reports are kept in the order they became durable, which is also WAL order, so the reports of the
// oldest WAL segments are always a prefix: retention deletes those segments and then forgets that
// prefix here (forget_through_segment), keeping memory and disk bounded alike.
#ifndef ESPER_NISSA_STORE_FIELD_REPORT_STORE_H_
#define ESPER_NISSA_STORE_FIELD_REPORT_STORE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "esper/field_report.pb.h"

namespace esper::nissa {

struct StoredFieldReport {
  std::string source;                 // Service that issued it.
  std::uint64_t durable_at_unix_ns = 0;
  proto::FieldReport report;
  std::uint64_t wal_segment = 0;      // The WAL segment its record is in.
};

// Which reports a listing keeps; an empty filter keeps every one.
struct FieldReportFilter {
  std::optional<proto::FieldReportOutcome> outcome;
  std::optional<std::string> source;
};

struct FieldReportPage {
  std::vector<const StoredFieldReport*> reports;
  std::size_t matched = 0;  // Every report the filter keeps, not only this page's.
};

class FieldReportStore {
 public:
  bool contains(const std::string& report_id) const { return index_.contains(report_id); }
  // Stores a report; returns false (and stores nothing) if its id is already present. Reports come
  // in WAL order: `wal_segment` never decreases.
  bool insert(StoredFieldReport stored);

  const StoredFieldReport* find(const std::string& report_id) const;
  // Reports in the order they became durable, from position `offset`, at most `limit`.
  std::vector<const StoredFieldReport*> list(std::size_t offset, std::size_t limit) const;
  // The reports `filter` keeps, in the same order, from the `offset`-th of them, at most `limit`.
  // One pass over the stored reports comparing an enum and a string each (the store is bounded by
  // WAL retention); only the page is copied out.
  FieldReportPage select(const FieldReportFilter& filter, std::size_t offset, std::size_t limit) const;
  std::size_t size() const { return reports_.size(); }

  // Forgets every report whose record is in WAL segment `segment` or an older one (their segments
  // were deleted). Returns how many.
  std::size_t forget_through_segment(std::uint64_t segment);

 private:
  std::deque<StoredFieldReport> reports_;
  std::uint64_t first_ = 0;  // Number of reports_.front() in insertion order (forgotten ones count).
  std::unordered_map<std::string, std::uint64_t> index_;  // Id -> number in insertion order.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_FIELD_REPORT_STORE_H_
