#include "nissa/serve/query_args.h"

#include <algorithm>
#include <charconv>

#include "config/config_section.h"
#include "proto/topic.h"

namespace esper::nissa {
namespace {

template <typename Int>
Int parse_integer(const std::string& name, const std::string& text) {
  Int v{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw BadParameter(name, "expected an integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

QueryArgs::QueryArgs(const QueryParams& raw, std::initializer_list<std::string_view> allowed,
                     AttributeFilters attributes)
    : raw_(raw) {
  for (const auto& [name, value] : raw_) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    if (attributes == AttributeFilters::kAccepted && name.starts_with("attr.")) continue;
    throw BadParameter(name, "unknown parameter");
  }
}

std::optional<std::string> QueryArgs::text(const std::string& name) const {
  const auto it = raw_.find(name);
  if (it == raw_.end()) return std::nullopt;
  if (raw_.count(name) > 1) throw BadParameter(name, "given more than once");
  return it->second;
}

std::optional<std::int64_t> QueryArgs::integer(const std::string& name) const {
  const auto t = text(name);
  if (!t) return std::nullopt;
  return parse_integer<std::int64_t>(name, *t);
}

std::optional<std::uint64_t> QueryArgs::unsigned_integer(const std::string& name) const {
  const auto t = text(name);
  if (!t) return std::nullopt;
  return parse_integer<std::uint64_t>(name, *t);
}

std::size_t QueryArgs::limit(std::size_t fallback, std::size_t max) const {
  const auto v = unsigned_integer("limit");
  if (v && (*v == 0 || *v > max)) throw BadParameter("limit", "must be between 1 and " + std::to_string(max));
  return v ? static_cast<std::size_t>(*v) : fallback;
}

std::optional<proto::Severity> QueryArgs::severity(const std::string& name) const {
  const auto t = text(name);
  if (!t) return std::nullopt;
  const auto s = proto::parse_severity(*t);
  if (!s) throw BadParameter(name, "expected debug, info, warning, high or critical");
  return *s;
}

std::optional<proto::FieldReportOutcome> QueryArgs::outcome(const std::string& name) const {
  const auto t = text(name);
  if (!t) return std::nullopt;
  static constexpr std::pair<std::string_view, proto::FieldReportOutcome> kOutcomes[] = {
      {"success", proto::FIELD_REPORT_OUTCOME_SUCCESS},
      {"neutral", proto::FIELD_REPORT_OUTCOME_NEUTRAL},
      {"regression", proto::FIELD_REPORT_OUTCOME_REGRESSION},
      {"aborted", proto::FIELD_REPORT_OUTCOME_ABORTED},
      {"unspecified", proto::FIELD_REPORT_OUTCOME_UNSPECIFIED}};
  for (const auto& [word, value] : kOutcomes) {
    if (*t == word) return value;
  }
  throw BadParameter(name, "expected success, neutral, regression, aborted or unspecified");
}

TimeRangeArg QueryArgs::time_range() const {
  TimeRangeArg range;
  const auto window = text("window");
  const auto from = integer("from");
  const auto to = integer("to");
  if (window && (from || to)) throw BadParameter("window", "give either window or from/to");
  if (from.has_value() != to.has_value()) throw BadParameter(from ? "to" : "from", "from and to go together");
  if (window) {
    range.window = config::parse_duration(*window);
    if (!range.window || range.window->count() <= 0) {
      throw BadParameter("window", "expected a duration such as 5m or 1h");
    }
  }
  if (from) {
    if (*to <= *from) throw BadParameter("to", "must be after from");
    range.from_to = std::pair{*from, *to};
  }
  return range;
}

std::vector<std::pair<std::string, std::string>> QueryArgs::attributes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : raw_) {
    if (!name.starts_with("attr.")) continue;
    if (name.size() == 5) throw BadParameter(name, "attribute filter needs a key: attr.<key>=<value>");
    out.emplace_back(name.substr(5), value);
  }
  return out;
}

}  // namespace esper::nissa
