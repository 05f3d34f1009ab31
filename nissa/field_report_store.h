// The field reports Nissa has made durable, indexed by report id. The index is what makes a retry
// harmless: a report whose id is already here is acknowledged again but never stored or counted
// twice. It is rebuilt from the WAL at start-up, so deduplication survives restarts.
#ifndef ESPER_NISSA_FIELD_REPORT_STORE_H_
#define ESPER_NISSA_FIELD_REPORT_STORE_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "esper/field_report.pb.h"

namespace esper::nissa {

struct StoredFieldReport {
  std::string source;                 // Service that issued it.
  std::uint64_t durable_at_unix_ns = 0;
  leyline::FieldReport report;
};

class FieldReportStore {
 public:
  bool contains(const std::string& report_id) const { return index_.contains(report_id); }
  // Stores a report; returns false (and stores nothing) if its id is already present.
  bool insert(StoredFieldReport stored);

  const StoredFieldReport* find(const std::string& report_id) const;
  // Reports in the order they became durable, from position `offset`, at most `limit`.
  std::vector<const StoredFieldReport*> list(std::size_t offset, std::size_t limit) const;
  std::size_t size() const { return reports_.size(); }

 private:
  std::vector<StoredFieldReport> reports_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_FIELD_REPORT_STORE_H_
