#include "nissa/serve/metric_search.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view metric_kind_name(proto::MetricKind kind) {
  switch (kind) {
    case proto::METRIC_KIND_COUNTER: return "counter";
    case proto::METRIC_KIND_HISTOGRAM: return "histogram";
    default: return "gauge";
  }
}

struct FoundMetric {
  proto::MetricKind kind;
  std::string unit;
  std::size_t series = 0;
};

}  // namespace

QueryReply metric_search_reply(const MetricAggregator& metrics, const QueryParams& params) {
  return answer([&] {
    const QueryArgs p(params, {"q", "source", "offset", "limit"});
    const std::string needle = lowered(p.text("q").value_or(""));
    const auto source = p.text("source");
    const std::size_t offset = static_cast<std::size_t>(p.unsigned_integer("offset").value_or(0));
    const std::size_t limit = p.limit(50, 1000);
    // Keyed by (metric, source): one entry per name a page shows, however many series it has.
    std::map<std::pair<std::string, std::string>, FoundMetric> found;
    std::set<std::string> sources;
    metrics.for_each([&](const Series& s) {
      sources.insert(s.key.source);
      if (source && s.key.source != *source) return;
      if (!needle.empty() && lowered(s.key.name).find(needle) == std::string::npos) return;
      auto [it, added] = found.try_emplace({s.key.name, s.key.source}, FoundMetric{s.kind, s.unit});
      ++it->second.series;
    });
    nlohmann::json page = nlohmann::json::array();
    auto it = found.begin();
    std::advance(it, std::min(offset, found.size()));
    for (std::size_t n = 0; it != found.end() && n < limit; ++it, ++n) {
      page.push_back({{"metric", it->first.first},
                      {"source", it->first.second},
                      {"kind", metric_kind_name(it->second.kind)},
                      {"unit", it->second.unit},
                      {"series", it->second.series}});
    }
    const nlohmann::json body{{"metrics", std::move(page)},
                              {"matched", found.size()},
                              {"offset", offset},
                              {"limit", limit},
                              {"sources", sources}};
    return QueryReply{200, body.dump()};
  });
}

}  // namespace esper::nissa
