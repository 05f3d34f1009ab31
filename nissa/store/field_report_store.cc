#include "nissa/store/field_report_store.h"

namespace esper::nissa {

bool FieldReportStore::insert(StoredFieldReport stored) {
  auto [it, inserted] = index_.try_emplace(stored.report.report_id(), first_ + reports_.size());
  if (!inserted) return false;
  reports_.push_back(std::move(stored));
  return true;
}

const StoredFieldReport* FieldReportStore::find(const std::string& report_id) const {
  auto it = index_.find(report_id);
  return it == index_.end() ? nullptr : &reports_[it->second - first_];
}

std::vector<const StoredFieldReport*> FieldReportStore::list(std::size_t offset,
                                                             std::size_t limit) const {
  std::vector<const StoredFieldReport*> out;
  for (std::size_t i = offset; i < reports_.size() && out.size() < limit; ++i) {
    out.push_back(&reports_[i]);
  }
  return out;
}

FieldReportPage FieldReportStore::select(const FieldReportFilter& filter, std::size_t offset, std::size_t limit) const {
  FieldReportPage page;
  for (const StoredFieldReport& r : reports_) {
    if (filter.outcome && r.report.outcome() != *filter.outcome) continue;
    if (filter.source && r.source != *filter.source) continue;
    if (page.matched >= offset && page.reports.size() < limit) page.reports.push_back(&r);
    ++page.matched;
  }
  return page;
}

std::size_t FieldReportStore::forget_through_segment(std::uint64_t segment) {
  std::size_t forgotten = 0;
  while (!reports_.empty() && reports_.front().wal_segment <= segment) {
    index_.erase(reports_.front().report.report_id());
    reports_.pop_front();
    ++first_;
    ++forgotten;
  }
  return forgotten;
}

}  // namespace esper::nissa
