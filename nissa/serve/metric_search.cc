#include "nissa/serve/metric_search.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

std::string lowered_needle(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view search_kind_name(proto::MetricKind kind) {
  switch (kind) {
    case proto::METRIC_KIND_COUNTER: return "counter";
    case proto::METRIC_KIND_HISTOGRAM: return "histogram";
    default: return "gauge";
  }
}

}  // namespace

QueryReply metric_search_reply(const MetricNameIndex& index, const QueryParams& params) {
  return answer([&] {
    const QueryArgs p(params, {"q", "source", "offset", "limit"});
    const std::string needle = lowered_needle(p.text("q").value_or(""));
    const auto source = p.text("source");
    const std::size_t offset = static_cast<std::size_t>(p.unsigned_integer("offset").value_or(0));
    const std::size_t limit = p.limit(50, kMaxSearchPage);
    nlohmann::json page = nlohmann::json::array();
    std::size_t matched = 0;  // (name, source) pairs matching, in order; the page is [offset, offset + limit).
    const auto show = [&](const std::string& name, const std::string& from, const MetricNameIndex::PerSource& s) {
      page.push_back({{"metric", name}, {"source", from}, {"kind", search_kind_name(s.kind)}, {"unit", s.unit}, {"series", s.series}});
    };
    for (const auto& [name, entry] : index.names()) {
      if (!needle.empty() && entry.lowered.find(needle) == std::string::npos) continue;
      if (source) {
        const auto it = entry.sources.find(*source);
        if (it == entry.sources.end()) continue;
        if (matched >= offset && page.size() < limit) show(name, it->first, it->second);
        ++matched;
        continue;
      }
      // A name whose sources all fall before the page, or after it, is counted without a walk.
      const std::size_t n = entry.sources.size();
      if (matched + n > offset && page.size() < limit) {
        std::size_t k = 0;
        for (const auto& [from, s] : entry.sources) {
          if (matched + k >= offset && page.size() < limit) show(name, from, s);
          ++k;
        }
      }
      matched += n;
    }
    const nlohmann::json body{{"metrics", std::move(page)},
                              {"matched", matched},
                              {"offset", offset},
                              {"limit", limit},
                              {"sources", index.sources()}};
    return QueryReply{200, body.dump()};
  });
}

QueryReply MetricSearch::reply(const QueryParams& params) {
  std::lock_guard lock(mu_);
  // Each slice takes the aggregator's lock once; between slices ingest goes on.
  for (std::size_t slice = 0; slice < kMaxSlicesPerReply; ++slice) {
    std::vector<IndexedSeries> fresh = read_unread_(index_, kSeriesPerSlice);
    if (fresh.empty()) break;
    index_.add(fresh);
    if (fresh.size() < kSeriesPerSlice) break;
  }
  return metric_search_reply(index_, params);
}

}  // namespace esper::nissa
